"""Whitespace around Atom values where RFC 4287 allows none: URIs and dates.

An atom:id, icon, logo or uri is an IRI and atom:updated/published a date-time: none may
have spaces or line breaks around it (the W3C validator's UnexpectedWhitespace). The same
holds for the IRI attributes link/@href, category/@scheme, content/@src and
generator/@uri. xml:base is checked with the other XML attributes.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from feeds.validate_base import ATOM_NS, Collector

_TEXT: Final = ("id", "icon", "logo", "uri", "updated", "published")
_ATTRIBUTES: Final = {"link": "href", "category": "scheme", "content": "src", "generator": "uri"}
_TAGS: Final = [f"{{{ATOM_NS}}}{local}" for local in (*_TEXT, *_ATTRIBUTES)]


def check_whitespace(root: etree._Element, out: Collector) -> None:
    """Report Atom URIs and dates (anywhere in the document) with whitespace around them."""
    for el in root.iter(*_TAGS):
        local = etree.QName(el).localname
        attr = _ATTRIBUTES.get(local)
        if attr is None:
            if len(el):
                continue  # an element of text holding elements: reported as such
            value = el.text or ""
            where = f"<{local}>"
        else:
            value = el.get(attr) or ""
            where = f"{attr}="
        if value != value.strip():
            out.add(
                "atom-whitespace",
                el,
                f'{where}"{value.strip()[:60]}" has whitespace around it: RFC 4287 allows none '
                "in URIs and dates; write the value alone",
                attr=attr or "",
            )
