"""The kernel's change notification (Linux inotify) for a file repository, through watchdog: the
only module that imports it. `feeds.daemon.watch` chooses between this and the stat scan.

watchdog reads the inotify descriptor in a thread of its own and hands each event to a handler
on another; the handler here keeps the repository-relative paths of what changed and sets the
caller's wake event, so a sleeping daemon wakes at once. A kernel queue overflow (events were
lost) and a failure of the reading thread (no watch left for a new folder: the watch limit) are
caught in the reading thread and reported by `wait` as None: everything must be scanned again.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Final

from watchdog.events import (
    DirAttribEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver
from watchdog.observers.inotify import InotifyEmitter
from watchdog.observers.inotify_c import (
    CallbackId,
    InotifyEvent,
    InotifyFD,
    Mask,
    WatchCallback,
    WatchDescriptor,
)

log = logging.getLogger(__name__)


def _not_a_stop_race(record: logging.LogRecord) -> bool:
    """watchdog's emitter may look for events once more while it stops, and logs that as an
    error: it is not one (every watch stop would log it)."""
    return not str(record.msg).startswith("InotifyEmitter.queue_events() called when the thread")


logging.getLogger("watchdog.observers.inotify").addFilter(_not_a_stop_race)

#: What is subscribed to (the inotify mask follows it): no reads (open, close without writing),
#: and not the "folder modified" events watchdog makes up for the parent of every change.
_EVENTS: Final = [
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    DirAttribEvent,
]


#: Errors adding a watch that mean the kernel's limits, not a folder that just vanished.
_LIMITS: Final = {errno.ENOSPC: "watch limit", errno.EMFILE: "instance limit"}


class _Descriptor(InotifyFD):
    """watchdog's inotify reader, telling of a queue overflow, of a folder that could not be
    watched for a limit (watchdog skips such a folder in silence, as it does one that vanished
    while it was being watched), and of a failure to handle an event (which would otherwise
    end the reading thread in silence)."""

    def __init__(self, lost: Callable[[str], None]) -> None:
        super().__init__()
        self._lost = lost

    def add_callback(
        self, path: bytes, mask: Mask, callback: WatchCallback, id_: CallbackId
    ) -> WatchDescriptor:
        try:
            return super().add_callback(path, mask, callback, id_)
        except OSError as exc:
            if exc.errno in _LIMITS:
                self._lost(f"failed: the inotify {_LIMITS[exc.errno]} is reached")
            raise

    def handle_event(self, event: InotifyEvent) -> None:
        if event.is_queue_overflow:
            self._lost("overflow")
        try:
            super().handle_event(event)
        except OSError as exc:  # a new folder could not be watched: ENOSPC, most often
            self._lost(f"failed: {exc.strerror or exc}")


class _Observer(BaseObserver):
    def __init__(self, descriptor: _Descriptor) -> None:
        self._descriptor = descriptor
        super().__init__(InotifyEmitter, inotify_fd=descriptor)

    def on_thread_stop(self) -> None:
        super().on_thread_stop()
        self._descriptor.stop()


class _Handler(FileSystemEventHandler):
    def __init__(self, seen: Callable[[FileSystemEvent], None]) -> None:
        self._seen = seen

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._seen(event)


def inotify_watch_count() -> int:
    """How many inotify watches this process holds (from /proc; 0 where it cannot be read)."""
    count = 0
    try:
        descriptors = list(Path("/proc/self/fd").iterdir())
    except OSError:
        return 0
    for fd in descriptors:
        try:
            if str(fd.readlink()) != "anon_inode:inotify":
                continue
            info = Path("/proc/self/fdinfo", fd.name).read_text(encoding="ascii")
        except OSError:
            continue
        count += info.count("inotify wd:")
    return count


class InotifyFeed:
    """A `ChangeFeed` from inotify: every folder of the repository is watched (recursively).

    `wait` returns the repository-relative paths of what changed (those `keep` keeps); a
    folder created, deleted or moved is its own path. After a lost track (`lost` is set:
    "overflow", or "failed: ..."), `wait` returns None once.

    Args:
        root: The repository folder.
        wake: Set whenever a change arrives; a wait also ends as soon as it is set (by a
            signal), and clears it.
        keep: Which paths to report (the others neither count nor wake anyone).

    Raises:
        OSError: inotify cannot be had: ENOSPC (the watch limit), EMFILE (the instance limit),
            ENOENT (no such folder) and the like.
    """

    def __init__(
        self, root: Path, wake: threading.Event, keep: Callable[[str], bool] | None = None
    ) -> None:
        self.root = root
        self._top = str(root)
        self._wake = wake
        self._keep = keep or (lambda key: True)
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self.lost: str | None = None
        self._reported = False
        self._descriptor = _Descriptor(self._lose)  # raises EMFILE at the instance limit
        self._descriptor.start()
        self._observer = _Observer(self._descriptor)
        try:
            self._observer.schedule(
                _Handler(self._seen), self._top, recursive=True, event_filter=list(_EVENTS)
            )
            self._observer.start()  # adds a watch to every folder
        except BaseException:
            self.close()
            raise
        if self.lost is not None:  # a folder below could not be watched
            self.close()
            raise OSError(errno.ENOSPC, self.lost)

    def _seen(self, event: FileSystemEvent) -> None:
        paths = (event.src_path, event.dest_path)
        keys = [_relative(self._top, os.fsdecode(p)) for p in paths if p]
        keys = [key for key in keys if self._keep(key)]
        if keys:
            with self._lock:
                self._pending.update(keys)
            self._wake.set()

    def _lose(self, why: str) -> None:
        with self._lock:
            if self.lost is None or self.lost == "overflow":
                self.lost = why
            self._reported = False
        self._wake.set()

    def wait(self, timeout: float) -> Collection[str] | None:
        """The paths changed since the last call, waiting up to `timeout` seconds for one
        (empty: none, or the wake event was set); None when events were lost."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            taken = self._take()
            if taken is None or taken:
                return taken
            left = deadline - time.monotonic()
            if left <= 0:
                return ()
            if self._wake.wait(left):
                self._wake.clear()
                return self._take()

    def _take(self) -> set[str] | None:
        with self._lock:
            if self.lost is not None and not self._reported:
                self._reported = True
                self._pending.clear()
                return None
            pending, self._pending = self._pending, set()
            return pending

    def close(self) -> None:
        """Stop watching: the watches are removed, the descriptor closed, the threads end."""
        self._observer.stop()
        self._descriptor.stop()
        for thread in (self._observer, self._descriptor):
            if thread.is_alive():
                thread.join(timeout=5)


def _relative(top: str, path: str) -> str:
    """A watched path as the repository's "/"-separated key ("" for the repository itself)."""
    if path == top:
        return ""
    if path.startswith(top + os.sep):
        return path[len(top) + 1 :].replace(os.sep, "/")
    return path  # outside the repository (cannot happen: the watch is below `top`)
