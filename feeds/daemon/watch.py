"""Noticing what changed in a file repository, behind `feeds.sources.ChangeFeed`.

Two ways, chosen by ``[schedule] watch_method``:

- the kernel's change notification (Linux inotify, `feeds.daemon.inotify`): an event names
  what changed a millisecond after it did, and nothing runs while nothing changes;
- a stat scan of every file (`PollFeed`): no dependency and no kernel limit, but it notices a
  change only at its next scan, and scans are spaced at ten times a scan's duration (seconds at
  100,000 articles) so that scanning never takes a core.

``auto`` (the default) uses the kernel's and falls back to the scan, with one log line saying
why and what to do, when inotify cannot be had (its watch or instance limit is reached, the
repository is on a network file system whose other clients' changes it would not see) or keeps
losing events (queue overflows). `RepositoryWatch` is what the daemon and `feeds serve` use.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from feeds.clock import Clock
from feeds.config import WatchMethod

log = logging.getLogger(__name__)

#: The quickest the repository is rescanned (slower when a scan itself is slow).
WATCH_SCAN_SECONDS = 0.5
#: A build follows this long after the last change seen: the quiet that ends a burst (a save
#: that writes a temporary file and renames it over the article is two events 1 ms apart).
KERNEL_DEBOUNCE_SECONDS = 0.04
#: ... and after a scan that saw a change (scans are far apart: a burst spans several).
POLL_DEBOUNCE_SECONDS = 0.75
#: This many queue overflows within `OVERFLOW_WINDOW_SECONDS` and the scan takes over.
OVERFLOW_LIMIT = 3
OVERFLOW_WINDOW_SECONDS = 600.0
#: How often the repository folder itself is looked at: replaced by another folder (a deploy
#: that renames a new tree into place), it must be watched anew.
ROOT_CHECK_SECONDS = 1.0
#: What `sysctl` settings to suggest when a limit is reached.
SUGGESTED_WATCHES = 524288
SUGGESTED_INSTANCES = 1024
#: File systems whose changes made elsewhere (other clients, the host) inotify does not see.
NETWORK_FILE_SYSTEMS: Final = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "ceph", "glusterfs", "lustre", "9p",
     "fuse.sshfs", "fuse.glusterfs", "fuse.ceph", "fuse.davfs2", "davfs", "vboxsf"}
)  # fmt: skip

Snapshot = frozenset[tuple[str, int, int]]


def ignored(key: str) -> bool:
    """Whether the repository reader skips the path `key` ("/"-separated, relative): a name
    starting with "." or "_" anywhere on it (editor swap files, ``.git``, ``_drafts``), or an
    editor backup ending in "~"."""
    parts = key.split("/")
    return parts[-1].endswith("~") or any(part.startswith((".", "_")) for part in parts)


def snapshot_repository(root: Path) -> Snapshot:
    """(path, size, mtime) of every file the repository reader could use.

    Names starting with "." or "_" (editor swap files, ignored folders) and editor backups
    ending in "~" are skipped, and symbolic links are not followed, as the reader does.
    """
    found: set[tuple[str, int, int]] = set()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith((".", "_"))]
        for name in files:
            if name.startswith((".", "_")) or name.endswith("~"):
                continue
            path = os.path.join(folder, name)  # noqa: PTH118 - os.walk speaks str; hot loop
            try:
                info = os.lstat(path)
            except OSError:
                continue  # removed while scanning: the next scan sees it gone
            found.add((path, info.st_size, info.st_mtime_ns))
    return frozenset(found)


class PollFeed:
    """A `ChangeFeed` from stat snapshots of the repository; no dependency, no inotify limits.

    The keys it reports are the files whose stamp changed (added, changed or removed) between
    two scans. Scans are spaced at `scan_seconds`: at least `WATCH_SCAN_SECONDS`, and ten times
    the last scan's duration, so that watching never eats a core.

    Args:
        root: The repository folder (a missing one is an empty repository).
        wake: Ends a `wait` at once when set (a signal), and is cleared by it.
    """

    method = "poll"
    debounce = POLL_DEBOUNCE_SECONDS

    def __init__(self, root: Path, wake: threading.Event | None = None) -> None:
        self.root = root
        self._top = str(root)
        self._wake = wake or threading.Event()
        self._snapshot = snapshot_repository(root)
        self.scan_seconds = WATCH_SCAN_SECONDS
        self._next_scan = time.monotonic() + self.scan_seconds

    def poll(self) -> set[str]:
        """Rescan now: the keys of the files added, changed or removed since the last scan."""
        started = time.monotonic()
        snapshot = snapshot_repository(self.root)
        ended = time.monotonic()
        # A big repository is scanned less often, so watching never eats a core.
        self.scan_seconds = max(WATCH_SCAN_SECONDS, 10 * (ended - started))
        self._next_scan = ended + self.scan_seconds
        changed = {_relative(self._top, path) for path, _, _ in snapshot ^ self._snapshot}
        self._snapshot = snapshot
        return changed

    def wait(self, timeout: float) -> Collection[str]:
        """Sleep until the next scan is due (at most `timeout` seconds), then scan: the keys
        that changed (empty: none, or not yet time to scan, or the wake event was set)."""
        left = self._next_scan - time.monotonic()
        if left > 0:
            if self._wake.wait(min(max(0.0, timeout), left)):
                self._wake.clear()
                return ()
            if time.monotonic() < self._next_scan:
                return ()
        return self.poll()

    def describe(self) -> str:
        """How it watches, for the log."""
        return f"scanning every {self.scan_seconds:.1f} s"

    def close(self) -> None:
        """Nothing to release."""


class WatchUnavailableError(Exception):
    """The kernel's change notification cannot be had (the message says why and what to do)."""


class RepositoryWatch:
    """The daemon's watching of a file repository: a `ChangeFeed` that uses the kernel's
    notification where it can and the stat scan where it cannot (`method` says which now).

    The keys are the repository-relative "/"-separated paths of what changed, the reader's
    ignore rules applied (`ignored`): article files, images and any other file, and folders
    (created, deleted, moved or renamed: the folder's path stands for everything under it).
    None means that the feed lost track: everything must be scanned again (at start-up of a
    fallback, after a queue overflow, after the repository folder was replaced).

    Args:
        root: The repository folder.
        method: ``[schedule] watch_method``.
        wake: Set by a signal (and by an arriving event); ends a `wait` at once.

    Raises:
        WatchUnavailableError: `method` is "inotify" and the kernel's notification cannot be
            had.
    """

    def __init__(self, root: Path, method: WatchMethod, wake: threading.Event) -> None:
        self.root = root
        self.requested = method
        self.wake = wake
        self._feed: PollFeed | _Kernel = self._open()
        self._overflows: list[float] = []
        self._root_id = _identity(root)
        self._next_root_check = time.monotonic() + ROOT_CHECK_SECONDS
        self._awaiting_root = False

    @property
    def method(self) -> str:
        """ "inotify" or "poll": how changes are noticed now."""
        return self._feed.method

    @property
    def debounce(self) -> float:
        """The quiet, in seconds, after the last change before a build."""
        return self._feed.debounce

    def describe(self) -> str:
        """How it watches, for the log."""
        return self._feed.describe()

    def _open(self) -> PollFeed | _Kernel:
        if self.requested == "poll":
            return PollFeed(self.root, self.wake)
        try:
            return _kernel(self.root, self.wake, self.requested)
        except WatchUnavailableError as exc:
            if self.requested == "inotify":
                raise
            log.warning("%s", exc)
            return PollFeed(self.root, self.wake)

    def wait(self, timeout: float) -> Collection[str] | None:
        """Block up to `timeout` seconds for changes: the changed keys (empty: nothing
        changed, or the wake event was set), or None when everything must be scanned again."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            if self._root_replaced():
                return None
            now = time.monotonic()
            until = min(deadline, self._next_root_check)
            got = self._feed.wait(max(0.0, until - now))
            if got is None:
                self._lost_track()
                return None
            if got:
                return got
            if time.monotonic() < until or time.monotonic() >= deadline:
                return ()  # woken early (a signal, or a scan that found nothing), or done

    def _root_replaced(self) -> bool:
        """Whether the repository folder was replaced or removed (then it is watched anew)."""
        now = time.monotonic()
        if now < self._next_root_check:
            return False
        self._next_root_check = now + ROOT_CHECK_SECONDS
        identity = _identity(self.root)
        if self._awaiting_root:
            if identity is None:
                return False
            self._awaiting_root = False
        elif identity == self._root_id or self._feed.method == "poll":
            self._root_id = identity
            return False
        self._root_id = identity
        self._feed.close()
        if identity is None:
            log.warning("%s: the repository folder is gone; scanning until it is back", self.root)
            self._feed = PollFeed(self.root, self.wake)
            self._awaiting_root = self.requested != "poll"
        else:
            log.warning("%s: the repository folder was replaced; watching it anew", self.root)
            self._feed = self._reopen()
        return True

    def _reopen(self) -> PollFeed | _Kernel:
        try:
            return self._open()
        except WatchUnavailableError as exc:  # "inotify" asked for, and lost: scan all the same
            log.error("%s", exc)
            return PollFeed(self.root, self.wake)

    def _lost_track(self) -> None:
        feed = self._feed
        if not isinstance(feed, _Kernel):
            return
        why = feed.lost or "overflow"
        if why == "overflow":
            now = time.monotonic()
            self._overflows = [t for t in self._overflows if now - t < OVERFLOW_WINDOW_SECONDS]
            self._overflows.append(now)
            if len(self._overflows) < OVERFLOW_LIMIT or self.requested == "inotify":
                log.warning(
                    "%s: the kernel's queue of change events overflowed (more than %s events"
                    " at once), some were lost: scanning everything again",
                    self.root,
                    _read_limit("max_queued_events") or "its limit of",
                )
                return
            reason = (
                f"the kernel's queue of change events overflowed {len(self._overflows)} times"
                f" in {OVERFLOW_WINDOW_SECONDS / 60:.0f} minutes"
            )
            hint = _sysctl_hint("max_queued_events", 65536)
        else:
            reason = f"the kernel's change notification {why}"
            hint = _sysctl_hint("max_user_watches", SUGGESTED_WATCHES)
        feed.close()
        self._feed = PollFeed(self.root, self.wake)
        log.warning(
            "%s: %s; scanning the repository instead (%s), which notices a change later: %s",
            self.root,
            reason,
            self._feed.describe(),
            hint,
        )

    def close(self) -> None:
        """Stop watching."""
        self._feed.close()


class Watching:
    """What a loop that builds on change (the daemon's, `feeds serve`'s) knows between builds:
    the changes its `RepositoryWatch` told of, when the first and the last were seen.

    Args:
        feed: The repository's watch (closed by `close`).
        clock: The loop's clock: the moments of the changes are its readings.
    """

    def __init__(self, feed: RepositoryWatch, clock: Clock) -> None:
        self.feed = feed
        self.clock = clock
        self.first_change: datetime | None = None
        self.last_change: datetime | None = None
        self._keys: set[str] | None = set()

    @property
    def debounce(self) -> timedelta:
        """The quiet after the last change that ends a burst (short for the kernel's
        notification, longer for scans)."""
        return timedelta(seconds=self.feed.debounce)

    def sleep(self, seconds: float) -> None:
        """Wait up to `seconds` for changes (a change, or the wake event, ends it early)."""
        got = self.feed.wait(seconds)
        if got is None or got:
            now = self.clock()
            self.first_change = self.first_change or now
            self.last_change = now
            if got is None:
                self._keys = None
            elif self._keys is not None:
                self._keys.update(got)

    def take(self) -> frozenset[str] | None:
        """The keys changed since the last `take` (None: unknown, scan everything), for a
        build that starts now."""
        keys, self._keys = self._keys, set()
        self.first_change = self.last_change = None
        return None if keys is None else frozenset(keys)

    def close(self) -> None:
        """Stop watching."""
        self.feed.close()


# --- the kernel's notification ----------------------------------------------------------------


class _Kernel:
    """`feeds.daemon.inotify.InotifyFeed` with what `RepositoryWatch` asks of a feed."""

    method = "inotify"
    debounce = KERNEL_DEBOUNCE_SECONDS

    def __init__(self, root: Path, wake: threading.Event) -> None:
        from feeds.daemon.inotify import InotifyFeed, inotify_watch_count  # noqa: PLC0415

        before = inotify_watch_count()
        self._feed = InotifyFeed(root, wake, keep=lambda key: not ignored(key))
        self.watches = inotify_watch_count() - before

    @property
    def lost(self) -> str | None:
        return self._feed.lost

    def wait(self, timeout: float) -> Collection[str] | None:
        return self._feed.wait(timeout)

    def describe(self) -> str:
        return f"inotify, {self.watches:,} folders watched"

    def close(self) -> None:
        self._feed.close()


def _kernel(root: Path, wake: threading.Event, method: WatchMethod) -> _Kernel:
    """Watch `root` with inotify.

    Raises:
        WatchUnavailableError: it cannot be had (the message says why and what to do).
    """
    network = network_file_system(root)
    if network is not None:
        if method == "auto":
            raise WatchUnavailableError(
                f"{root}: the repository is on a network file system ({network}), where the"
                " kernel does not see changes made by other machines: scanning it instead"
                ' (set [schedule] watch_method = "inotify" if it is only changed from here)'
            )
        log.warning(
            "%s: on a network file system (%s): changes made by other machines are not seen",
            root,
            network,
        )
    try:
        return _Kernel(root, wake)
    except OSError as exc:
        raise WatchUnavailableError(_unavailable(root, exc, method)) from exc
    except ImportError as exc:
        raise WatchUnavailableError(
            f"{root}: the kernel's change notification needs watchdog ({exc}): install feeds"
            " with its dependencies; scanning instead"
        ) from exc


def _unavailable(root: Path, exc: OSError, method: WatchMethod) -> str:
    instead = (
        "scanning the repository instead, which notices a change later"
        if method == "auto"
        else 'set [schedule] watch_method = "auto" to scan the repository instead'
    )
    if exc.errno == errno.ENOSPC:
        limit = _read_limit("max_user_watches")
        return (
            f"{root}: the inotify watch limit is reached (fs.inotify.max_user_watches ="
            f" {limit or '?'}, shared by every program of this user; one watch per folder):"
            f" {instead}: {_sysctl_hint('max_user_watches', SUGGESTED_WATCHES)}"
        )
    if exc.errno == errno.EMFILE:
        limit = _read_limit("max_user_instances")
        return (
            f"{root}: the inotify instance limit is reached (fs.inotify.max_user_instances ="
            f" {limit or '?'}): {instead}:"
            f" {_sysctl_hint('max_user_instances', SUGGESTED_INSTANCES)}"
        )
    if exc.errno == errno.ENOENT:
        return f"{root}: the repository folder does not exist: {instead}"
    return f"{root}: the kernel's change notification failed ({exc}): {instead}"


def _sysctl_hint(name: str, value: int) -> str:
    current = _read_limit(name)
    value = max(value, 2 * current) if current else value
    return (
        f"raise the limit with `sysctl fs.inotify.{name}={value}` (as root), keep it with a"
        f' line "fs.inotify.{name} = {value}" in /etc/sysctl.d/90-feeds-inotify.conf, and'
        " restart feeds"
    )


def _read_limit(name: str) -> int | None:
    try:
        return int(Path(f"/proc/sys/fs/inotify/{name}").read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def network_file_system(root: Path) -> str | None:
    """The type of the network file system `root` is on (None: a local one, or unknown)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = os.path.realpath(root)
    best, kind = "", ""
    for line in lines:
        fields = line.split()
        if "-" not in fields or len(fields) < 5:
            continue
        point = _unescape(fields[4])
        after = fields[fields.index("-") + 1 :]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if after and inside and len(point) >= len(best):
            best, kind = point, after[0]
    return kind if kind in NETWORK_FILE_SYSTEMS else None


def _unescape(field: str) -> str:
    """A mountinfo field with its octal escapes ("\\040" for a space) decoded."""
    if "\\" not in field:
        return field
    return field.encode("ascii").decode("unicode_escape")


def _identity(root: Path) -> tuple[int, int] | None:
    try:
        info = root.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _relative(top: str, path: str) -> str:
    return path[len(top) + 1 :].replace(os.sep, "/")
