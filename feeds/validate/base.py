"""Shared vocabulary of the feed validator: issue codes, the issue collector and value checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from lxml import etree

from feeds.rules import (
    NAMESPACES,
    XML_NS,
)

XML_LANG: Final = f"{{{XML_NS}}}lang"
XML_BASE: Final = f"{{{XML_NS}}}base"

RDF_NS: Final = NAMESPACES["rdf"]
RSS1_NS: Final = NAMESPACES["rss1"]
ITUNES_NS: Final = NAMESPACES["itunes"]
DC_NS: Final = NAMESPACES["dc"]
DCTERMS_NS: Final = NAMESPACES["dcterms"]

#: Namespaces the validator knows, by their usual prefix (exact URIs, trailing slashes matter).
KNOWN_NAMESPACES: Final[dict[str, str]] = NAMESPACES


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
    "feed-format-unsupported": (W, "a feed format this validator does not check (RSS 0.90)"),
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
    "rss-url-invalid": (
        E,
        "a URL that must be an absolute URI is relative or malformed (non-ASCII characters "
        "must be percent-encoded)",
    ),
    "rss-invalid-integer": (E, "a value that must be a non-negative integer is not"),
    "rss-mime-type": (E, "a type that is not a MIME media type"),
    "rss-guid-permalink-value": (E, "isPermaLink is neither true nor false"),
    "rss-guid-not-url": (E, "a permalink guid that is not an absolute URL"),
    "rss-image-size": (E, "channel image width/height of 0, or over 144 / 400 pixels"),
    "rss-image-title-mismatch": (W, "the channel image's title is not the channel's title"),
    "rss-image-link-mismatch": (W, "the channel image's link is not the channel's link"),
    "rss-cloud": (E, "a cloud port that is not a positive number, or an unknown protocol"),
    "rss-skip-hours": (E, "skipHours holds an invalid or repeated hour"),
    "rss-skip-days": (E, "skipDays holds an invalid or repeated day"),
    "rss-language": (E, "the language is not a language code"),
    # The W3C validator's InvalidContact is an error: RSS 2.0 says these hold an address.
    "rss-contact-not-email": (E, "author/managingEditor/webMaster without an e-mail address"),
    "rss-contact-format": (W, "a contact not written as jo@example.com (Jo Smith)"),
    "rss-guid-duplicate": (E, "two items with the same guid"),
    "rss-markup-in-text": (E, "unescaped markup (child elements) inside an element of text"),
    "rss-unexpected-text": (E, "text where RSS allows only elements (channel, item, image …)"),
    "rss-unknown-attribute": (E, "an attribute RSS does not define there (isPermaLink spelt so)"),
    "rss-textinput-name": (E, "a textInput name that is not an identifier"),
    "rss-guid-missing": (W, "an item has no guid"),
    "rss-enclosure-multiple": (W, "an item has more than one enclosure"),
    "rss-relative-url-in-content": (W, "HTML content refers to relative URLs"),
    "rss-missing-atom-self": (W, 'the channel has no atom:link rel="self"'),
    # RSS 1.0
    "rss1-namespace": (E, "an element in no namespace inside an RSS 1.0 feed"),
    "rss1-about-duplicate": (E, "two RSS 1.0 resources with the same rdf:about"),
    # Atom 1.0
    "atom-missing-id": (E, "feed or entry without atom:id"),
    "atom-missing-title": (E, "feed or entry without atom:title"),
    "atom-missing-updated": (E, "feed or entry without atom:updated"),
    "atom-missing-author": (E, "an entry without author (none on the feed either)"),
    "atom-duplicate-element": (E, "an element that may appear only once appears again"),
    "atom-unknown-element": (E, "an element the Atom namespace does not define"),
    "atom-date-format": (E, "a date that is not RFC 3339"),
    "atom-id-not-absolute": (E, "atom:id is not an absolute IRI"),
    "atom-iri-invalid": (E, "a value that must be an IRI (category scheme: absolute) is not"),
    "atom-whitespace": (E, "whitespace around a URI or date, where RFC 4287 allows none"),
    "atom-id-duplicate": (W, "two entries with the same atom:id"),
    "atom-misplaced-metadata": (E, "feed metadata after the first entry"),
    "atom-unexpected-text": (E, "text where Atom allows only elements (entry, author, source …)"),
    "atom-link-not-empty": (W, "a link with content (links are empty)"),
    "atom-unknown-attribute": (E, "an attribute RFC 4287 does not define there (generator/@url)"),
    "atom-attribute-blank": (W, "an empty type, rel or title attribute"),
    "atom-text-type": (E, "a text construct type other than text, html or xhtml"),
    "atom-text-markup": (
        E,
        "child elements in an element of text (a text or html construct, id, date, generator, "
        "name …)",
    ),
    "atom-xhtml-div": (E, "xhtml content that is not a single xhtml:div"),
    "atom-xhtml-namespace": (E, "elements of xhtml content outside the XHTML namespace"),
    "atom-content-type": (E, "content type is not text, html, xhtml or a MIME type"),
    "atom-content-composite": (E, "content of a composite MIME type (multipart/*, message/*)"),
    "atom-content-base64": (E, "content of a non-text, non-XML type that is not base64"),
    "atom-content-mixed": (E, "content of an XML media type mixing text and elements"),
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
    "urn-uuid-invalid": (E, "a urn:uuid: URI whose UUID is not 8-4-4-4-12 hex digits"),
    # Media RSS 1.5.1
    "media-unknown-element": (E, "an element Media RSS does not define"),
    "media-misplaced": (E, "media:content or media:group outside an item (e.g. in the channel)"),
    "media-unknown-attribute": (E, "an attribute Media RSS does not define on that element"),
    "media-unexpected-text": (E, "text directly inside media:content or media:group"),
    "media-duplicate-element": (E, "media:title, media:description or media:copyright twice"),
    "media-missing-url": (
        E,
        "media:content without url (and no media:player) or thumbnail without url",
    ),
    "media-url-invalid": (E, "a Media RSS URL or scheme URI that is not absolute"),
    "media-number": (
        E,
        "a Media RSS number that is not one (fileSize, width, height: positive integers)",
    ),
    "media-mime-type": (E, "a media:content type that is not a MIME type"),
    "media-lang": (E, "a Media RSS lang that is not a language tag"),
    "media-medium": (E, "medium is not image, audio, video, document or executable"),
    "media-is-default": (E, "isDefault is neither true nor false"),
    "media-expression": (E, "expression is not sample, full or nonstop"),
    "media-text-type": (E, "media:title/description/text type is neither plain nor html"),
    "media-npt-time": (E, "a media:text start/end or media:thumbnail time that is not NPT"),
    "media-credit-scheme": (E, "media:credit scheme is not a URI"),
    "media-credit-role": (E, "a credit role not in lower case, or not an EBU role (urn:ebu)"),
    "media-hash": (E, "media:hash algo not md5/sha-1, or a value of the wrong length/digits"),
    "media-rating": (E, "a media:rating value its scheme does not allow"),
    "media-restriction": (
        E,
        "media:restriction without relationship allow/deny, with an unknown type, or values "
        "that are not country codes, URIs or all/none",
    ),
    "media-group-child": (E, "media:group holds an element that is not Media RSS"),
    # The W3C validator's MediaGroupWithoutAlternatives is an error: a group "must only be
    # used" for alternatives of the same content (Media RSS 1.5.1).
    "media-group-single": (E, "media:group with fewer than two media:content alternatives"),
    # iTunes podcasts
    "itunes-unknown-element": (E, "an element the iTunes podcast namespace does not define"),
    "itunes-misplaced-element": (E, "an iTunes element where it is not allowed"),
    "itunes-unknown-attribute": (E, "an attribute the iTunes namespace does not define there"),
    "itunes-value": (
        E,
        "an iTunes value of the wrong form (explicit, block, duration, type, episodeType, "
        "episode, season …)",
    ),
    "itunes-category": (E, "an itunes:category without text, or not one of Apple's"),
    "itunes-category-obsolete": (W, "an itunes:category Apple no longer lists"),
    "itunes-url": (E, "itunes:image href or itunes:new-feed-url that is not an http(s) URL"),
    "itunes-owner-email": (E, "itunes:owner without a valid itunes:email"),
    "itunes-too-long": (E, "an iTunes text over Apple's limit (255 characters, summary 4000)"),
    "itunes-keywords": (W, "itunes:keywords separated by spaces instead of commas"),
    "itunes-missing-element": (
        W,
        "a podcast without language, itunes:category, itunes:explicit or itunes:owner",
    ),
    "itunes-enclosure-format": (W, "a podcast enclosure of a file type Apple does not list"),
    # Dublin Core
    "dc-date-format": (E, "a Dublin Core date (dc:date, dcterms:modified …) not in W3C-DTF"),
    "dc-language": (E, "a dc:language that is blank or not a language tag"),
    # other RSS/Atom extensions
    "ext-unknown-element": (E, "an element its vocabulary does not define (dc:author …)"),
    "ext-misplaced-element": (E, "an extension element where its vocabulary does not allow it"),
    "ext-duplicate-element": (E, "an extension element allowed once appears again (dc:title …)"),
    "ext-uri-invalid": (E, "an extension value that must be an absolute URI is not"),
    "ext-number": (E, "an extension value that must be a number (or list of numbers) is not"),
    "ext-value": (E, "an extension value outside its allowed set (sy:updatePeriod …)"),
    # RFC 5005 feed history (archived and complete feeds)
    "fh-not-empty": (E, "fh:archive or fh:complete with text or child elements (both are empty)"),
    "fh-archive-and-complete": (E, "a document both an archive (fh:archive) and complete"),
    "fh-complete-with-links": (
        E,
        "a complete feed (fh:complete) that links other documents of the feed (prev-archive, "
        "next-archive, previous, next, first, last)",
    ),
    "fh-link-not-absolute": (
        W,
        "a current, prev-archive or next-archive link whose href is not an absolute URI",
    ),
    "fh-link-empty": (E, "a current, prev-archive or next-archive link whose href is empty"),
    "fh-archive-without-current": (
        W,
        "an archive document (fh:archive) without a link to the subscription document "
        '(rel="current")',
    ),
    "fh-links-without-archive": (
        W,
        'a document with rel="current" or rel="next-archive" links but no fh:archive',
    ),
    "fh-link-in-item": (W, "a current, prev-archive or next-archive link inside an item or entry"),
    "fh-link-duplicate": (E, "two current, prev-archive or next-archive links in one document"),
    # RFC 6721 tombstones
    "tombstone-misplaced": (
        E,
        "an at:deleted-entry outside atom:feed (or at:by/at:comment outside one)",
    ),
    "tombstone-ref-missing": (E, "an at:deleted-entry without ref"),
    "tombstone-ref-iri": (E, "an at:deleted-entry ref that is not an absolute IRI"),
    "tombstone-ref-is-entry": (
        W,
        "an at:deleted-entry whose ref is an entry's atom:id in the same feed",
    ),
    "tombstone-when-missing": (E, "an at:deleted-entry without when"),
    "tombstone-when-format": (E, "an at:deleted-entry when that is not an RFC 3339 date-time"),
    "tombstone-duplicate-element": (E, "a second at:by or at:comment in one at:deleted-entry"),
    "tombstone-by-missing-name": (E, "an at:by without atom:name"),
    "tombstone-comment-type": (E, "an at:comment type other than text, html or xhtml"),
    "tombstone-unknown-element": (
        E,
        "an element of the tombstones namespace RFC 6721 does not define",
    ),
    # geographic positions
    "geo-coordinate": (E, "a latitude or longitude that is not a number within range"),
    "geo-coordinate-comma": (W, "GeoRSS coordinates separated by commas, not spaces"),
}

#: The rule families by code prefix: a title and the specifications they follow (README).
FAMILIES: Final[dict[str, tuple[str, str]]] = {
    "input": ("Input", "the limits given on the command line"),
    "xml": (
        "XML",
        "XML 1.0 (Fifth Edition) with Namespaces in XML 1.0; BCP 47 for xml:lang, RFC 3987 "
        "for xml:base",
    ),
    "feed": ("Feed format", "RSS 2.0, RSS 1.0 and RFC 4287"),
    "ns": ("Namespaces", "the namespace URIs of the specifications below"),
    "validator": ("Validator", "—"),
    "rss": (
        "RSS 2.0",
        "RSS 2.0.11 (RSS Advisory Board) and the RSS Best Practices Profile; RFC 822 dates as "
        "the W3C Feed Validation Service reads them; RFC 3986 URIs",
    ),
    "rss1": ("RSS 1.0", "RSS 1.0 (2000-12-06) and RDF/XML"),
    "atom": ("Atom 1.0", "RFC 4287, with RFC 3339 dates and RFC 3987 IRIs"),
    "urn": ("URNs", "RFC 9562 (UUID URNs)"),
    "media": ("Media RSS", "Media RSS 1.5.1 (RSS Advisory Board); EBU role codes; ISO 3166"),
    "itunes": (
        "iTunes podcasts",
        "Apple Podcasts RSS feed requirements (the itunes namespace), with the W3C Feed "
        "Validation Service's categories",
    ),
    "dc": ("Dublin Core", "DCMI Metadata Element Set 1.1 and DCMI Metadata Terms; W3C-DTF dates"),
    "ext": (
        "Extensions",
        "RSS 1.0 modules (Syndication, Slash, Content), Well-Formed Web CommentAPI, TrackBack, "
        "Creative Commons, OpenSearch 1.1, RFC 5023 (app:), RFC 4685 (thr:), RFC 5005 (fh:)",
    ),
    "fh": (
        "Feed history",
        "RFC 5005 (Feed Paging and Archiving) §2 and §4, its Appendix B for RSS 2.0, and the "
        "W3C Feed Validation Service's reading of it",
    ),
    "geo": ("Positions", "W3C Basic Geo (WGS84), GeoRSS Simple, ICBM and GeoURL"),
    "tombstone": ("Tombstones", "RFC 6721 (the Atom deleted-entry element)"),
    "json": ("JSON Feed", "JSON Feed 1.1 and RFC 8259"),
}

_MIME = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,126}"
    r"(\s*;\s*[A-Za-z0-9!#$&^_.+\-]+=(\"[^\"]*\"|[^;\s]*))*\s*"
)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))"
)


def is_mime_type(value: str) -> bool:
    """Whether `value` is a MIME media type, optionally with parameters."""
    return bool(_MIME.fullmatch(value.strip()))


def is_xml_mime_type(value: str) -> bool:
    """Whether a MIME type is an XML type (RFC 3023): ``*/xml`` or ``*+xml``."""
    base = value.split(";", 1)[0].strip().lower()
    return base.endswith(("/xml", "+xml"))


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


#: Local names of the elements that hold one item of a feed (RSS 2.0 and 1.0, Atom).
_ITEM_NAMES = frozenset({"item", "entry"})


def item_index(el: etree._Element) -> int | None:
    """The position (from 0) of the item or entry that holds `el` (or is `el`) among its
    siblings of the same kind; None when `el` is not inside one."""
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        if parent is None:
            return None
        if isinstance(node.tag, str) and etree.QName(node).localname in _ITEM_NAMES:
            return [c for c in parent if c.tag == node.tag].index(node)
        node = parent
    return None


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
        item: Which item (RSS) or entry (Atom) the issue is inside, counted from 0 in document
            order; None when it is not inside one. A publisher finds the article at fault by it.
    """

    code: str
    severity: Severity
    message: str
    line: int
    column: int
    path: str
    item: int | None = None


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
        issue = Issue(code, CODES[code][0], message, line_of(el), 0, path, item_index(el))
        self.issues.append(issue)
