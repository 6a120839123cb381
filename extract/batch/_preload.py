"""Imported by the engine's fork server: every worker forked from it starts with the
pipeline's libraries already loaded (jieba's dictionary, OpenCC, cpca, the schema), so
replacing a worker costs milliseconds, not a second."""
from ..report import warm_up

warm_up()
