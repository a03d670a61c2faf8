"""Everything that touches `output/`: atomic replace, skip unchanged files, publish media."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from glob import escape as glob_escape
from pathlib import Path

from feeds.atomic import replace_file
from feeds.errors import OutputError
from feeds.model import RenderedFeed

log = logging.getLogger(__name__)

#: Folder inside the output folder that feeds owns completely (stale files are removed).
MEDIA_DIR = "media"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a publish did to the output folder (paths relative to it, POSIX)."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def _fail(path: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"{path}: cannot write: {exc.strerror or exc}: check that the output folder exists, is "
        "writable and has free space; the previously published files were left in place"
    )


def write_output(
    output: Path,
    feeds: Sequence[RenderedFeed],
    media: Mapping[str, Path],
    documents: Sequence[tuple[str, bytes]] = (),
    retired: Sequence[str] = (),
) -> WriteResult:
    """Publish feeds, other documents and media into `output`, touching only what changed.

    Media are written first, so that a feed never names an image that is not there yet; then
    the feeds, then the documents that list them; media that no published feed uses any more
    are removed last.

    Args:
        output: The output folder (created if missing).
        feeds: Validated feed documents.
        media: Published media path (relative to the media folder) -> source file.
        documents: Other files (path relative to the output folder, POSIX; bytes), such as the
            discovery page.
        retired: Files feeds published before that no configured feed produces any more
            (relative paths); they are removed, so their old items cannot linger.

    Raises:
        OutputError: a file could not be written; files already replaced stay valid.
    """
    written: list[str] = []
    unchanged: list[str] = []
    media_root = output / MEDIA_DIR
    for media_path, source in sorted(media.items()):
        target = media_root / media_path
        rel = f"{MEDIA_DIR}/{media_path}"
        try:
            if _same_file(source, target):
                unchanged.append(rel)
                continue
            replace_file(target, source)
        except OSError as exc:
            raise _fail(target, exc) from exc
        written.append(rel)
    for rel_path, body in [*((feed.rel_path, feed.body) for feed in feeds), *documents]:
        target = output / rel_path
        _remove_leftover_temp_files(target)
        try:
            if target.is_file() and target.read_bytes() == body:
                unchanged.append(rel_path)
                continue
            replace_file(target, body)
        except OSError as exc:
            raise _fail(target, exc) from exc
        written.append(rel_path)
    removed = _remove_stale_media(media_root, set(media))
    for rel_path in retired:
        target = output / rel_path
        try:
            target.unlink(missing_ok=True)
        except OSError as exc:
            raise _fail(target, exc) from exc
        removed.append(rel_path)
    for rel in written:
        log.debug("wrote %s", rel)
    return WriteResult(tuple(written), tuple(unchanged), tuple(removed))


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


def _same_file(source: Path, target: Path) -> bool:
    """Size and modification time match (copies keep the source's mtime)."""
    try:
        target_stat = target.stat()
    except FileNotFoundError:
        return False
    source_stat = source.stat()
    return (
        source_stat.st_size == target_stat.st_size
        and source_stat.st_mtime_ns == target_stat.st_mtime_ns
    )


def _remove_stale_media(media_root: Path, keep: set[str]) -> list[str]:
    removed: list[str] = []
    if not media_root.is_dir():
        return removed
    for folder, subfolders, files in os.walk(media_root, topdown=False):
        for name in sorted(files):
            path = Path(folder) / name
            rel = path.relative_to(media_root).as_posix()
            if rel in keep:
                continue
            try:
                path.unlink()
            except OSError as exc:
                log.warning("%s: cannot remove unpublished media: %s", path, exc.strerror)
                continue
            removed.append(f"{MEDIA_DIR}/{rel}")
        for name in subfolders:
            sub = Path(folder) / name
            if not any(sub.iterdir()):
                sub.rmdir()
    return sorted(removed)
