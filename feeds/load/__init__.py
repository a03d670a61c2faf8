"""Loading: a selected `Brief` becomes an `Entry`, its article read in full, its body rendered and
its images read (each at most once per build, from the entries cache when nothing changed)."""

from __future__ import annotations

import html
import logging
import os
import posixpath
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol
from urllib.parse import unquote

from feeds.errors import ArticleError
from feeds.load.images import check_inside, image_from_bytes, read_image
from feeds.load.markup import compose_content, render_markdown, render_paragraphs, story_summary
from feeds.model import Article, Brief, Entry, FeedSpec, Image, ImageRef, MediaSettings
from feeds.rules import IMAGE_SUFFIXES
from feeds.scan import link_related, title_urls
from feeds.sources import ImageStore
from feeds.sources.wire import parse_wire
from feeds.stopping import NEVER, Cancellation

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from feeds.load.renditions import RenditionStore
    from feeds.sources import ArticleSource, Body
    from feeds.state.cache import EntryCache


class EntryLoader:
    """Loads each selected article's body at most once per build, remembering failures too.

    The article's full metadata is read again from its source (the scan kept only its
    `Brief`); should it have changed since the scan so that it would no longer be selected the
    same way, it is left out and reported, and the next build publishes it as it is then.
    """

    def __init__(
        self,
        source: ArticleSource,
        published: Sequence[Brief],
        cache: EntryCache | None,
        *,
        repository: Path,
        media_url: str,
        max_image_bytes: int,
        media: MediaSettings | None = None,
        store: RenditionStore | None = None,
        language: str = "en",
        stop: Cancellation = NEVER,
    ) -> None:
        self._source = source
        self._stop = stop
        # A source that keeps images as bytes (a database) is asked for them; else files.
        self._image_store = source if isinstance(source, ImageStore) else None
        self._published = published
        self._urls: dict[str, str] | None = None
        self._cache = cache
        self._repository = repository
        self._media_url = media_url
        self._max_image_bytes = max_image_bytes
        self._media = media
        self._store = store
        self._language = language
        # Articles `prefetch` read (to find their images), so that loading does not read them
        # a second time.
        self._read_ahead: dict[str, Article] = {}
        self._done: dict[str, Entry | ArticleError] = {}
        #: The files the articles that could not be loaded were made from or looked for.
        self.failed_depends_on: list[str] = []

    def __call__(self, brief: Brief) -> Entry | ArticleError:
        """The entry of `brief`, or its problem.

        Raises:
            BuildStopped: the build's stop was requested (checked before each article).
        """
        if brief.id not in self._done:
            self._stop.check("loading the articles")
            self._done[brief.id] = self._load(brief)
        return self._done[brief.id]

    def load_passing(self, brief: Brief) -> Entry | ArticleError:
        """Like calling the loader, but an entry not loaded before is neither kept for this
        build nor put in the entries cache: an archive's entries (a whole month of a large
        feed, or all of them in a cold build) are rendered once and let go, and the cache
        keeps only what the subscription documents carry."""
        done = self._done.get(brief.id)
        return done if done is not None else self._load(brief, remember=False)

    def _load(self, brief: Brief, *, remember: bool = True) -> Entry | ArticleError:
        try:
            stamp = (brief.rel_path, self._source.locate(brief.rel_path))
            # An unchanged article is the same article: it is read again only when it changed.
            read = self._cache.article(brief.id, *stamp) if self._cache else None
            read = (
                read
                or self._read_ahead.pop(brief.id, None)
                or self._source.read_article(brief.rel_path)
            )
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
        cached = self._cache.get(article, article.id, stamp) if self._cache else None
        if cached is not None:
            return cached
        looked_at: list[str] = []
        try:
            entry = load_entry(
                article,
                self._source.read_body(article),
                repository=self._repository,
                media_url=self._media_url,
                max_image_bytes=self._max_image_bytes,
                looked_at=looked_at,
                media=self._media,
                store=self._store,
                language=self._language,
                image_store=self._image_store,
            )
        except ArticleError as problem:
            self.failed_depends_on.extend(looked_at)
            return problem
        except Exception as exc:  # a bug, but one article's: the others still publish
            log.exception("%s: could not be rendered", brief.rel_path)
            self.failed_depends_on.extend(looked_at)
            return ArticleError(
                brief.rel_path,
                0,
                f"could not be rendered ({type(exc).__name__}: {exc}): this is a bug in feeds;"
                " please report it with the article (it is left out of every feed)",
            )
        if self._cache is not None and remember:
            self._cache.remember(entry, entry.depends_on, source=stamp, read=read)
        return entry

    def prefetch(self, briefs: Iterable[Brief], *, workers: int) -> int:
        """Make the renditions of these articles' declared images in parallel, before they are
        loaded one by one (only those not made before: their store records say so); returns
        how many images are ready."""
        paths: list[str] = []
        for brief in briefs:
            self._stop.check("loading the articles")
            try:
                stamp = (brief.rel_path, self._source.locate(brief.rel_path))
                cached = self._cache.article(brief.id, *stamp) if self._cache else None
                read = cached or self._source.read_article(brief.rel_path)
            except ArticleError:
                continue  # loading it reports the problem
            if cached is None:
                self._read_ahead[brief.id] = read
            if self._cache is not None and self._cache.get(read, read.id) is not None:
                continue
            paths.extend(ref.path for ref in read.images)
        if len(paths) < 2 or self._store is None or self._media is None:
            return 0
        from feeds.load.images import prefetch  # noqa: PLC0415 - Pillow, only when needed

        return prefetch(
            paths,
            media=self._media,
            store=self._store,
            max_bytes=self._max_image_bytes,
            workers=workers,
            stop=self._stop,
        )

    @property
    def problems(self) -> list[ArticleError]:
        return [value for value in self._done.values() if isinstance(value, ArticleError)]


def select_entries(candidates: Sequence[Brief], spec: FeedSpec, load: EntryLoader) -> list[Entry]:
    """The newest `spec.limit` articles that load; a broken one makes room for the next."""
    entries: list[Entry] = []
    for article in candidates:
        if len(entries) >= spec.limit:
            break
        loaded = load(article)
        if isinstance(loaded, Entry):
            entries.append(loaded)
    return entries


def load_entry(
    article: Article,
    body: Body,
    *,
    repository: Path,
    media_url: str,
    max_image_bytes: int,
    looked_at: list[str] | None = None,
    media: MediaSettings | None = None,
    store: RenditionStore | None = None,
    language: str = "en",
    image_store: ImageStore | None = None,
) -> Entry:
    """Render one selected article's body (as its source gave it), and read its images (with
    the files published for them: renditions and thumbnails made as `media` says, kept in
    `store`).

    `looked_at`, when given, receives every file the entry is made from or looked for
    (missing ones too), also when the article turns out to have a problem.

    Args:
        image_store: The source, when it keeps images as bytes (then `repository` is not
            used, and the entry depends on no file: the article's stamp covers its images).

    Raises:
        ArticleError: an image cannot be read.
    """
    looked_at = looked_at if looked_at is not None else []
    reader: _Images
    if image_store is None:
        looked_at.extend([article.source, *(ref.path for ref in article.images)])
        reader = _FileImages(article, repository, looked_at)
    else:
        reader = _StoredImages(image_store, article)
    settings = _ImageSettings(media_url, max_image_bytes, media, store, language)
    if article.body_format == "wire":
        wire = parse_wire(body.text, path=article.rel_path, first_line=body.first_line)
        body_html = render_paragraphs(wire.paragraphs)
    else:
        body_html = render_markdown(body.text)

    images = tuple(reader.declared(ref, settings) for ref in article.images)
    declared = {image.media_path: image for image in images}
    inline: dict[str, Image] = {}
    failures: list[ArticleError] = []
    # Each distinct image is read once, however often the body shows it (20,000 times took
    # seconds).
    by_src: dict[str, str | None] = {}

    def resolve(src: str) -> str | None:
        if src not in by_src:
            try:
                image = reader.shown(src, body_line(body, src), settings)
            except ArticleError as problem:
                failures.append(problem)
                image = None
            if image is not None and image.media_path not in declared:
                inline.setdefault(image.media_path, image)
            by_src[src] = image.url if image is not None else None
        return by_src[src]

    content = compose_content(
        body_html, base_url=article.url, resolve=resolve, images=images, related=article.related
    )
    if failures:
        raise failures[0]
    if image_store is None:
        # The made files too: a rendition removed from the cache must be made again.
        looked_at.extend(
            str(file.source)
            for image in (*images, *inline.values())
            for file in image.files()
            if file.source != image.original
        )
    return Entry(
        article=article,
        content_html=content,
        summary=article.summary or story_summary(body_html, images),
        images=images,
        inline_images=tuple(inline.values()),
        depends_on=tuple(dict.fromkeys(looked_at)),
    )


class _ImageSettings(NamedTuple):
    """How a build reads and publishes images."""

    media_url: str
    max_bytes: int
    media: MediaSettings | None
    store: RenditionStore | None
    language: str


class _Images(Protocol):
    """Where an article's images come from."""

    def declared(self, ref: ImageRef, settings: _ImageSettings) -> Image:
        """An image the article declares (raises `ArticleError` when it cannot be had)."""
        ...

    def shown(self, src: str, line: int, settings: _ImageSettings) -> Image | None:
        """The local image the body shows as `src` on `line` (None: not a local image).

        Raises:
            ArticleError: it is not there, leads outside the repository, or is no image.
        """
        ...


def _not_in_repository(article: Article, src: str, line: int) -> ArticleError:
    return ArticleError(
        article.rel_path,
        line,
        f"the body shows the image {src!r}, which is not in the repository: add the "
        "file beside the article, or write its full https:// address",
    )


def _local_path(src: str) -> str:
    """The path a body's image URL names: percent-decoded (`<images/möwe am kai.jpg>` reaches
    us encoded), without its query and fragment."""
    return unquote(src.split("#", maxsplit=1)[0].split("?", maxsplit=1)[0])


class _FileImages:
    """The images of an article in a file repository: files beside it."""

    def __init__(self, article: Article, repository: Path, looked_at: list[str]) -> None:
        self.article, self.repository, self.looked_at = article, repository, looked_at
        self._by_file: dict[Path, Image] = {}

    def declared(self, ref: ImageRef, settings: _ImageSettings) -> Image:
        return read_image(
            ref,
            repository=self.repository,
            article=self.article.rel_path,
            media_url=settings.media_url,
            max_bytes=settings.max_bytes,
            media=settings.media,
            store=settings.store,
            language=settings.language,
        )

    def shown(self, src: str, line: int, settings: _ImageSettings) -> Image | None:
        candidate = Path(os.path.normpath(Path(self.article.source).parent / _local_path(src)))
        if candidate.suffix.lower() not in IMAGE_SUFFIXES:
            return None
        if candidate in self._by_file:
            return self._by_file[candidate]
        self.looked_at.append(str(candidate))  # even when missing: it may appear later
        if not candidate.exists():
            raise _not_in_repository(self.article, src, line)
        where = self.article.rel_path
        check_inside(candidate, self.repository, article=where, line=line, what="image")
        image = self.declared(ImageRef(path=str(candidate), line=line), settings)
        self._by_file[candidate] = image
        return image


class _StoredImages:
    """The images of an article whose source keeps them as bytes, read as files are: the
    bytes are kept in the rendition store's folder under their repository path, so that
    renditions, thumbnails, embedded words and location stripping are those of a file build."""

    def __init__(self, source: ImageStore, article: Article) -> None:
        self.source, self.article = source, article

    def _read(self, ref: ImageRef, settings: _ImageSettings) -> Image | None:
        found = self.source.image_bytes(self.article, ref.path, max_bytes=settings.max_bytes)
        if found is None:
            return None
        return image_from_bytes(
            ref,
            found.data,
            found.size,
            article=self.article.rel_path,
            media_url=settings.media_url,
            max_bytes=settings.max_bytes,
            media=settings.media,
            store=settings.store,
            language=settings.language,
        )

    def declared(self, ref: ImageRef, settings: _ImageSettings) -> Image:
        image = self._read(ref, settings)
        if image is None:
            raise ArticleError(
                self.article.rel_path,
                ref.line,
                f"image {posixpath.basename(ref.path)!r} not found: add the file beside the"
                " article or fix the path",
            )
        return image

    def shown(self, src: str, line: int, settings: _ImageSettings) -> Image | None:
        folder = posixpath.dirname(self.article.source)
        path = posixpath.normpath(posixpath.join(folder, _local_path(src)))
        if posixpath.splitext(path)[1].lower() not in IMAGE_SUFFIXES:
            return None
        if path == ".." or path.startswith(("../", "/")):
            raise ArticleError(
                self.article.rel_path,
                line,
                f"image {posixpath.basename(path)!r} leads outside the repository: "
                "copy the file into the article's folder and refer to it by a relative path",
            )
        image = self._read(ImageRef(path=path, line=line), settings)
        if image is None:
            raise _not_in_repository(self.article, src, line)
        return image


def body_line(body: Body, src: str) -> int:
    """The line of the article's file where its body first names `src` (as written, or
    percent-decoded as Markdown leaves it in the HTML); 0 when it cannot be told."""
    for written in dict.fromkeys((src, unquote(src), html.unescape(src))):
        found = body.text.find(written)
        if found >= 0:
            return body.first_line + body.text.count("\n", 0, found)
    return 0
