"""A whole-request deadline for httpx: no server holds a request past it, however it drips.

httpx's `timeout` bounds each network read, so a server sending a byte a second never trips it.
Here every read, write and connect of the calling thread waits at most until the deadline that
thread has set (`within(seconds)`): past it, the next socket operation raises a timeout.
The thread's deadline lives in a thread-local, so one client serves many crawling threads.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import weakref
import time
from typing import Iterator

import httpcore
import httpx

_local = threading.local()


@contextlib.contextmanager
def within(at: float) -> Iterator[None]:
    """Socket operations of this thread end by `at` (time.monotonic()) while inside."""
    before = getattr(_local, "at", None)
    _local.at = at
    try:
        yield
    finally:
        _local.at = before


def passed() -> bool:
    """Whether this thread's deadline has passed (to tell a deadline from a slow read)."""
    at = getattr(_local, "at", None)
    return at is not None and time.monotonic() >= at


def _wait(timeout: float | None, error: type[Exception]) -> float | None:
    at = getattr(_local, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _wait(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _wait(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self.inner.start_tls(ssl_context, server_hostname, _wait(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self.inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.inner = httpcore.SyncBackend()
        self.open: weakref.WeakSet[_Stream] = weakref.WeakSet()

    def _opened(self, inner: httpcore.NetworkStream) -> _Stream:
        stream = _Stream(inner)
        self.open.add(stream)
        return stream

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return self._opened(self.inner.connect_tcp(host, port, _wait(timeout, httpcore.ConnectTimeout),
                                                   local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return self._opened(self.inner.connect_unix_socket(path, _wait(timeout, httpcore.ConnectTimeout),
                                                           socket_options))

    def abort(self) -> None:
        """Shut every open connection down: a thread waiting on one wakes up with an error now
        (closing a socket would not wake it)."""
        for stream in list(self.open):
            sock = stream.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool whose sockets honour `within()`."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        # httpx takes no network backend, so its pool is replaced by one that has ours.
        self.backend = _Backend()
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             network_backend=self.backend)

    def abort(self) -> None:
        """End the requests in flight in every thread (Ctrl-C, SIGTERM)."""
        self.backend.abort()
