"""The no-change record: what the last build saw and wrote, so that the next one can prove that
rendering again would give the very same files, and stop after listing the repository."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, Protocol

from feeds.errors import ArticleError
from feeds.state.cache import load_json, save_json, stamp_of

LAST_BUILD_FILE = "last-build.json"


class _Listed(Protocol):
    def fingerprint(self) -> str: ...


class LastOutcome(NamedTuple):
    """What the last build published, as its record tells it."""

    published: str
    articles: int
    problems: tuple[ArticleError, ...]
    outputs: tuple[str, ...]
    until: datetime | None


class LastBuild:
    """The record of the last build in the cache folder.

    Args:
        folder: The cache folder (`<state>/cache`).
        settings: Everything the output depends on besides the listing and the files it was
            made from: the program and the configuration, as text.
    """

    def __init__(self, folder: Path, settings: str) -> None:
        self._path = folder / LAST_BUILD_FILE
        self._settings = settings
        self._inputs: str | None = None

    def inputs(self, listing: _Listed) -> str:
        """The digest of the build's inputs apart from `now` and the files it renders from:
        the program, the configuration and the listing with every item's stamp (made once)."""
        if self._inputs is None:
            digest = hashlib.sha256(f"{self._settings}\n{listing.fingerprint()}".encode())
            self._inputs = digest.hexdigest()
        return self._inputs

    def unchanged(
        self, listing: _Listed, now: datetime, *, strict: bool, target: str = ""
    ) -> LastOutcome | None:
        """The last build's outcome if building again at `now` would give the very same files.

        That holds when the program, the configuration and every listed article are as they
        were, every file the published items were made from and every published file still
        has its stamp (`target`: the publish target's own stamp, for one whose objects are not
        local files), and no embargo lapsed between the last build's moment and `now`.
        """
        if not self._path.exists():
            return None
        record = load_json(self._path)
        try:
            if record is None or record["inputs"] != self.inputs(listing):
                return None
            if record.get("target", "") != target:
                return None
            until = datetime.fromisoformat(record["until"]) if record["until"] else None
            if now < datetime.fromisoformat(record["now"]) or (until is not None and now >= until):
                return None
            problems = tuple(
                ArticleError(path, line, reason) for path, line, reason in record["problems"]
            )
            if strict and problems:
                return None
            if any(
                stamp_of(path) != (tuple(stamp) if stamp else None)
                for path, stamp in record["files"]
            ):
                return None
            return LastOutcome(
                published=str(record["published"]),
                articles=int(record["articles"]),
                problems=problems,
                outputs=tuple(record["outputs"]),
                until=until,
            )
        except (KeyError, TypeError, ValueError):
            return None

    def remember(
        self,
        listing: _Listed,
        outcome: LastOutcome,
        *,
        now: datetime,
        files: Sequence[str],
        target: str = "",
    ) -> None:
        """Record a build's outcome and the stamp of every file (`files`, absolute paths) and
        of the publish target (`target`) whose change must make the next build render again."""
        record = {
            "inputs": self.inputs(listing),
            "target": target,
            "now": now.isoformat(),
            "until": outcome.until.isoformat() if outcome.until else None,
            "published": outcome.published,
            "articles": outcome.articles,
            "problems": [[p.path, p.line, p.reason] for p in outcome.problems],
            "outputs": list(outcome.outputs),
            "files": [[path, stamp_of(path)] for path in sorted(set(files))],
        }
        save_json(self._path, record)

    def forget(self) -> None:
        """Drop the record: the next build renders again (and repeats its warnings)."""
        self._path.unlink(missing_ok=True)
