"""Whitespace around Atom values where RFC 4287 allows none: URIs and dates.

An atom:id, icon, logo or uri is an IRI and atom:updated/published a date-time: none may
have spaces or line breaks around it (the W3C validator's UnexpectedWhitespace). The same
holds for the IRI attributes link/@href, category/@scheme, content/@src and
generator/@uri. xml:base is checked with the other XML attributes.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from feeds.rules import ATOM_NS
from feeds.validate.base import Collector

_TEXT: Final = ("id", "icon", "logo", "uri", "updated", "published")
_ATTRIBUTES: Final = {"link": "href", "category": "scheme", "content": "src", "generator": "uri"}
_SPACE: Final = frozenset(" \t\r\n")
_TAGS: Final = [f"{{{ATOM_NS}}}{local}" for local in (*_TEXT, *_ATTRIBUTES)]


def check_whitespace(root: etree._Element, out: Collector) -> None:
    """Report Atom URIs and dates (anywhere in the document) with whitespace around them."""
    skip = len(ATOM_NS) + 2
    for el in root.iter(*_TAGS):
        local = el.tag[skip:]
        attr = _ATTRIBUTES.get(local)
        if attr is None:
            value = el.text
            if not value or not (value[0] in _SPACE or value[-1] in _SPACE) or len(el):
                continue  # (an element of text holding elements is reported as such)
            where = f"<{local}>"
        else:
            value = el.get(attr)
            if not value or not (value[0] in _SPACE or value[-1] in _SPACE):
                continue
            where = f"{attr}="
        out.add(
            "atom-whitespace",
            el,
            f'{where}"{value.strip()[:60]}" has whitespace around it: RFC 4287 allows none '
            "in URIs and dates; write the value alone",
            attr=attr or "",
        )
