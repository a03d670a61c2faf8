"""Read a photo's XMP packet (the IPTC Photo Metadata fields) safely, and strip location from it.

XMP is XML inside the image file, written by whoever had the file before us: it is parsed by
lxml with entity resolution, DTDs and the network all off, within a size limit, and a packet
that declares a DTD (the carrier of every XML entity trick) is refused as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

#: A larger packet is ignored (a camera or agency writes a few kilobytes; 64 KiB fit a JPEG
#: segment, and Photoshop's history rarely needs more than a few hundred).
MAX_XMP_BYTES = 1024 * 1024

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DC = "http://purl.org/dc/elements/1.1/"
PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
IPTC_CORE = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
TIFF = "http://ns.adobe.com/tiff/1.0/"
EXIF = "http://ns.adobe.com/exif/1.0/"

_DESCRIPTION = f"{{{RDF}}}Description"
_CONTAINERS = (f"{{{RDF}}}Alt", f"{{{RDF}}}Seq", f"{{{RDF}}}Bag")
_LI = f"{{{RDF}}}li"
_RESOURCE = f"{{{RDF}}}resource"

#: Location properties besides every GPS* property: where the camera was.
_LOCATION = frozenset({f"{{{IPTC_EXT}}}LocationCreated"})
#: Facts about the original's pixels that a resized, upright rendition no longer has.
_PIXEL_FACTS = frozenset(
    {
        f"{{{TIFF}}}Orientation",
        f"{{{TIFF}}}ImageWidth",
        f"{{{TIFF}}}ImageLength",
        f"{{{EXIF}}}PixelXDimension",
        f"{{{EXIF}}}PixelYDimension",
    }
)


class XmpError(Exception):
    """The packet cannot be used; the message says why, for a warning."""


@dataclass(frozen=True, slots=True)
class XmpFields:
    """The IPTC Photo Metadata fields a feed uses, as the packet gives them ("" when absent).

    Attributes:
        caption: ``dc:description``.
        credit: ``photoshop:Credit`` (the credit line, usually the agency).
        creator: ``dc:creator`` (the photographer; several joined "A, B and C").
        copyright: ``dc:rights``.
        license: ``xmpRights:WebStatement``.
        alt: ``Iptc4xmpCore:AltTextAccessibility``.
    """

    caption: str = ""
    credit: str = ""
    creator: str = ""
    copyright: str = ""
    license: str = ""
    alt: str = ""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        recover=False,
    )


def _parse(packet: bytes) -> etree._Element:
    """The packet's root element.

    Raises:
        XmpError: too large, not well-formed XML, or declaring a DTD.
    """
    if len(packet) > MAX_XMP_BYTES:
        raise XmpError(f"is {len(packet)} bytes, over the limit of {MAX_XMP_BYTES}")
    # Writers pad packets with NULs and white space (room to edit in place).
    packet = packet.rstrip(b"\x00 \t\r\n")
    if not packet:
        raise XmpError("is empty")
    # Refused before parsing: a DTD is where entity expansion and external entities live.
    if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        raise XmpError("declares a DTD, which XMP never needs (an XML entity trick?)")
    try:
        root = etree.fromstring(packet, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmpError(f"is not well-formed XML ({exc})") from None
    if root.getroottree().docinfo.internalDTD is not None:  # e.g. spelled in UTF-16
        raise XmpError("declares a DTD, which XMP never needs (an XML entity trick?)")
    return root


def _descriptions(root: etree._Element) -> Iterator[etree._Element]:
    # rdf:RDF may be the root (a bare packet) or sit inside x:xmpmeta.
    yield from root.iter(_DESCRIPTION)


def _text(element: etree._Element) -> str:
    # Entity references (never resolved) are left out; only real text counts.
    return "".join(str(text) for text in element.itertext()).strip()


def _values(element: etree._Element, language: str) -> list[str]:
    """A property element's value(s): plain text, a resource URI, or an Alt/Seq/Bag's items
    (for an Alt, the one item in the best language)."""
    resource = element.get(_RESOURCE)
    if resource is not None:
        return [resource.strip()]
    for container in element:
        if container.tag not in _CONTAINERS:
            continue
        items = [li for li in container if li.tag == _LI]
        if container.tag == _CONTAINERS[0]:
            chosen = _best_language(items, language)
            return [_text(chosen)] if chosen is not None else []
        return [_text(li) for li in items if _text(li)]
    return [_text(element)]


def _best_language(items: list[etree._Element], language: str) -> etree._Element | None:
    """The site's language, else ``x-default``, else the first item."""
    wanted = language.lower()
    by_lang = {(li.get(XML_LANG) or "").lower(): li for li in items}
    for key in (wanted, wanted.split("-")[0]):
        if key in by_lang:
            return by_lang[key]
    for lang, li in by_lang.items():
        if lang.split("-")[0] == wanted.split("-")[0] and lang:
            return li
    return by_lang.get("x-default", items[0] if items else None)


def _property(root: etree._Element, name: str, language: str) -> list[str]:
    for description in _descriptions(root):
        value = description.get(name)  # a simple property may be an attribute
        if value is not None and value.strip():
            return [value.strip()]
        for child in description:
            if child.tag == name:
                found = [v for v in _values(child, language) if v]
                if found:
                    return found
    return []


def names(people: list[str]) -> str:
    """Several creators as a person writes them: "A", "A and B", "A, B and C"."""
    if len(people) <= 1:
        return "".join(people)
    return f"{', '.join(people[:-1])} and {people[-1]}"


def read_xmp(packet: bytes, language: str = "en") -> XmpFields:
    """The caption, credit, creator, copyright, licence and alt text in an XMP packet.

    Args:
        packet: The raw packet as stored in the file.
        language: The site's language, to choose among a field's translations.

    Raises:
        XmpError: the packet cannot be used at all.
    """
    root = _parse(packet)

    def one(namespace: str, local: str) -> str:
        return " ".join(_property(root, f"{{{namespace}}}{local}", language))

    return XmpFields(
        caption=one(DC, "description"),
        credit=one(PHOTOSHOP, "Credit"),
        creator=names(_property(root, f"{{{DC}}}creator", language)),
        copyright=one(DC, "rights"),
        license=one(XMP_RIGHTS, "WebStatement"),
        alt=one(IPTC_CORE, "AltTextAccessibility"),
    )


def _is_location(name: str) -> bool:
    local = etree.QName(name).localname if name.startswith("{") else name
    return name in _LOCATION or local.lower().startswith("gps")


def strip_packet(
    packet: bytes, *, location: bool = True, pixel_facts: bool = False
) -> bytes | None:
    """The packet without its location properties (every ``GPS*`` property in any namespace,
    and ``Iptc4xmpExt:LocationCreated``), and optionally without the original's orientation
    and dimensions (for a rendition).

    Returns:
        None when there was nothing to remove (publish the packet as it is); ``b""`` when the
        packet cannot be parsed, so cannot be shown to be free of location (leave it out);
        else the rewritten packet.
    """
    try:
        root = _parse(packet)
    except XmpError:
        return b""
    doomed: set[str] = set(_PIXEL_FACTS) if pixel_facts else set()
    changed = False
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        for attribute in [str(name) for name in element.attrib]:
            if (location and _is_location(attribute)) or attribute in doomed:
                del element.attrib[attribute]
                changed = True
        # Children anywhere: structures (LocationShown's GPSLatitude) nest properties.
        for child in list(element):
            if isinstance(child.tag, str) and (
                (location and _is_location(child.tag)) or child.tag in doomed
            ):
                element.remove(child)
                changed = True
    if not changed:
        return None
    # The whole document: the xpacket processing instructions around the root stay.
    data: bytes = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=False)
    return data


def has_location(packet: bytes) -> bool:
    """Whether the packet carries location properties (or cannot be shown not to)."""
    return strip_packet(packet) is not None
