"""Remember every item id ever published, and notice when an article comes back with a new one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from feeds.model import Article
from feeds.state.store import StateStore

log = logging.getLogger(__name__)

REGISTRY_FILE = "published-ids.json"
FEEDS_FILE = "published-feeds.json"
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


def load_registry(store: StateStore) -> dict[str, Published]:
    """The registry in `store`; an unreadable or corrupt one is reported and started afresh."""
    records = _load(
        store,
        REGISTRY_FILE,
        "items",
        "the registry of published ids is unreadable (%s); starting a new one "
        "(id changes of earlier articles cannot be detected this time)",
    )
    try:
        return {item["id"]: Published(**item) for item in records}
    except (KeyError, TypeError) as exc:
        where = store.describe(REGISTRY_FILE)
        log.warning("%s: the registry of published ids is unreadable (%s)", where, exc)
        return {}


def _load(store: StateStore, name: str, key: str, complaint: str) -> list[dict[str, Any]]:
    """The list under `key` of one of our JSON records ([] when missing; reported when bad)."""
    data = store.read(name)
    if data is None:
        return []
    try:
        raw = json.loads(data.decode("utf-8"))
    except ValueError:
        raw = None
    items = raw.get(key) if isinstance(raw, dict) and raw.get("version") == _VERSION else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        log.warning("%s: " + complaint, store.describe(name), "not a record of this version")
        return []
    return items


def _save(store: StateStore, name: str, data: object) -> None:
    store.write(name, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


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
    store: StateStore, registry: Mapping[str, Published], articles: Iterable[Article]
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
    if merged == registry and registry:
        return  # unchanged: not serialised again (with archives it holds every article)
    items = [asdict(record) for record in sorted(merged.values(), key=lambda r: r.id)]
    _save(store, REGISTRY_FILE, {"version": _VERSION, "items": items})


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A feed file published before, with what it takes to publish it again, empty."""

    rel_path: str
    name: str
    group: str
    format: str
    title: str
    description: str
    path: str
    updated: str = ""
    items: int = 0


def load_feed_records(store: StateStore) -> dict[str, FeedRecord]:
    """The feed files published by earlier builds; a corrupt record is reported and forgotten."""
    complaint = (
        "the record of published feed files is unreadable (%s); starting a new one "
        "(feeds that are no longer produced cannot be retired this time)"
    )
    records = _load(store, FEEDS_FILE, "feeds", complaint)
    try:
        return {item["rel_path"]: FeedRecord(**item) for item in records}
    except (KeyError, TypeError) as exc:
        log.warning("%s: " + complaint, store.describe(FEEDS_FILE), exc)
        return {}


def record_feeds(store: StateStore, records: Iterable[FeedRecord]) -> None:
    """Replace the record of published feed files (rewritten only when it changes)."""
    items = [asdict(record) for record in sorted(records, key=lambda r: r.rel_path)]
    _save(store, FEEDS_FILE, {"version": _VERSION, "feeds": items})
