"""`publish(config, now)`: the whole build as one short recipe, from repository to output."""

from __future__ import annotations

import glob
import hashlib
import importlib
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from feeds.cache import (
    CACHE_DIR,
    EntryCache,
    ScanCache,
    code_digest,
    gc_paused,
    load_json,
    save_json,
    stamp_of,
)
from feeds.config import Config
from feeds.errors import ArticleError, FeedInvalidError, StrictModeError
from feeds.listing import Listing, list_repository
from feeds.models import (
    FEED_FILE_NAMES,
    Article,
    Brief,
    Entry,
    FeedSpec,
    Format,
    Link,
    RenderedFeed,
    ScanResult,
)
from feeds.registry import (
    FEEDS_FILE,
    REGISTRY_FILE,
    FeedRecord,
    IdChange,
    find_id_changes,
    load_feed_records,
    load_registry,
    record_feeds,
    record_published,
)
from feeds.renditions import MEDIA_CACHE_DIR, RenditionStore, temporary_store
from feeds.writer import MEDIA_DIR, WriteResult, write_output

if TYPE_CHECKING:
    from feeds.repository import ArticleReader
    from feeds.validate import Issue, ValidationReport

# Note on imports: the article readers (PyYAML, Markdown, ...), the renderers, the validator
# and the discovery page (feedgen, lxml, ...) are imported when a build reads or renders, not
# when this module loads: a build that finds nothing changed never needs them, and their import
# time would be a good part of such a build.

log = logging.getLogger(__name__)

#: Stage-by-stage progress of a long build; the CLI shows it only on a terminal.
PROGRESS_LOGGER = "feeds.progress"
progress = logging.getLogger(PROGRESS_LOGGER)

# An issue's element path names the item as "item[3]", or just "item" when it is the only one;
# a JSON Feed path as "items[3].title".
_ITEM_INDEX = re.compile(r"(?:^|/)(?:item|entry)(?:\[(\d+)\])?(?:/|$)|^items\[(\d+)\]")
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

    @property
    def article_count(self) -> int:
        """Articles in the repository (as of the last real build when `up_to_date`)."""
        return len(self.scan.articles) if self.known_articles is None else self.known_articles

    def what_is_published(self) -> str:
        """The first half of the summary: articles published, held back, feed files."""
        articles = self.scan.articles
        drafts = sum(1 for a in articles if a.draft)
        waiting = len(articles) - drafts - self.published
        line = f"{self.published} of {len(articles)} article(s) published"
        held = [f"{drafts} draft(s)"] if drafts else []
        if waiting and self.next_embargo is not None:
            held.append(f"{waiting} embargoed, the next until {self.next_embargo.isoformat()}")
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
        if self.id_changes:
            line += f"; {len(self.id_changes)} article(s) changed their id"
        return line


def is_published(article: Brief, now: datetime) -> bool:
    """Drafts and articles dated after `now` (embargoed) are never published."""
    return not article.draft and article.published <= now


def feed_order(articles: Iterable[Brief]) -> list[Brief]:
    """Newest first; equal dates ordered by id, so that the order is fully specified."""
    by_id = sorted(articles, key=lambda a: a.id)
    return sorted(by_id, key=lambda a: a.published, reverse=True)


def _title_key(title: str) -> str:
    return " ".join(title.casefold().split()).rstrip(".!?")


def title_urls(published: Iterable[Brief]) -> dict[str, str]:
    """The URL of each published headline (with two of the same headline, the last one's)."""
    return {_title_key(article.title): article.url for article in published}


def link_related(article: Article, urls: Mapping[str, str]) -> Article:
    """Give related stories named only by title (wire `Related:` lines) the URL of the
    published article with that headline (`urls` from `title_urls`): a draft or embargoed
    story is never linked."""
    if all(link.url for link in article.related):
        return article
    related = tuple(
        link if link.url else Link(link.title, urls.get(_title_key(link.title), ""))
        for link in article.related
    )
    return replace(article, related=related)


class _EntryLoader:
    """Loads each selected article's body at most once per build, remembering failures too.

    The article's full metadata is read again from its file (the scan kept only its `Brief`);
    should the file have changed since the scan so that it would no longer be selected the
    same way, it is left out and reported, and the next build publishes it as it is then.
    """

    def __init__(
        self,
        config: Config,
        reader: ArticleReader,
        published: Sequence[Brief],
        cache: EntryCache | None,
        store: RenditionStore | None = None,
    ) -> None:
        self._config = config
        self._reader = reader
        self._published = published
        self._urls: dict[str, str] | None = None
        self._cache = cache
        self._store = store
        # Articles `prefetch` read (to find their images), so that loading does not read them
        # a second time.
        self._read_ahead: dict[str, Article] = {}
        self._done: dict[str, Entry | ArticleError] = {}

    def __call__(self, brief: Brief) -> Entry | ArticleError:
        if brief.id not in self._done:
            self._done[brief.id] = self._load(brief)
        return self._done[brief.id]

    def _load(self, brief: Brief) -> Entry | ArticleError:
        from feeds.repository import load_entry  # noqa: PLC0415 - see the note on imports

        try:
            found = self._reader.find(brief.rel_path)
            source = (found.rel_path, found.cache_key)
            # An unchanged file gives the same article: it is read again only when it changed.
            read = self._cache.article(brief.id, *source) if self._cache else None
            read = read or self._read_ahead.pop(brief.id, None) or self._reader.read(found)
        except ArticleError as problem:
            return problem
        if read.brief() != brief:
            return ArticleError(
                brief.rel_path,
                0,
                "changed while the feeds were being built: the next build publishes it",
            )
        article = read
        if not all(link.url for link in article.related):
            if self._urls is None:  # only some wire articles need it: made once, when needed
                self._urls = title_urls(self._published)
            article = link_related(article, self._urls)
        cached = self._cache.get(article, article.id) if self._cache else None
        if cached is not None:
            return cached
        try:
            entry = load_entry(
                article,
                repository=self._config.repository,
                media_url=self._config.media_url,
                max_image_bytes=self._config.max_image_bytes,
                max_article_bytes=self._config.max_article_bytes,
                media=self._config.media,
                store=self._store,
                language=self._config.channel.language,
            )
        except ArticleError as problem:
            return problem
        if self._cache is not None:
            self._cache.remember(entry, entry.depends_on, source=source, read=read)
        return entry

    def prefetch(self, briefs: Iterable[Brief], *, workers: int) -> None:
        """Make the renditions of these articles' declared images in parallel, before they are
        loaded one by one (only those not made before: their store records say so)."""
        paths: list[str] = []
        for brief in briefs:
            try:
                found = self._reader.find(brief.rel_path)
                cache = self._cache
                cached = (
                    cache.article(brief.id, *(found.rel_path, found.cache_key)) if cache else None
                )
                read = cached or self._reader.read(found)
            except ArticleError:
                continue  # loading it reports the problem
            if cached is None:
                self._read_ahead[brief.id] = read
            if self._cache is not None and self._cache.get(read, read.id) is not None:
                continue
            paths.extend(ref.path for ref in read.images)
        if len(paths) < 2 or self._store is None:
            return
        from feeds.images import prefetch  # noqa: PLC0415 - see the note on imports

        ready = prefetch(
            paths,
            media=self._config.media,
            store=self._store,
            max_bytes=self._config.max_image_bytes,
            workers=workers,
        )
        progress.info("made the renditions of %d images", ready)

    @property
    def problems(self) -> list[ArticleError]:
        return [value for value in self._done.values() if isinstance(value, ArticleError)]


def select_entries(candidates: Sequence[Brief], spec: FeedSpec, load: _EntryLoader) -> list[Entry]:
    """The newest `spec.limit` articles that load; a broken one makes room for the next."""
    entries: list[Entry] = []
    for article in candidates:
        if len(entries) >= spec.limit:
            break
        loaded = load(article)
        if isinstance(loaded, Entry):
            entries.append(loaded)
    return entries


def publish(
    config: Config,
    *,
    now: datetime,
    strict: bool = False,
    write: bool = True,
    use_cache: bool = True,
) -> PublishResult:
    """Build every configured feed, validate all of them, then write what changed.

    Args:
        config: The validated configuration.
        now: The moment to publish for; articles dated later stay embargoed.
        strict: Any article problem fails the build before anything is written.
        write: False renders and validates only (a dry run).
        use_cache: Reuse and update the build cache in the state folder (False: read and
            render everything, touch no cache).

    Raises:
        FeedInvalidError: a rendered feed has validation errors; nothing was written.
        StrictModeError: `strict` and some article had a problem; nothing was written.
        RepositoryError, OutputError: the repository or the output folder is unusable.
    """
    # A build makes many objects and no lasting cycles: the collector would only slow it.
    with gc_paused():
        return _publish(config, now=now, strict=strict, write=write, use_cache=use_cache)


def _publish(
    config: Config, *, now: datetime, strict: bool, write: bool, use_cache: bool
) -> PublishResult:
    listing = list_repository(config.repository)
    progress.info("found %d article files in %s", len(listing.candidates), config.repository)
    inputs: str | None = None
    if use_cache and write and (config.state_dir / CACHE_DIR / LAST_BUILD_FILE).exists():
        inputs = _inputs_digest(config, listing)
        unchanged = _unchanged_since_last_build(config, inputs, now, strict=strict)
        if unchanged is not None:
            return unchanged

    # (The listing is bound as a default, not closed over: `del listing` below lets it go.)
    def while_waiting(listing: Listing = listing) -> None:
        """While a cold scan's workers read: what comes next, and the digest for later."""
        nonlocal inputs
        _import_later_stages()
        inputs = inputs or _inputs_digest(config, listing)

    from feeds.repository import (  # noqa: PLC0415 - see the note on imports
        ArticleReader,
        Site,
        scan_repository,
    )
    from feeds.slices import expand_feeds, select_articles  # noqa: PLC0415

    site = Site(
        url=config.channel.url, timezone=config.channel.timezone, permalink=config.permalink
    )
    scan_cache, entry_cache = _open_caches(config) if use_cache else (None, None)
    scan = scan_repository(
        config.repository,
        site,
        max_article_bytes=config.max_article_bytes,
        cache=scan_cache,
        workers=len(os.sched_getaffinity(0)),
        listing=listing,
        while_waiting=while_waiting,
    )
    inputs = inputs or _inputs_digest(config, listing)  # the scan had nothing to wait for
    progress.info("read %d articles (%d problems)", len(scan.articles), len(scan.problems))
    if scan_cache is not None:
        scan_cache.save()
    # A large repository's scan cache is done with: let its memory go now.
    del scan_cache, while_waiting
    candidates = feed_order(a for a in scan.articles if is_published(a, now))
    reader = ArticleReader(
        config.repository, site, max_article_bytes=config.max_article_bytes, listing=listing
    )
    del listing  # the reader keeps what it needs
    store = _rendition_store(config, use_cache=use_cache)
    load = _EntryLoader(config, reader, candidates, entry_cache, store)
    config = _with_branding(config, store)
    expansion = expand_feeds(config.feeds, candidates)
    selected = {
        brief.id: brief
        for spec in expansion.feeds
        for brief in select_articles(candidates, spec)[: spec.limit]
    }
    load.prefetch(selected.values(), workers=len(os.sched_getaffinity(0)))
    feeds: list[RenderedFeed] = []
    entries_by_feed: list[list[Entry]] = []
    for spec in expansion.feeds:
        entries = select_entries(select_articles(candidates, spec), spec, load)
        entries_by_feed.append(entries)
        feeds.extend(_render(config, spec, fmt, entries) for fmt in spec.formats)
    problems = tuple(
        sorted(
            [*scan.problems, *load.problems, *expansion.problems], key=lambda p: (p.path, p.line)
        )
    )
    if entry_cache is not None:
        entry_cache.keep_only(a.id for a in scan.articles)
        entry_cache.save()
        _prune_renditions(store, entry_cache)
    emptied, retired = _no_longer_produced(config, feeds)
    progress.info("rendered %d feed files; validating", len(feeds) + len(emptied))
    reports = _validate_all([*feeds, *emptied], scan.articles)
    registry = load_registry(config.state_dir)
    in_feeds = list({e.article.id: e.article for es in entries_by_feed for e in es}.values())
    id_changes = tuple(find_id_changes(registry, in_feeds, {a.id for a in scan.articles}))
    if strict and (problems or id_changes):
        complaints = [*problems, *id_changes]
        raise StrictModeError(
            f"--strict: {len(complaints)} problem(s), nothing was written:\n"
            + "\n".join(f"  {complaint}" for complaint in complaints)
        )
    written = None
    if write:
        written = _write_all(
            config,
            feeds,
            emptied=emptied,
            retired=retired,
            entries_by_feed=entries_by_feed,
            candidates=candidates,
        )
        record_published(config.state_dir, registry, in_feeds)
        record_feeds(config.state_dir, (_record(feed) for feed in [*feeds, *emptied]))
    pending = [a.published for a in scan.articles if not a.draft and a.published > now]
    result = PublishResult(
        scan,
        problems,
        tuple(feeds),
        reports,
        written,
        next_embargo=min(pending, default=None),
        published=len(candidates),
        id_changes=id_changes,
    )
    if written is not None and use_cache:
        sources = [path for entries in entries_by_feed for e in entries for path in e.depends_on]
        sources.extend(_branding_sources(config))
        _remember_build(
            config,
            inputs,
            now=now,
            result=result,
            outputs=[*written.written, *written.unchanged],
            sources=sources,
        )
    return result


#: What the stages after the scan import (see the note on imports).
_LATER_MODULES = ("feeds.render", "feeds.validate", "feeds.discovery", "cmarkgfm", "PIL.Image")


def _import_later_stages() -> None:
    """Import what rendering needs while a cold scan's worker processes read the articles:
    this process would otherwise wait for them idle, and import it all afterwards."""
    for name in _LATER_MODULES:
        importlib.import_module(name)


def _validate_all(
    feeds: Sequence[RenderedFeed], articles: Sequence[Brief]
) -> tuple[ValidationReport, ...]:
    """Validate every rendered feed; any error stops the build before anything is written."""
    from feeds.validate import validate_feed  # noqa: PLC0415 - see the note on imports

    reports = tuple(validate_feed(feed.body, source=feed.rel_path) for feed in feeds)
    failed = [(feed, report) for feed, report in zip(feeds, reports, strict=True) if not report.ok]
    if failed:
        raise FeedInvalidError(_invalid_message(failed, articles))
    return reports


def _write_all(
    config: Config,
    feeds: Sequence[RenderedFeed],
    *,
    emptied: Sequence[RenderedFeed],
    retired: Sequence[str],
    entries_by_feed: Sequence[Sequence[Entry]],
    candidates: Sequence[Brief],
) -> WriteResult:
    """Write the feeds, the media their items show and the pages that list them."""
    from feeds.discovery import INDEX_FILE, OPML_FILE, render_index, render_opml  # noqa: PLC0415

    media = {
        file.media_path: file.source
        for entries in entries_by_feed
        for entry in entries
        for image in (*entry.images, *entry.inline_images)
        for file in image.files()
    }
    if config.channel.branding is not None:
        media.update((file.media_path, file.source) for file in config.channel.branding.files())
    newest = _newest(entries_by_feed, candidates, NEWEST_ON_INDEX)
    documents = [
        (INDEX_FILE, render_index(config.channel, feeds, newest, output_url=config.output_url)),
        (OPML_FILE, render_opml(config.channel, feeds)),
    ]
    return write_output(config.output, [*feeds, *emptied], media, documents, retired=retired)


LAST_BUILD_FILE = "last-build.json"


def _inputs_digest(config: Config, listing: Listing) -> str:
    """Everything a build's output depends on apart from `now` and the files it renders from:
    the program, the configuration and the repository listing with every file's stamp."""
    digest = hashlib.sha256()
    digest.update(f"{code_digest()}\n{config!r}\n{listing.fingerprint()}".encode())
    return digest.hexdigest()


def _remember_build(
    config: Config,
    inputs: str,
    *,
    now: datetime,
    result: PublishResult,
    outputs: Sequence[str],
    sources: Sequence[str],
) -> None:
    """Record what a later build needs to prove nothing changed (an id change is never
    recorded: its warning must come again)."""
    if result.id_changes:
        (config.state_dir / CACHE_DIR / LAST_BUILD_FILE).unlink(missing_ok=True)
        return
    # The registry and the feed record too: a damaged one must be noticed and rebuilt.
    state = [str(config.state_dir / name) for name in (REGISTRY_FILE, FEEDS_FILE)]
    files = sorted({*(str(config.output / rel) for rel in outputs), *sources, *state})
    record = {
        "inputs": inputs,
        "now": now.isoformat(),
        "until": result.next_embargo.isoformat() if result.next_embargo else None,
        "published": result.what_is_published(),
        "articles": len(result.scan.articles),
        "problems": [[p.path, p.line, p.reason] for p in result.problems],
        "outputs": list(outputs),
        "files": [[path, stamp_of(path)] for path in files],
    }
    save_json(config.state_dir / CACHE_DIR / LAST_BUILD_FILE, record)


def _unchanged_since_last_build(
    config: Config, inputs: str, now: datetime, *, strict: bool
) -> PublishResult | None:
    """The last build's result if rendering again would give the very same files.

    That holds when the program, the configuration and every article file are as they were,
    every file the published items were made from and every published file still has its
    stamp, and no embargo lapsed between the last build's moment and `now`.
    """
    record = load_json(config.state_dir / CACHE_DIR / LAST_BUILD_FILE)
    try:
        if record is None or record["inputs"] != inputs:
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
            stamp_of(path) != (tuple(stamp) if stamp else None) for path, stamp in record["files"]
        ):
            return None
        return PublishResult(
            ScanResult((), problems),
            problems,
            (),
            (),
            WriteResult((), tuple(record["outputs"]), ()),
            next_embargo=until,
            up_to_date=str(record["published"]),
            known_articles=int(record["articles"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _open_caches(config: Config) -> tuple[ScanCache, EntryCache]:
    folder = config.state_dir / CACHE_DIR
    scan_settings = (
        str(config.repository),
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
    return ScanCache(folder, scan_settings), EntryCache(folder, entry_settings)


def _rendition_store(config: Config, *, use_cache: bool) -> RenditionStore:
    """Where renditions are kept: the state folder's cache, or (a build that touches no
    cache) a temporary folder."""
    if not use_cache:
        return temporary_store()
    return RenditionStore(config.state_dir / CACHE_DIR / MEDIA_CACHE_DIR)


def _with_branding(config: Config, store: RenditionStore) -> Config:
    """The configuration with the channel's logo and icon made at every size they need."""
    if config.channel.logo is None and config.channel.icon is None:
        return config
    from feeds.branding import make_branding  # noqa: PLC0415 - see the note on imports

    branding = make_branding(config.channel, store, config.media_url)
    return replace(config, channel=replace(config.channel, branding=branding))


def _branding_sources(config: Config) -> list[str]:
    """The files the branding was made from and made into (for the unchanged check)."""
    channel = config.channel
    paths = [str(path) for path in (channel.logo, channel.icon) if path is not None]
    if channel.branding is not None:
        paths.extend(str(file.source) for file in channel.branding.files())
    return paths


def _prune_renditions(store: RenditionStore, entries: EntryCache) -> None:
    """Remove cached renditions that neither this build nor any cached entry uses."""
    keep = [
        file.source
        for cached in entries.items.values()
        for image in (*cached.entry.images, *cached.entry.inline_images)
        for file in image.files()
    ]
    removed = store.prune(keep)
    if removed:
        log.debug("removed %d unused renditions from the cache", removed)


def _record(feed: RenderedFeed) -> FeedRecord:
    spec = feed.spec
    return FeedRecord(
        rel_path=feed.rel_path,
        name=spec.name,
        group=spec.group,
        format=feed.format,
        title=spec.title,
        description=spec.description,
        path=spec.path,
        updated=feed.updated.isoformat() if feed.updated else "",
    )


def _no_longer_produced(
    config: Config, feeds: Sequence[RenderedFeed]
) -> tuple[list[RenderedFeed], list[str]]:
    """Feed files earlier builds published that this build does not produce.

    A slice whose value no published article carries any more (its last article was deleted,
    made a draft or re-tagged) is published again empty, so that subscribers keep a valid
    feed and the old items disappear; a feed whose configuration entry is gone is retired
    (its file removed), so that nothing it listed lingers.
    """
    produced = {feed.rel_path for feed in feeds}
    groups = {spec.name for spec in config.feeds if spec.per}
    emptied: list[RenderedFeed] = []
    retired: list[str] = []
    for rel_path, record in sorted(load_feed_records(config.state_dir).items()):
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
                emptied.append(_render(config, spec, fmt, [], updated_when_empty=last))
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
) -> RenderedFeed:
    if fmt == "json":
        from feeds.jsonfeed import render_json_feed  # noqa: PLC0415 - see the note on imports

        return render_json_feed(config.channel, spec, entries, output_url=config.output_url)
    from feeds import render  # noqa: PLC0415 - see the note on imports

    return render.render_feed(
        config.channel,
        spec,
        fmt,
        entries,
        output_url=config.output_url,
        updated_when_empty=updated_when_empty,
    )


def _newest(
    entries_by_feed: Sequence[Sequence[Entry]], candidates: Sequence[Brief], count: int
) -> list[Entry]:
    """The newest entries any feed carries, in feed order: never a draft or embargoed one."""
    by_id = {entry.article.id: entry for entries in entries_by_feed for entry in entries}
    return [by_id[a.id] for a in candidates if a.id in by_id][:count]


def _culprit(issue: Issue, feed: RenderedFeed, articles: Sequence[Brief]) -> str:
    match = _ITEM_INDEX.search(issue.path)
    if match is None:
        return ""
    index = int(match.group(1) or match.group(2) or 1) - 1
    if not 0 <= index < len(feed.article_ids):
        return ""
    article_id = feed.article_ids[index]
    source = next((a.rel_path for a in articles if a.id == article_id), article_id)
    return f" (article {source})"


def _invalid_message(
    failed: Sequence[tuple[RenderedFeed, ValidationReport]], articles: Sequence[Brief]
) -> str:
    lines = [
        "a rendered feed did not validate, so nothing was written "
        "(the published feeds stay as they were):"
    ]
    for feed, report in failed:
        for issue in report.errors:
            culprit = _culprit(issue, feed, articles)
            lines.append(f"  {feed.rel_path}:{issue.line}: {issue.code}: {issue.message}{culprit}")
    lines.append(
        "this is a bug in feeds if the articles are valid: please report it with the feed file"
    )
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
                continue
            for key in spec.per:
                pattern = "*".join(
                    glob.escape(part) for part in rel.replace("{per}", key).split("{slug}")
                )
                paths.extend(sorted(config.output.glob(pattern)))
    return paths
