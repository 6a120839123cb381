"""Imported first by the engine's fork server: Ctrl-C reaches every process of the terminal's
group, and the server is still loading the pipeline for a few seconds after it starts. Ctrl-C
is the parent's to handle (it stops the workers), so the server and the workers forked from it
ignore it, from the start, instead of dying with a KeyboardInterrupt traceback."""
import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
