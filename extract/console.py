"""Console output that behaves in a pipe: `extract show FILE | head` ends quietly.

When the reader of stdout or stderr goes away (`| head` has read its lines), writing raises
BrokenPipeError. `echo` then points that stream at /dev/null and carries on, so console output
never stops a crawl or a batch; `quiet_on_broken_pipe` does the same for a command whose only
job is printing, and ends it. Either way Python's own flush at exit finds nothing to complain
about, and no traceback is printed (the habit of sqlite-utils and csvkit).
"""
from __future__ import annotations

import os
import sys
from typing import Callable, TextIO


def silence(stream: TextIO) -> None:
    """Send what is still to be written to `stream`, and everything later, to /dev/null."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        return  # not a file (a StringIO in tests): nothing to redirect
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _silence_broken() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            silence(stream)
        except (OSError, ValueError):
            pass


def echo(text: str = "", stream: TextIO | None = None) -> None:
    """Print a line; when the stream's reader has gone, drop it (and every later line) quietly."""
    stream = sys.stdout if stream is None else stream
    try:
        print(text, file=stream, flush=True)
    except BrokenPipeError:
        silence(stream)


def safe(write: Callable[[str], None]) -> Callable[[str], None]:
    """`write` (a progress printer given to a long job) made unable to stop the job."""
    def guarded(text: str) -> None:
        try:
            write(text)
        except BrokenPipeError:
            _silence_broken()
    return guarded


def quiet_on_broken_pipe(command: Callable[[], int], status: int = 0) -> int:
    """Run a printing command; if its reader goes away, stop it quietly with `status`."""
    try:
        code = command()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_broken()
        silence(sys.stdout)
        return status
