"""`feeds db`: create the article database's schema, and import a file repository into it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from feeds.config import Config
from feeds.errors import ArticleError, ConfigError
from feeds.load.markup import render_markdown, sanitise_html
from feeds.model import Article, Site
from feeds.rules import IMAGE_SUFFIXES
from feeds.sources.fields import EXTRA_FIELDS, KNOWN_FIELDS
from feeds.sources.files.frontmatter import split_front_matter
from feeds.sources.files.listing import Listing, list_repository
from feeds.sources.files.reader import ArticleReader, read_text
from feeds.sources.postgres import ArticleRow, ImageRow, init_schema, write_articles

log = logging.getLogger(__name__)


def database_url(config: Config) -> str:
    """The configured database.

    Raises:
        ConfigError: the configuration names a folder of articles, not a database.
    """
    if config.repository_url is None:
        raise ConfigError(
            f"{config.source}: repository.url: `feeds db` needs the article database: set "
            'repository.url = "postgresql://USER@HOST:5432/DATABASE" instead of repository.path'
        )
    return config.repository_url


def init_database(config: Config) -> str:
    """Create the schema in the configured database (idempotent); what was done, in a sentence.

    Raises:
        ConfigError: no database is configured.
        SourceUnreachableError, RepositoryError: the database cannot be reached or changed.
    """
    return init_schema(database_url(config))


@dataclass(slots=True)
class ImportResult:
    """What `import_repository` did.

    Attributes:
        imported: Articles written (new or replaced; unchanged ones are counted too).
        problems: Articles left out, each located in the file repository.
        warnings: Articles imported with a remark (a date shown in the site's zone from now on).
    """

    imported: int = 0
    problems: list[ArticleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def import_repository(config: Config, folder: Path) -> ImportResult:
    """Load every article of the file repository `folder`, with its images, into the configured
    database, each keyed by its path in `folder`: its default id, its URL and its media paths
    are those of the file build. An article the file build would not publish (a problem) is
    left out and reported; the others are written in one transaction.

    Raises:
        ConfigError: no database is configured.
        RepositoryError: `folder` is not a readable folder, or the database cannot be written.
    """
    url = database_url(config)
    root = folder.absolute()
    site = Site(
        url=config.channel.url, timezone=config.channel.timezone, permalink=config.permalink
    )
    listing = list_repository(root)
    result = ImportResult(problems=list(listing.problems))
    rows = _rows(root, site, config, listing, result)
    result.imported = write_articles(url, rows)
    result.problems.sort(key=lambda p: (p.path, p.line))
    return result


def _rows(
    root: Path, site: Site, config: Config, listing: Listing, result: ImportResult
) -> Iterator[ArticleRow]:
    reader = ArticleReader(root, site, max_article_bytes=config.max_article_bytes, listing=listing)
    zone = ZoneInfo(site.timezone)
    for candidate in listing.candidates:
        try:
            article = reader.read(candidate)
            text = read_text(candidate.path, candidate.rel_path, config.max_article_bytes)
            matter = split_front_matter(text, path=candidate.rel_path)
            row = _row(root, article, data=matter.data, body=matter.body, zone=zone, result=result)
        except ArticleError as problem:
            result.problems.append(problem)
            continue
        yield row


def _listed(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _row(
    root: Path,
    article: Article,
    *,
    data: Mapping[str, object],
    body: str,
    zone: ZoneInfo,
    result: ImportResult,
) -> ArticleRow:
    """The database row of one article read from a file (`data`: its front matter as written).

    Raises:
        ArticleError: one of its images cannot be read.
    """

    def text(name: str) -> str | None:
        value = data.get(name)
        return None if value is None else str(value)

    for name in ("date", "updated"):
        moment = article.published if name == "date" else article.updated
        if data.get(name) is not None and moment.utcoffset() != moment.astimezone(zone).utcoffset():
            result.warnings.append(
                f"{article.rel_path}: {name} {moment.isoformat()} has another offset than "
                f"{zone.key} at that moment: the database keeps the moment, and the feeds show "
                "it in the site's time zone"
            )
    people = _listed(data.get("author")) + _listed(data.get("authors"))
    return ArticleRow(
        key=article.rel_path,
        title=text("title"),
        date=article.published if data.get("date") is not None else None,
        updated=article.updated if data.get("updated") is not None else None,
        draft=article.draft,
        section=text("section"),
        slug=text("slug"),
        url=text("url"),
        id=text("id"),
        summary=text("summary"),
        authors=people or None,
        categories=list(article.categories) if data.get("categories") is not None else None,
        tags=list(article.tags) if data.get("tags") is not None else None,
        related=data.get("related"),
        extra={
            name: value
            for name, value in data.items()
            if name not in KNOWN_FIELDS or name in EXTRA_FIELDS
        },
        body=body,
        images=tuple(_images(root, article, data, body)),
    )


def _images(
    root: Path, article: Article, data: Mapping[str, object], body: str
) -> Iterator[ImageRow]:
    """The article's image rows: its declared images in order, then the files its body shows
    (and a wire article's picture), which have no position."""
    top = root.resolve()
    declared = data.get("image") is not None or data.get("images") is not None
    seen: set[str] = set()
    for position, ref in enumerate(article.images):
        path = _repository_path(top, Path(ref.path), article, ref.line)
        if path in seen:
            log.warning("%s: image %s is declared twice; imported once", article.rel_path, path)
            continue
        seen.add(path)
        yield ImageRow(
            path=path,
            position=position if declared else None,
            data=_read(top / path, article, ref.line),
            alt=ref.alt if declared else "",
            caption=ref.caption if declared else "",
            credit=ref.credit if declared else "",
            title=ref.title if declared else "",
        )
    if article.body_format != "markdown":
        return
    for file in _shown_files(top, article, body):
        path = _repository_path(top, file, article, 0)
        if path not in seen and file.is_file():
            seen.add(path)
            yield ImageRow(path=path, position=None, data=_read(file, article, 0))


def _repository_path(top: Path, file: Path, article: Article, line: int) -> str:
    resolved = file.resolve()
    if not resolved.is_relative_to(top):
        raise ArticleError(
            article.rel_path,
            line,
            f"image {file.name!r} leads outside the repository (to {resolved}): copy the file "
            "into the article's folder and refer to it by a relative path",
        )
    return resolved.relative_to(top).as_posix()


def _read(file: Path, article: Article, line: int) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise ArticleError(
            article.rel_path, line, f"image {file.name!r} cannot be read: {exc.strerror}"
        ) from exc


def _shown_files(top: Path, article: Article, body: str) -> list[Path]:
    """The local image files the Markdown body refers to, found as the build finds them."""
    folder = Path(article.source).parent
    found: list[Path] = []

    def resolve(src: str) -> str | None:
        # The body names files by URL, as load_entry reads them: percent-encoded.
        path = unquote(src.split("#", maxsplit=1)[0].split("?", maxsplit=1)[0])
        candidate = Path(os.path.normpath(folder / path))
        if candidate.suffix.lower() in IMAGE_SUFFIXES:
            found.append(candidate)
        return None

    sanitise_html(render_markdown(body), base_url=article.url, resolve=resolve)
    return [file for file in found if file.resolve().is_relative_to(top)]
