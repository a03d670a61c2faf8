"""Remember every item id ever published, and notice when an article comes back with a new one."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from feeds.models import Article

log = logging.getLogger(__name__)

REGISTRY_FILE = "published-ids.json"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class Published:
    """What identified an item when it was last published."""

    id: str
    url: str
    title: str
    published: str
    source: str


@dataclass(frozen=True, slots=True)
class IdChange:
    """An article that readers already know under another id.

    Attributes:
        article: The article as it is now.
        before: The record under which it was published before.
    """

    article: Article
    before: Published

    def __str__(self) -> str:
        return (
            f"{self.article.rel_path}: its id changed from {self.before.id!r} (published from "
            f"{self.before.source}) to {self.article.id!r}, so feed readers will show it again "
            f'as a new article: add `id: "{self.before.id}"` to its front matter to keep the old id'
        )


def load_registry(state_dir: Path) -> dict[str, Published]:
    """The registry in `state_dir`; an unreadable or corrupt one is reported and started afresh."""
    path = state_dir / REGISTRY_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != _VERSION:
            raise ValueError(f"unknown version {raw.get('version')!r}")
        return {item["id"]: Published(**item) for item in raw["items"]}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning(
            "%s: the registry of published ids is unreadable (%s); starting a new one "
            "(id changes of earlier articles cannot be detected this time)",
            path,
            exc,
        )
        return {}


def find_id_changes(
    registry: Mapping[str, Published], published: Iterable[Article], all_ids: set[str]
) -> list[IdChange]:
    """Articles published now under an id the registry does not know, that match a record
    (same URL, or same title and date) whose id no article carries any more."""
    orphans = [record for record in registry.values() if record.id not in all_ids]
    if not orphans:
        return []
    by_url = {record.url: record for record in orphans}
    by_title = {(record.title, record.published): record for record in orphans}
    changes = []
    for article in published:
        if article.id in registry:
            continue
        before = by_url.get(article.url) or by_title.get(
            (article.title, article.published.isoformat())
        )
        if before is not None:
            changes.append(IdChange(article, before))
    return changes


def record_published(
    state_dir: Path, registry: Mapping[str, Published], articles: Iterable[Article]
) -> None:
    """Add (or refresh) the records of the articles just published; rewrite only on change."""
    merged = dict(registry)
    for article in articles:
        merged[article.id] = Published(
            id=article.id,
            url=article.url,
            title=article.title,
            published=article.published.isoformat(),
            source=article.rel_path,
        )
    if merged == dict(registry) and (state_dir / REGISTRY_FILE).is_file():
        return
    items = [
        {
            "id": r.id,
            "url": r.url,
            "title": r.title,
            "published": r.published,
            "source": r.source,
        }
        for r in sorted(merged.values(), key=lambda r: r.id)
    ]
    data = json.dumps({"version": _VERSION, "items": items}, ensure_ascii=False, indent=1)
    state_dir.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=state_dir, prefix=f".{REGISTRY_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(data + "\n")
        Path(temp).replace(state_dir / REGISTRY_FILE)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
