"""One writer per dataset: a lock file `<out>/.lock` holding the writer's pid.

The lock is an flock on that file, so the kernel releases it when the process ends however it
ends (kill -9 included): a lock file left behind by a dead run is stale and is taken over, with
a line saying so. Two runs into one `--out` at once would store everything twice and remove
each other's temporary parts; the second one is refused instead.
"""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)
LOCK_NAME = ".lock"


class DatasetLocked(Exception):
    """Another process is writing the dataset."""

    def __init__(self, out: Path, pid: str) -> None:
        super().__init__(f"another run (pid {pid or 'unknown'}) is writing this dataset ({out}); "
                         "wait for it to finish, or give another --out")
        self.pid = pid


class DatasetLock:
    """Held from `acquire()` to `release()` (or the end of the process)."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
                os.close(fd)
                raise DatasetLocked(self.path.parent, holder) from None
            try:  # the file we locked may have been released (unlinked) in the meantime
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        stale = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        if stale:
            log.warning("%s: took over the lock of an earlier run (pid %s) that ended without "
                        "releasing it", self.path.parent, stale)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        os.set_inheritable(fd, False)  # workers need no copy of it
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # empty: released cleanly (not stale)
            self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)
