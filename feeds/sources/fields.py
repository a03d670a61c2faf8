"""Front matter values -> a typed `Article`: dates, ids, URLs, bylines, images, related links.

Shared by every article source: a source hands over the fields it read (with the line of each,
where it has lines) and gets an `Article` back, or an `ArticleError` naming the article.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar, cast
from urllib.parse import quote, urljoin, urlsplit
from zoneinfo import ZoneInfo

from feeds.errors import ArticleError
from feeds.model import Article, Author, BodyFormat, ImageRef, Link, Site
from feeds.rules import describe_value, slugify, strip_forbidden_chars
from feeds.sources.wire import WireDocument

_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")
_SLASHES = re.compile(r"/{2,}")


class FieldValues(Protocol):
    """What a source read for one article: the values by field name, and each one's line."""

    @property
    def data(self) -> Mapping[str, object]: ...

    @property
    def line_of(self) -> Mapping[str, int]: ...


@dataclass(slots=True)
class _Fields:
    """Typed access to front matter values; every problem names the file and line."""

    matter: FieldValues
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


def article_from_fields(
    matter: FieldValues,
    *,
    site: Site,
    zone: ZoneInfo,
    rel_path: str,
    source: str,
    stem: str,
    key: str,
    body_format: BodyFormat,
    body_line: int,
    wire: WireDocument | None = None,
    wire_image: Callable[[], ImageRef] | None = None,
) -> Article:
    """The article that an editor's fields describe.

    Args:
        matter: The fields, with the line each was written on.
        site: Site facts for URLs, ids and dates.
        zone: `site.timezone`, for dates written without an offset.
        rel_path: The article's key in its repository ("/"-separated), named in every problem.
        source: Where its body and images are found (for a file repository, its path).
        stem: The name the slug and a `YYYY-MM-DD-` date come from (file or bundle folder).
        key: What the default id is derived from (the path without its suffix, or the bundle).
        body_format: How the body is written.
        body_line: The line the body starts on.
        wire: The parsed wire text, whose byline, related links and image fill what the
            fields leave out.
        wire_image: The wire text's image file (called only when the wire text has an image
            block and the fields give no image).

    Raises:
        ArticleError: a field is missing, of the wrong type or impossible.
    """
    fields = _Fields(matter, rel_path)
    _refuse_near_misses(fields)

    prefix = _DATE_PREFIX.match(stem + "-")
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

    slug = slugify(fields.text("slug") or _DATE_PREFIX.sub("", stem + "-").rstrip("-"))
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

    article_id = fields.text("id") or derive_id(site.url, key)

    authors = _authors(fields)
    related = _related(fields, site.url)
    images = _images(fields, source)
    if wire is not None:
        if not authors and wire.byline is not None:
            authors = (wire.byline,)
        related = related + wire.related
        if not images and wire.image is not None and wire_image is not None:
            images = (wire_image(),)

    return Article(
        id=article_id,
        source=source,
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
        body_line=body_line,
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
