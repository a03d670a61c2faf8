"""Validate any RSS 2.0 / Atom 1.0 / Media RSS document: feed bytes -> `ValidationReport`.

The judgement follows the specifications and the W3C Feed Validation Service: errors only for
what a specification forbids, warnings for best practices. The rule families live in
`feeds.validate.rss`, `feeds.validate.rss1`, `feeds.validate.atom`, `feeds.validate.media`
and the other rule families of this package (structure, uniqueness, whitespace, content, IRIs,
Dublin Core, extensions, positions, Media RSS in full, iTunes); this module owns the public
API, the byte/XML layer and the namespace checks.
"""

from __future__ import annotations

import codecs
import html.entities
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Final

from lxml import etree

from feeds.rules import ATOM_NS, XML_FORBIDDEN, is_iri_reference, is_language_tag
from feeds.validate.atom import check_atom
from feeds.validate.base import (
    CODES,
    KNOWN_NAMESPACES,
    RSS1_NS,
    XML_BASE,
    XML_LANG,
    Collector,
    Issue,
    Severity,
    line_of,
)
from feeds.validate.content import check_content
from feeds.validate.dc import check_dublin_core
from feeds.validate.dtd import judge_entities
from feeds.validate.ext import check_extensions
from feeds.validate.geo import check_positions
from feeds.validate.history import check_history
from feeds.validate.iri import check_iris
from feeds.validate.itunes import check_itunes
from feeds.validate.json_feed import check_json_feed, looks_like_json
from feeds.validate.media import check_media
from feeds.validate.mrss import check_media_rss
from feeds.validate.rss import check_rss
from feeds.validate.rss1 import check_rss1
from feeds.validate.scope import scope_of
from feeds.validate.structure import check_structure
from feeds.validate.tombstones import check_tombstones
from feeds.validate.unique import check_unique
from feeds.validate.whitespace import check_whitespace

__all__ = [
    "CODES",
    "Issue",
    "Limits",
    "Severity",
    "ValidationReport",
    "validate_feed",
]

log = logging.getLogger(__name__)

_RSS_NAMESPACES: Final = ("", "http://backend.userland.com/rss2")
_RDF_NS: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_ATOM_03_NS: Final = "http://purl.org/atom/ns#"
_RSS_090_NS: Final = "http://my.netscape.com/rdf/simple/0.9/"

# Namespaces whose near misses (other than in case, which matches) are reported. The
# vocabularies added for the W3C rule families are left out: the W3C validator validates
# their near misses, and reporting them would be a new error on feeds that passed before.
_NEAR_MISS_TARGETS: Final = {
    prefix: uri
    for prefix, uri in KNOWN_NAMESPACES.items()
    if prefix
    not in {
        "rdf", "rss1", "geo", "icbm", "geourl", "trackback", "creativeCommons", "cc",
        "admin", "opensearch", "app",
    }
}  # fmt: skip

_BOMS: Final = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_DECLARED_ENCODING = re.compile(r"""\A<\?xml\b[^?>]*?\bencoding\s*=\s*["']([^"']*)["']""")
_FORBIDDEN_CHAR = XML_FORBIDDEN
_CHAR_REF = re.compile(r"&#(?:x([0-9a-fA-F]+)|([0-9]+));")
_LXML_POSITION = re.compile(r", line \d+, column \d+$")
_MAX_REPORTED_CHARS: Final = 20


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Everything the validator found in one feed document.

    Attributes:
        source: The file path, URL or ``<name>`` the document came from.
        kind: ``rss``, ``atom``, ``json`` (JSON Feed) or ``unknown``.
        issues: In document order within each rule family.
        skipped: Why the document was not checked (it is not a feed), or "" when it was.
    """

    source: str
    kind: str
    issues: tuple[Issue, ...]
    skipped: str = ""

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues that make the feed invalid."""
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The best-practice issues."""
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors

    def passed(self, *, strict: bool) -> bool:
        """Whether the feed passes; under `strict`, warnings fail it too."""
        return not self.issues if strict else self.ok

    def without(self, codes: Collection[str]) -> ValidationReport:
        """The same report minus issues with the given codes (for ``--ignore``)."""
        drop = set(codes)
        return replace(self, issues=tuple(i for i in self.issues if i.code not in drop))


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for reading and validating untrusted feeds."""

    max_bytes: int = 50 * 1024 * 1024
    max_depth: int = 256
    fetch_timeout: float = 10.0


def validate_feed(
    data: bytes, *, source: str = "<feed>", limits: Limits = Limits(), feeds_only: bool = False
) -> ValidationReport:
    """Validate one feed document.

    Never raises: any input (random bytes, truncated or huge documents) gives a report.

    Args:
        data: The document's bytes exactly as served.
        source: Where it came from, for the report.
        limits: Size and depth limits.
        feeds_only: Skip (rather than fail) well-formed XML whose root element is no feed
            at all, such as a sitemap found while checking a folder.

    Returns:
        The report; ``report.ok`` is False when the feed has errors.
    """
    out = Collector()
    try:
        kind = _validate(data, limits, out, feeds_only=feeds_only)
        if kind.startswith("skipped:"):
            return ValidationReport(source, "unknown", (), skipped=kind[len("skipped:") :])
    except Exception as exc:  # the promise is a report for any input; keep the evidence
        log.debug("validator failed on %s", source, exc_info=True)
        out.document(
            "validator-internal-error",
            f"the validator failed ({type(exc).__name__}: {exc}); the feed may still be "
            "valid - please report this with the feed attached",
        )
        kind = "unknown"
    return ValidationReport(source=source, kind=kind, issues=tuple(out.issues))


def _validate(data: bytes, limits: Limits, out: Collector, *, feeds_only: bool = False) -> str:
    if len(data) > limits.max_bytes:
        out.document(
            "input-too-large",
            f"the document has {len(data)} bytes, more than the limit of {limits.max_bytes}: "
            "split the feed (fewer items, RFC 5005 archives) or raise the limit",
        )
        return "unknown"
    if not data.strip():
        out.document("input-empty", "the document is empty: a feed needs an rss or feed element")
        return "unknown"
    if looks_like_json(data):
        out.issues.extend(check_json_feed(data))
        return "json"
    if _utf16_without_bom(data):
        out.document(
            "xml-encoding-no-bom",
            "the document is UTF-16 (every other byte is zero) but has neither a byte order "
            "mark nor an XML declaration, so it cannot be read as text: save it as UTF-8, or "
            'as UTF-16 with a byte order mark and <?xml version="1.0" encoding="UTF-16"?>',
            line=1,
            column=1,
        )
        return "unknown"
    codec = _check_encoding_header(data, out)
    root = _parse(data, codec, out)
    if root is None:
        return "unknown"
    if feeds_only and etree.QName(root).localname not in _FEED_ROOTS:
        return f"skipped:not a feed (the root element is <{etree.QName(root).localname}>)"
    if not _check_depth(root, limits.max_depth, out):
        return "unknown"
    variants, used = _check_document_attributes(root, out)
    if variants:
        # Known namespaces written in another case are the same vocabulary to the W3C
        # validator and to readers: validate the elements under their usual URI.
        try:
            rewritten = _canonical_namespaces(data, codec, variants)
        except (UnicodeError, LookupError):  # bytes libxml2 read but Python cannot
            rewritten = data
        fixed = _parse(rewritten, codec, Collector()) if rewritten != data else None
        if fixed is not None:
            root = fixed
    kind = _check_root(root, out)
    if kind == "rss":
        check_rss(root, out)
    elif kind == "atom":
        check_atom(root, out)
    if kind != "unknown":
        check_media(root, out)
        check_tombstones(root, out)
        _check_families(root, kind, out, {variants.get(ns, ns) for ns in used})
    return kind


def _check_families(
    root: etree._Element, kind: str, out: Collector, used: set[str] | None = None
) -> None:
    """The rule families beyond each format's core rules (see their modules)."""
    scope = scope_of(root, kind, used)
    if scope is not None:
        check_rss1(scope, out)
        check_structure(scope, out)
        check_unique(scope, out)
        check_dublin_core(scope, out)
        check_extensions(scope, out)
        check_positions(scope, out)
        check_history(scope, out)
        check_media_rss(scope, out)
        check_itunes(scope, out)
    if used is None or ATOM_NS in used:
        check_whitespace(root, out)
        check_content(root, out)
        check_iris(root, out)


_DOCTYPE_ENTITY_MESSAGE: Final = (
    "the DOCTYPE's entities expand past the parser's limits (an entity bomb, or entities "
    "that refer to each other in a loop): write the characters or numeric references directly"
)


def _utf16_without_bom(data: bytes) -> bool:
    """Whether `data` looks like UTF-16 text with neither BOM nor XML declaration (which
    the parser could use to tell), i.e. every other byte of its start is zero."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
        return False
    head = data[:64]
    if len(head) < 8 or head.startswith((b"<\x00?\x00", b"\x00<\x00?")):
        return False
    low, high = head[0::2], head[1::2]
    return (not any(high) and all(low)) or (not any(low) and all(high))


_FEED_ROOTS: Final = frozenset({"rss", "RDF", "feed", "entry", "Channel"})


def _check_encoding_header(data: bytes, out: Collector) -> str:
    """Check the BOM against the encoding declaration; return the codec to decode with."""
    bom_codec = ""
    for bom, name in _BOMS:
        if data.startswith(bom):
            bom_codec = name
            body = data[len(bom) :]
            break
    else:
        body = data
    family = bom_codec or (
        "utf-16-le" if body.startswith(b"<\x00?\x00") else
        "utf-16-be" if body.startswith(b"\x00<\x00?") else "utf-8"
    )  # fmt: skip
    head = body[:1024].decode(family, errors="replace")
    match = _DECLARED_ENCODING.match(head)
    declared = match.group(1).strip() if match else ""
    if not declared:
        return family
    try:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9._\-]*", declared):
            raise LookupError(declared)
        declared_codec = codecs.lookup(declared).name
    except (LookupError, ValueError):
        out.document(
            "xml-encoding-unknown",
            f'the XML declaration names the encoding "{declared}", which is unknown: '
            'use encoding="UTF-8" and save the file as UTF-8',
            line=1,
        )
        return family
    width_family = family.split("-")[0] + "-" + family.split("-")[1]  # utf-8 / utf-16 / utf-32
    declared_family = declared_codec.replace("_", "-")
    declared_is_wide = declared_family.startswith(("utf-16", "utf-32"))
    if bom_codec:
        if not declared_family.startswith(width_family):
            out.document(
                "xml-encoding-mismatch",
                f"the file starts with a {width_family.upper()} byte order mark but declares "
                f'encoding="{declared}": save it as {declared} without the mark, or declare '
                f'encoding="{width_family.upper()}"',
                line=1,
                column=1,
            )
        return bom_codec
    if declared_is_wide and family == "utf-8":
        out.document(
            "xml-encoding-mismatch",
            f'the XML declaration says encoding="{declared}" but the bytes are 8-bit '
            "(and UTF-16/32 needs a byte order mark): declare the encoding the file is really "
            'saved in, normally encoding="UTF-8"',
            line=1,
            column=1,
        )
        return family
    return family if declared_is_wide else declared_codec


def _parser(*, entities: bool, huge: bool) -> etree.XMLParser:
    return etree.XMLParser(
        # "internal": declared internal entities only; external ones are never read.
        resolve_entities="internal" if entities else False,  # type: ignore[arg-type]
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge,
        remove_blank_text=False,
    )


def _parse(data: bytes, codec: str, out: Collector) -> etree._Element | None:
    """Parse without expanding entities; then, if the internal DTD subset declares some and
    they are within the limits of `feeds.validate.dtd`, parse again expanding them."""
    huge = False
    try:
        try:
            root = etree.fromstring(data, _parser(entities=False, huge=False))
        except etree.XMLSyntaxError as exc:
            # libxml2 refuses text nodes over 10 MB unless told otherwise; nothing is
            # expanded in this parse, and the document is within --max-bytes.
            if "XML_PARSE_HUGE" not in str(exc):
                raise
            huge = True
            root = etree.fromstring(data, _parser(entities=False, huge=True))
        if root is None:  # lxml returns None only for documents without a root element
            out.document("xml-not-well-formed", "the document has no root element", line=1)
            return None
        dtd = root.getroottree().docinfo.internalDTD
        entities = list(dtd.iterentities()) if dtd is not None else []  # type: ignore[union-attr]
        if not entities:
            return root
        try:
            text = data.decode(codec, errors="replace")
        except LookupError:
            text = data.decode("utf-8", errors="replace")
        verdict = judge_entities(entities, text)
        if not verdict.allowed:
            out.document("xml-doctype-entity", verdict.problem, line=1, column=1)
            return None
        return etree.fromstring(data, _parser(entities=True, huge=huge))
    except etree.XMLSyntaxError as exc:
        _diagnose_parse_error(data, codec, exc, out)
        return None


def _diagnose_parse_error(
    data: bytes, codec: str, exc: etree.XMLSyntaxError, out: Collector
) -> None:
    """Turn libxml2's first fatal error into the most specific issue we can explain."""
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as bad:
        line, column = _byte_position(data, bad.start)
        byte = data[bad.start : bad.start + 1].hex().upper()
        out.document(
            "xml-encoding-invalid-bytes",
            f"byte 0x{byte} is not valid {codec.upper()}: the file was probably saved as "
            "Windows-1252/Latin-1; re-save it as UTF-8 (or declare the encoding it really uses)",
            line,
            column,
        )
        return
    except (LookupError, UnicodeError):
        text = ""
    if text and _report_forbidden_characters(text.lstrip("\ufeff"), out):
        return
    message = _LXML_POSITION.sub("", str(exc.msg or exc))
    line, column = exc.position if exc.position else (0, 0)
    column = column or 0
    code, advice = _explain_parse_error(message)
    out.document(code, f"{advice} (parser: {message})", line or 0, column)


def _explain_parse_error(message: str) -> tuple[str, str]:
    prefix = re.match(r"Namespace prefix (\S+) (?:for (\S+) )?on (\S+) is not defined", message)
    if prefix:
        name = prefix.group(1)
        uri = KNOWN_NAMESPACES.get(name, "")
        fix = (
            f'add xmlns:{name}="{uri}" to the root element'
            if uri
            else f'declare it on the root element: xmlns:{name}="<the namespace URI>"'
        )
        return "xml-undeclared-prefix", f'the prefix "{name}" is used but never declared: {fix}'
    entity = re.match(r"Entity '([^']+)' not defined", message)
    if entity:
        name = entity.group(1)
        point = html.entities.name2codepoint.get(name)
        hint = f" (&#{point}; for &{name};)" if point else ""
        return (
            "xml-undefined-entity",
            f"&{name}; is not an XML entity: write the character itself or a numeric "
            f"reference{hint}, or escape the whole HTML as text",
        )
    if "amplification" in message or ("entity" in message.lower() and "loop" in message):
        return "xml-doctype-entity", _DOCTYPE_ENTITY_MESSAGE
    if "Excessive depth" in message:
        return "xml-too-deep", "elements are nested too deeply: flatten the document"
    if "Unsupported encoding" in message:
        return "xml-encoding-unknown", 'unknown encoding: declare encoding="UTF-8"'
    if "invalid Char value" in message or "invalid xmlChar value" in message:
        return (
            "xml-forbidden-character",
            "a character XML 1.0 forbids: strip control characters from the text",
        )
    hints = (
        ("Opening and ending tag mismatch", "close elements in the reverse order of opening"),
        ("Premature end of data", "the document is truncated: serve the complete file"),
        ("EndTag: '</' not found", "the document is truncated: serve the complete file"),
        ("xmlParseEntityRef: no name", "a bare & in text: write &amp;"),
        ("StartTag: invalid element name", "a bare < in text: write &lt; or use CDATA"),
        ("Extra content at the end", "only one root element is allowed"),
        ("Start tag expected", "this is not XML: a feed starts with <?xml ...?> or <rss>/<feed>"),
        ("XML declaration allowed only at the start", "remove anything before <?xml ...?>"),
    )
    for needle, advice in hints:
        if needle in message:
            return "xml-not-well-formed", f"not well-formed XML: {advice}"
    return "xml-not-well-formed", "not well-formed XML: fix the markup at this position"


def _report_forbidden_characters(text: str, out: Collector) -> bool:
    found = 0
    for match in _FORBIDDEN_CHAR.finditer(text):
        line, column = _text_position(text, match.start())
        out.document(
            "xml-forbidden-character",
            f"character U+{ord(match.group()):04X} is not allowed in XML 1.0: strip control "
            "characters from the text before it is written",
            line,
            column,
        )
        found += 1
        if found >= _MAX_REPORTED_CHARS:
            return True
    for match in _CHAR_REF.finditer(text):
        hex_digits, decimal = match.groups()
        point = int(hex_digits, 16) if hex_digits else int(decimal)
        allowed = (
            point in (0x9, 0xA, 0xD)
            or 0x20 <= point <= 0xD7FF
            or 0xE000 <= point <= 0xFFFD
            or 0x10000 <= point <= 0x10FFFF
        )
        if not allowed:
            line, column = _text_position(text, match.start())
            out.document(
                "xml-forbidden-character",
                f"{match.group()} refers to a character XML 1.0 does not allow: remove it",
                line,
                column,
            )
            found += 1
            if found >= _MAX_REPORTED_CHARS:
                break
    return found > 0


def _text_position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _byte_position(data: bytes, index: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, index) + 1
    return line, index - (data.rfind(b"\n", 0, index) + 1) + 1


def _check_depth(root: etree._Element, max_depth: int, out: Collector) -> bool:
    too_deep = root.xpath("(/*" + "/*" * max(max_depth, 0) + ")[1]")
    if isinstance(too_deep, list) and too_deep and isinstance(too_deep[0], etree._Element):
        el = too_deep[0]
        out.document(
            "xml-too-deep",
            f"elements are nested more than {max_depth} levels deep: no feed needs this; "
            "flatten the document",
            line_of(el),
        )
        return False
    return True


def _check_document_attributes(
    root: etree._Element, out: Collector
) -> tuple[dict[str, str], set[str]]:
    """xml:lang and xml:base anywhere, and namespace URIs that are typos of known ones.

    Returns:
        The known namespaces written in another case (as written -> as known; they are
        not reported), and every namespace of an element of the document.
    """
    near_miss = {_normalise_ns(uri): (prefix, uri) for prefix, uri in _NEAR_MISS_TARGETS.items()}
    reported: set[str] = set()
    used: set[str] = set()
    variants: dict[str, str] = {}
    # The format's own namespace must be exact (the W3C validator: InvalidNamespace); only
    # extension vocabularies are matched whatever their case.
    root_ns = (etree.QName(root).namespace or "").lower()
    own = {_KNOWN_BY_CASE.get(root_ns, "")} | ({RSS1_NS} if root_ns == _RDF_NS.lower() else set())
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag[0] == "{":
            ns = tag[1 : tag.index("}")]
            used.add(ns)
            if ns not in reported and ns not in _KNOWN_URIS:
                reported.add(ns)
                known = _KNOWN_BY_CASE.get(ns.lower())
                if known is not None and known not in own:
                    variants[ns] = known
                    continue
                target = near_miss.get(_normalise_ns(ns))
                if target:
                    out.add(
                        "ns-near-miss",
                        el,
                        f'namespace "{ns}" (prefix {el.prefix or "default"}) is a near miss of '
                        f'"{target[1]}": readers ignore these elements; declare '
                        f'xmlns:{target[0]}="{target[1]}" exactly',
                    )
        lang = el.get(XML_LANG)
        if lang is not None and lang != "" and not is_language_tag(lang):
            out.add(
                "xml-lang-invalid",
                el,
                f'xml:lang="{lang}" is not a language tag: use a code such as "en" or "en-GB"',
                attr="xml:lang",
            )
        base = el.get(XML_BASE)
        if base is not None and (not is_iri_reference(base) or base != base.strip()):
            out.add(
                "xml-base-invalid",
                el,
                f'xml:base="{base}" is not a valid IRI: remove spaces around it and '
                "percent-encode spaces and quotes inside",
                attr="xml:base",
            )
    return variants, used


_KNOWN_URIS: Final = frozenset(KNOWN_NAMESPACES.values())
_KNOWN_BY_CASE: Final = {uri.lower(): uri for uri in KNOWN_NAMESPACES.values()}
_XMLNS_VALUE = r"""(xmlns(?::[^\s=:]+)?\s*=\s*)(["']){uri}\2"""


def _canonical_namespaces(data: bytes, codec: str, variants: dict[str, str]) -> bytes:
    """`data` with the namespace declarations of `variants` rewritten to the known URI.

    Only the case of ASCII letters changes, so every line and column stays where it was.
    """
    wide = codec.replace("_", "-").startswith(("utf-16", "utf-32"))
    text = data.decode(codec) if wide else ""
    for written, known in variants.items():
        if not written.isascii():
            continue
        pattern = _XMLNS_VALUE.format(uri=re.escape(written))
        if wide:
            text = re.sub(pattern, rf"\g<1>\g<2>{known}\g<2>", text)
        else:
            data = re.sub(pattern.encode(), rf"\g<1>\g<2>{known}\g<2>".encode(), data)
    return text.encode(codec) if wide else data


def _normalise_ns(uri: str) -> str:
    norm = uri.strip().lower()
    norm = re.sub(r"^https?://", "", norm)
    norm = norm.removeprefix("www.")
    return norm.rstrip("/#")


def _check_root(root: etree._Element, out: Collector) -> str:
    qname = etree.QName(root)
    ns, local = qname.namespace or "", qname.localname
    if local == "rss" and ns in _RSS_NAMESPACES:
        return "rss"
    if ns == ATOM_NS and local in {"feed", "entry"}:
        return "atom"
    if local == "RDF" and ns == _RDF_NS:
        if any(child.tag == f"{{{_RSS_090_NS}}}channel" for child in root):
            out.document(
                "feed-format-unsupported",
                "this is an RSS 0.90 feed, which is not checked: publish RSS 2.0 or Atom 1.0",
                line_of(root),
            )
        return "rss"
    if local == "feed" and ns == _ATOM_03_NS:
        out.document(
            "feed-unknown-root",
            f'this is an Atom 0.3 feed, obsolete since 2005: publish Atom 1.0 (xmlns="{ATOM_NS}")',
            line_of(root),
        )
        return "unknown"
    if local in {"feed", "entry"} and _normalise_ns(ns) == _normalise_ns(ATOM_NS):
        return "atom"  # the near miss is already reported; the Atom rules would only repeat it
    name = f"{{{ns}}}{local}" if ns else local
    out.document(
        "feed-unknown-root",
        f"the root element <{name}> is not a feed: an RSS 2.0 feed starts with "
        f'<rss version="2.0">, an Atom feed with <feed xmlns="{ATOM_NS}">',
        line_of(root),
    )
    return "unknown"
