"""Atom content models (RFC 4287 4.1.3): composite types, base64, XML and XHTML content.

- atom:content must not have a composite MIME type (``multipart/*``, ``message/*``);
- inline content of any other non-text, non-XML type is base64 (the W3C validator's
  NotBase64);
- content of an XML media type holds elements: text after them is mixed content
  (UnexpectedText);
- the elements of xhtml content (and text constructs) are XHTML: an element in no namespace
  (MissingNamespace) or in a feed vocabulary (UndefinedElement) is an error. SVG, MathML
  and unknown vocabularies may stand inside XHTML.
"""

from __future__ import annotations

import binascii
import re
from typing import Final

from lxml import etree

from feeds.rules import ATOM_NS, XHTML_NS
from feeds.validate.base import (
    KNOWN_NAMESPACES,
    Collector,
    children,
    is_mime_type,
    is_xml_mime_type,
)

_XHTML_TYPED: Final = [
    f"{{{ATOM_NS}}}{local}" for local in ("title", "subtitle", "rights", "summary", "content")
]
_FOREIGN: Final = frozenset(KNOWN_NAMESPACES.values()) - {XHTML_NS}
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


def check_content(root: etree._Element, out: Collector) -> None:
    """Check every atom:content (and xhtml text construct) of the document."""
    content = f"{{{ATOM_NS}}}content"
    for el in root.iter(*_XHTML_TYPED):
        kind = el.get("type")
        if kind is None:
            continue
        kind = kind.strip()
        if kind == "xhtml":
            _xhtml(el, out)
        elif el.tag == content and kind and "/" in kind and is_mime_type(kind):
            _typed(el, kind, out)


def _typed(el: etree._Element, kind: str, out: Collector) -> None:
    base = kind.split(";", 1)[0].strip().lower()
    if base.startswith(("multipart/", "message/")):
        out.add(
            "atom-content-composite",
            el,
            f'content type="{kind}" is a composite type, which RFC 4287 forbids: serve the '
            "parts as separate entries or links",
            attr="type",
        )
        return
    if el.get("src") is not None:
        return
    if is_xml_mime_type(base):
        stray = next((t.strip() for c in children(el) if (t := c.tail) and t.strip()), "")
        if stray:
            out.add(
                "atom-content-mixed",
                el,
                f'text "{stray[:40]}" after the XML of a type="{kind}" content: XML content is '
                "one document element; put the text inside it",
            )
        return
    if base.startswith("text/") or children(el):
        return  # text types are text; elements in other types are reported elsewhere
    value = el.text or ""
    if not _BASE64.fullmatch(value) or not _decodes(value):
        out.add(
            "atom-content-base64",
            el,
            f'content of type="{kind}" is binary and must be base64-encoded: encode it, or '
            "link to the file with src=",
        )


def _decodes(value: str) -> bool:
    try:
        binascii.a2b_base64("".join(value.split()).encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _xhtml(el: etree._Element, out: Collector) -> None:
    div = children(el)
    if len(div) != 1 or div[0].tag != f"{{{XHTML_NS}}}div":
        return  # reported as atom-xhtml-div
    for inner in div[0].iterdescendants():
        tag = inner.tag
        if not isinstance(tag, str):
            continue
        if tag[0] != "{":
            namespace = ""
        else:
            namespace = tag[1 : tag.index("}")]
            if namespace not in _FOREIGN:
                continue
        what = "no namespace" if not namespace else f'the namespace "{namespace}"'
        out.add(
            "atom-xhtml-namespace",
            inner,
            f"<{etree.QName(inner).localname}> inside xhtml content is in {what}: every "
            f'element of the div is XHTML; declare xmlns="{XHTML_NS}" on the div and leave '
            "inner elements unprefixed",
        )
        return
