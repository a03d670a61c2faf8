"""Publish targets: where validated feeds, pages and media go, behind one small interface.

A build hands its target an ordered list of changes (`plan.plan_changes`): media first, then
feeds, then the pages that list them, and deletions last, so that a reader fetching at any
moment never meets a feed naming media that is not there yet. The target applies them in that
order, each one atomically, and leaves unchanged objects alone. The output folder
(`publish.folder`) is the first target, S3-compatible object storage (`publish.s3`) the second;
`publish.websub` tells WebSub hubs once the new bytes are live.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

from feeds.model import Blob, RenderedFeed
from feeds.rules import MEDIA_DIR

__all__ = [
    "MEDIA_DIR",
    "Change",
    "Delete",
    "Kind",
    "Notifier",
    "PublishTarget",
    "Put",
    "WriteResult",
]


#: What a published object is, which decides when it is written and how it is cached.
Kind = Literal["media", "feed", "page"]


@dataclass(frozen=True, slots=True)
class Put:
    """Publish `body` at `path` (relative to the target, "/"-separated), unless it is there.

    Attributes:
        media_type: The type sniffed from an image's bytes ("" for feeds and pages, whose
            type their name tells).
    """

    path: str
    body: bytes | Blob
    kind: Kind
    media_type: str = ""


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove the object at `path`, which no feed or page publishes any more."""

    path: str


Change = Put | Delete


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a publish did at the target (paths relative to it, "/"-separated)."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


class PublishTarget(Protocol):
    """Where a build publishes: a local folder (`FolderTarget`) or object storage (`S3Target`)."""

    def describe(self) -> str:
        """The target as a person names it (a folder, a bucket URL)."""
        ...

    def lease(
        self, *, wait: float, stop: threading.Event | None = None
    ) -> AbstractContextManager[None]:
        """Hold the target for one writer: waits up to `wait` seconds for another one.

        Raises:
            LockedError: another writer kept it for longer.
        """
        ...

    def media(self) -> list[str]:
        """The media objects the target holds now (paths under `MEDIA_DIR/`)."""
        ...

    def apply(self, changes: Sequence[Change]) -> WriteResult:
        """Apply `changes` in order, each atomically; unchanged objects are not rewritten.

        Raises:
            OutputError: an object could not be written; those already replaced stay valid
                (and are listed in its `written`).
        """
        ...

    def read(self, path: str) -> bytes | None:
        """The published object at `path` (None when there is none): `feeds validate`."""
        ...

    def stamp(self) -> str:
        """What the target holds, as one token that changes whenever it does ("" when each
        published file's own stamp tells, as in a local folder): the no-change proof."""
        ...


class Notifier(Protocol):
    """Told about feeds once their new bytes are live at the target (WebSub hubs)."""

    def published(self, feeds: Sequence[RenderedFeed]) -> list[str]:
        """Announce the changed `feeds` (and retry what failed before); never raises.

        Returns:
            One message per announcement that failed (logged, and tried again next time).
        """
        ...
