"""Imported by the engine's fork server: every worker forked from it starts with the
pipeline's libraries already loaded (the schema, OpenCC, cpca's gazetteer, jieba's dictionary,
the dataset writer with pandas and pyarrow), so replacing a worker costs milliseconds, not a
second. Ctrl-C is the parent's to handle: the server ignores it from its first line (it is in
the terminal's process group while it loads), and the workers it forks inherit that."""
import os
import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)

from . import jobs  # noqa: E402,F401
from .. import dataset  # noqa: E402,F401
from ..report import warm_up  # noqa: E402

warm_up()

_ready = os.environ.get("GIOAR_SERVER_READY")  # local.READY_ENV: tell the parent
if _ready:
    open(_ready, "w").close()
