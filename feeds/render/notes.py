"""Corrections as readers see them: an entry as of the build's moment, with a dated note per
correction at the end of its content and `updated` at the newest correction's date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from feeds.model import Article, Correction, Entry

# Month names spelled out here: strftime follows the process locale, which feedgen changes.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def human_date(moment: datetime, zone: ZoneInfo) -> str:
    """ "3 December 2026, 14:05" in `zone` (the day alone at midnight: a date written without
    a time); the same whatever the process locale."""
    local = moment.astimezone(zone)
    day = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    return day if (local.hour, local.minute) == (0, 0) else f"{day}, {local:%H:%M}"


def visible_corrections(article: Article, now: datetime) -> tuple[Correction, ...]:
    """The corrections dated at or before `now`: a correction dated later appears at its date
    (like an embargoed article), and until then the item stays as it was."""
    return tuple(c for c in article.corrections if c.date <= now)


def correction_notes(corrections: Sequence[Correction], zone: ZoneInfo) -> str:
    """The notes' HTML, one paragraph each, oldest first (plain text, escaped)."""
    return "".join(
        f'<p class="correction"><strong>Correction'
        f' (<time datetime="{c.date.astimezone(zone).isoformat()}">{human_date(c.date, zone)}'
        f"</time>):</strong> {escape(c.text, quote=False)}</p>\n"
        for c in corrections
    )


def as_of(entry: Entry, now: datetime, zone: ZoneInfo) -> Entry:
    """The entry as readers get it at `now`: its corrections dated by then listed at the end
    of its content, and its `updated` the newest of their dates when that is later (a change
    without a correction, or without a new `updated`, keeps `updated`: a silent fix)."""
    article = entry.article
    if not article.corrections:
        return entry
    shown = visible_corrections(article, now)
    if not shown:
        return replace(entry, article=replace(article, corrections=()))
    updated = max(article.updated, shown[-1].date)
    return replace(
        entry,
        article=replace(article, corrections=shown, updated=updated),
        content_html=entry.content_html + correction_notes(shown, zone),
    )


def next_correction(articles: Iterable[Article], now: datetime) -> datetime | None:
    """The earliest correction dated after `now` among `articles`: when the feeds must be
    built again for it to appear."""
    return min(
        (c.date for article in articles for c in article.corrections if c.date > now),
        default=None,
    )
