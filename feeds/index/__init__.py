"""The resident index: what the last build knew, kept in memory by the daemon between builds and
updated from the paths it is told changed, so that a build after one change reads that change.

It holds the repository's listing (each article file's stamp), every article's selection facts
(the scan's `Brief`s, in the scan cache), the rendered entries (the entries cache), each feed
as last rendered with the entries it was rendered from, and each feed's validation report. A
build through it (`feeds.build.publish(..., index=...)`) lists, scans and renders only what the
changes can have touched; what it does then (selection, validation, writing what differs) is
a cold build's, so its output is a cold build's, byte for byte.

A full rescan (`lost_track`: at start, after a lost change feed, at the safety interval) walks
the whole repository and logs every difference it finds with what the index held: drift that
the changes told did not account for.
"""

from __future__ import annotations

import contextlib
import logging
import operator
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.config import Config
from feeds.errors import ArticleError
from feeds.index.articles import Articles, Selection
from feeds.model import Brief, Entry, FeedSpec, Format, RenderedFeed, ScanResult
from feeds.scan.slices import release_value_keys
from feeds.sources import ArticleSource, Listing
from feeds.sources.fields import shared_values
from feeds.sources.files import FileSource
from feeds.sources.files.listing import Candidate
from feeds.sources.files.listing import Listing as FileListing
from feeds.sources.files.live import LiveListing
from feeds.state.cache import EntryCache, ScanCache, code_digest

if TYPE_CHECKING:
    from feeds.validate import ValidationReport

log = logging.getLogger(__name__)

#: How many examples a drift line names.
EXAMPLES = 3


def index_key(config: Config) -> str:
    """What an index's content depends on: the program and the whole configuration (the
    schedule aside, which only says when to build)."""
    return f"{code_digest()}\n{config!r}"  # the schedule and `announce` are not in its repr


@dataclass(slots=True)
class _Rendered:
    """A feed as last rendered, and what it was rendered from."""

    channel: object
    entries: tuple[Entry, ...]
    feed: RenderedFeed


@dataclass(slots=True)
class _Drift:
    """What a rescan found that the index did not know, by kind."""

    kinds: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, key: str) -> None:
        self.kinds.setdefault(kind, []).append(key)

    def log(self) -> None:
        if not self.kinds:
            log.info("rescan: the index was correct")
            return
        for kind, keys in self.kinds.items():
            shown = ", ".join(sorted(keys)[:EXAMPLES])
            more = f" and {len(keys) - EXAMPLES} more" if len(keys) > EXAMPLES else ""
            log.warning(
                "rescan: the index had missed %d %s (%s%s); repaired", len(keys), kind, shown, more
            )


class ResidentIndex:
    """The daemon's in-memory index of one configuration's repository and feeds.

    Args:
        config: The configuration whose repository and feeds it indexes (`index_key`).
    """

    def __init__(self, config: Config) -> None:
        self.key = index_key(config)
        self._root = config.repository
        self._files = config.repository_url is None
        self._live = LiveListing(config.repository) if self._files else None
        self._pending: set[str] = set()
        self._lost = True
        #: This build walks and scans everything (then the disk caches are saved too).
        self.full = True
        #: The scan cache: every article's stamp and `Brief` (or problem), by key.
        self.scan_cache: ScanCache | None = None
        #: The rendered entries, by article id.
        self.entries: EntryCache | None = None
        self._scan: ScanResult | None = None
        self._articles = Articles()
        self._dirty: set[str] = set()
        self._rendered: dict[tuple[FeedSpec, Format], _Rendered] = {}
        self._reports: dict[str, tuple[bytes, ValidationReport]] = {}
        self._shared: dict[object, object] = {}
        #: How many full scans (start, rescans) it has made.
        self.full_builds = 0

    # --- what the change feed tells --------------------------------------------------------

    def changed(self, paths: Iterable[str]) -> None:
        """These repository paths ("/"-separated) changed: articles, images or other files, or
        folders (anything under them)."""
        self._pending.update(paths)

    def lost_track(self) -> None:
        """Nothing told can be trusted: the next build walks and scans everything again."""
        self._lost = True

    def holds(self, config: Config) -> bool:
        """Whether this index is the one for `config` (else it must be made anew)."""
        return index_key(config) == self.key

    def release(self) -> None:
        """Drop everything held (the daemon stops or makes a new index), the caches of values
        its articles filled in the process too."""
        self._rendered.clear()
        self._reports.clear()
        self._shared.clear()
        release_value_keys()
        if self._live is not None:
            self._live = LiveListing(self._root)
        self._scan = None
        self._articles = Articles()
        self.scan_cache = self.entries = None
        self._lost = True

    # --- what a build asks -----------------------------------------------------------------

    @contextlib.contextmanager
    def building(self) -> Iterator[None]:
        """Around one build through the index: the values articles share live in the index."""
        self.full = self._lost or self.scan_cache is None or self.entries is None
        with shared_values(self._shared):
            yield

    def list_source(self, source: ArticleSource) -> Listing:
        """The source's listing now: walked again on a full build, else updated from the
        changes told since the last build (a database lists itself: one query).

        Raises:
            RepositoryError: the repository cannot be listed.
        """
        live = self._live
        if live is None or not isinstance(source, FileSource):
            return source.list()
        if self.full:
            before = dict(live.candidates)
            listing = live.rescan()
            self._pending.clear()
            self._dirty = set(live.candidates)
            if self._scan is not None:
                self._log_drift(before, live)
            source.take_listing(listing, live.candidates)
            return listing
        pending, self._pending = self._pending, set()
        self._dirty |= live.update(pending)
        source.take_listing(None, live.candidates)
        return live  # the listing without the tuple of every candidate

    def _log_drift(self, before: Mapping[str, Hashable], live: LiveListing) -> None:
        drift = _Drift()
        now = live.candidates
        for key, candidate in now.items():
            known = before.get(key)
            if known is None:
                drift.add("new article file(s)", key)
            elif known != candidate:
                drift.add("changed article file(s)", key)
        for key in before.keys() - now.keys():
            drift.add("removed article file(s)", key)
        drift.log()

    def scan(
        self,
        source: ArticleSource,
        listing: Listing,
        full_scan: Callable[[ScanCache], ScanResult],
    ) -> ScanResult:
        """Every article's `Brief` for `listing`: `full_scan` on a full build, else the last
        scan with the changed article files read again."""
        cache = self.scan_cache
        assert cache is not None, "a build through the index made its caches first"
        if self.full or not isinstance(listing, LiveListing) or self._scan is None:
            self._scan = full_scan(cache)
            if isinstance(listing, FileListing):
                self._articles = Articles.of((k, found[1]) for k, found in cache.items.items())
            else:
                self._articles = Articles.of((b.rel_path, b) for b in self._scan.articles)
            self._lost = False
            self.full_builds += 1
            self._dirty.clear()
            return self._scan
        dirty, self._dirty = self._dirty, set()
        live, articles = self._live, self._articles
        assert live is not None
        todo: list[tuple[Candidate, object]] = []
        for key in sorted(dirty):
            held = cache.items.get(key)
            candidate = live.candidates.get(key)
            if candidate is None:
                if held is not None:
                    cache.forget(key)
                    articles.change(key, held[1], None)
            elif held is None or held[0] != candidate.cache_key:
                todo.append((candidate, held[1] if held is not None else None))
        if todo:
            results = _read(source, [candidate for candidate, _ in todo])
            for (candidate, old), result in zip(todo, results, strict=True):
                cache.remember(candidate.rel_path, candidate.cache_key, result)
                articles.change(candidate.rel_path, old, result)
        self._scan = articles.scan(listing.problems)
        return self._scan

    def select(self, scan: ScanResult, now: datetime) -> Selection | None:
        """The published articles of the index's own `scan` at `now` in feed order, without
        looking at every article (None: work it out as a cold build does)."""
        if scan is not self._scan:
            return None
        return self._articles.select(now)

    def render(
        self,
        spec: FeedSpec,
        fmt: Format,
        channel: object,
        entries: list[Entry],
        render: Callable[[], RenderedFeed],
    ) -> RenderedFeed:
        """The feed for these entries: as last rendered when they are the very entries it was
        rendered from (the entries cache gives an unchanged article's entry again), else
        `render()`."""
        key = (spec, fmt)
        last = self._rendered.get(key)
        if (
            last is not None
            and last.channel == channel
            and len(last.entries) == len(entries)
            and all(map(operator.is_, last.entries, entries))
        ):
            return last.feed
        feed = render()
        self._rendered[key] = _Rendered(channel, tuple(entries), feed)
        return feed

    def validate(
        self, feed: RenderedFeed, validate: Callable[[], ValidationReport]
    ) -> ValidationReport:
        """The validation report of the feed's bytes: the last one when they are unchanged."""
        last = self._reports.get(feed.rel_path)
        if last is not None and last[0] == feed.body:
            return last[1]
        report = validate()
        self._reports[feed.rel_path] = (feed.body, report)
        return report

    def keep_feeds(
        self, produced: Collection[tuple[FeedSpec, Format]], paths: Collection[str]
    ) -> None:
        """Forget the feeds this build did not produce (a slice whose value is gone)."""
        for key in self._rendered.keys() - set(produced):
            del self._rendered[key]
        for path in self._reports.keys() - set(paths):
            del self._reports[path]


def _read(source: ArticleSource, todo: list[Candidate]) -> list[Brief | ArticleError]:
    """The scan results of these article files, in order."""
    assert isinstance(source, FileSource)
    return source.read_briefs(todo)
