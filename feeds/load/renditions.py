"""The rendition cache: web-size copies, thumbnails and branding sizes, made once per source.

Files are kept in ``<state>/cache/media/`` under the SHA-256 of the source file's bytes and a
key of every setting that shapes them (sizes, quality, location policy, the Pillow version),
so an image is resized once, not on every build, and an edited or re-configured one is made
again. A record (JSON) beside the files says what they are; a record whose files are missing
or of another length is made again. Safe to delete, like the rest of the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from feeds.atomic import replace_file

log = logging.getLogger(__name__)

#: The rendition cache's folder inside the build cache folder.
MEDIA_CACHE_DIR = "media"


def content_digest(data: bytes) -> str:
    """The key of a source file's bytes."""
    return hashlib.sha256(data).hexdigest()


def settings_key(*parts: object) -> str:
    """A short key of the settings that shape a rendition."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


class RenditionStore:
    """Made files by source digest and settings key, with a JSON record of their facts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._used: set[str] = set()

    def _base(self, digest: str, key: str) -> Path:
        return self.folder / digest[:2] / f"{digest}-{key}"

    def file(self, digest: str, key: str, role: str, suffix: str) -> Path:
        """Where the file of one role (``main``, ``thumb``, ``logo-144``, ...) is kept."""
        base = self._base(digest, key)
        return base.with_name(f"{base.name}.{role}{suffix}")

    def get(self, digest: str, key: str) -> dict[str, Any] | None:
        """The record of what was made from this source with these settings, if it and
        every file it names are intact."""
        record_path = self._base(digest, key).with_suffix(".json")
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            for item in record["files"].values():
                if item is None or item.get("file") is None:
                    continue
                if (self.folder / item["file"]).stat().st_size != item["length"]:
                    return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not isinstance(record, dict):
            return None
        self._used.add(record_path.relative_to(self.folder).as_posix())
        self._used.update(
            item["file"] for item in record["files"].values() if item and item.get("file")
        )
        return record

    def put(
        self,
        digest: str,
        key: str,
        files: dict[str, dict[str, Any] | None],
        made: dict[str, tuple[bytes, str]],
    ) -> dict[str, Any]:
        """Keep the made files (role -> (bytes, suffix)) and the record of every role's facts
        (role -> facts; a role's facts get ``file`` and ``length`` of its made file)."""
        record_files: dict[str, dict[str, Any] | None] = {}
        for role, facts in files.items():
            if facts is None:
                record_files[role] = None
                continue
            entry = dict(facts)
            if role in made:
                data, suffix = made[role]
                path = self.file(digest, key, role, suffix)
                replace_file(path, data)
                entry["file"] = path.relative_to(self.folder).as_posix()
                entry["length"] = len(data)
            record_files[role] = entry
        record = {"files": record_files}
        record_path = self._base(digest, key).with_suffix(".json")
        replace_file(record_path, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode())
        self._used.add(record_path.relative_to(self.folder).as_posix())
        self._used.update(e["file"] for e in record_files.values() if e and e.get("file"))
        return record

    def path_of(self, name: str) -> Path:
        """The absolute path of a file a record names."""
        return self.folder / name

    def prune(self, keep: Iterable[Path]) -> int:
        """Remove the files and records that neither this build used nor `keep` names.

        Returns:
            How many files were removed.
        """
        wanted = set(self._used)
        for path in keep:
            try:
                wanted.add(path.relative_to(self.folder).as_posix())
            except ValueError:
                continue
        # A record stays with any of its files; a file with its record.
        stems = {name.split(".", 1)[0] for name in wanted}
        removed = 0
        if not self.folder.is_dir():
            return 0
        for folder, _subfolders, names in os.walk(self.folder):
            for name in names:
                path = Path(folder) / name
                rel = path.relative_to(self.folder).as_posix()
                if rel.split(".", 1)[0] in stems:
                    continue
                try:
                    path.unlink()
                    removed += 1
                except OSError as exc:
                    log.warning("%s: cannot remove an unused rendition: %s", path, exc.strerror)
        return removed


_TEMPORARY: list[RenditionStore] = []


def temporary_store() -> RenditionStore:
    """A store in a temporary folder removed when the process ends (for a build that must
    touch no cache, and for callers that bring no store)."""
    if not _TEMPORARY:
        import atexit  # noqa: PLC0415 - only such a build needs it

        folder = Path(tempfile.mkdtemp(prefix="feeds-renditions-"))
        atexit.register(shutil.rmtree, folder, True)
        _TEMPORARY.append(RenditionStore(folder))
    return _TEMPORARY[0]


def derived_path(media_path: str, label: str, suffix: str, taken: Path | None = None) -> str:
    """The published path of a file made from `media_path`: ``photo.jpg`` -> ``photo.400w.jpg``.

    Args:
        label: What distinguishes it (``400w``).
        suffix: Its file suffix.
        taken: The repository file the name would be, if one exists there (then the name gets
            the source's digest too, so the two never collide).
    """
    stem = posixpath.splitext(media_path)[0]
    name = f"{stem}.{label}{suffix}"
    if taken is not None and taken.exists():
        digest = hashlib.sha256(media_path.encode()).hexdigest()[:8]
        name = f"{stem}.{label}.{digest}{suffix}"
    return name
