"""A publish target that asks before each change whether it may still publish (a leader)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from feeds.publish import Change, PublishTarget, WriteResult


class ConfirmedTarget:
    """`target`, with `confirm()` called before each change it applies.

    A daemon that publishes only while it leads gives the check that it still does: `confirm`
    raises when it does not, and what was applied before stays (each change is atomic, and
    media come before the feeds that name them, so the target holds a consistent publish).
    """

    def __init__(self, target: PublishTarget, confirm: Callable[[], None]) -> None:
        self._target = target
        self._confirm = confirm

    def describe(self) -> str:
        return self._target.describe()

    def lease(
        self, *, wait: float, stop: threading.Event | None = None
    ) -> AbstractContextManager[None]:
        return self._target.lease(wait=wait, stop=stop)

    def media(self) -> list[str]:
        return self._target.media()

    def read(self, path: str) -> bytes | None:
        return self._target.read(path)

    def stamp(self) -> str:
        return self._target.stamp()

    def apply(self, changes: Sequence[Change]) -> WriteResult:
        written: list[str] = []
        unchanged: list[str] = []
        removed: list[str] = []
        for change in changes:
            self._confirm()
            done = self._target.apply([change])
            written.extend(done.written)
            unchanged.extend(done.unchanged)
            removed.extend(done.removed)
        return WriteResult(tuple(written), tuple(unchanged), tuple(removed))
