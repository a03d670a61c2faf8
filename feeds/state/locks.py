"""Locks in the output folder that keep one writer at a time and one daemon per folder."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from feeds.errors import LockedError, OutputError

log = logging.getLogger(__name__)

#: Lock file in the output folder held by whoever writes into it (a build).
BUILD_LOCK = ".feeds.lock"
#: Lock file in the output folder held by a `feeds run` daemon for its whole lifetime.
DAEMON_LOCK = ".feeds-daemon.lock"
_POLL_SECONDS = 0.1

# --- locks -----------------------------------------------------------------------------------


def lock_holder(path: Path) -> int | None:
    """The pid holding an flock on `path`, as far as the system tells (Linux: /proc/locks)."""
    try:
        info = path.stat()
        lines = Path("/proc/locks").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" ("->" marks a blocked waiter).
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == device:
            with contextlib.suppress(ValueError):
                return int(parts[4])
    return None


def _holder_text(path: Path) -> str:
    pid = lock_holder(path)
    return f"pid {pid}" if pid is not None else "another process"


def _open_lock(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot create the lock file: {exc.strerror or exc}: check that the output"
            " folder is writable"
        ) from exc


def _try_lock(fd: int, *, shared: bool = False) -> bool:
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


@contextlib.contextmanager
def build_lock(output: Path, *, wait: float, stop: threading.Event | None = None) -> Iterator[None]:
    """Hold ``<output>/.feeds.lock`` while writing into `output`; never two writers at once.

    Args:
        output: The output folder (created if missing).
        wait: Seconds to wait for another writer to finish.
        stop: Give up waiting as soon as this is set.

    Raises:
        LockedError: still held by another process after `wait` seconds (or `stop` was set).
    """
    path = output / BUILD_LOCK
    fd = _open_lock(path)
    try:
        deadline = time.monotonic() + wait
        announced = False
        while not _try_lock(fd):
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                raise LockedError(
                    f"{output}: {_holder_text(path)} is writing this output folder"
                    f" (lock {path}); gave up after {wait:g} s: try again later or raise"
                    " --wait"
                )
            if not announced:
                log.info("waiting for %s to finish writing %s", _holder_text(path), output)
                announced = True
            if stop is not None:
                stop.wait(_POLL_SECONDS)
            else:
                time.sleep(_POLL_SECONDS)
        yield
    finally:
        # Closing the descriptor releases the lock; the file stays for the next writer.
        os.close(fd)


class DaemonLock:
    """``<output>/.feeds-daemon.lock``, held by one `feeds run` for its whole lifetime."""

    def __init__(self, output: Path) -> None:
        self.path = output / DAEMON_LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock at once.

        Raises:
            LockedError: another daemon serves the same output folder.
        """
        fd = _open_lock(self.path)
        # `feeds status` probes this lock for an instant; do not mistake that for a daemon.
        deadline = time.monotonic() + 0.5
        while not _try_lock(fd) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        if not _try_lock(fd):
            os.close(fd)
            raise LockedError(
                f"{self.path.parent}: another `feeds run` ({_holder_text(self.path)}) already"
                " publishes into this output folder: stop it first, or check it with"
                " `feeds status`"
            )
        self._fd = fd

    def ensure_held(self) -> None:
        """Hold the lock file that is at its path now: when the output folder (and the lock
        file in it) was deleted and made again, the old lock protects nothing, and a second
        daemon could start; take the new file's lock at once.

        Raises:
            LockedError: another daemon took the new file's lock first.
        """
        if self._fd is None:
            return
        try:
            same = os.path.samestat(os.fstat(self._fd), self.path.stat())
        except OSError:
            same = False
        if not same:
            log.warning("%s: the lock file was removed; taking it again", self.path)
            self.release()
            self.acquire()

    def release(self) -> None:
        """Let go of the lock (no-op when not held)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def daemon_running(output: Path) -> int | None:
    """The pid of the daemon serving `output` (0 when its pid is unknown), or None if none."""
    path = output / DAEMON_LOCK
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if _try_lock(fd, shared=True):
            return None
        return lock_holder(path) or 0
    finally:
        os.close(fd)
