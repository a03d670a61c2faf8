"""Where the records that decide what is published are kept (the published ids, the feed files
published), behind one small interface, so that they can live with the publish target."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from feeds.atomic import replace_file

log = logging.getLogger(__name__)


class StateStore(Protocol):
    """Named records of a few kilobytes each, read whole and replaced whole."""

    def describe(self, name: str) -> str:
        """Where the record `name` is, as a message names it."""
        ...

    def read(self, name: str) -> bytes | None:
        """The record's bytes; None when there is none (or it cannot be read: it is rebuilt)."""
        ...

    def write(self, name: str, data: bytes) -> None:
        """Replace the record atomically, and not at all when its bytes are unchanged; a
        failure is logged, never raised (it costs work or a warning at the next build)."""
        ...


class FolderStore:
    """Records as files in the state folder (`[state] path`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / name

    def describe(self, name: str) -> str:
        return str(self.path(name))

    def read(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except OSError:
            return None

    def write(self, name: str, data: bytes) -> None:
        path = self.path(name)
        if self.read(name) == data:
            return
        try:
            replace_file(path, data)
        except OSError as exc:
            log.warning("%s: cannot save: %s", path, exc.strerror)
