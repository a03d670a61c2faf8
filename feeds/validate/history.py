"""RFC 5005 feed history: archive documents, complete feeds and their links.

An archived feed is a subscription document linking (``rel="prev-archive"``) to the newest of a
chain of archive documents, each marked ``<fh:archive/>``, linking its neighbours
(``prev-archive``, ``next-archive``) and the subscription document (``current``); a complete
feed is one document marked ``<fh:complete/>``. RSS 2.0 carries the same links as
``atom:link`` (RFC 5005 Appendix B). Where the elements may appear (the channel, once) is the
extension family's (`ext.py`); this module checks what RFC 5005 asks of a document.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from feeds.rules import ATOM_NS, FH_NS, is_absolute_iri
from feeds.validate.base import Collector, children
from feeds.validate.scope import Scope

#: The RFC 5005 archive link relations (§4).
ARCHIVE_RELS: Final = ("current", "prev-archive", "next-archive")
#: Every link that says the feed has more documents than this one (§3, §4).
_MULTI_DOCUMENT_RELS: Final = ("prev-archive", "next-archive", "previous", "next", "first", "last")
_LINK: Final = f"{{{ATOM_NS}}}link"


def check_history(scope: Scope, out: Collector) -> None:
    """Check the RFC 5005 markers and links of the channel (or feed) and its items."""
    for item in scope.items:
        for link in _links(item):
            if link.get("rel") in ARCHIVE_RELS:
                out.add(
                    "fh-link-in-item",
                    link,
                    f'a rel="{link.get("rel")}" link belongs to the feed, not to an item:'
                    " RFC 5005 archive links say where the feed's other documents are",
                )
    channel = scope.channel
    if channel is None:
        return
    markers = {
        name: [c for c in children(channel) if c.tag == f"{{{FH_NS}}}{name}"]
        for name in ("archive", "complete")
    }
    for found in markers.values():
        for marker in found:
            if (marker.text or "").strip() or children(marker):
                out.add(
                    "fh-not-empty",
                    marker,
                    f"<fh:{etree.QName(marker).localname}> must be empty: write"
                    f" <fh:{etree.QName(marker).localname}/>",
                )
    links = _links(channel)
    by_rel: dict[str, list[etree._Element]] = {}
    for link in links:
        by_rel.setdefault(link.get("rel") or "alternate", []).append(link)
    for rel in ARCHIVE_RELS:
        for index, link in enumerate(by_rel.get(rel, [])):
            _check_href(link, rel, out)
            if index == 1:
                out.add(
                    "fh-link-duplicate",
                    link,
                    f'a second rel="{rel}" link: a document has one {rel}, or a client cannot'
                    " tell which to follow",
                )
    archive, complete = markers["archive"], markers["complete"]
    if archive and complete:
        out.add(
            "fh-archive-and-complete",
            complete[0],
            "an archive document (fh:archive) holds part of a feed, a complete one (fh:complete)"
            " all of it: remove one of them",
        )
    if complete:
        for rel in _MULTI_DOCUMENT_RELS:
            for link in by_rel.get(rel, []):
                out.add(
                    "fh-complete-with-links",
                    link,
                    f'a complete feed (fh:complete) has no other documents, yet links rel="{rel}":'
                    " remove the link or <fh:complete/>",
                )
    if archive and not by_rel.get("current"):
        out.add(
            "fh-archive-without-current",
            archive[0],
            'an archive document should link the subscription document: add <link rel="current"'
            ' href="…"/> (atom:link in RSS) with the feed\'s own URL (RFC 5005 §4)',
        )
    if not archive:
        for rel in ("current", "next-archive"):
            for link in by_rel.get(rel, []):
                out.add(
                    "fh-links-without-archive",
                    link,
                    f'rel="{rel}" is a link of an archive document, but this one has no'
                    " <fh:archive/>: add it (RFC 5005 §4), or remove the link",
                )


def _links(parent: etree._Element) -> list[etree._Element]:
    return [child for child in children(parent) if child.tag == _LINK]


def _check_href(link: etree._Element, rel: str, out: Collector) -> None:
    if link.get("href") is None:
        return  # the Atom family reports a link without href (atom-link-missing-href)
    href = link.get("href", "").strip()
    if not href:
        out.add(
            "fh-link-empty",
            link,
            f'the rel="{rel}" link has no href: a client cannot follow it',
            attr="href",
        )
    elif not is_absolute_iri(href):
        out.add(
            "fh-link-not-absolute",
            link,
            f'rel="{rel}" href="{href}" is not an absolute URI: archive crawlers keep these'
            " links and follow them later, from elsewhere; write the whole URL",
            attr="href",
        )
