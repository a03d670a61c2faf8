"""Loading: a selected `Brief` becomes an `Entry`, its article read in full, its body rendered and
its images read (each at most once per build, from the entries cache when nothing changed)."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from feeds.errors import ArticleError
from feeds.load.images import check_inside, read_image
from feeds.load.markup import compose_content, derive_summary, render_markdown, render_paragraphs
from feeds.model import Article, Brief, Entry, FeedSpec, Image, ImageRef
from feeds.rules import IMAGE_SUFFIXES
from feeds.scan import link_related, title_urls
from feeds.sources.wire import parse_wire

if TYPE_CHECKING:
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
    ) -> None:
        self._source = source
        self._published = published
        self._urls: dict[str, str] | None = None
        self._cache = cache
        self._repository = repository
        self._media_url = media_url
        self._max_image_bytes = max_image_bytes
        self._done: dict[str, Entry | ArticleError] = {}

    def __call__(self, brief: Brief) -> Entry | ArticleError:
        if brief.id not in self._done:
            self._done[brief.id] = self._load(brief)
        return self._done[brief.id]

    def _load(self, brief: Brief) -> Entry | ArticleError:
        try:
            stamp = (brief.rel_path, self._source.locate(brief.rel_path))
            # An unchanged article is the same article: it is read again only when it changed.
            read = self._cache.article(brief.id, *stamp) if self._cache else None
            read = read or self._source.read_article(brief.rel_path)
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
                self._source.read_body(article),
                repository=self._repository,
                media_url=self._media_url,
                max_image_bytes=self._max_image_bytes,
            )
        except ArticleError as problem:
            return problem
        if self._cache is not None:
            self._cache.remember(entry, entry.depends_on, source=stamp, read=read)
        return entry

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
) -> Entry:
    """Render one selected article's body (as its source gave it), and read its images.

    Raises:
        ArticleError: an image cannot be read.
    """
    if article.body_format == "wire":
        wire = parse_wire(body.text, path=article.rel_path, first_line=body.first_line)
        body_html = render_paragraphs(wire.paragraphs)
    else:
        body_html = render_markdown(body.text)

    images = tuple(
        read_image(
            ref,
            repository=repository,
            article=article.rel_path,
            media_url=media_url,
            max_bytes=max_image_bytes,
        )
        for ref in article.images
    )
    declared = {image.media_path: image for image in images}
    inline: dict[str, Image] = {}
    failures: list[ArticleError] = []
    looked_at: list[str] = [article.source, *(ref.path for ref in article.images)]
    # Each distinct image is read once, however often the body shows it (20,000 times took
    # seconds), by what the body wrote and by the file that names.
    by_src: dict[str, str | None] = {}
    by_file: dict[Path, str | None] = {}

    def resolve(src: str) -> str | None:
        if src not in by_src:
            candidate = Path(
                os.path.normpath(
                    Path(article.source).parent
                    / src.split("#", maxsplit=1)[0].split("?", maxsplit=1)[0]
                )
            )
            if candidate not in by_file:
                by_file[candidate] = read_local(src, candidate)
            by_src[src] = by_file[candidate]
        return by_src[src]

    def read_local(src: str, candidate: Path) -> str | None:
        if candidate.suffix.lower() not in IMAGE_SUFFIXES:
            return None
        looked_at.append(str(candidate))  # even when missing: it may appear later
        line = body_line(body, src)
        if not candidate.exists():
            failures.append(
                ArticleError(
                    article.rel_path,
                    line,
                    f"the body shows the image {src!r}, which is not in the repository: add the "
                    "file beside the article, or write its full https:// address",
                )
            )
            return None
        try:
            check_inside(candidate, repository, article=article.rel_path, line=line, what="image")
            image = read_image(
                ImageRef(path=str(candidate), line=line),
                repository=repository,
                article=article.rel_path,
                media_url=media_url,
                max_bytes=max_image_bytes,
            )
        except ArticleError as problem:
            failures.append(problem)
            return None
        if image.media_path not in declared:
            inline.setdefault(image.media_path, image)
        return image.url

    content = compose_content(
        body_html, base_url=article.url, resolve=resolve, images=images, related=article.related
    )
    if failures:
        raise failures[0]
    return Entry(
        article=article,
        content_html=content,
        summary=article.summary or derive_summary(body_html),
        images=images,
        inline_images=tuple(inline.values()),
        depends_on=tuple(dict.fromkeys(looked_at)),
    )


def body_line(body: Body, src: str) -> int:
    """The line of the article's file where its body first names `src` (as written, or
    percent-decoded as Markdown leaves it in the HTML); 0 when it cannot be told."""
    for written in dict.fromkeys((src, unquote(src), html.unescape(src))):
        found = body.text.find(written)
        if found >= 0:
            return body.first_line + body.text.count("\n", 0, found)
    return 0
