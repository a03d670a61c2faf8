"""The scan's articles kept in the orders a build needs, changed one article at a time: by key
(the scan's order) and, for the non-drafts, in feed order (newest first, then by id), with the
ids and URLs counted so that a duplicate is noticed without looking at every article."""

from __future__ import annotations

import bisect
from collections.abc import Container, Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from feeds.errors import ArticleError
from feeds.model import Brief, ScanResult

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _order_key(brief: Brief) -> tuple[int, str]:
    """Feed order as one sortable key: newest first (exact, in microseconds), then by id."""
    return (-((brief.published - _EPOCH) // _MICROSECOND), brief.id)


def _in_feed_order(brief: Brief) -> bool:
    """Kept in feed order: neither a draft nor retracted (those are never published)."""
    return not brief.draft and brief.retracted is None


class Selection(NamedTuple):
    """What selection needs of the scan at one moment.

    Attributes:
        candidates: The published articles in feed order (`feeds.scan.feed_order`).
        embargoed: How many non-drafts are dated after the moment.
        next_embargo: The earliest of their dates.
        ids: Every article's id (drafts and embargoed ones too).
    """

    candidates: list[Brief]
    embargoed: int
    next_embargo: datetime | None
    ids: Container[str]


class Articles:
    """Every article the scan read, in key order and in feed order."""

    def __init__(self) -> None:
        self._keys: list[str] = []  # rel_path of each Brief, sorted
        self._briefs: list[Brief] = []
        self._errors: dict[str, ArticleError] = {}
        self._order_keys: list[tuple[int, str]] = []
        self._ordered: list[Brief] = []  # the non-drafts not retracted, in feed order
        self._ids: dict[str, int] = {}
        self._urls: dict[str, int] = {}
        self._clashes = 0  # ids and URLs held by more than one article
        self._listing_problems: tuple[ArticleError, ...] = ()
        self._scan: ScanResult | None = None

    @classmethod
    def of(cls, results: Iterable[tuple[str, object]]) -> Articles:
        """These scan results (key, `Brief` or `ArticleError`), and nothing else."""
        made = cls()
        briefs: list[Brief] = []
        for key, result in results:
            if isinstance(result, Brief):
                briefs.append(result)
            elif isinstance(result, ArticleError):
                made._errors[key] = result
        briefs.sort(key=lambda b: b.rel_path)
        made._briefs = briefs
        made._keys = [b.rel_path for b in briefs]
        for brief in briefs:
            made._count(brief, 1)
        ordered = sorted((b for b in briefs if _in_feed_order(b)), key=_order_key)
        made._ordered = ordered
        made._order_keys = [_order_key(b) for b in ordered]
        return made

    def change(self, key: str, old: object, new: object) -> None:
        """The scan result of the file `key` went from `old` to `new` (None: no file)."""
        self._scan = None
        if isinstance(old, Brief):
            at = bisect.bisect_left(self._keys, key)
            del self._keys[at], self._briefs[at]
            self._count(old, -1)
            if _in_feed_order(old):
                at = bisect.bisect_left(self._order_keys, _order_key(old))
                del self._order_keys[at], self._ordered[at]
        elif isinstance(old, ArticleError):
            self._errors.pop(key, None)
        if isinstance(new, Brief):
            at = bisect.bisect_left(self._keys, key)
            self._keys.insert(at, key)
            self._briefs.insert(at, new)
            self._count(new, 1)
            if _in_feed_order(new):
                order = _order_key(new)
                at = bisect.bisect_left(self._order_keys, order)
                self._order_keys.insert(at, order)
                self._ordered.insert(at, new)
        elif isinstance(new, ArticleError):
            self._errors[key] = new

    def _count(self, brief: Brief, step: int) -> None:
        for counts, value in ((self._ids, brief.id), (self._urls, brief.url)):
            before = counts.get(value, 0)
            after = before + step
            if after:
                counts[value] = after
            else:
                del counts[value]
            if (before > 1) != (after > 1):
                self._clashes += 1 if after > 1 else -1

    def scan(self, listing_problems: tuple[ArticleError, ...]) -> ScanResult:
        """The scan as `scan_repository` gives it (articles in key order, then the problems
        of the listing and of the files, by place)."""
        if self._scan is None or listing_problems is not self._listing_problems:
            problems = [*listing_problems, *(self._errors[k] for k in sorted(self._errors))]
            problems.sort(key=lambda p: (p.path, p.line))
            self._scan = ScanResult(tuple(self._briefs), tuple(problems))
            self._listing_problems = listing_problems
        return self._scan

    def select(self, now: datetime) -> Selection | None:
        """The articles published at `now` in feed order; None when two articles share an id
        or a URL (then `feeds.scan.rule_out_duplicates` must choose, which depends on `now`)."""
        if self._clashes:
            return None
        at = bisect.bisect_left(self._order_keys, (-((now - _EPOCH) // _MICROSECOND), ""))
        upcoming = self._ordered[at - 1].published if at else None
        return Selection(self._ordered[at:], at, upcoming, self._ids.keys())
