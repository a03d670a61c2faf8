"""Remember every item id ever published, and notice when an article comes back with a new one."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Container, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from feeds.errors import ArticleError
from feeds.model import Article, Brief, Tombstone
from feeds.state.store import StateStore

log = logging.getLogger(__name__)

REGISTRY_FILE = "published-ids.json"
FEEDS_FILE = "published-feeds.json"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class Published:
    """What identified an item when it was last published, the Atom feeds that carried it,
    and — once it was retracted or deleted — when that was found (its id is then retired:
    never published again).

    Attributes:
        feeds: Every Atom feed file (output path) that carried the item, in any build since
            feeds began recording them: where its tombstone goes.
        retired: The moment (RFC 3339) of the first build that found the article retracted or
            gone; "" while it is not. The tombstone period counts from here.
        when: The tombstone's date (RFC 3339): the retraction's date, or `retired` for a
            deleted article (or a retraction dated after the build that found it).
        reason: The retraction's reason ("" for a deleted article).
    """

    id: str
    url: str
    title: str
    published: str
    source: str
    feeds: tuple[str, ...] = ()
    retired: str = ""
    when: str = ""
    reason: str = ""


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
        found = {item["id"]: Published(**item) for item in records}
        return {key: replace(r, feeds=tuple(r.feeds)) for key, r in found.items()}
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
    registry: Mapping[str, Published], published: Iterable[Article], all_ids: Container[str]
) -> list[IdChange]:
    """Articles published now under an id the registry does not know, that match a record
    (same URL, or same title and date) whose id no article carries any more."""
    # A retired id is gone for good: an article never "moves" to or from it.
    orphans = [r for r in registry.values() if r.id not in all_ids and not r.retired]
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
    store: StateStore,
    registry: Mapping[str, Published],
    articles: Iterable[Article],
    feeds_of: Mapping[str, Collection[str]] | None = None,
    *,
    stored: Mapping[str, Published] | None = None,
) -> None:
    """Add (or refresh) the records of the articles just published; rewrite only on change.

    Args:
        store: Where the registry is kept.
        registry: The registry as loaded, with this build's retirements (`retire`).
        articles: The articles this build published.
        feeds_of: Article id -> the Atom feed files that carry it now (added to those that
            carried it before).
        stored: The registry as the store holds it (default `registry`): nothing is written
            when the result equals it.
    """
    merged = dict(registry)
    carried = feeds_of or {}
    for article in articles:
        before = merged.get(article.id)
        held = set(before.feeds if before else ()) | set(carried.get(article.id, ()))
        merged[article.id] = Published(
            id=article.id,
            url=article.url,
            title=article.title,
            published=article.published.isoformat(),
            source=article.rel_path,
            feeds=tuple(sorted(held)),
        )
    if merged and merged == (registry if stored is None else stored):
        return  # unchanged: not serialised again (with archives it holds every article)
    items = [asdict(record) for record in sorted(merged.values(), key=lambda r: r.id)]
    _save(store, REGISTRY_FILE, {"version": _VERSION, "items": items})


@dataclass(frozen=True, slots=True)
class Retirements:
    """What one build finds retired: the registry with the new retirements, the problems of
    articles that came back under a retired id (or whose retraction is dated in the future),
    and the ids those articles are refused under.
    """

    registry: dict[str, Published]
    problems: tuple[ArticleError, ...]
    refused: frozenset[str]


def retire(
    registry: Mapping[str, Published],
    articles: Sequence[Brief],
    present: Callable[[], Collection[str]],
    now: datetime,
    *,
    ids: Container[str] | None = None,
) -> Retirements:
    """Retire the ids of published articles that are retracted or gone, and refuse the
    articles that carry an id retired before.

    An article is gone when no article of the scan has its id, its path (`present` also
    holds the paths of articles with problems: a broken file is not a deleted one), its URL,
    or its title and date (a renamed or re-identified article is an id change, reported
    elsewhere). Its tombstone is dated `now`, the first build that found it gone.

    Args:
        registry: The registry as loaded.
        articles: Every article of the scan (duplicates ruled out).
        present: Makes the paths of every article the source lists (also those with
            problems): asked only when a published id is missing from `ids`.
        now: This build's moment.
        ids: Every article's id, when the caller knows them already (default: from
            `articles`).
    """
    merged = dict(registry)
    now = now.replace(microsecond=0)
    stamp = now.isoformat()
    problems: list[ArticleError] = []
    refused: set[str] = set()
    retired_ids = {r.id for r in registry.values() if r.retired}
    for article in articles:
        retraction = article.retracted
        if retraction is None and article.id not in retired_ids:
            continue  # the usual case, told at once
        record = merged.get(article.id)
        if retraction is None:
            if record is not None:
                refused.add(article.id)
                problems.append(_reused(article, record))
            continue
        if record is None:
            continue  # never published: nobody holds a copy, nothing to retire
        retired = record.retired or stamp
        when = min(retraction.date, datetime.fromisoformat(retired))
        merged[article.id] = replace(
            record, retired=retired, when=when.isoformat(), reason=retraction.reason
        )
        if retraction.date > now:
            problems.append(
                ArticleError(
                    article.rel_path,
                    retraction.line,
                    f"retracted: dated {retraction.date.isoformat()}, after this build's"
                    f" moment {now.isoformat()}: the story is removed now, and its tombstone"
                    f" says it was deleted at {when.isoformat()}; correct the date",
                )
            )
    known = {a.id for a in articles} if ids is None else ids
    missing = [r for r in registry.values() if not r.retired and r.id not in known]
    if missing:  # rare: a published id no article carries now (deleted, or given another)
        listed = present()
        missing = [r for r in missing if r.source not in listed]
    if missing:  # rare: only then the URLs and titles are worth collecting
        urls = {a.url for a in articles}
        titles = {a.title for a in articles}
        for record in missing:
            if record.url in urls or (
                record.title in titles
                and any(
                    a.title == record.title and a.published.isoformat() == record.published
                    for a in articles
                )
            ):
                continue  # renamed or given another id: an id change, reported elsewhere
            merged[record.id] = replace(record, retired=stamp, when=stamp, reason="")
    return Retirements(merged, tuple(problems), frozenset(refused))


def _reused(article: Brief, record: Published) -> ArticleError:
    return ArticleError(
        article.rel_path,
        0,
        f"has the id {article.id!r} of a story that was retracted or deleted (published from"
        f" {record.source}; retired {record.retired}): feed readers were told it is deleted,"
        " so a retired id is never published again; give this article a new `id` in its"
        " front matter",
    )


def tombstones_by_feed(
    registry: Mapping[str, Published], now: datetime, days: int, zone: ZoneInfo
) -> tuple[dict[str, tuple[Tombstone, ...]], datetime | None]:
    """The tombstones each Atom feed file carries at `now`: those of items it carried that
    were retired less than `days` days before; and the moment the next one expires (None
    when none is carried).

    Args:
        registry: The registry with this build's retirements.
        now: This build's moment.
        days: `retractions.tombstone_days`.
        zone: The site's time zone, in which the tombstones' dates are written.
    """
    found: dict[str, list[Tombstone]] = {}
    expiry: datetime | None = None
    if days <= 0:
        return {}, None
    period = timedelta(days=days)
    for record in registry.values():
        if not record.retired or not record.feeds:
            continue
        ends = datetime.fromisoformat(record.retired) + period
        if ends <= now:
            continue
        expiry = ends if expiry is None else min(expiry, ends)
        when = datetime.fromisoformat(record.when or record.retired)
        tombstone = Tombstone(record.id, when.astimezone(zone), record.reason)
        for rel_path in record.feeds:
            found.setdefault(rel_path, []).append(tombstone)
    return {path: tuple(stones) for path, stones in found.items()}, expiry


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
