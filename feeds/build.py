"""`publish(config, now)`: the whole build as one short recipe, from repository to output."""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import importlib
import itertools
import logging
import os
import threading
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from feeds.clock import Clock, format_time, utc_now
from feeds.config import Config
from feeds.errors import (
    ArticleError,
    FeedInvalidError,
    FeedsError,
    LockedError,
    OutputError,
    RepositoryError,
    StrictModeError,
)
from feeds.model import (
    FEED_FILE_NAMES,
    ArchiveDocument,
    Article,
    Blob,
    Brief,
    Entry,
    FeedSpec,
    Format,
    Image,
    Paging,
    RenderedFeed,
    ScanResult,
    Site,
    Tombstone,
)
from feeds.publish import MEDIA_DIR, Notifier, PublishTarget, WriteResult
from feeds.publish.folder import FolderTarget
from feeds.publish.guard import ConfirmedTarget
from feeds.publish.plan import plan_changes
from feeds.render import EntryRenderError, render_feed
from feeds.scan import feed_order, is_published, rule_out_duplicates
from feeds.sources import ArticleSource, Listing
from feeds.sources.files import FileSource
from feeds.state.cache import (
    CACHE_DIR,
    ArchiveCache,
    ArchiveRecord,
    EntryCache,
    ScanCache,
    code_digest,
    gc_paused,
    stamp_of,
)
from feeds.state.last_build import LastBuild, LastOutcome
from feeds.state.registry import (
    FEEDS_FILE,
    REGISTRY_FILE,
    FeedRecord,
    IdChange,
    find_id_changes,
    load_feed_records,
    load_registry,
    record_feeds,
    record_published,
    retire,
    tombstones_by_feed,
)
from feeds.state.status import load_status_or_new, record_failure, write_status
from feeds.state.store import FolderStore, StateStore
from feeds.stopping import NEVER, Cancellation

if TYPE_CHECKING:
    from feeds.index import ResidentIndex
    from feeds.load import EntryLoader
    from feeds.load.renditions import RenditionStore
    from feeds.validate import Issue, ValidationReport

# Note on imports: the article readers (PyYAML, Markdown, ...), the renderers, the validator
# and the discovery page (feedgen, lxml, ...) are imported when a build reads or renders, not
# when this module loads: a build that finds nothing changed never needs them, and their import
# time would be a good part of such a build (the `warm` rows of benchmarks/results.md).

log = logging.getLogger(__name__)

#: Stage-by-stage progress of a long build; the CLI shows it only on a terminal.
PROGRESS_LOGGER = "feeds.progress"
progress = logging.getLogger(PROGRESS_LOGGER)

#: How many of the newest stories the discovery page shows.
NEWEST_ON_INDEX = 12


@dataclass(frozen=True, slots=True)
class PublishResult:
    """The outcome of one build: what was read, what validated, what changed on disk.

    Attributes:
        next_embargo: The earliest publication time after `now` of a non-draft article: the
            moment a scheduler must build again for it to appear on time.
        up_to_date: Set when the build found every input and output as the last build left
            them and so rendered nothing: what the last build published (its summary).
        known_articles: With `up_to_date`: how many articles the repository holds.
        hub_failures: WebSub announcements that failed (sent again at the next build).
        wake_at: The earliest moment after `now` at which the output changes without any
            input changing: an embargo ends, a correction dated later becomes due, or a
            tombstone's period ends (a scheduler builds again then).
        retracted: How many articles of the repository are retracted.
    """

    scan: ScanResult
    problems: tuple[ArticleError, ...]
    feeds: tuple[RenderedFeed, ...]
    reports: tuple[ValidationReport, ...]
    written: WriteResult | None
    next_embargo: datetime | None = None
    published: int = 0
    id_changes: tuple[IdChange, ...] = ()
    up_to_date: str = ""
    known_articles: int | None = None
    embargoed: int = 0
    refused: tuple[str, ...] = ()
    hub_failures: tuple[str, ...] = ()
    wake_at: datetime | None = None
    retracted: int = 0

    @property
    def article_count(self) -> int:
        """Articles in the repository (as of the last real build when `up_to_date`)."""
        return len(self.scan.articles) if self.known_articles is None else self.known_articles

    def what_is_published(self) -> str:
        """The first half of the summary: articles published, held back, feed files."""
        articles = self.scan.articles
        drafts = sum(1 for a in articles if a.draft)
        line = f"{self.published} of {len(articles)} article(s) published"
        held = [f"{drafts} draft(s)"] if drafts else []
        if self.retracted:
            held.append(f"{self.retracted} retracted")
        if self.embargoed and self.next_embargo is not None:
            held.append(
                f"{self.embargoed} embargoed, the next until {self.next_embargo.isoformat()}"
            )
        skipped = {p.path for p in self.problems}
        older = (
            len(articles) - drafts - self.retracted - self.embargoed - self.published - len(skipped)
        )
        if older > 0:
            held.append(f"{older} older than what the feeds' limits keep")
        if held:
            line += f" ({', '.join(held)})"
        return line + f"; {len(self.feeds)} feed file(s)"

    def summary(self) -> str:
        """One line for a person: what was published, what waits, what changed on disk."""
        if self.up_to_date:
            line = f"{self.up_to_date}: nothing changed since the last build, 0 written"
            if self.problems:
                line += f"; {len(self.problems)} article(s) skipped with problems"
            return line
        line = self.what_is_published()
        if self.written is None:
            line += ": dry run, nothing written"
        else:
            feeds = {feed.rel_path for feed in self.feeds}
            done = self.written

            def count(paths: Sequence[str], media: bool) -> int:
                return sum(1 for p in paths if p.startswith(f"{MEDIA_DIR}/") == media)

            line += (
                f": {sum(1 for p in done.written if p in feeds)} written,"
                f" {sum(1 for p in done.unchanged if p in feeds)} unchanged"
                f"; media: {count(done.written, True)} copied, {count(done.removed, True)} removed"
            )
            pages = [
                p for p in done.written if p not in feeds and not p.startswith(f"{MEDIA_DIR}/")
            ]
            if pages:
                line += f"; also written: {', '.join(pages)}"
            retired = [p for p in done.removed if not p.startswith(f"{MEDIA_DIR}/")]
            if retired:
                line += f"; retired: {', '.join(retired)}"
        if self.problems:
            line += f"; {len(self.problems)} article(s) skipped with problems"
        if self.refused:
            line += f"; {len(self.refused)} feed file(s) did not validate and were not written"
        if self.id_changes:
            line += f"; {len(self.id_changes)} article(s) changed their id"
        return line


def publish(
    config: Config,
    *,
    now: datetime,
    strict: bool = False,
    write: bool = True,
    use_cache: bool = True,
    allow_empty: bool = False,
    confirm: Callable[[], None] | None = None,
    index: ResidentIndex | None = None,
    stop: Cancellation = NEVER,
) -> PublishResult:
    """Build every configured feed, validate all of them, then write what changed.

    Args:
        config: The validated configuration.
        now: The moment to publish for; articles dated later stay embargoed.
        strict: Any article problem fails the build before anything is written.
        write: False renders and validates only (a dry run).
        use_cache: Reuse and update the build cache in the state folder (False: read and
            render everything, touch no cache).
        allow_empty: Publish even when the source lists no article at all although the last
            build published some (an unmounted share, a failed checkout look like that).

    A feed that still does not validate once the articles its errors point at are left out is
    not written (the one published before stays, `PublishResult.refused` says why); the other
    feeds are.
        confirm: Called before each change is published; raises to stop the publish (a
            daemon that must still be the leader).
        index: The daemon's resident index: the listing, the scan, the entries and the
            rendered feeds come from it and are kept in it (only what changed since its last
            build is listed, read and rendered again; the disk caches are loaded once and
            saved at its full rescans). Without it, the disk caches of the state folder and
            the no-change record (`use_cache`) as for `feeds build`.
        stop: Checked at every stage until the writing begins (then the publish is finished:
            it is short, and what is published stays a whole set).

    Raises:
        BuildStopped: `stop` was requested before the writing began: nothing was written, no
            build record or cache was saved but the entries of articles already rendered.
        FeedInvalidError: `strict`, and a rendered feed has validation errors; nothing was
            written.
        StrictModeError: `strict` and some article had a problem; nothing was written.
        RepositoryError, OutputError: the repository or the output folder is unusable.
    """
    # A build makes many objects and no lasting cycles: the collector would only slow it.
    held = index.building() if index is not None else contextlib.nullcontext()
    with gc_paused(), held, _closing(article_source(config, stop=stop)) as source:
        return _publish(
            config,
            source,
            now=now,
            strict=strict,
            write=write,
            use_cache=use_cache,
            allow_empty=allow_empty,
            confirm=confirm,
            index=index,
            stop=stop,
        )


@contextlib.contextmanager
def _closing(source: ArticleSource) -> Iterator[ArticleSource]:
    """The source, closed after the build when it holds something (a database connection)."""
    try:
        yield source
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _publish(
    config: Config,
    source: ArticleSource,
    *,
    now: datetime,
    strict: bool,
    write: bool,
    use_cache: bool,
    allow_empty: bool,
    confirm: Callable[[], None] | None,
    index: ResidentIndex | None = None,
    stop: Cancellation = NEVER,
) -> PublishResult:
    target, store = publish_target(config), state_store(config)
    if confirm is not None:
        target = ConfirmedTarget(target, confirm)
    listing = source.list() if index is None else index.list_source(source)
    progress.info("found %d article files in %s", listing.article_count, source.describe())
    record = LastBuild(config.state_dir / CACHE_DIR, _settings(config)) if use_cache else None
    if index is not None and record is not None:
        # The index proves what is unchanged itself; a record left from before would not
        # describe what the daemon publishes.
        if index.full:
            record.forget()
        record = None
    last = None
    if record and write:
        last = record.unchanged(listing, now, strict=strict, target=target.stamp())
    if last is not None:
        announce = notifier(config, store)  # what failed to reach a hub before is sent again
        owed = announce.published([]) if announce else []
        return replace(_up_to_date(last), hub_failures=tuple(owed))
    if not allow_empty and listing.article_count == 0:
        _refuse_to_empty(source, store)
    caches = _Caches(config, index) if use_cache or index is not None else None
    renditions = _rendition_store(config, use_cache=use_cache or index is not None)
    config = _with_branding(config, renditions)
    scan = _scan(source, listing, caches, record, index)
    chosen = index.select(scan, now) if index is not None else None
    if chosen is None:
        scan = rule_out_duplicates(scan, now)
    stop.check("reading the articles")  # a source that does not look itself
    registry = load_registry(store)

    # Retracted and deleted articles retire their ids; one that comes back under a retired
    # id is refused (readers were told it is deleted).
    def present() -> set[str]:
        return {a.rel_path for a in scan.articles} | {p.path for p in scan.problems}

    retirements = retire(
        registry, scan.articles, present, now, ids=None if chosen is None else chosen.ids
    )
    refused = retirements.refused
    if chosen is None:
        candidates = feed_order(
            a for a in scan.articles if is_published(a, now) and a.id not in refused
        )
    else:  # the index keeps the articles in feed order, and knows there are no duplicates
        candidates = chosen.candidates
        if refused:
            candidates = [a for a in candidates if a.id not in refused]
    zone = ZoneInfo(config.channel.timezone)
    tombstones, expiry = tombstones_by_feed(retirements.registry, now, config.tombstone_days, zone)
    # An archive document is history a client caches for good: it keeps the tombstones of the
    # stories that left it (its bytes then change once, when the story goes, not again when
    # the feeds' period ends).
    archived_stones = tombstones
    if config.tombstone_days > 0 and any(spec.archive is not None for spec in config.feeds):
        archived_stones = tombstones_by_feed(
            retirements.registry, now, ARCHIVE_TOMBSTONE_DAYS, zone
        )[0]
    archive_cache = ArchiveCache(config.state_dir / CACHE_DIR) if use_cache else None
    checked = _render_valid_feeds(
        config,
        source,
        store,
        candidates,
        caches,
        renditions=renditions,
        archives=_ArchiveRun(config, source, archive_cache, now, archived_stones),
        now=now,
        tombstones=tombstones,
        index=index,
        stop=stop,
    )
    if caches is not None:
        caches.keep_entries_of(scan)
        _prune_renditions(renditions, caches.entries, checked.rendering.archived)
    rendering = checked.rendering
    in_feeds = rendering.articles()
    all_ids = {a.id for a in scan.articles} if chosen is None else chosen.ids
    id_changes = tuple(find_id_changes(registry, in_feeds, all_ids))
    problems = _sorted_problems(scan.problems, rendering.problems, retirements.problems)
    if strict and (problems or id_changes or checked.refused):
        _refuse_strictly(checked, [*problems, *id_changes], scan.articles)
    written = None
    failures: list[str] = []
    if write:
        # The last look: once the first file is replaced the publish is finished.
        stop.check("about to write")
        announce = notifier(config, store)
        try:
            written = _write_all(config, source, target, checked, candidates=candidates)
        except OutputError as exc:
            _announce(announce, checked.to_write(), exc.written)
            raise
        failures = _announce(announce, checked.to_write(), written.written)
        record_published(
            store,
            retirements.registry,
            [*in_feeds, *rendering.archived.articles],
            _atom_feeds_of(checked),
            stored=registry,  # as loaded: this build's retirements are news to it
        )
        records = [_record(feed) for feed in [*rendering.feeds, *checked.emptied]]
        records.extend(kept.feed_record() for kept in rendering.archived.kept)
        record_feeds(store, records)
        if archive_cache is not None:
            _remember_archives(config, archive_cache, checked)
    next_embargo = _next_embargo(scan, now) if chosen is None else chosen.next_embargo
    wake_at = min(
        (
            t
            for t in (_next_change(config, next_embargo, now), rendering.next_correction, expiry)
            if t is not None
        ),
        default=None,
    )
    result = PublishResult(
        scan,
        problems,
        tuple(rendering.feeds),
        checked.reports,
        written,
        next_embargo=next_embargo,
        published=len(in_feeds),
        id_changes=id_changes,
        embargoed=_embargoed(scan, now) if chosen is None else chosen.embargoed,
        refused=checked.refusals(scan.articles),
        hub_failures=tuple(failures),
        wake_at=wake_at,
        retracted=sum(1 for a in scan.articles if a.retracted is not None),
    )
    if written is not None and record is not None:
        _remember(config, record, listing, result, now=now, rendering=rendering, target=target)
    return result


def article_source(config: Config, *, stop: Cancellation = NEVER) -> ArticleSource:
    """The configured article source (`stop`: the build's, heeded by a file repository's
    listing and scan)."""
    site = Site(
        url=config.channel.url, timezone=config.channel.timezone, permalink=config.permalink
    )
    if config.repository_url is not None:
        # Imported here: psycopg is loaded only when a database holds the articles.
        from feeds.sources.postgres import PostgresSource  # noqa: PLC0415

        return PostgresSource(
            config.repository_url, site, max_article_bytes=config.max_article_bytes
        )
    return FileSource(
        config.repository, site, max_article_bytes=config.max_article_bytes, stop=stop
    )


def publish_target(config: Config) -> PublishTarget:
    """The configured publish target: the output folder, or object storage."""
    if config.s3 is not None:
        # Imported only for such a target: the S3 client costs a local build nothing.
        from feeds.publish.s3 import S3Target  # noqa: PLC0415

        s3, headers = config.s3, config.cache_control
        return S3Target(
            s3.bucket,
            s3.prefix,
            endpoint_url=s3.endpoint_url,
            region=s3.region,
            cache_control={"feed": headers.feeds, "media": headers.media, "page": headers.pages},
            hashes=config.state_dir / CACHE_DIR / "s3-media-hashes.json",
        )
    return FolderTarget(config.output)


def state_store(config: Config) -> StateStore:
    """Where the records that decide what is published are kept: the state folder, or with
    object storage the bucket itself (so that any host building there publishes the same)."""
    if config.s3 is not None:
        from feeds.publish.s3 import S3Store  # noqa: PLC0415

        s3 = config.s3
        return S3Store(s3.bucket, s3.prefix, endpoint_url=s3.endpoint_url, region=s3.region)
    return FolderStore(config.state_dir)


def notifier(config: Config, store: StateStore) -> Notifier | None:
    """Who is told once changed feeds are live: the WebSub hubs, when there are any."""
    if not config.channel.hubs or not config.announce:
        return None
    from feeds.publish.websub import WebSubNotifier  # noqa: PLC0415

    return WebSubNotifier(config.channel.hubs, store)


def _announce(
    announce: Notifier | None, feeds: Sequence[RenderedFeed], live: Sequence[str]
) -> list[str]:
    """Tell the notifier about the feeds among `live` (the paths the target replaced)."""
    if announce is None:
        return []
    replaced = set(live)
    # Archive documents are not announced: a subscriber follows the subscription document.
    return announce.published(
        [feed for feed in feeds if feed.rel_path in replaced and not feed.archive_key]
    )


def _settings(config: Config) -> str:
    """All a build's output depends on besides the articles: the program and the configuration."""
    return f"{code_digest()}\n{config!r}"


def _up_to_date(last: LastOutcome) -> PublishResult:
    """The result of a build that found everything as the last build left it."""
    return PublishResult(
        ScanResult((), last.problems),
        last.problems,
        (),
        (),
        WriteResult((), last.outputs, ()),
        next_embargo=last.until,
        wake_at=last.until,
        up_to_date=last.published,
        known_articles=last.articles,
    )


#: Between its rescans, the index drops the entries of deleted articles past this many entries.
ENTRIES_SLACK = 2000


class _Caches:
    """The build caches of the state folder: the scan's (released once the scan is done, as a
    large repository's is big) and the rendered entries'.

    With the daemon's `index` they are loaded once and kept in it, and saved only by its full
    rescans (the next start then reads only what changed since).
    """

    def __init__(self, config: Config, index: ResidentIndex | None = None) -> None:
        self._index = index
        if index is not None and index.scan_cache is not None and index.entries is not None:
            self.scan: ScanCache | None = index.scan_cache
            self.entries = index.entries
            return
        folder = config.state_dir / CACHE_DIR
        scan_settings = (
            config.repository_url or str(config.repository),
            config.channel.url,
            config.channel.timezone,
            config.permalink,
            config.max_article_bytes,
        )
        # The entries cache keeps articles as read too: it depends on all the scan depends on.
        entry_settings = (
            *scan_settings,
            config.media_url,
            config.max_image_bytes,
            config.media,
            config.channel.language,
        )
        self.scan = ScanCache(folder, scan_settings)
        self.entries = EntryCache(folder, entry_settings)
        if index is not None:
            index.scan_cache, index.entries = self.scan, self.entries

    def save_scan(self) -> None:
        if self._index is not None:
            if self._index.full and self.scan is not None:
                self.scan.save()
            return
        if self.scan is not None:
            self.scan.save()
            self.scan = None

    def keep_entries_of(self, scan: ScanResult) -> None:
        if self._index is not None and not self._index.full:
            # The entries of deleted articles wait for the next rescan, unless they pile up.
            if len(self.entries.items) <= ENTRIES_SLACK + len(scan.articles) // 100:
                return
            self.entries.keep_only(a.id for a in scan.articles if a.retracted is None)
            return
        # A retracted story leaves the cache too: nothing of it is kept for a later build.
        self.entries.keep_only(a.id for a in scan.articles if a.retracted is None)
        self.entries.save()


def _scan(
    source: ArticleSource,
    listing: Listing,
    caches: _Caches | None,
    record: LastBuild | None,
    index: ResidentIndex | None = None,
) -> ScanResult:
    """Every article's `Brief`; while a cold scan's workers read, this process imports what
    the later stages need and makes the digest of the build's inputs."""

    def while_waiting() -> None:
        _import_later_stages()
        if record is not None:
            record.inputs(listing)

    def scan_all(cache: ScanCache | None) -> ScanResult:
        return source.scan(listing, cache=cache, while_waiting=while_waiting)

    if index is not None:
        scan = index.scan(source, listing, scan_all)
    else:
        scan = scan_all(caches.scan if caches else None)
    progress.info("read %d articles (%d problems)", len(scan.articles), len(scan.problems))
    if caches is not None:
        caches.save_scan()
    return scan


@dataclass(frozen=True, slots=True)
class _Rendering:
    """Every feed of the configuration rendered, with the entries each one carries."""

    feeds: list[RenderedFeed]
    entries_by_feed: list[list[Entry]]
    problems: list[ArticleError]
    failed_depends_on: list[str]
    archived: _Archived
    next_correction: datetime | None = None

    def articles(self) -> list[Article]:
        """Every article some feed carries, once each."""
        return list({e.article.id: e.article for es in self.entries_by_feed for e in es}.values())

    def newest(self, candidates: Sequence[Brief], count: int) -> list[Entry]:
        """The newest entries any feed carries, in feed order: never a draft or embargoed one."""
        by_id = {entry.article.id: entry for entries in self.entries_by_feed for entry in entries}
        return list(itertools.islice((by_id[a.id] for a in candidates if a.id in by_id), count))

    def corrected(self) -> list[Entry]:
        """Every entry some feed carries that shows a correction, once each."""
        by_id = {e.article.id: e for es in self.entries_by_feed for e in es}
        return [entry for entry in by_id.values() if entry.article.corrections]


def _render_feeds(
    config: Config,
    source: ArticleSource,
    candidates: Sequence[Brief],
    caches: _Caches | None,
    renditions: RenditionStore,
    *,
    archives: _ArchiveRun,
    now: datetime,
    tombstones: Mapping[str, Sequence[Tombstone]],
    index: ResidentIndex | None = None,
    stop: Cancellation = NEVER,
) -> _Rendering:
    """Expand the `per` templates, select each feed's articles, load and render them (the
    renditions of their images made first, on every core), each entry as of `now` (its
    corrections dated by then), each Atom feed with its `tombstones`, and the archive
    documents of the feeds that have them (those whose inputs changed)."""
    from feeds.load import EntryLoader, select_entries  # noqa: PLC0415 - see the note on imports
    from feeds.render.notes import as_of, next_correction  # noqa: PLC0415
    from feeds.scan.slices import expand_feeds, select_articles  # noqa: PLC0415

    load = EntryLoader(
        source,
        candidates,
        caches.entries if caches else None,
        repository=config.repository,
        media_url=config.media_url,
        max_image_bytes=config.max_image_bytes,
        media=config.media,
        store=renditions,
        language=config.channel.language,
        stop=stop,
    )
    expansion = expand_feeds(config.feeds, candidates)
    plans = [archives.plan(spec, select_articles(candidates, spec)) for spec in expansion.feeds]
    selected = {
        brief.id: brief for plan in plans for brief in plan.chosen[: plan.subscription.limit]
    }
    selected.update((b.id, b) for plan in plans for b in plan.to_render_articles())
    ready = load.prefetch(selected.values(), workers=len(os.sched_getaffinity(0)))
    if ready:
        progress.info("made the renditions of %d images", ready)
    feeds: list[RenderedFeed] = []
    entries_by_feed: list[list[Entry]] = []
    zone = ZoneInfo(config.channel.timezone)
    pending: dict[str, Article] = {}
    archived = _Archived()
    for plan in plans:
        stop.check("rendering the feeds")
        spec = plan.spec
        loaded = select_entries(plan.chosen, plan.subscription, load)
        pending.update((e.article.id, e.article) for e in loaded if e.article.corrections)
        entries = [as_of(entry, now, zone) for entry in loaded]
        entries_by_feed.append(entries)
        for fmt in spec.formats:
            paging = plan.paging(fmt)
            stones = tombstones.get(spec.file_for(fmt), ())
            if index is None:
                feeds.append(_render(config, spec, fmt, entries, paging=paging, tombstones=stones))
                continue

            def render(
                spec: FeedSpec = spec,
                fmt: Format = fmt,
                entries: list[Entry] = entries,
                paging: Paging | None = paging,
                stones: Sequence[Tombstone] = stones,
            ) -> RenderedFeed:
                return _render(config, spec, fmt, entries, paging=paging, tombstones=stones)

            # All the document depends on besides its entries: the site, its archive links
            # and its tombstones.
            depends = (config.channel, paging, tuple(stones))
            feeds.append(index.render(spec, fmt, depends, entries, render))
        archives.render(plan, load, feeds, archived)
    if archived.rendered:
        progress.info("rendered %d archive documents", archived.rendered)
    problems = [*load.problems, *expansion.problems]
    seen = {p.path for p in problems}
    for problem in archived.problems:  # an article of an archive no feed carries now
        if problem.path not in seen:
            seen.add(problem.path)
            problems.append(problem)
    pending.update((a.id, a) for a in archived.articles if a.corrections)
    return _Rendering(
        feeds,
        entries_by_feed,
        problems,
        load.failed_depends_on,
        archived,
        next_correction(pending.values(), now),
    )


def _sorted_problems(*groups: Sequence[ArticleError]) -> tuple[ArticleError, ...]:
    return tuple(sorted((p for group in groups for p in group), key=lambda p: (p.path, p.line)))


def _strict_error(complaints: Sequence[object]) -> StrictModeError:
    return StrictModeError(
        f"--strict: {len(complaints)} problem(s), nothing was written:\n"
        + "\n".join(f"  {complaint}" for complaint in complaints)
    )


def _next_change(config: Config, embargo: datetime | None, now: datetime) -> datetime | None:
    """The earliest moment the output changes without any input changing: an embargo ends,
    or the open period of a calendar-archived feed closes (its archive is then due)."""
    from feeds.scan.archives import period_end  # noqa: PLC0415 - see the note on imports

    ends = [
        period_end(now, spec.archive, config.channel.timezone)
        for spec in config.feeds
        if spec.archive is not None
    ]
    return min([moment for moment in (embargo, *ends) if moment is not None], default=None)


def _is_embargoed(article: Brief, now: datetime) -> bool:
    """Neither a draft nor retracted, and dated after `now`."""
    return not article.draft and article.retracted is None and article.published > now


def _embargoed(scan: ScanResult, now: datetime) -> int:
    """How many articles are embargoed (`_is_embargoed`) at `now`."""
    return sum(1 for a in scan.articles if _is_embargoed(a, now))


def _next_embargo(scan: ScanResult, now: datetime) -> datetime | None:
    """The earliest moment after `now` at which a non-draft article becomes due."""
    return min((a.published for a in scan.articles if _is_embargoed(a, now)), default=None)


def _atom_feeds_of(checked: _Checked) -> dict[str, list[str]]:
    """Article id -> the Atom feed files written now that carry it (where its tombstone
    would go)."""
    found: dict[str, list[str]] = {}
    for feed in checked.to_write():
        if feed.format == "atom":
            for article_id in feed.article_ids:
                found.setdefault(article_id, []).append(feed.rel_path)
    return found


#: What the stages after the scan import (see the note on imports).
_LATER_MODULES = (
    "feeds.render.rss_atom",
    "feeds.validate",
    "feeds.render.pages",
    "cmarkgfm",
    "PIL.Image",
)


def _import_later_stages() -> None:
    """Import what rendering needs while a cold scan's worker processes read the articles:
    this process would otherwise wait for them idle, and import it all afterwards."""
    for name in _LATER_MODULES:
        importlib.import_module(name)


@dataclass(frozen=True, slots=True)
class _Checked:
    """The feeds of a build once validated: those to write, and those refused."""

    rendering: _Rendering
    emptied: list[RenderedFeed]
    retired: list[str]
    reports: tuple[ValidationReport, ...]
    failed: list[tuple[RenderedFeed, ValidationReport]]

    @property
    def refused(self) -> bool:
        return bool(self.failed)

    def to_write(self) -> list[RenderedFeed]:
        refused = {feed.rel_path for feed, _ in self.failed}
        return [f for f in (*self.rendering.feeds, *self.emptied) if f.rel_path not in refused]

    def refusals(self, articles: Sequence[Brief]) -> tuple[str, ...]:
        return tuple(_invalid_lines(self.failed, articles))

    def archive_listing(self, output_url: str) -> list[ArchiveDocument]:
        """Every archive document published after this build (written or kept), by feed,
        newest period first (pages by number), then in the feed's format order."""
        found = [
            ArchiveDocument(f.spec.name, f.archive_key, f.format, f.url, len(f.article_ids))
            for f in self.to_write()
            if f.archive_key
        ]
        found.extend(
            ArchiveDocument(k.spec.name, k.key, k.format, output_url + k.rel_path, k.record.items)
            for k in self.rendering.archived.kept
        )
        return found


# --- archived feeds (RFC 5005) --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _KeptArchive:
    """An archive document left as published: its inputs did not change since it was written."""

    spec: FeedSpec
    format: Format
    key: str
    rel_path: str
    record: ArchiveRecord

    def feed_record(self) -> FeedRecord:
        return _feed_record(
            self.spec, self.format, self.rel_path, self.record.updated, self.record.items
        )


@dataclass(frozen=True, slots=True)
class _Made:
    """What went into an archive document rendered by this build (for its record)."""

    digest: str
    depends: tuple[str, ...]
    media: tuple[str, ...]


@dataclass
class _Archived:
    """The archive documents of one build: rendered ones (their feeds are among the build's
    feeds) and kept ones, with what the publish needs of them."""

    kept: list[_KeptArchive] = field(default_factory=list)
    made: dict[str, _Made] = field(default_factory=dict)
    images: list[Image] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    problems: list[ArticleError] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    rendered: int = 0

    def kept_paths(self) -> list[str]:
        return [kept.rel_path for kept in self.kept]

    def kept_media(self) -> list[str]:
        return [path for kept in self.kept for path in kept.record.media]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A closed period whose archive documents this build renders."""

    key: str
    articles: tuple[Brief, ...]
    older: str
    newer: str
    digest: str


@dataclass(frozen=True, slots=True)
class _FeedPlan:
    """One feed's documents: what its subscription document holds, and its archives."""

    spec: FeedSpec
    chosen: list[Brief]
    subscription: FeedSpec  # the spec with the limit the subscription document has
    output_url: str
    newest_archive: str = ""
    pending: tuple[_Pending, ...] = ()
    kept: tuple[_KeptArchive, ...] = ()

    def to_render_articles(self) -> list[Brief]:
        return [brief for pending in self.pending for brief in pending.articles]

    def paging(self, fmt: Format) -> Paging | None:
        spec = self.spec
        if spec.complete:
            return Paging(complete=True)
        if spec.archive is None:
            return None
        prev = _archive_url(self.output_url, self.spec, fmt, self.newest_archive)
        return Paging(prev_archive=prev)


def _archive_url(output_url: str, spec: FeedSpec, fmt: Format, key: str) -> str:
    return f"{output_url}{spec.archive_file(fmt, key)}" if key else ""


class _ArchiveRun:
    """Plans and renders the archive documents of one build.

    A closed archive is rendered again only when its digest (the program, the configuration,
    the period, its neighbours, and each of its articles' id, path and stamp) or a file its
    entries were made from changed, or (a folder target) its published file is not the one
    written: so one new article costs the subscription documents alone, and a newly closed
    period its own archive plus the ``next-archive`` link of the one before.
    """

    def __init__(
        self,
        config: Config,
        source: ArticleSource,
        cache: ArchiveCache | None,
        now: datetime,
        tombstones: Mapping[str, Sequence[Tombstone]],
    ) -> None:
        self.config = config
        self.source = source
        self.cache = cache
        self.now = now
        self.settings = _settings(config)
        # Per Atom file: the retracted items it carried (an archive that held one keeps its
        # tombstone for the configured period, like the feed).
        self.tombstones = tombstones

    def plan(self, spec: FeedSpec, chosen: list[Brief]) -> _FeedPlan:
        from feeds.scan.archives import partition  # noqa: PLC0415 - see the note on imports

        if spec.complete:
            everything = replace(spec, limit=max(len(chosen), 1))
            return _FeedPlan(spec, chosen, everything, self.config.output_url)
        if spec.archive is None:
            return _FeedPlan(spec, chosen, spec, self.config.output_url)
        cut = partition(chosen, spec.archive, timezone=self.config.channel.timezone, now=self.now)
        # Every item of the open period is in the subscription document, beyond the limit
        # if need be: it is in no archive yet.
        subscription = replace(spec, limit=max(spec.limit, cut.open_count))
        pending: list[_Pending] = []
        kept: list[_KeptArchive] = []
        stamps = self._stamps([b.rel_path for period in cut.closed for b in period.articles])
        for index, period in enumerate(cut.closed):
            older, newer = cut.neighbours(index)
            digest = self._digest(
                spec, period.key, period.articles, neighbours=(older, newer), stamps=stamps
            )
            found = [self._unchanged(spec, fmt, period.key, digest) for fmt in spec.formats]
            if all(found):
                kept.extend(k for k in found if k is not None)
            else:
                pending.append(_Pending(period.key, period.articles, older, newer, digest))
        newest = cut.closed[0].key if cut.closed else ""
        return _FeedPlan(
            spec,
            chosen,
            subscription,
            self.config.output_url,
            newest,
            tuple(pending),
            tuple(kept),
        )

    def _stamps(self, keys: Sequence[str]) -> dict[str, Hashable]:
        """Each article's stamp now (a database answers for all of them in one query)."""
        many = getattr(self.source, "locate_many", None)
        if many is not None and keys:
            found: dict[str, Hashable] = many(keys)
            return found
        stamps: dict[str, Hashable] = {}
        for key in keys:
            try:
                stamps[key] = self.source.locate(key)
            except ArticleError:
                continue  # gone: its archive is rendered again, and loading reports it
        return stamps

    def _digest(
        self,
        spec: FeedSpec,
        key: str,
        articles: Sequence[Brief],
        *,
        neighbours: tuple[str, str],
        stamps: dict[str, Hashable],
    ) -> str:
        older, newer = neighbours
        digest = hashlib.sha256(f"{self.settings}\0{spec!r}\0{key}\0{older}\0{newer}".encode())
        for fmt in spec.formats:  # a retraction's tombstone comes and goes with its period
            digest.update(repr(self.tombstones.get(spec.archive_file(fmt, key), ())).encode())
        for brief in articles:
            stamp = stamps.get(brief.rel_path)
            digest.update(f"\0{brief.id}\0{brief.rel_path}\0{stamp!r}".encode())
        return digest.hexdigest()

    def _unchanged(self, spec: FeedSpec, fmt: Format, key: str, digest: str) -> _KeptArchive | None:
        if self.cache is None:
            return None
        rel = spec.archive_file(fmt, key)
        output = self.config.output / rel if self.config.s3 is None else None
        record = self.cache.unchanged(rel, digest, output)
        return _KeptArchive(spec, fmt, key, rel, record) if record is not None else None

    def render(
        self,
        plan: _FeedPlan,
        load: EntryLoader,
        feeds: list[RenderedFeed],
        archived: _Archived,
    ) -> None:
        """Render the plan's pending archives into `feeds`, and note what they hold."""
        from feeds.render.notes import as_of  # noqa: PLC0415 - see the note on imports

        archived.kept.extend(plan.kept)
        spec = plan.spec
        zone = ZoneInfo(self.config.channel.timezone)
        for pending in plan.pending:
            entries: list[Entry] = []
            for brief in pending.articles:
                loaded = load.load_passing(brief)
                if isinstance(loaded, Entry):
                    entries.append(as_of(loaded, self.now, zone))
                else:
                    archived.problems.append(loaded)
            images = [img for e in entries for img in (*e.images, *e.inline_images)]
            media = tuple(sorted({f.media_path for img in images for f in img.files()}))
            depends = tuple(path for e in entries for path in e.depends_on)
            archived.images.extend(images)
            archived.articles.extend(e.article for e in entries)
            archived.depends_on.extend(depends)
            for fmt in spec.formats:
                paging = Paging(
                    key=pending.key,
                    current=self.config.output_url + spec.file_for(fmt),
                    prev_archive=_archive_url(plan.output_url, spec, fmt, pending.older),
                    next_archive=_archive_url(plan.output_url, spec, fmt, pending.newer),
                )
                # The one call that renders an archive: whatever render_feed is given for a
                # feed's documents (e.g. the tombstones of its retracted items whose period is
                # `pending.key`, then also in `_digest`) is given here too.
                feed = _render(
                    self.config,
                    spec,
                    fmt,
                    entries,
                    paging=paging,
                    tombstones=self.tombstones.get(spec.archive_file(fmt, pending.key), ()),
                )
                feeds.append(feed)
                archived.made[feed.rel_path] = _Made(pending.digest, depends, media)
                archived.rendered += 1


def _remember_archives(config: Config, cache: ArchiveCache, checked: _Checked) -> None:
    """Record the archive documents this build published (and those it left as they were)."""
    archived = checked.rendering.archived
    records = {kept.rel_path: kept.record for kept in archived.kept}
    for feed in checked.to_write():
        made = archived.made.get(feed.rel_path)
        if made is None:
            continue
        output = stamp_of(config.output / feed.rel_path) if config.s3 is None else None
        records[feed.rel_path] = ArchiveRecord(
            digest=made.digest,
            depends=tuple((path, stamp_of(path)) for path in sorted(set(made.depends))),
            output=output,
            items=len(feed.article_ids),
            updated=feed.updated.isoformat() if feed.updated else "",
            media=made.media,
        )
    cache.save(records)


#: How long an archive document keeps a retracted story's tombstone (the longest period
#: `retractions.tombstone_days` allows; RFC 5005 clients cache archives indefinitely).
ARCHIVE_TOMBSTONE_DAYS = 3650

#: How many times a build leaves out the articles whose items do not validate and renders again.
QUARANTINE_ROUNDS = 3


def _render_valid_feeds(
    config: Config,
    source: ArticleSource,
    store: StateStore,
    candidates: Sequence[Brief],
    caches: _Caches | None,
    *,
    renditions: RenditionStore,
    archives: _ArchiveRun,
    now: datetime,
    tombstones: Mapping[str, Sequence[Tombstone]],
    index: ResidentIndex | None = None,
    stop: Cancellation = NEVER,
) -> _Checked:
    """Render and validate every feed. An item that does not validate leaves its article out
    of every feed of this build, as that article's problem, and the feeds are rendered again;
    a feed whose errors belong to no item is refused alone (its old file stays)."""
    quarantined: list[ArticleError] = []
    rounds = 0
    while True:
        try:
            rendering = _render_feeds(
                config,
                source,
                candidates,
                caches,
                renditions,
                archives=archives,
                now=now,
                tombstones=tombstones,
                index=index,
                stop=stop,
            )
        except EntryRenderError as failure:  # a bug, but one article's: leave it out
            log.error("%s: could not be rendered", failure.article_id, exc_info=failure.cause)
            quarantined.append(_unrenderable(failure, candidates))
            candidates = [brief for brief in candidates if brief.id != failure.article_id]
            continue
        rounds += 1
        emptied, retired = _no_longer_produced(
            config, store, rendering.feeds, tombstones, kept=rendering.archived.kept_paths()
        )
        feeds = [*rendering.feeds, *emptied]
        progress.info("rendered %d feed files; validating", len(feeds))
        reports = tuple(_validate_each(feeds, stop, index))
        failed = [(f, r) for f, r in zip(feeds, reports, strict=True) if not r.ok]
        culprits = _culprits(failed, candidates)
        if not culprits or rounds == QUARANTINE_ROUNDS:
            break
        quarantined.extend(culprits.values())
        candidates = [brief for brief in candidates if brief.id not in culprits]
    rendering.problems.extend(quarantined)
    if index is not None:
        index.keep_feeds([(f.spec, f.format) for f in rendering.feeds], [f.rel_path for f in feeds])
    return _Checked(rendering, emptied, retired, reports, failed)


def _validate_each(
    feeds: Sequence[RenderedFeed], stop: Cancellation, index: ResidentIndex | None
) -> Iterator[ValidationReport]:
    """Each feed's validation report (the index's when it validated the very same bytes)."""
    from feeds.validate import validate_feed  # noqa: PLC0415 - see the note on imports

    for feed in feeds:
        stop.check("validating the feeds")
        if index is None:
            yield validate_feed(feed.body, source=feed.rel_path)
        else:
            check = functools.partial(validate_feed, feed.body, source=feed.rel_path)
            yield index.validate(feed, check)


def _unrenderable(failure: EntryRenderError, candidates: Sequence[Brief]) -> ArticleError:
    where = next((b.rel_path for b in candidates if b.id == failure.article_id), failure.article_id)
    cause = failure.cause
    return ArticleError(
        where,
        0,
        f"could not be rendered ({type(cause).__name__}: {cause}): this is a bug in feeds;"
        " please report it with the article (it is left out of every feed)",
    )


def _culprits(
    failed: Sequence[tuple[RenderedFeed, ValidationReport]], candidates: Sequence[Brief]
) -> dict[str, ArticleError]:
    """The articles whose items do not validate, by id, each with its first error."""
    if not failed:
        return {}
    by_id = {brief.id: brief for brief in candidates}
    found: dict[str, ArticleError] = {}
    for feed, report in failed:
        for issue in report.errors:
            if issue.item is None or not 0 <= issue.item < len(feed.article_ids):
                continue
            brief = by_id.get(feed.article_ids[issue.item])
            if brief is None or brief.id in found:
                continue
            found[brief.id] = ArticleError(
                brief.rel_path,
                0,
                f"left out of every feed: its item in {feed.rel_path} does not validate"
                f" ({issue.code}: {issue.message}); this is a bug in feeds if the article is"
                " valid: please report it with the article",
            )
    return found


def _refuse_strictly(
    checked: _Checked, complaints: Sequence[object], articles: Sequence[Brief]
) -> None:
    """`--strict`: any problem, or any feed that does not validate, and nothing is written."""
    if checked.refused:
        raise FeedInvalidError(_invalid_message(checked.failed, articles))
    raise _strict_error(complaints)


def _refuse_to_empty(source: ArticleSource, store: StateStore) -> None:
    """A source that suddenly lists nothing is far more often unmounted than emptied: its
    feeds are not emptied (nor its media deleted) unless asked."""
    last = sum(record.items for record in load_feed_records(store).values())
    if last:
        raise RepositoryError(
            f"{source.describe()}: holds no articles, but the last build published {last}"
            " item(s): nothing was written. Check that the repository is mounted or checked"
            " out; if it really is empty now, build with --allow-empty"
        )


def _write_all(
    config: Config,
    source: ArticleSource,
    target: PublishTarget,
    checked: _Checked,
    *,
    candidates: Sequence[Brief],
) -> WriteResult:
    """Publish the feeds, the media their items show and the pages that list them."""
    from feeds.render.pages import INDEX_FILE, OPML_FILE, render_index, render_opml  # noqa: PLC0415

    images = [
        image
        for entries in checked.rendering.entries_by_feed
        for entry in entries
        for image in (*entry.images, *entry.inline_images)
    ]
    images.extend(checked.rendering.archived.images)
    media = {
        file.media_path: _blob(source, image, file.source)
        for image in images
        for file in image.files()
    }
    media_types = {file.media_path: file.media_type for image in images for file in image.files()}
    if config.channel.branding is not None:
        media.update(
            (file.media_path, _local_blob(file.source)) for file in config.channel.branding.files()
        )
        media_types.update(
            (file.media_path, file.media_type) for file in config.channel.branding.files()
        )
    rendering = checked.rendering
    feeds = [feed for feed in rendering.feeds if not feed.archive_key]
    newest = rendering.newest(candidates, NEWEST_ON_INDEX)
    listing = checked.archive_listing(config.output_url)
    index = render_index(
        config.channel,
        feeds,
        newest,
        output_url=config.output_url,
        archives=listing,
        corrected=rendering.corrected(),
    )
    pages = [(INDEX_FILE, index), (OPML_FILE, render_opml(config.channel, feeds))]
    changes = plan_changes(
        checked.to_write(),
        media,
        pages,
        held_media=target.media(),
        retired=checked.retired,
        media_types=media_types,
        keep_media=rendering.archived.kept_media(),
    )
    return target.apply(changes)


def _blob(source: ArticleSource, image: Image, path: Path) -> Blob:
    """The bytes of a published image file: the source's own, or a rendition made of them."""
    return source.open_blob(str(path)) if path == image.original else _local_blob(path)


def _local_blob(path: Path) -> Blob:
    """A file this build made (a rendition in the cache, a branding size)."""
    info = path.stat()
    return Blob(info.st_size, info.st_mtime_ns, lambda: path.open("rb"))


def _rendition_store(config: Config, *, use_cache: bool) -> RenditionStore:
    """Where renditions are kept: the state folder's cache, or (a build that touches no
    cache) a temporary folder."""
    from feeds.load.renditions import (  # noqa: PLC0415 - see the note on imports
        MEDIA_CACHE_DIR,
        RenditionStore,
        temporary_store,
    )

    if not use_cache:
        return temporary_store()
    return RenditionStore(config.state_dir / CACHE_DIR / MEDIA_CACHE_DIR)


def _with_branding(config: Config, store: RenditionStore) -> Config:
    """The configuration with the channel's logo and icon made at every size they need."""
    if config.channel.logo is None and config.channel.icon is None:
        return config
    from feeds.load.branding import make_branding  # noqa: PLC0415 - see the note on imports

    branding = make_branding(config.channel, store, config.media_url)
    return replace(config, channel=replace(config.channel, branding=branding))


def _branding_sources(config: Config) -> list[str]:
    """The files the branding was made from and made into (for the unchanged check)."""
    channel = config.channel
    paths = [str(path) for path in (channel.logo, channel.icon) if path is not None]
    if channel.branding is not None:
        paths.extend(str(file.source) for file in channel.branding.files())
    return paths


def _prune_renditions(store: RenditionStore, entries: EntryCache, archived: _Archived) -> None:
    """Remove cached renditions that neither this build, any cached entry nor any archive
    document (rendered now, or left as it was) uses: an archive's renditions are files its
    record depends on, and made again they would have new stamps (the archive rendered again)."""
    keep = [
        file.source
        for cached in entries.items.values()
        for image in (*cached.entry.images, *cached.entry.inline_images)
        for file in image.files()
    ]
    keep.extend(file.source for image in archived.images for file in image.files())
    # Only the files in the store's folder (most depends are articles' own images), each once:
    # a large feed's archives name tens of thousands.
    folder = f"{store.folder}{os.sep}"
    kept = {path for k in archived.kept for path, _ in k.record.depends if path.startswith(folder)}
    keep.extend(Path(path) for path in sorted(kept))
    removed = store.prune(keep)
    if removed:
        log.debug("removed %d unused renditions from the cache", removed)


def _remember(
    config: Config,
    record: LastBuild,
    listing: Listing,
    result: PublishResult,
    *,
    now: datetime,
    rendering: _Rendering,
    target: PublishTarget,
) -> None:
    """Record what a later build needs to prove nothing changed (an id change or a refused
    feed is never recorded: its warning must come again)."""
    if result.id_changes or result.refused:
        record.forget()
        return
    assert result.written is not None
    outputs = [*result.written.written, *result.written.unchanged]
    sources = [
        path for entries in rendering.entries_by_feed for e in entries for path in e.depends_on
    ]
    # The registry and the feed record too: a damaged one must be noticed and rebuilt.
    state = [str(FolderStore(config.state_dir).path(name)) for name in (REGISTRY_FILE, FEEDS_FILE)]
    outcome = LastOutcome(
        published=result.what_is_published(),
        articles=len(result.scan.articles),
        problems=result.problems,
        outputs=tuple(outputs),
        until=result.wake_at,
    )
    # Files that articles with problems looked for, missing or not: the photo that arrives
    # after its story must get the story published at the next build.
    archived = rendering.archived
    if config.s3 is None:  # archives left as they were are outputs too
        outputs.extend(archived.kept_paths())
    local = [str(config.output / rel) for rel in outputs] if config.s3 is None else []
    files = [*local, *sources, *state, *archived.depends_on]
    files.extend(path for kept in archived.kept for path, _ in kept.record.depends)
    files.extend(_branding_sources(config))
    files.extend(rendering.failed_depends_on)
    record.remember(listing, outcome, now=now, files=files, target=target.stamp())


def _record(feed: RenderedFeed) -> FeedRecord:
    updated = feed.updated.isoformat() if feed.updated else ""
    return _feed_record(feed.spec, feed.format, feed.rel_path, updated, len(feed.article_ids))


def _feed_record(
    spec: FeedSpec, fmt: Format, rel_path: str, updated: str, items: int
) -> FeedRecord:
    """The record of a published feed document (a subscription document or an archive)."""
    return FeedRecord(
        rel_path=rel_path,
        name=spec.name,
        group=spec.group,
        format=fmt,
        title=spec.title,
        description=spec.description,
        path=spec.path,
        updated=updated,
        items=items,
    )


def _no_longer_produced(
    config: Config,
    store: StateStore,
    feeds: Sequence[RenderedFeed],
    tombstones: Mapping[str, Sequence[Tombstone]],
    *,
    kept: Collection[str] = (),
) -> tuple[list[RenderedFeed], list[str]]:
    """Feed files earlier builds published that this build does not produce.

    A slice whose value no published article carries any more (its last article was deleted,
    made a draft or re-tagged) is published again empty, so that subscribers keep a valid
    feed and the old items disappear; a feed whose configuration entry is gone is retired
    (its file removed), so that nothing it listed lingers.
    """
    produced = {feed.rel_path for feed in feeds}
    produced.update(kept)  # archive documents left as they are
    groups = {spec.name for spec in config.feeds if spec.per}
    emptied: list[RenderedFeed] = []
    retired: list[str] = []
    for rel_path, record in sorted(load_feed_records(store).items()):
        if rel_path in produced or not _is_feed_path(rel_path):
            continue
        if record.group in groups and record.format in FEED_FILE_NAMES:
            fmt = record.format
            spec = FeedSpec(
                name=record.name,
                formats=(fmt,),
                limit=1,
                title=record.title,
                description=record.description,
                path=record.path,
                group=record.group,
            )
            if spec.file_for(fmt) == rel_path:
                last = datetime.fromisoformat(record.updated) if record.updated else None
                emptied.append(
                    _render(
                        config,
                        spec,
                        fmt,
                        [],
                        updated_when_empty=last,
                        tombstones=tombstones.get(rel_path, ()),
                    )
                )
                continue
        retired.append(rel_path)
    return emptied, retired


def _is_feed_path(rel_path: str) -> bool:
    """Only files that look like our own feed files are ever retired (the state may be stale)."""
    parts = PurePosixPath(rel_path).parts
    return (
        bool(parts)
        and not PurePosixPath(rel_path).is_absolute()
        and ".." not in parts
        and parts[-1] in FEED_FILE_NAMES.values()
    )


def _render(
    config: Config,
    spec: FeedSpec,
    fmt: Format,
    entries: Sequence[Entry],
    *,
    updated_when_empty: datetime | None = None,
    paging: Paging | None = None,
    tombstones: Sequence[Tombstone] = (),
) -> RenderedFeed:
    return render_feed(
        config.channel,
        spec,
        fmt,
        entries,
        output_url=config.output_url,
        updated_when_empty=updated_when_empty,
        paging=paging,
        tombstones=tombstones,
    )


def _culprit(issue: Issue, feed: RenderedFeed, articles: Sequence[Brief]) -> str:
    if issue.item is None or not 0 <= issue.item < len(feed.article_ids):
        return ""
    article_id = feed.article_ids[issue.item]
    source = next((a.rel_path for a in articles if a.id == article_id), article_id)
    return f" (article {source})"


def _invalid_lines(
    failed: Sequence[tuple[RenderedFeed, ValidationReport]], articles: Sequence[Brief]
) -> list[str]:
    return [
        f"{feed.rel_path}:{issue.line}: {issue.code}: {issue.message}"
        f"{_culprit(issue, feed, articles)}"
        for feed, report in failed
        for issue in report.errors
    ]


def _invalid_message(
    failed: Sequence[tuple[RenderedFeed, ValidationReport]], articles: Sequence[Brief]
) -> str:
    lines = [
        "a rendered feed did not validate, so nothing was written "
        "(the published feeds stay as they were):",
        *(f"  {line}" for line in _invalid_lines(failed, articles)),
        "this is a bug in feeds if the articles are valid: please report it with the feed file",
    ]
    return "\n".join(lines)


def feed_paths(config: Config) -> list[Path]:
    """Every feed file the configuration publishes (for `feeds validate` without arguments).

    The feeds of a `per` template depend on the articles, so those are the ones found in the
    output folder.
    """
    paths: list[Path] = []
    for spec in config.feeds:
        for fmt in spec.formats:
            rel = spec.file_for(fmt)
            if not spec.per:
                paths.append(config.output / rel)
                if spec.archive is not None:  # its archive documents, oldest first
                    pattern = glob.escape(spec.archive_file(fmt, "KEY")).replace("KEY", "*")
                    paths.extend(sorted(config.output.glob(pattern)))
                continue
            for key in spec.per:
                pattern = "*".join(
                    glob.escape(part) for part in rel.replace("{per}", key).split("{slug}")
                )
                paths.extend(sorted(config.output.glob(pattern)))
    return paths


def published_feeds(config: Config) -> list[tuple[str, bytes | None]]:
    """Every feed the configuration publishes, read back from the target (for `feeds
    validate` without arguments on object storage): (its URL at the target, its bytes, None
    when it is not there). The feeds of `per` templates are the ones the feed records list.
    """
    target, store = publish_target(config), state_store(config)
    paths = [spec.file_for(fmt) for spec in config.feeds if not spec.per for fmt in spec.formats]
    paths.extend(path for path in sorted(load_feed_records(store)) if _is_feed_path(path))
    base = config.s3.url() if config.s3 is not None else f"{config.output}/"
    return [(base + path, target.read(path)) for path in dict.fromkeys(paths)]


Publisher = Callable[..., PublishResult]


# --- one recorded build (also used by `feeds build`) ----------------------------------------


def publish_recorded(
    config: Config,
    *,
    now: datetime,
    clock: Clock = utc_now,
    strict: bool = False,
    wait: float,
    stop: threading.Event | None = None,
    publisher: Publisher = publish,
    confirm: Callable[[], None] | None = None,
) -> PublishResult:
    """Publish under the output folder's build lock and record the outcome in the status file.

    A failed run records its error and leaves the previously published feeds in place.

    Args:
        config: The configuration to build.
        now: The moment to publish for (aware).
        clock: Tells when the run finished.
        strict: As for `publish`.
        wait: Seconds to wait for another writer of the same output folder.
        stop: Set to stop: the lock wait and the build give up (`BuildStopped`) until the
            writing begins.
        publisher: `publish` (replaceable in tests).
        confirm: As for `publish` (given to the publisher only when set).

    Raises:
        LockedError: another process kept the output folder locked (nothing recorded).
        FeedsError: the build failed (recorded), also when the target refused the lease.
        BuildStopped: `stop` was set before the writing began (nothing written or recorded).
    """
    cancellation = Cancellation(stop)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(publish_target(config).lease(wait=wait, stop=stop))
        except LockedError:
            cancellation.check("waiting for the output folder's lock")
            raise
        except FeedsError as exc:  # storage out of reach or refusing access: a failed run
            status = load_status_or_new(config.state_dir)
            status.last_start = format_time(clock())
            status.runs += 1
            record_failure(status, exc, clock())
            write_status(config.state_dir, status)
            raise
        status = load_status_or_new(config.state_dir)
        status.last_start = format_time(clock())  # the real start, even for a --now build
        status.runs += 1
        try:
            more = {} if confirm is None else {"confirm": confirm}
            result = publisher(config, now=now, strict=strict, stop=cancellation, **more)
        except Exception as exc:
            record_failure(status, exc, clock())
            write_status(config.state_dir, status)
            raise
        finished = clock()
        status.last_finish = status.last_success = format_time(finished)
        status.last_outcome = "problems" if result.problems or result.refused else "ok"
        status.last_error = status.last_error_at = None
        status.articles = result.article_count
        status.problems = [str(p) for p in (*result.problems, *result.id_changes)]
        status.problems.extend(result.refused)
        status.next_embargo = format_time(result.next_embargo)
        if result.written is not None:
            status.written = list(result.written.written)
            status.unchanged = list(result.written.unchanged)
            status.removed = list(result.written.removed)
        status.hub_failures = list(result.hub_failures)
        write_status(config.state_dir, status)
    return result
