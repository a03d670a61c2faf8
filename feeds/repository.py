"""Read article files with the reader for their suffix (a `Brief` each for selection, the full
`Article` for the selected), and isolate the bad ones."""

from __future__ import annotations

import difflib
import functools
import hashlib
import logging
import operator
import os
import posixpath
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar, cast
from urllib.parse import quote, unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

from feeds.cache import ScanCache, gc_paused, pickle_chunk
from feeds.errors import ArticleError
from feeds.frontmatter import (
    FrontMatter,
    decode_utf8,
    describe_value,
    read_front_matter,
    read_start,
    split_front_matter,
)
from feeds.images import IMAGE_SUFFIXES, check_inside, read_image
from feeds.listing import (
    Candidate,
    FolderCache,
    Listing,
    list_repository,
    restamped,
    stem_of,
)
from feeds.markup import (
    compose_content,
    derive_summary,
    render_markdown,
    render_paragraphs,
    strip_forbidden_chars,
)
from feeds.models import (
    Article,
    Author,
    Brief,
    Entry,
    Image,
    ImageRef,
    Link,
    MediaSettings,
    ScanResult,
)
from feeds.renditions import RenditionStore
from feeds.wire import WireDocument, parse_wire

log = logging.getLogger(__name__)

_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_SLASHES = re.compile(r"/{2,}")


@dataclass(frozen=True, slots=True)
class Site:
    """What the repository needs to know about the site to turn files into articles.

    Attributes:
        url: The site's absolute URL, ending with "/".
        timezone: IANA zone for dates written without an offset.
        permalink: Article URL pattern relative to `url` ({slug} {year} {month} {day} {section}).
    """

    url: str
    timezone: str
    permalink: str = "{slug}/"


#: Below this many files to read, a second process costs more than it saves.
PARALLEL_MIN_FILES = 2000


def scan_repository(
    root: Path,
    site: Site,
    *,
    max_article_bytes: int = 5 * 1024 * 1024,
    cache: ScanCache | None = None,
    workers: int = 1,
    listing: Listing | None = None,
    while_waiting: Callable[[], object] | None = None,
) -> ScanResult:
    """Read every article's front matter into a `Brief`; bodies are not read for Markdown
    files. `ArticleReader` reads the full `Article` of the ones a feed selects.

    Args:
        root: The repository folder.
        site: Site facts for URLs, ids and dates.
        max_article_bytes: Larger wire files are a problem (Markdown bodies are not read here).
        cache: Results of earlier scans, reused for files whose stamp is unchanged and
            updated with the rest (the caller saves it).
        workers: Processes for reading many uncached files (the cold scan of a large
            repository); 1 reads in this process.
        listing: The repository's files if already listed (`list_repository`).
        while_waiting: Work for this process while worker processes read (if they do).

    Raises:
        RepositoryError: the folder does not exist or cannot be listed.
    """
    listing = listing or list_repository(root)
    problems = list(listing.problems)
    candidates = listing.candidates
    results: dict[str, object] = {}
    todo: list[Candidate] = []
    for candidate in candidates:
        hit = cache.get(candidate.rel_path, candidate.cache_key) if cache else None
        if hit is None:
            todo.append(candidate)
        else:
            results[candidate.rel_path] = hit
    results.update(
        _read_all(
            todo,
            site,
            max_article_bytes,
            workers=workers,
            cache=cache,
            while_waiting=while_waiting,
        )
    )
    if cache is not None:
        cache.keep_only(results)
    articles = [r for r in results.values() if isinstance(r, Brief)]
    problems.extend(r for r in results.values() if isinstance(r, ArticleError))
    unique = _drop_duplicates(articles, problems)
    problems.sort(key=lambda p: (p.path, p.line))
    log.debug(
        "scanned %d articles (%d read, %d from the cache), %d problems",
        len(unique),
        len(todo),
        len(candidates) - len(todo),
        len(problems),
    )
    return ScanResult(tuple(unique), tuple(problems))


def _read_all(
    todo: list[Candidate],
    site: Site,
    max_bytes: int,
    *,
    workers: int,
    cache: ScanCache | None,
    while_waiting: Callable[[], object] | None = None,
) -> dict[str, Brief | ArticleError]:
    """The result of each file, by path; each is remembered in `cache`."""
    if workers > 1 and len(todo) >= PARALLEL_MIN_FILES:
        return _read_in_parallel(
            todo, site, max_bytes, workers=workers, cache=cache, while_waiting=while_waiting
        )
    results: dict[str, Brief | ArticleError] = {}
    for candidate, result in zip(todo, _read_chunk(todo, site, max_bytes), strict=True):
        results[candidate.rel_path] = result
        if cache is not None:
            cache.remember(candidate.rel_path, candidate.cache_key, result)
    return results


def _read_in_parallel(
    todo: list[Candidate],
    site: Site,
    max_bytes: int,
    *,
    workers: int,
    cache: ScanCache | None,
    while_waiting: Callable[[], object] | None,
) -> dict[str, Brief | ArticleError]:
    # Imported here: only a cold scan of a large repository starts processes.
    import multiprocessing  # noqa: PLC0415
    import pickle  # noqa: PLC0415
    from collections import deque  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    global _TODO  # noqa: PLW0603 - what the forked workers inherit, see _read_range
    _TODO = todo
    results: dict[str, Brief | ArticleError] = {}
    try:
        # fork: the children inherit the imported modules and `_TODO`, so they start at once
        # and each task is only a range (the candidates are never pickled).
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending = deque(
                pool.submit(_read_range, start, stop, site, max_bytes)
                for start, stop in _ranges(len(todo), workers)
            )
            if while_waiting is not None:
                while_waiting()
            while pending:
                # A range comes back as a chunk of the scan cache, pickled by the worker: the
                # cache saves it as it is instead of pickling 100,000 results again. (Each
                # future is let go once read, and its bytes with it.)
                chunk = pending.popleft().result()
                part = cache.adopt(chunk) if cache is not None else pickle.loads(chunk)  # noqa: S301
                del chunk
                for name, (_, result) in part.items():
                    results[name] = cast(Brief | ArticleError, result)
    finally:
        _TODO = []
    return results


def _ranges(count: int, workers: int) -> Iterator[tuple[int, int]]:
    """Split `count` files into ranges that shrink as the work runs out: a worker slowed by
    the rest of the machine takes fewer of them, and no worker is left with a long last one
    while the others wait."""
    start = 0
    while start < count:
        size = max(_SMALLEST_RANGE, (count - start) // (workers * 4))
        yield start, min(count, start + size)
        start += size


#: Files in the smallest range a worker is given (a few milliseconds of reading).
_SMALLEST_RANGE = 100

#: The candidates a parallel scan reads, set before its workers are forked.
_TODO: list[Candidate] = []


def _read_range(start: int, stop: int, site: Site, max_bytes: int) -> bytes:
    """In a forked worker: read `_TODO[start:stop]`, as a pickled chunk of the scan cache
    (path -> (cache key, result))."""
    chunk = _TODO[start:stop]
    results = _read_chunk(chunk, site, max_bytes)
    return pickle_chunk({c.rel_path: (c.cache_key, r) for c, r in zip(chunk, results, strict=True)})


def _read_chunk(chunk: list[Candidate], site: Site, max_bytes: int) -> list[Brief | ArticleError]:
    zone = ZoneInfo(site.timezone)
    results: list[Brief | ArticleError] = []
    with gc_paused():
        for candidate in chunk:
            try:
                results.append(_read_article(candidate, site, zone, max_bytes).brief())
            except ArticleError as problem:
                results.append(problem)
            except OSError as exc:  # vanished or unreadable between listing and reading
                results.append(
                    ArticleError(candidate.rel_path, 0, f"cannot be read: {exc.strerror}")
                )
    return results


class ArticleReader:
    """Reads the full `Article` of a scanned article again (the scan keeps only its `Brief`).

    Given the build's `listing`, an article in it is found again with one `lstat` and the
    folder facts the scan used; any other by listing its folder.
    """

    def __init__(
        self, root: Path, site: Site, *, max_article_bytes: int, listing: Listing | None = None
    ) -> None:
        self._folders = FolderCache(root)
        self._listing = listing
        self._listed: dict[str, Candidate] | None = None
        self._site = site
        self._zone = ZoneInfo(site.timezone)
        self._max_bytes = max_article_bytes

    def find(self, rel_path: str) -> Candidate:
        """The article file at `rel_path` (inside the repository, "/"-separated) with its
        stamp now; its `cache_key` tells whether an article read from it earlier still holds.

        Raises:
            ArticleError: it is gone, or is no longer an article file.
        """
        if self._listed is None and self._listing is not None:
            self._listed = {c.rel_path: c for c in self._listing.candidates}
        listed = self._listed.get(rel_path) if self._listed is not None else None
        if listed is not None:
            candidate = restamped(listed)
        else:
            candidate = self._folders.candidate_for(rel_path)
        if candidate is None:
            raise ArticleError(rel_path, 0, "disappeared while the feeds were being built")
        return candidate

    def read(self, file: str | Candidate) -> Article:
        """The article at the path `file` (or in the file that `find` found) as it is now.

        Raises:
            ArticleError: it is gone, is no longer an article file, or cannot be read.
        """
        candidate = self.find(file) if isinstance(file, str) else file
        try:
            return _read_article(candidate, self._site, self._zone, self._max_bytes)
        except OSError as exc:
            raise ArticleError(candidate.rel_path, 0, f"cannot be read: {exc.strerror}") from exc


_REL_PATH = operator.attrgetter("rel_path")


def _drop_duplicates(articles: list[Brief], problems: list[ArticleError]) -> list[Brief]:
    """Keep the first article (in path order) for each id and URL; report the others."""
    in_order = sorted(articles, key=_REL_PATH)
    if len({a.id for a in in_order}) == len({a.url for a in in_order}) == len(in_order):
        return in_order  # the usual case, told at once
    kept: list[Brief] = []
    by_id: dict[str, Brief] = {}
    by_url: dict[str, Brief] = {}
    for article in in_order:
        first = by_id.get(article.id)
        if first is not None:
            problems.append(
                ArticleError(
                    article.rel_path,
                    0,
                    f"has the same id {article.id!r} as {first.rel_path}: "
                    "give one of them its own `id` in the front matter",
                )
            )
            continue
        first = by_url.get(article.url)
        if first is not None:
            problems.append(
                ArticleError(
                    article.rel_path,
                    0,
                    f"has the same URL {article.url} as {first.rel_path}: "
                    "give one of them another `slug` (or `url`)",
                )
            )
            continue
        by_id[article.id] = article
        by_url[article.url] = article
        kept.append(article)
    return kept


@dataclass(slots=True)
class _Fields:
    """Typed access to front matter values; every problem names the file and line."""

    matter: FrontMatter
    path: str

    def line(self, key: str) -> int:
        return self.matter.line_of.get(key, 1)

    def fail(self, key: str, reason: str) -> ArticleError:
        return ArticleError(self.path, self.line(key), f"{key}: {reason}")

    def has(self, key: str) -> bool:
        return key in self.matter.data and self.matter.data[key] is not None

    def text(self, key: str, default: str = "") -> str:
        value = self.matter.data.get(key)
        if value is None:
            return default
        if type(value) is str:  # the usual case first
            return _clean(value)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(
                key, f"expected text, got {describe_value(value)}: write it as a quoted string"
            )
        return _clean(str(value))

    def flag(self, key: str) -> bool:
        value = self.matter.data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {describe_value(value)}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.matter.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            parts = [_clean(part) for part in value.split(",")]
            return tuple(part for part in parts if part)
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            raise self.fail(
                key, f'expected a list of words, got {describe_value(value)}: write ["one", "two"]'
            )
        words = [_clean(v if type(v) is str else str(v)) for v in value]
        return tuple(dict.fromkeys(word for word in words if word))

    def when(self, key: str, zone: ZoneInfo) -> datetime | None:
        value = self.matter.data.get(key)
        if value is None:
            return None
        try:
            return _to_datetime(value, zone)
        except (TypeError, ValueError, OverflowError):
            raise self.fail(
                key,
                f"{value!r} is not a date and time: write it like 2026-03-02T07:30:00+01:00 "
                "(or 2026-03-02 07:30 in the site's time zone)",
            ) from None


def _to_datetime(value: object, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    else:
        raise TypeError(type(value).__name__)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    # Round-trip through UTC arithmetic to catch dates that overflow once shifted.
    moment + timedelta(days=1)
    moment - timedelta(days=1)
    return moment.replace(microsecond=0)


#: Front matter fields feeds reads; other fields (another tool's) are left alone.
KNOWN_FIELDS = frozenset(
    {
        "title", "date", "updated", "id", "slug", "url", "author", "authors", "summary",
        "categories", "tags", "section", "draft", "images", "image", "image_alt",
        "image_caption", "image_credit", "image_title", "related",
    }
)  # fmt: skip


def _refuse_near_misses(fields: _Fields) -> None:
    """A field that is almost one of ours is a typo, and a silent typo can publish a draft."""
    for key in fields.matter.data:
        if key in KNOWN_FIELDS:
            continue
        lowered = key.lower()
        close = [lowered] if lowered in KNOWN_FIELDS else []
        close = close or difflib.get_close_matches(lowered, KNOWN_FIELDS, n=1, cutoff=0.8)
        if close:
            raise fields.fail(
                key, f"unknown field: did you mean `{close[0]}`? (field names are lower-case)"
            )


def slugify(text: str) -> str:
    """A URL-safe, lowercase ASCII slug ("Ferry Timetable!" -> "ferry-timetable")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")


def _read_article(candidate: Candidate, site: Site, zone: ZoneInfo, max_bytes: int) -> Article:
    path = candidate.path
    rel_path = candidate.rel_path
    body_format = candidate.body_format
    wire: WireDocument | None = None
    if body_format == "markdown":
        matter = read_front_matter(path, path=rel_path, size=candidate.size)
    else:
        text = _read_text(path, rel_path, max_bytes, size=candidate.size)
        matter = split_front_matter(text, path=rel_path)
        wire = parse_wire(matter.body, path=rel_path, first_line=matter.body_line)
    fields = _Fields(matter, rel_path)
    _refuse_near_misses(fields)

    stem_source = os.path.basename(os.path.dirname(path)) if candidate.bundle else stem_of(path)
    prefix = _DATE_PREFIX.match(stem_source + "-")
    published = fields.when("date", zone)
    if published is None and prefix:
        try:
            year, month, day = (int(g) for g in prefix.groups())
            published = datetime(year, month, day, tzinfo=zone)
        except ValueError:
            raise ArticleError(
                rel_path,
                0,
                f"the file name starts with {prefix.group(0)!r}, which is not a real date",
            ) from None
    if published is None:
        raise ArticleError(
            rel_path,
            1,
            "no date: add `date` to the front matter (e.g. date: 2026-03-02T07:30:00+01:00) "
            "or start the file name with the date (2026-03-02-title.md)",
        )
    updated = fields.when("updated", zone) or published
    if updated < published:
        raise fields.fail(
            "updated",
            f"{updated.isoformat()} is before the article's date {published.isoformat()}: "
            "correct it or remove it",
        )

    title = fields.text("title") or (wire.headline if wire else "")
    if not title:
        raise ArticleError(rel_path, 1, "no title: add `title` to the front matter")

    slug = slugify(fields.text("slug") or _DATE_PREFIX.sub("", stem_source + "-").rstrip("-"))
    if not slug:
        raise fields.fail("slug", "gives an empty URL slug: use letters or digits")
    section = fields.text("section") or (rel_path.split("/", 1)[0] if "/" in rel_path else "")
    written = fields.text("url")
    if written:
        # An article's own address must be written out in full (a relative one is a likely slip).
        absolute = _web_address(written, site.url) if urlsplit(written).scheme else None
        if absolute is None:
            raise fields.fail("url", f"{written!r} is not an absolute http(s) URL")
        url = absolute
    else:
        url = site.url + _permalink(site.permalink, slug, published, slugify(section))

    # The bundle's folder, or the file without its suffix ("/"-separated, like rel_path).
    key_text = posixpath.dirname(rel_path) if candidate.bundle else posixpath.splitext(rel_path)[0]
    article_id = fields.text("id") or derive_id(site.url, key_text)

    authors = _authors(fields)
    related = _related(fields, site.url)
    images = _images(fields, path)
    if wire is not None:
        if not authors and wire.byline is not None:
            authors = (wire.byline,)
        related = related + wire.related
        if not images and wire.image is not None:
            images = (_wire_image(wire, candidate),)

    return Article(
        id=article_id,
        source=path,
        rel_path=rel_path,
        title=title,
        slug=slug,
        url=url,
        published=published,
        updated=updated,
        authors=_shared(authors),
        summary=fields.text("summary"),
        categories=_shared(fields.strings("categories")),
        tags=_shared(fields.strings("tags")),
        section=_shared(section),
        images=images,
        related=related,
        draft=fields.flag("draft"),
        body_format=body_format,
        body_line=matter.body_line,
    )


# Bylines, sections and tag lists repeat across thousands of articles: one shared copy each
# keeps a 100,000-article scan (and its cache) smaller. Values are immutable, so sharing is safe.
_SHARED: dict[object, object] = {}
_T = TypeVar("_T", bound=Hashable)


def _shared(value: _T) -> _T:
    if len(_SHARED) > 100_000:  # a repository of unique values gains nothing: stop growing
        return value
    return cast(_T, _SHARED.setdefault(value, value))


def derive_id(site_url: str, key: str) -> str:
    """The default id: a name-based UUID of the site's host and the article's path.

    Only the host counts (without "www."), so that moving the site from http to https or
    adding "www." keeps every id; a site moving to another domain should pin its ids.
    """
    return f"urn:uuid:{name_uuid(f'feeds:{_id_host(site_url)}/{key}')}"


@functools.lru_cache(maxsize=8)
def _id_host(site_url: str) -> str:
    return (urlsplit(site_url).hostname or "").removeprefix("www.")


#: `uuid.NAMESPACE_URL` (RFC 9562, appendix A), as bytes.
_NAMESPACE_URL = bytes.fromhex("6ba7b8119dad11d180b400c04fd430c8")


def name_uuid(name: str) -> str:
    """`str(uuid.uuid5(uuid.NAMESPACE_URL, name))`, at a fifth of the cost: RFC 9562's
    SHA-1 name-based UUID, built from the digest's bytes without a `uuid.UUID`."""
    raw = bytearray(hashlib.sha1(_NAMESPACE_URL + name.encode(), usedforsecurity=False).digest())
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 9562 variant
    h = raw[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _permalink(pattern: str, slug: str, published: datetime, section: str) -> str:
    relative = pattern.format(
        slug=slug,
        year=f"{published.year:04d}",
        month=f"{published.month:02d}",
        day=f"{published.day:02d}",
        section=section,
    )
    return _SLASHES.sub("/", relative).lstrip("/") if "//" in relative else relative.lstrip("/")


def _read_text(path: str | Path, rel_path: str, max_bytes: int, size: int | None = None) -> str:
    try:
        data = read_start(path, max_bytes + 1, size=size)
    except OSError as exc:
        raise ArticleError(rel_path, 0, f"cannot be read: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise ArticleError(
            rel_path,
            0,
            f"is larger than {max_bytes} bytes: split the article, or raise "
            "repository.max_article_bytes if it really is this long",
        )
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ArticleError(
            rel_path, line, "contains a NUL byte, so it is binary, not text: save it as UTF-8 text"
        )
    return decode_utf8(data, path=rel_path)


def _clean(text: str) -> str:
    """Text without the characters XML forbids and without surrounding white space."""
    return strip_forbidden_chars(text).strip()


def _person(fields: _Fields, key: str, value: object) -> Author:
    if isinstance(value, str) and _clean(value):
        return Author(name=_clean(value))
    if isinstance(value, Mapping):
        name, email, uri = (value.get(k, "") for k in ("name", "email", "uri"))
        if (
            isinstance(name, str)
            and _clean(name)
            and isinstance(email, str)
            and isinstance(uri, str)
        ):
            if email and "@" not in email:
                raise fields.fail(key, f"{email!r} is not an e-mail address")
            return Author(name=_clean(name), email=_clean(email), uri=_clean(uri))
    raise fields.fail(key, "expected a name, or {name, email, uri} with a non-empty name")


def _authors(fields: _Fields) -> tuple[Author, ...]:
    people: list[Author] = []
    for key in ("author", "authors"):
        if not fields.has(key):
            continue
        value = fields.matter.data[key]
        for item in value if isinstance(value, list) else [value]:
            people.append(_person(fields, key, item))
    return tuple(dict.fromkeys(people))


def _related(fields: _Fields, site_url: str) -> tuple[Link, ...]:
    if not fields.has("related"):
        return ()
    value = fields.matter.data["related"]
    if not isinstance(value, list):
        raise fields.fail("related", "expected a list of {title, url}")
    links = []
    for item in value:
        if not isinstance(item, Mapping) or not isinstance(item.get("title"), str):
            raise fields.fail("related", "each entry needs a `title` (and usually a `url`)")
        url = item.get("url", "")
        if not isinstance(url, str):
            raise fields.fail("related", f"url of {item['title']!r} must be text")
        written = _clean(url)
        address = _web_address(written, site_url) if written else ""
        if address is None:
            raise fields.fail(
                "related",
                f"url {written!r} of {item['title']!r} is not a web address: "
                "write an http(s) URL or a path on the site such as /news/ferry/",
            )
        links.append(Link(title=_clean(item["title"]), url=address))
    return tuple(links)


def _web_address(value: str, site_url: str) -> str | None:
    """An absolute, percent-encoded http(s) URL from what an editor wrote (a path resolves
    against the site), or None when it is not a web address."""
    if not urlsplit(value).scheme:
        value = urljoin(site_url, value)
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    # Characters a URL cannot carry as they are (spaces, quotes, braces, non-ASCII) are encoded.
    return quote(value, safe=":/?#[]@!$&'()*+,;=%~")


def _image_path(fields: _Fields, key: str, source: str, src: object) -> str:
    if not isinstance(src, str) or not src.strip():
        raise fields.fail(key, "needs `src`: the image file's path relative to the article")
    src = src.strip()
    if ":" in src and urlsplit(src).scheme:
        raise fields.fail(
            key,
            f"{src!r} is a URL: images must be files in the repository "
            "(put the file beside the article)",
        )
    if src.startswith(("/", "\\")):
        raise fields.fail(
            key, f"{src!r} is an absolute path: write it relative to the article's folder"
        )
    return os.path.normpath(os.path.join(os.path.dirname(source), src))


def _images(fields: _Fields, source: str) -> tuple[ImageRef, ...]:
    refs: list[ImageRef] = []
    if fields.has("images"):
        value = fields.matter.data["images"]
        if not isinstance(value, list):
            raise fields.fail("images", "expected a list of {src, alt, caption, credit, title}")
        for entry in value:
            item = {"src": entry} if isinstance(entry, str) else entry
            if not isinstance(item, Mapping):
                raise fields.fail("images", "each image is {src, alt, caption, credit, title}")
            texts = {}
            for name in ("alt", "caption", "credit", "title"):
                text = item.get(name, "")
                if not isinstance(text, str):
                    raise fields.fail("images", f"{name} of image {item.get('src')!r} must be text")
                texts[name] = _clean(text)
            refs.append(
                ImageRef(
                    path=_image_path(fields, "images", source, item.get("src")),
                    line=fields.line("images"),
                    **texts,
                )
            )
    if fields.has("image"):
        refs.insert(
            0,
            ImageRef(
                path=_image_path(fields, "image", source, fields.matter.data["image"]),
                alt=fields.text("image_alt"),
                caption=fields.text("image_caption"),
                credit=fields.text("image_credit"),
                title=fields.text("image_title"),
                line=fields.line("image"),
            ),
        )
    return tuple(refs)


def _wire_image(wire: WireDocument, candidate: Candidate) -> ImageRef:
    """The wire article's image: a same-stem file beside it, or the bundle's only image."""
    assert wire.image is not None
    path = candidate.path
    stem = stem_of(path)
    if candidate.bundle:
        names = sorted(name for group in candidate.images.values() for name in group)
    else:
        names = list(candidate.images.get(stem, ()))
    if not names:
        where = (
            "in the bundle folder"
            if candidate.bundle
            else f"named {stem}.jpg (or .png, .webp) beside it"
        )
        raise ArticleError(
            candidate.rel_path,
            wire.image.line,
            f"the image block needs an image file: add one {where}",
        )
    return ImageRef(
        path=os.path.join(os.path.dirname(path), names[0]),
        alt=wire.image.alt,
        caption=wire.image.caption,
        credit=wire.image.credit,
        line=wire.image.line,
    )


def load_entry(
    article: Article,
    *,
    repository: Path,
    media_url: str,
    max_image_bytes: int,
    max_article_bytes: int = 5 * 1024 * 1024,
    media: MediaSettings | None = None,
    store: RenditionStore | None = None,
    language: str = "en",
) -> Entry:
    """Read and render one selected article's body, and read its images (with the files
    published for them: renditions and thumbnails made as `media` says, kept in `store`).

    Raises:
        ArticleError: the body or an image cannot be read.
    """
    text = _read_text(article.source, article.rel_path, max_article_bytes)
    matter = split_front_matter(text, path=article.rel_path)
    if article.body_format == "wire":
        wire = parse_wire(matter.body, path=article.rel_path, first_line=matter.body_line)
        body_html = render_paragraphs(wire.paragraphs)
    else:
        body_html = render_markdown(matter.body)

    images = tuple(
        read_image(
            ref,
            repository=repository,
            article=article.rel_path,
            media_url=media_url,
            max_bytes=max_image_bytes,
            media=media,
            store=store,
            language=language,
        )
        for ref in article.images
    )
    declared = {image.media_path: image for image in images}
    inline: dict[str, Image] = {}
    failures: list[ArticleError] = []
    looked_at: list[str] = [article.source, *(ref.path for ref in article.images)]

    def resolve(src: str) -> str | None:
        # The body names files by URL: `<images/möwe am kai.jpg>` reaches us percent-encoded.
        written = unquote(src.split("#", maxsplit=1)[0].split("?", maxsplit=1)[0])
        candidate = Path(os.path.normpath(Path(article.source).parent / written))
        if candidate.suffix.lower() not in IMAGE_SUFFIXES:
            return None
        looked_at.append(str(candidate))  # even when missing: it may appear later
        if not candidate.exists():
            failures.append(
                ArticleError(
                    article.rel_path,
                    0,
                    f"the body shows the image {src!r}, which is not in the repository: add the "
                    "file beside the article, or write its full https:// address",
                )
            )
            return None
        try:
            check_inside(candidate, repository, article=article.rel_path, line=0, what="image")
            image = read_image(
                ImageRef(path=str(candidate)),
                repository=repository,
                article=article.rel_path,
                media_url=media_url,
                max_bytes=max_image_bytes,
                media=media,
                store=store,
                language=language,
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
        summary=article.summary or derive_summary(body_html),
        images=images,
        inline_images=tuple(inline.values()),
        depends_on=tuple(dict.fromkeys(looked_at)),
    )
