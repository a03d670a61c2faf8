"""Shared vocabulary of the feed validator: issue codes, the issue collector and value checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from lxml import etree

#: Namespaces the validator knows, by their usual prefix (exact URIs, trailing slashes matter).
ATOM_NS: Final = "http://www.w3.org/2005/Atom"
MEDIA_NS: Final = "http://search.yahoo.com/mrss/"
CONTENT_NS: Final = "http://purl.org/rss/1.0/modules/content/"
XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
XML_LANG: Final = f"{{{XML_NS}}}lang"
XML_BASE: Final = f"{{{XML_NS}}}base"

KNOWN_NAMESPACES: Final[dict[str, str]] = {
    "atom": ATOM_NS,
    "media": MEDIA_NS,
    "content": CONTENT_NS,
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "georss": "http://www.georss.org/georss",
    "thr": "http://purl.org/syndication/thread/1.0",
    "fh": "http://purl.org/syndication/history/1.0",
    "xhtml": XHTML_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}


class Severity(StrEnum):
    """How bad an issue is: errors make a feed invalid, warnings are best-practice advice."""

    ERROR = "error"
    WARNING = "warning"


E = Severity.ERROR
W = Severity.WARNING

#: Every issue code the validator can report, with its severity and a one-line summary.
CODES: Final[dict[str, tuple[Severity, str]]] = {
    # input and XML
    "input-too-large": (E, "the document is larger than the configured size limit"),
    "input-empty": (E, "the document is empty"),
    "xml-not-well-formed": (E, "the document is not well-formed XML"),
    "xml-undeclared-prefix": (E, "an element or attribute uses a namespace prefix never declared"),
    "xml-undefined-entity": (E, "a named entity (such as &nbsp;) that XML does not define"),
    "xml-encoding-unknown": (E, "the declared character encoding is unknown"),
    "xml-encoding-mismatch": (E, "the byte order mark contradicts the encoding declaration"),
    "xml-encoding-invalid-bytes": (E, "bytes that are invalid in the document's encoding"),
    "xml-forbidden-character": (E, "a character XML 1.0 forbids (control characters, U+FFFE/F)"),
    "xml-encoding-no-bom": (E, "UTF-16 text with neither byte order mark nor XML declaration"),
    "xml-doctype-entity": (
        E,
        "a DOCTYPE entity that is refused: external, parameter, or past the count and size "
        "limits (internal entities within them are expanded)",
    ),
    "xml-too-deep": (E, "elements nested deeper than the configured limit"),
    "xml-lang-invalid": (E, "xml:lang is not a language tag"),
    "xml-base-invalid": (E, "xml:base is not a valid IRI reference"),
    "feed-unknown-root": (E, "the root element is not rss or an Atom feed/entry"),
    "feed-format-unsupported": (W, "a feed format this validator does not check (RSS 1.0)"),
    "ns-near-miss": (E, "a namespace URI that is a typo of a well-known one"),
    "validator-internal-error": (E, "the validator itself failed (please report it)"),
    # RSS 2.0
    "rss-missing-version": (E, "the rss element has no version attribute"),
    "rss-version": (W, "the rss version is not 2.0 (or 0.91-0.94)"),
    "rss-missing-channel": (E, "rss has no channel element"),
    "rss-missing-element": (E, "a required element is missing"),
    "rss-missing-attribute": (E, "a required attribute is missing"),
    "rss-item-missing-title-or-description": (E, "an item has neither title nor description"),
    "rss-duplicate-element": (E, "an element that may appear only once appears again"),
    "rss-unknown-element": (E, "an element RSS 2.0 does not define, outside any namespace"),
    "rss-date-format": (E, "a date that is not RFC 822"),
    "rss-date-weekday": (E, "the day of the week does not match the date"),
    "rss-date-two-digit-year": (W, "an RFC 822 date with a two-digit year"),
    "rss-date-problematic": (W, "an RFC 822 date that many readers misparse"),
    "rss-url-invalid": (E, "a URL that must be absolute is relative or malformed"),
    "rss-invalid-integer": (E, "a value that must be a non-negative integer is not"),
    "rss-mime-type": (E, "a type that is not a MIME media type"),
    "rss-guid-permalink-value": (E, "isPermaLink is neither true nor false"),
    "rss-guid-not-url": (E, "a permalink guid that is not an absolute URL"),
    "rss-image-size": (E, "channel image wider than 144 or taller than 400 pixels"),
    "rss-cloud": (E, "a cloud attribute value is invalid"),
    "rss-skip-hours": (E, "skipHours holds an invalid or repeated hour"),
    "rss-skip-days": (E, "skipDays holds an invalid or repeated day"),
    "rss-language": (E, "the language is not a language code"),
    "rss-contact-not-email": (W, "author/managingEditor/webMaster without an e-mail address"),
    "rss-guid-missing": (W, "an item has no guid"),
    "rss-enclosure-multiple": (W, "an item has more than one enclosure"),
    "rss-relative-url-in-content": (W, "HTML content refers to relative URLs"),
    "rss-missing-atom-self": (W, 'the channel has no atom:link rel="self"'),
    # Atom 1.0
    "atom-missing-id": (E, "feed or entry without atom:id"),
    "atom-missing-title": (E, "feed or entry without atom:title"),
    "atom-missing-updated": (E, "feed or entry without atom:updated"),
    "atom-missing-author": (E, "an entry without author (none on the feed either)"),
    "atom-duplicate-element": (E, "an element that may appear only once appears again"),
    "atom-unknown-element": (E, "an element the Atom namespace does not define"),
    "atom-date-format": (E, "a date that is not RFC 3339"),
    "atom-id-not-absolute": (E, "atom:id is not an absolute IRI"),
    "atom-iri-invalid": (E, "a value that must be an IRI (reference) is not"),
    "atom-text-type": (E, "a text construct type other than text, html or xhtml"),
    "atom-text-markup": (E, "a text or html construct containing child elements"),
    "atom-xhtml-div": (E, "xhtml content that is not a single xhtml:div"),
    "atom-content-type": (E, "content type is not text, html, xhtml or a MIME type"),
    "atom-content-src-not-empty": (E, "content with src that also has inline content"),
    "atom-content-src-missing-type": (W, "content with src but no type"),
    "atom-missing-content-or-alternate": (E, "an entry with neither content nor alternate link"),
    "atom-missing-summary": (E, "summary required (content has src or is base64)"),
    "atom-link-missing-href": (E, "a link without href"),
    "atom-link-rel": (E, "a link rel that is neither a name nor an absolute IRI"),
    "atom-link-rel-unregistered": (W, "a link rel name not in the IANA registry"),
    "atom-link-type": (E, "a link type that is not a MIME media type"),
    "atom-link-hreflang": (E, "a link hreflang that is not a language tag"),
    "atom-link-length": (E, "a link length that is not a non-negative integer"),
    "atom-link-alternate-duplicate": (E, "two alternate links with the same type and hreflang"),
    "atom-link-self-duplicate": (W, 'more than one rel="self" link'),
    "atom-person-missing-name": (E, "an author or contributor without name"),
    "atom-email": (E, "a person's email that is not an e-mail address"),
    "atom-category-missing-term": (E, "a category without term"),
    "atom-missing-self": (W, 'the feed has no link rel="self"'),
    # Media RSS 1.5.1
    "media-unknown-element": (E, "an element Media RSS does not define"),
    "media-missing-url": (
        E,
        "media:content without url (and no media:player) or thumbnail without url",
    ),
    "media-url-invalid": (E, "a Media RSS url that is not absolute"),
    "media-number": (E, "a Media RSS numeric attribute that is not a number"),
    "media-medium": (E, "medium is not image, audio, video, document or executable"),
    "media-is-default": (E, "isDefault is neither true nor false"),
    "media-expression": (E, "expression is not sample, full or nonstop"),
    "media-text-type": (E, "media:title/description type is neither plain nor html"),
    "media-credit-scheme": (E, "media:credit scheme is not a URI"),
    "media-group-child": (E, "media:group holds an element that is not Media RSS"),
    "media-group-single": (W, "media:group that wraps fewer than two renditions"),
}

# Characters never valid in a URI/IRI, whatever its scheme.
_IRI_BAD = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_MIME = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,126}"
    r"(\s*;\s*[A-Za-z0-9!#$&^_.+\-]+=(\"[^\"]*\"|[^;\s]*))*\s*"
)
_LANG_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))"
)


def is_absolute_url(value: str) -> bool:
    """Whether `value` is an absolute URI/IRI with a scheme and no forbidden characters."""
    value = value.strip()
    return bool(_SCHEME.match(value)) and not _IRI_BAD.search(value) and len(value) > 3


def is_iri_reference(value: str) -> bool:
    """Whether `value` may be used as an IRI reference (relative allowed)."""
    return not _IRI_BAD.search(value.strip())


def is_mime_type(value: str) -> bool:
    """Whether `value` is a MIME media type, optionally with parameters."""
    return bool(_MIME.fullmatch(value.strip()))


def is_xml_mime_type(value: str) -> bool:
    """Whether a MIME type is an XML type (RFC 3023): ``*/xml`` or ``*+xml``."""
    base = value.split(";", 1)[0].strip().lower()
    return base.endswith(("/xml", "+xml"))


def is_language_tag(value: str) -> bool:
    """Whether `value` is a BCP 47 / RFC 3066 language tag (syntax only)."""
    return bool(_LANG_TAG.fullmatch(value))


def has_email(value: str) -> bool:
    """Whether `value` contains an e-mail address (``jo@example.com (Jo)`` counts)."""
    return bool(_EMAIL.search(value))


def is_email(value: str) -> bool:
    """Whether `value` is exactly one addr-spec e-mail address."""
    return bool(_EMAIL.fullmatch(value.strip()))


def is_non_negative_integer(value: str) -> bool:
    """Whether `value` (surrounding whitespace allowed) is a non-negative decimal integer."""
    stripped = value.strip()
    return stripped.isascii() and stripped.isdigit()


def is_number(value: str) -> bool:
    """Whether `value` is a non-negative decimal number (``12``, ``29.97``)."""
    return bool(re.fullmatch(r"\s*\d+(\.\d+)?\s*", value))


def check_rfc3339(value: str) -> str:
    """Check an Atom date; returns "" when valid, else what is wrong."""
    match = _RFC3339.fullmatch(value.strip())
    if not match:
        return "is not an RFC 3339 date-time"
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        date(year, month, day)
    except ValueError:
        return "names a day that does not exist"
    if hour > 23 or minute > 59 or second > 60:
        return "has an impossible time of day"
    if match.group(9) is not None and (int(match.group(9)) > 23 or int(match.group(10)) > 59):
        return "has an impossible time-zone offset"
    return ""


_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The W3C Feed Validation Service's two grammars: the strict RFC 2822 form is valid, the
# looser RFC 822 form (2-digit year, military zones, odd case) is only "problematical".
_RFC2822_STRICT = re.compile(
    r"(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), *)?(\d\d?) +"
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{4}) +"
    r"(\d\d):(\d\d)(?::(\d\d))? +([+-]\d{4}|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z)"
)
_RFC822_LOOSE = re.compile(
    r"(?:(mon|tue|wed|thu|fri|sat|sun)\s*,\s*)?(\d\d?)\s+"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+(\d\d(?:\d\d)?)\s+"
    r"(\d\d):(\d\d)(?::(\d\d))?(?:\s+([+-]\d{4}|ut|gmt|est|edt|cst|cdt|mst|mdt|pst|pdt|[a-ik-z]))?"
)


@dataclass(frozen=True, slots=True)
class DateCheck:
    """Outcome of an RFC 822 check: a code ("" when valid) and what is wrong."""

    code: str
    problem: str


def check_rfc822(value: str) -> DateCheck:
    """Check an RSS date the way the W3C Feed Validation Service does."""
    text = value.strip()
    strict = _RFC2822_STRICT.fullmatch(text)
    loose = strict or _RFC822_LOOSE.fullmatch(re.sub(r"\([^()]*\)", " ", text).strip().lower())
    if not loose:
        if re.search(r"\bUTC\s*$", text, re.IGNORECASE):
            return DateCheck("rss-date-format", "uses the zone 'UTC', which RFC 822 does not know")
        return DateCheck("rss-date-format", "is not an RFC 822 date")
    weekday, day_s, month_s, year_s, hour_s, minute_s, second_s, _zone = loose.groups()
    year = int(year_s)
    full_year = year if len(year_s) == 4 else (1900 + year if year >= 50 else 2000 + year)
    try:
        when = datetime(
            full_year,
            _MONTHS.index(month_s.lower()) + 1,
            int(day_s),
            int(hour_s),
            int(minute_s),
            min(int(second_s or 0), 59),
        )
    except ValueError:
        return DateCheck("rss-date-format", "names a day or time that does not exist")
    if weekday and _DAYS[when.weekday()] != weekday.lower():
        return DateCheck(
            "rss-date-weekday", f"says {weekday} but that date is a {when.strftime('%a')}"
        )
    if strict:
        return DateCheck("", "")
    if len(year_s) == 2:
        return DateCheck("rss-date-two-digit-year", "has a two-digit year")
    return DateCheck("rss-date-problematic", "uses an obsolete RFC 822 form")


# ISO 639-1 two-letter language codes (the W3C validator checks RSS language against ISO 639).
ISO639_1: Final = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik in io is it iu iw ja ji jv jw ka kg ki kj kk kl km kn ko
    kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb nd ne
    ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg sh si
    sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz
    ve vi vo wa wo xh yi yo za zh zu""".split()  # noqa: SIM905
)


def element_name(el: etree._Element) -> str:
    """The element's name as written: ``media:content``, ``item``, ``entry``."""
    tag = el.tag
    if not isinstance(tag, str):
        return "#node"
    local = etree.QName(tag).localname
    return f"{el.prefix}:{local}" if el.prefix else local


def children(el: etree._Element) -> list[etree._Element]:
    """Child elements only (no comments, processing instructions or entity references)."""
    return [child for child in el if isinstance(child.tag, str)]


def text_of(el: etree._Element) -> str:
    """All text inside an element, as a reader would take it."""
    if len(el) == 0:
        return el.text or ""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def line_of(el: etree._Element) -> int:
    """The element's 1-based source line, 0 when unknown."""
    line = getattr(el, "sourceline", None)
    return line if isinstance(line, int) else 0


def element_path(el: etree._Element) -> str:
    """Path from the document root (excluded) to `el`: ``channel/item[3]/enclosure``."""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        if parent is None:
            break
        name = element_name(node)
        same = [c for c in parent if c.tag == node.tag]
        parts.append(f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name)
        node = parent
    return "/".join(reversed(parts))


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a feed.

    Attributes:
        code: Stable identifier, e.g. ``rss-date-format``.
        severity: Error (the feed is invalid) or warning (best practice).
        message: What is wrong and how to fix it.
        line: 1-based line, 0 if unknown.
        column: 1-based column, 0 if unknown.
        path: Element path such as ``channel/item[3]/enclosure`` ("" for the document).
    """

    code: str
    severity: Severity
    message: str
    line: int
    column: int
    path: str


class Collector:
    """Accumulates issues; severity comes from `CODES`, location from the element."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def document(self, code: str, message: str, line: int = 0, column: int = 0) -> None:
        """Record a document-level issue (no element)."""
        self.issues.append(Issue(code, CODES[code][0], message, line, column, ""))

    def add(self, code: str, el: etree._Element, message: str, *, attr: str = "") -> None:
        """Record an issue about `el` (or its attribute `attr`)."""
        path = element_path(el)
        if attr:
            path = f"{path}/@{attr}" if path else f"@{attr}"
        self.issues.append(Issue(code, CODES[code][0], message, line_of(el), 0, path))
