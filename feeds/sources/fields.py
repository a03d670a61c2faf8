"""Front matter values -> a typed `Article`: dates, ids, URLs, bylines, images, related links.

Shared by every article source: a source hands over the fields it read (with the line of each,
where it has lines) and gets an `Article` back, or an `ArticleError` naming the article.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import os
import re
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Protocol, TypeVar, cast
from urllib.parse import quote, urljoin, urlsplit
from zoneinfo import ZoneInfo

from feeds.errors import ArticleError
from feeds.model import (
    Article,
    Author,
    BodyFormat,
    Correction,
    ImageRef,
    Link,
    Retraction,
    Site,
)
from feeds.rules import (
    describe_value,
    is_absolute_iri,
    is_email,
    is_urn_uuid,
    slugify,
    strip_forbidden_chars,
)
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
        except _YearError as exc:
            raise self.fail(
                key,
                f"the year {exc.args[0]} has fewer than four digits, which feeds cannot carry:"
                " correct the date",
            ) from None
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
    return _feed_ready(moment.replace(microsecond=0))


class _YearError(ValueError):
    """A year feeds cannot write: RFC 822 and RFC 3339 dates have four digits."""


def _feed_ready(moment: datetime) -> datetime:
    """`moment` as feeds can write it: a four-digit year, and a zone offset of whole minutes
    (RFC 3339 and RFC 822 have no seconds in offsets; a zone's local mean time before 1900, or
    "+01:00:30" written by hand, has them): the instant stays, the offset is rounded."""
    offset = moment.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        minutes = round(offset / timedelta(minutes=1))
        moment = moment.astimezone(timezone(timedelta(minutes=minutes)))
    if moment.year < 1000:
        raise _YearError(moment.year)
    return moment


#: Front matter fields feeds reads; other fields (another tool's) are left alone.
KNOWN_FIELDS = frozenset(
    {
        "title", "date", "updated", "id", "slug", "url", "author", "authors", "summary",
        "categories", "tags", "section", "draft", "images", "image", "image_alt",
        "image_caption", "image_credit", "image_title", "related", "corrections",
        "retracted",
    }
)  # fmt: skip

#: Fields a database keeps in its `extra` column (they have no column of their own).
EXTRA_FIELDS = frozenset({"corrections", "retracted"})


#: Other spellings of fields whose silent loss would publish what should not be (a retraction
#: that is not read leaves a pulled story online), too far from the field for difflib.
_ALIASES = {
    "retraction": "retracted",
    "retract": "retracted",
    "retracted_at": "retracted",
    "correction": "corrections",
}


def _refuse_near_misses(fields: _Fields) -> None:
    """A field that is almost one of ours is a typo, and a silent typo can publish a draft."""
    for key in fields.matter.data:
        if key in KNOWN_FIELDS:
            continue
        lowered = key.lower()
        close = [lowered] if lowered in KNOWN_FIELDS else []
        close = close or ([_ALIASES[lowered]] if lowered in _ALIASES else [])
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
            published = _feed_ready(datetime(year, month, day, tzinfo=zone))
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

    corrections = _corrections(fields, zone, published)
    retracted = _retraction(fields, zone, published)

    title = fields.text("title") or (_clean(wire.headline) if wire else "")
    if not title:
        raise ArticleError(rel_path, 1, "no title: add `title` to the front matter")

    slug = slugify(fields.text("slug") or _DATE_PREFIX.sub("", stem + "-").rstrip("-"))
    if not slug:
        raise fields.fail("slug", "gives an empty URL slug: use letters or digits")
    section = fields.text("section") or (rel_path.split("/", 1)[0] if "/" in rel_path else "")
    written = fields.text("url")
    if written:
        # An article's own address must be written out in full (a relative one is a likely slip).
        absolute = _web_address(written, site.url) if _has_scheme(written) else None
        if absolute is None:
            raise fields.fail("url", f"{written!r} is not an absolute http(s) URL")
        url = absolute
    else:
        url = site.url + _permalink(site.permalink, slug, published, slugify(section))

    written_id = fields.text("id")
    article_id = article_id_of(written_id, site.url) if written_id else derive_id(site.url, key)

    authors = _authors(fields, site.url)
    related = _related(fields, site.url)
    images = _images(fields, source)
    if wire is not None:
        if not authors and wire.byline is not None:
            authors = (_wire_byline(wire.byline),)
        related = related + tuple(_wire_link(link, site.url) for link in wire.related)
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
        corrections=corrections,
        retracted=retracted,
    )


# Bylines, sections and tag lists repeat across thousands of articles: one shared copy each
# keeps a 100,000-article scan (and its cache) smaller. Values are immutable, so sharing is safe.
# A one-off build shares through this table; the daemon's index brings its own (`shared_values`)
# and drops it with the index.
_SHARED: dict[object, object] = {}
_shared_table: list[dict[object, object]] = [_SHARED]
_T = TypeVar("_T", bound=Hashable)

#: Past this many values the table stops growing: a repository of unique values gains nothing.
MAX_SHARED = 100_000


def _shared(value: _T) -> _T:
    table = _shared_table[-1]
    if len(table) > MAX_SHARED:
        return value
    return cast(_T, table.setdefault(value, value))


@contextlib.contextmanager
def shared_values(table: dict[object, object]) -> Iterator[None]:
    """Share the values read while inside through `table` (an index's, released with it)."""
    _shared_table.append(table)
    try:
        yield
    finally:
        # By identity: two tables of the same values are equal.
        del _shared_table[max(i for i, t in enumerate(_shared_table) if t is table)]


def article_id_of(written: str, site_url: str) -> str:
    """The id of an article whose editor gave one: kept as written when it is an absolute IRI
    (``urn:uuid:…``, ``tag:…``, a URL), else — a CMS's plain number such as "12345" — mapped,
    the same way forever, to a ``urn:uuid`` of the site's host and that id (feeds need ids that
    are absolute IRIs, and a reader must never see the story again as new)."""
    if is_absolute_iri(written) and (
        not written.lower().startswith("urn:uuid:") or is_urn_uuid(written)
    ):
        return written
    return f"urn:uuid:{name_uuid(f'feeds-id:{_id_host(site_url)}:{written}')}"


def _wire_byline(author: Author) -> Author:
    """A wire trailer's author, cleaned like a field; an e-mail that is not one (wire text is
    free text: "(jo@example.org)") is kept only once it is one, else left out."""
    email = author.email.strip("()<>[]{}.,;:'\" ")
    if email[:7].lower() == "mailto:":
        email = email[7:]
    return Author(
        name=_clean(author.name),
        email=email if is_email(email) else "",
        uri=author.uri,
        handle=author.handle,
    )


def _wire_link(link: Link, site_url: str) -> Link:
    """A wire ``Related:`` line's link: its URL encoded as the front matter's are; one that is
    no web address leaves the title alone, to be linked by headline or shown as plain text."""
    url = _web_address(_clean(link.url), site_url) if link.url else ""
    return Link(title=_clean(link.title), url=url or "")


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


#: The keys of a table inside a field, and what else the table may hold.
_PERSON_KEYS = ("name", "email", "uri")
_IMAGE_KEYS = ("src", "alt", "caption", "credit", "title")
_RELATED_KEYS = ("title", "url")
_CORRECTION_KEYS = ("date", "text")
_RETRACTION_KEYS = ("date", "reason")
#: A correction note or a retraction's reason is a sentence or a short paragraph.
MAX_NOTE_CHARS = 2000
# "Jo Doe <jo@example.org>", the way mail programs write a person.
_NAME_ADDRESS = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<address>[^<>\s]+)>")


def _refuse_unknown_keys(
    fields: _Fields, key: str, item: Mapping[object, object], known: tuple[str, ...], what: str
) -> None:
    """A key a table of `key` does not have is a typo, or a field that slipped into the table
    (TOML puts every key after ``[[images]]`` into the image): either could publish a draft."""
    for name in item:
        if name in known:
            continue
        shown = str(name)
        hint = ""
        if shown in KNOWN_FIELDS:
            hint = (
                f": `{shown}` is a field of the article, not of {what}; write it before the"
                " first table (in TOML, above the first [[...]] line; in YAML, unindented)"
            )
        else:
            close = difflib.get_close_matches(shown.lower(), known, n=1, cutoff=0.6)
            if close:
                hint = f": did you mean `{close[0]}`?"
        raise fields.fail(
            key, f"unknown key `{shown}` in {what} (its keys are {', '.join(known)}){hint}"
        )


def _email(fields: _Fields, key: str, written: str) -> str:
    """The e-mail address an editor wrote, as feeds carry it ("" when none): a ``mailto:``
    prefix or a "Name <address>" form is taken apart; anything else must be one address."""
    text = _clean(written)
    if not text:
        return ""
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0]
    named = _NAME_ADDRESS.fullmatch(text)
    if named:
        text = named.group("address")
    if not is_email(text):
        several = sum(part.count("@") for part in text.split()) > 1 or "," in text or ";" in text
        advice = (
            "one address per author: list each author as an entry of its own"
            if several
            else "write it like jo@example.org"
        )
        raise fields.fail(key, f"{written!r} is not an e-mail address: {advice}")
    return text


def _person(fields: _Fields, key: str, value: object, site_url: str) -> Author:
    if isinstance(value, str) and (cleaned := _clean(value)):
        named = _NAME_ADDRESS.fullmatch(cleaned) if "<" in cleaned else None
        if named and named.group("name"):
            email = _email(fields, key, named.group("address"))
            return Author(name=named.group("name"), email=email)
        return Author(name=cleaned)
    if isinstance(value, Mapping):
        _refuse_unknown_keys(fields, key, value, _PERSON_KEYS, "an author")
        name, email, uri = (value.get(k, "") for k in _PERSON_KEYS)
        if (
            isinstance(name, str)
            and _clean(name)
            and isinstance(email, str)
            and isinstance(uri, str)
        ):
            address = ""
            if _clean(uri):
                # A path on the site ("/staff/jo/") is the site's page of that person.
                found = _web_address(_clean(uri), site_url)
                if found is None:
                    raise fields.fail(
                        key,
                        f"uri {uri!r} is not a web address: write an http(s) URL or a path on"
                        " the site such as /staff/jo/",
                    )
                address = found
            return Author(name=_clean(name), email=_email(fields, key, email), uri=address)
    raise fields.fail(key, "expected a name, or {name, email, uri} with a non-empty name")


def _authors(fields: _Fields, site_url: str) -> tuple[Author, ...]:
    people: list[Author] = []
    for key in ("author", "authors"):
        if not fields.has(key):
            continue
        value = fields.matter.data[key]
        for item in value if isinstance(value, list) else [value]:
            people.append(_person(fields, key, item, site_url))
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
        _refuse_unknown_keys(fields, "related", item, _RELATED_KEYS, "a related link")
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
    try:
        if not urlsplit(value).scheme:
            value = urljoin(site_url, value)
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # an unclosed IPv6 bracket, a port over 65535, ...
        return None
    if parts.scheme not in {"http", "https"} or not host:
        return None
    # Characters a URL cannot carry as they are (spaces, quotes, braces, non-ASCII) are encoded.
    return quote(value, safe=":/?#[]@!$&'()*+,;=%~")


def _image_path(fields: _Fields, key: str, source: str, src: object) -> str:
    if not isinstance(src, str) or not src.strip():
        raise fields.fail(key, "needs `src`: the image file's path relative to the article")
    src = src.strip()
    if ":" in src and _has_scheme(src):
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


def _has_scheme(text: str) -> bool:
    try:
        return bool(urlsplit(text).scheme)
    except ValueError:  # not a URL the parser can read: certainly not a path either
        return True


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
            _refuse_unknown_keys(fields, "images", item, _IMAGE_KEYS, "an image")
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


def _note_date(fields: _Fields, key: str, where: str, value: object, zone: ZoneInfo) -> datetime:
    """The `date` of a correction or a retraction, which must be a moment."""
    if value is None or value == "":
        raise fields.fail(
            key, f"{where} needs a `date`: when it happened, e.g. 2026-03-02T07:30:00+01:00"
        )
    try:
        return _to_datetime(value, zone)
    except _YearError as exc:
        raise fields.fail(
            key, f"{where}: the year {exc.args[0]} has fewer than four digits: correct the date"
        ) from None
    except (TypeError, ValueError, OverflowError):
        raise fields.fail(
            key,
            f"{where}: date {value!r} is not a date and time: write it like"
            " 2026-03-02T07:30:00+01:00 (or 2026-03-02 07:30 in the site's time zone)",
        ) from None


def _note_text(fields: _Fields, key: str, where: str, name: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise fields.fail(
            key, f"{where}: {name} must be text, got {describe_value(value)}: quote it"
        )
    text = " ".join(_clean(value).split())
    if len(text) > MAX_NOTE_CHARS:
        raise fields.fail(
            key,
            f"{where}: {name} is {len(text)} characters long, more than {MAX_NOTE_CHARS}:"
            " shorten it (the story itself says the rest)",
        )
    return text


def _corrections(fields: _Fields, zone: ZoneInfo, published: datetime) -> tuple[Correction, ...]:
    """`corrections: [{date, text}]`: each dated, with text, not before the article's date;
    in date order (oldest first)."""
    if not fields.has("corrections"):
        return ()
    value = fields.matter.data["corrections"]
    if not isinstance(value, list):
        raise fields.fail(
            "corrections",
            f"expected a list of {{date, text}}, got {describe_value(value)}: write"
            ' corrections: [{date: 2026-03-02T09:00:00+01:00, text: "..."}]',
        )
    found: list[Correction] = []
    for number, item in enumerate(value, start=1):
        where = f"correction {number}"
        if not isinstance(item, Mapping):
            raise fields.fail(
                "corrections", f"{where} is {describe_value(item)}: each is {{date, text}}"
            )
        _refuse_unknown_keys(fields, "corrections", item, _CORRECTION_KEYS, "a correction")
        moment = _note_date(fields, "corrections", where, item.get("date"), zone)
        text = _note_text(fields, "corrections", where, "text", item.get("text"))
        if not text:
            raise fields.fail(
                "corrections", f"{where} has no `text`: say what was corrected, for the readers"
            )
        if moment < published:
            raise fields.fail(
                "corrections",
                f"{where} is dated {moment.isoformat()}, before the article's date"
                f" {published.isoformat()}: a correction comes after publication; correct"
                " its date",
            )
        found.append(Correction(date=moment, text=text))
    return tuple(sorted(found, key=lambda c: (c.date, c.text)))


def _retraction(fields: _Fields, zone: ZoneInfo, published: datetime) -> Retraction | None:
    """`retracted: {date, reason}`: the article is pulled; `date` is required, not before the
    article's date."""
    if not fields.has("retracted"):
        return None
    value = fields.matter.data["retracted"]
    if not isinstance(value, Mapping):
        raise fields.fail(
            "retracted",
            f"expected {{date, reason}}, got {describe_value(value)}: write"
            ' retracted: {date: 2026-03-02T09:00:00+01:00, reason: "..."}',
        )
    _refuse_unknown_keys(fields, "retracted", value, _RETRACTION_KEYS, "a retraction")
    moment = _note_date(fields, "retracted", "the retraction", value.get("date"), zone)
    if moment < published:
        raise fields.fail(
            "retracted",
            f"the retraction is dated {moment.isoformat()}, before the article's date"
            f" {published.isoformat()}: correct its date",
        )
    reason = _note_text(fields, "retracted", "the retraction", "reason", value.get("reason"))
    return Retraction(date=moment, reason=reason, line=fields.line("retracted"))
