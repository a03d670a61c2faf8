"""Watching a file repository by stat-ing it: a cheap scan that tells whether anything changed."""

from __future__ import annotations

import os
import time
from pathlib import Path

#: The quickest the repository is rescanned (slower when a scan itself is slow).
WATCH_SCAN_SECONDS = 0.5

Snapshot = frozenset[tuple[str, int, int]]


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


class Watcher:
    """Compares stat snapshots of the repository; no dependency, no inotify limits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._snapshot = snapshot_repository(root)
        self.scan_seconds = WATCH_SCAN_SECONDS
        self._changed: set[str] = set()

    def poll(self) -> bool:
        """Rescan; True when a relevant file was added, changed or removed since last time."""
        started = time.monotonic()
        snapshot = snapshot_repository(self.root)
        # A big repository is scanned less often, so watching never eats a core.
        self.scan_seconds = max(WATCH_SCAN_SECONDS, 10 * (time.monotonic() - started))
        changed = snapshot != self._snapshot
        if changed:
            cut = len(str(self.root)) + 1
            self._changed.update(
                path[cut:].replace(os.sep, "/") for path, _, _ in snapshot ^ self._snapshot
            )
        self._snapshot = snapshot
        return changed

    def take_changes(self) -> set[str]:
        """The repository paths ("/"-separated) that changed since the last call."""
        changed, self._changed = self._changed, set()
        return changed
