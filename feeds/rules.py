"""One definition of each rule that config, the article sources, the renderers and the validator
share: characters XML forbids, namespaces, e-mail addresses, language tags, absolute URLs and
IRIs, slugs, image formats, file stamps, size limits, and how a value reads in a message.

Where the configuration is deliberately stricter than the specifications (it catches typos in
our own settings, while the validator must accept every valid feed), the stricter rule is
defined here too, beside the one it narrows, and says so.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from datetime import date, datetime
from typing import Final
from urllib.parse import urlsplit

#: Characters XML 1.0 forbids (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF).
XML_FORBIDDEN_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
XML_FORBIDDEN = re.compile(f"[{XML_FORBIDDEN_CHARS}]")

#: Namespaces by their usual prefix (exact URIs: trailing slashes matter).
ATOM_NS: Final = "http://www.w3.org/2005/Atom"
MEDIA_NS: Final = "http://search.yahoo.com/mrss/"
CONTENT_NS: Final = "http://purl.org/rss/1.0/modules/content/"
DC_NS: Final = "http://purl.org/dc/elements/1.1/"
XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
#: RFC 5005 (Feed Paging and Archiving): fh:archive, fh:complete.
FH_NS: Final = "http://purl.org/syndication/history/1.0"
#: RFC 6721 (the Atom "deleted entry" element, tombstones).
TOMBSTONES_NS: Final = "http://purl.org/atompub/tombstones/1.0"
NAMESPACES: Final[dict[str, str]] = {
    "atom": ATOM_NS,
    "media": MEDIA_NS,
    "content": CONTENT_NS,
    "dc": DC_NS,
    "dcterms": "http://purl.org/dc/terms/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "georss": "http://www.georss.org/georss",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "icbm": "http://postneo.com/icbm",
    "geourl": "http://geourl.org/rss/module/",
    "thr": "http://purl.org/syndication/thread/1.0",
    "fh": FH_NS,
    "trackback": "http://madskills.com/public/xml/rss/module/trackback/",
    "creativeCommons": "http://backend.userland.com/creativeCommonsRssModule",
    "cc": "http://web.resource.org/cc/",
    "admin": "http://webns.net/mvcb/",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "app": "http://www.w3.org/2007/app",
    "xhtml": XHTML_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rss1": "http://purl.org/rss/1.0/",
    "at": TOMBSTONES_NS,
}

#: Defaults of the size limits (`repository.max_article_bytes`, `repository.max_image_bytes`).
MAX_ARTICLE_BYTES: Final = 5 * 1024 * 1024
MAX_IMAGE_BYTES: Final = 20 * 1024 * 1024

# An addr-spec as feeds carry it: something, "@", something, none of it white space or the
# characters that delimit addresses in headers and bylines.
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+")
# RFC 3066 / BCP 47 syntax: subtags of 1-8 letters or digits.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
# Stricter, for the configuration: language, optional script, region and variants, enough to
# catch "en_GB" or "english" without shipping the IANA subtag registry.
_PLAUSIBLE_LANGUAGE = re.compile(
    r"[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
)
# Characters never valid in a URI or IRI, whatever its scheme.
_IRI_BAD = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_URN_UUID = re.compile(
    r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I
)


def is_email(value: str) -> bool:
    """Whether `value` is exactly one e-mail address (surrounding white space allowed)."""
    return bool(_EMAIL.fullmatch(value.strip()))


def has_email(value: str) -> bool:
    """Whether `value` contains an e-mail address (``jo@example.com (Jo)`` counts)."""
    return bool(_EMAIL.search(value))


def is_plausible_email(value: str) -> bool:
    """Stricter than `is_email`, for the configuration: the domain has a dot (a typo such as
    "desk@localhost" in the channel's contact would go to every subscriber)."""
    if not is_email(value):
        return False
    domain = value.strip().rsplit("@", 1)[1]
    return "." in domain.strip(".")


def is_language_tag(value: str) -> bool:
    """Whether `value` is a language tag by RFC 3066 / BCP 47 syntax (registry not checked)."""
    return bool(_LANGUAGE_TAG.fullmatch(value))


def is_plausible_language(value: str) -> bool:
    """Stricter than `is_language_tag`, for the configuration (see `_PLAUSIBLE_LANGUAGE`)."""
    return bool(_PLAUSIBLE_LANGUAGE.fullmatch(value))


def has_scheme(value: str) -> bool:
    """Whether `value` starts with a URI scheme and its colon (``https:``, ``urn:``)."""
    return bool(_SCHEME.match(value))


def is_absolute_iri(value: str) -> bool:
    """Whether `value` is an absolute URI or IRI: a scheme, and no character IRIs forbid."""
    value = value.strip()
    return bool(_SCHEME.match(value)) and not _IRI_BAD.search(value) and len(value) > 3


def is_urn_uuid(value: str) -> bool:
    """Whether `value` is a well-formed ``urn:uuid:`` URN (RFC 9562: 8-4-4-4-12 hex digits)."""
    return bool(_URN_UUID.fullmatch(value.strip()))


def is_iri_reference(value: str) -> bool:
    """Whether `value` may be used as an IRI reference (relative allowed)."""
    return not _IRI_BAD.search(value.strip())


def is_web_url(text: str, schemes: tuple[str, ...] | None = ("http", "https")) -> bool:
    """Whether `text` is an absolute URL with a host (of one of `schemes`, or any scheme when
    None) that a reader can fetch as it is: no white space, nothing the URL parser refuses."""
    if any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # e.g. an unclosed IPv6 bracket, a port over 65535
        return False
    scheme_ok = parts.scheme in schemes if schemes else bool(parts.scheme)
    return scheme_ok and bool(host)


def is_slug(text: str) -> bool:
    """Whether `text` is already a slug: lower-case ASCII letters, digits and hyphens."""
    return bool(_SLUG.fullmatch(text))


#: The folder of the output that feeds owns completely: published images; no feed may live there.
MEDIA_DIR: Final = "media"

#: The longest slug a per-value feed's folder gets; a longer one is cut and given a hash.
MAX_PATH_SLUG: Final = 60


def path_slug(slug: str) -> str:
    """`slug` as a folder name: as it is up to `MAX_PATH_SLUG` characters; longer, its start
    and a hash of the whole, so that it fits in a file name and two long slugs never meet."""
    if len(slug) <= MAX_PATH_SLUG:
        return slug
    digest = hashlib.sha1(slug.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{slug[: MAX_PATH_SLUG - 11].rstrip('-')}-{digest}"


#: A file's stamp: (size, mtime in ns, inode); a file with the same stamp has the same bytes.
Stamp = tuple[int, int, int]


def file_stamp(info: os.stat_result) -> Stamp:
    """The stamp of a file from its `stat`."""
    return (info.st_size, info.st_mtime_ns, info.st_ino)


_SLUG_JUNK = re.compile(r"[^a-z0-9]+")

#: The image formats articles may carry: Pillow's format name -> (MIME type, file suffixes that
#: may carry it).
IMAGE_FORMATS: dict[str, tuple[str, frozenset[str]]] = {
    "JPEG": ("image/jpeg", frozenset({".jpg", ".jpeg", ".jpe"})),
    "PNG": ("image/png", frozenset({".png"})),
    "WEBP": ("image/webp", frozenset({".webp"})),
    "GIF": ("image/gif", frozenset({".gif"})),
    "AVIF": ("image/avif", frozenset({".avif"})),
}

#: File suffixes the repository treats as images (for same-stem and bundle lookups).
IMAGE_SUFFIXES = frozenset(suffix for _, suffixes in IMAGE_FORMATS.values() for suffix in suffixes)


def strip_forbidden_chars(text: str) -> str:
    """Drop the characters XML 1.0 forbids, so that any text can reach an XML writer."""
    if text.isprintable():  # the usual case, told at once: no control character at all
        return text
    return XML_FORBIDDEN.sub("", text)


def describe_value(value: object) -> str:
    """How a value read from an article or the configuration reads to a person ("a list",
    "plain text", "a date", ...)."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, str):
        return "plain text"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime | date):
        return "a date"
    return f"a {type(value).__name__}"


def slugify(text: str) -> str:
    """A URL-safe, lowercase ASCII slug ("Ferry Timetable!" -> "ferry-timetable")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")
