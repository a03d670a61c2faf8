"""The output folder as a `PublishTarget`: atomic replace, unchanged files left alone."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from glob import escape as glob_escape
from pathlib import Path
from typing import BinaryIO

from feeds.atomic import replace_file, sync_files
from feeds.errors import OutputError
from feeds.model import Blob
from feeds.publish import MEDIA_DIR, Change, Delete, WriteResult
from feeds.state.locks import build_lock

log = logging.getLogger(__name__)


def _fail(path: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"{path}: cannot write: {exc.strerror or exc}: check that the output folder exists, is "
        "writable and has free space"
    )


class FolderTarget:
    """Publishes into a local folder (`output.path`), which a web server serves as it is."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    @contextlib.contextmanager
    def lease(self, *, wait: float, stop: threading.Event | None = None) -> Iterator[None]:
        with build_lock(self.root, wait=wait, stop=stop):
            yield

    def media(self) -> list[str]:
        media_root = self._media_root()
        if not media_root.is_dir():
            return []
        held = []
        for folder, _, files in os.walk(media_root):
            for name in files:
                held.append((Path(folder) / name).relative_to(self.root).as_posix())
        return sorted(held)

    def _media_root(self) -> Path:
        """The media folder, which feeds owns: it is never a link to a folder elsewhere."""
        media_root = self.root / MEDIA_DIR
        if media_root.is_symlink():
            raise OutputError(
                f"{media_root}: is a symbolic link: feeds removes the files of this folder that"
                " it no longer publishes, and never through a link; make it a real folder"
                " (point the web server's media location at it instead)"
            )
        return media_root

    def read(self, path: str) -> bytes | None:
        try:
            return (self.root / path).read_bytes()
        except OSError:
            return None

    def stamp(self) -> str:
        return ""  # each published file's stamp is in the no-change record

    def apply(self, changes: Sequence[Change]) -> WriteResult:
        self._media_root()
        written: list[str] = []
        unchanged: list[str] = []
        removed: list[str] = []
        try:
            self._apply(changes, written, unchanged, removed)
        except OutputError as exc:
            if written or removed:
                done = ", ".join([*written, *removed][:10])
                more = len(written) + len(removed) - 10
                error = OutputError(
                    f"{exc}; these were already replaced or removed: {done}"
                    + (f" and {more} more" if more > 0 else "")
                    + " (each file is whole, old or new; the next build completes the set)"
                )
                error.written = tuple(written)  # live already: their feeds can still be announced
                raise error from exc
            raise OutputError(f"{exc}; nothing was replaced: the published files stay") from exc
        _prune_empty_folders(self.root / MEDIA_DIR)
        for rel in written:
            log.debug("wrote %s", rel)
        return WriteResult(tuple(written), tuple(unchanged), tuple(removed))

    def _apply(
        self,
        changes: Sequence[Change],
        written: list[str],
        unchanged: list[str],
        removed: list[str],
    ) -> None:
        unsynced: list[Path] = []  # new media, made durable at once before any feed is
        for change in changes:
            target = self.root / change.path
            if unsynced and (isinstance(change, Delete) or isinstance(change.body, bytes)):
                self._sync(unsynced)
            if isinstance(change, Delete):
                if self._delete(change.path, target):
                    removed.append(change.path)
                continue
            body = change.body
            if not isinstance(body, bytes):
                if self._copy(body, target, unsynced):
                    written.append(change.path)
                else:
                    unchanged.append(change.path)
                continue
            _remove_leftover_temp_files(target)
            try:
                if target.is_file() and target.read_bytes() == body:
                    unchanged.append(change.path)
                    continue
                replace_file(target, body)
            except OSError as exc:
                raise _fail(target, exc) from exc
            written.append(change.path)
        self._sync(unsynced)

    @staticmethod
    def _copy(blob: Blob, target: Path, unsynced: list[Path]) -> bool:
        """Copy a source file unless the copy there has its size and time (copies keep the
        source's modification time, so that this check is one `stat`).

        A new file is not synced on its own but added to `unsynced` (no durable feed names
        it yet); one that replaces a published file is, since published feeds name it."""
        try:
            exists = target.exists()
            if exists and _same_file(blob, target):
                return False

            def copy(stream: BinaryIO) -> None:
                with blob.open() as source:
                    shutil.copyfileobj(source, stream, 1024 * 1024)

            replace_file(target, copy, mtime_ns=blob.mtime_ns, sync=exists)
        except OSError as exc:
            raise _fail(target, exc) from exc
        if not exists:
            unsynced.append(target)
        return True

    @staticmethod
    def _sync(unsynced: list[Path]) -> None:
        """Make the new media durable, all at once, before a feed that may name them is."""
        try:
            sync_files(unsynced)
        except OSError as exc:
            raise _fail(unsynced[0], exc) from exc
        unsynced.clear()

    def _delete(self, rel_path: str, target: Path) -> bool:
        if _through_link(self.root, target):
            log.warning("%s: not removed: a folder on its way is a symbolic link", target)
            return False
        if rel_path.startswith(f"{MEDIA_DIR}/"):
            try:
                target.unlink()
            except FileNotFoundError:
                return False
            except OSError as exc:
                log.warning("%s: cannot remove unpublished media: %s", target, exc.strerror)
                return False
            return True
        try:
            target.unlink(missing_ok=True)
        except OSError as exc:
            raise _fail(target, exc) from exc
        return True


def _remove_leftover_temp_files(target: Path) -> None:
    """Delete temp files that a killed build left beside `target` (they are never published)."""
    if not target.parent.is_dir():
        return
    for leftover in target.parent.glob(f".{glob_escape(target.name)}.*.tmp"):
        try:
            leftover.unlink()
        except OSError as exc:
            log.warning("%s: cannot remove a leftover temp file: %s", leftover, exc.strerror)
        else:
            log.info("removed %s left by an interrupted build", leftover.name)


def _same_file(blob: Blob, target: Path) -> bool:
    """Size and modification time match (copies keep the source's mtime)."""
    try:
        target_stat = target.stat()
    except FileNotFoundError:
        return False
    return blob.size == target_stat.st_size and blob.mtime_ns == target_stat.st_mtime_ns


def _through_link(root: Path, target: Path) -> bool:
    """Whether a folder between `root` and `target` is a symbolic link (deleting `target`
    would then delete something outside the output folder)."""
    folder = target.parent
    while folder != root and root in folder.parents:
        if folder.is_symlink():
            return True
        folder = folder.parent
    return False


def _prune_empty_folders(media_root: Path) -> None:
    """Remove the media folders that deleting unpublished media left empty."""
    if not media_root.is_dir() or media_root.is_symlink():
        return
    for folder, subfolders, _ in os.walk(media_root, topdown=False):
        for name in subfolders:
            sub = Path(folder) / name
            if not sub.is_symlink() and not any(sub.iterdir()):
                sub.rmdir()
