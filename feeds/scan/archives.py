"""Archived feeds (RFC 5005): which of a feed's items go into which archive document.

A feed's selected articles (newest first) are cut into periods: calendar months or years in
the channel's time zone, or pages of a fixed number of items counted from the oldest. Every
period but the open one (the one `now` falls in; for pages, the newest, not yet full one) is
*closed* and gets an archive document; a period without items has none. The subscription
document holds at least every item of the open period (beyond the feed's `limit` if need be),
so a client that reads the subscription document and follows ``prev-archive`` back to the
oldest archive sees every item at least once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from feeds.model import ArchivePolicy, Brief


@dataclass(frozen=True, slots=True)
class Period:
    """One closed period and its articles, in feed order (newest first)."""

    key: str
    articles: tuple[Brief, ...]


@dataclass(frozen=True, slots=True)
class ArchiveSet:
    """A feed's articles cut into archives.

    Attributes:
        closed: The closed periods that hold items, newest first.
        open_count: How many of the newest articles belong to no closed period (the
            subscription document must hold all of them).
    """

    closed: tuple[Period, ...]
    open_count: int

    def neighbours(self, index: int) -> tuple[str, str]:
        """The keys of the next older and next newer archive of `closed[index]` ("" = none)."""
        older = self.closed[index + 1].key if index + 1 < len(self.closed) else ""
        newer = self.closed[index - 1].key if index > 0 else ""
        return older, newer


def period_key(published: datetime, policy: ArchivePolicy, zone: ZoneInfo) -> str:
    """The calendar period of a moment: "2026-11" (monthly) or "2026" (yearly)."""
    local = published.astimezone(zone)
    return f"{local.year:04d}" if policy.kind == "yearly" else f"{local.year:04d}-{local.month:02d}"


def period_end(now: datetime, policy: ArchivePolicy, timezone: str) -> datetime | None:
    """When the period open at `now` closes (its archive is then due); None for pages."""
    if policy.kind == "count":
        return None
    local = now.astimezone(ZoneInfo(timezone))
    if policy.kind == "yearly":
        year, month = local.year + 1, 1
    else:
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=ZoneInfo(timezone))


def partition(
    articles: Sequence[Brief], policy: ArchivePolicy, *, timezone: str, now: datetime
) -> ArchiveSet:
    """Cut a feed's articles (feed order: newest first, ties by id) into archives.

    Args:
        articles: Every article the feed selects (published ones only), not only `limit`.
        policy: How the feed is archived.
        timezone: The channel's IANA zone (calendar periods are local).
        now: The moment of the build: its period is open.
    """
    if policy.kind == "count":
        return _pages(articles, policy.size)
    zone = ZoneInfo(timezone)
    open_key = period_key(now, policy, zone)
    closed: list[Period] = []
    open_count = 0
    current_key = ""
    current: list[Brief] = []
    for brief in articles:
        key = period_key(brief.published, policy, zone)
        if key >= open_key:  # nothing published is after `now`; >= for safety
            open_count += 1
            continue
        if key != current_key and current:
            closed.append(Period(current_key, tuple(current)))
            current = []
        current_key = key
        current.append(brief)
    if current:
        closed.append(Period(current_key, tuple(current)))
    return ArchiveSet(tuple(closed), open_count)


def _pages(articles: Sequence[Brief], size: int) -> ArchiveSet:
    """Pages of `size` items numbered from the oldest ("1" holds the oldest `size`): a new
    article never moves an item to another page; only the newest, not yet full page is open."""
    full = len(articles) // size
    open_count = len(articles) - full * size
    closed = [
        Period(
            str(page),
            tuple(articles[len(articles) - page * size : len(articles) - (page - 1) * size]),
        )
        for page in range(full, 0, -1)
    ]
    return ArchiveSet(tuple(closed), open_count)
