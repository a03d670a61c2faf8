"""Tombstones: RFC 6721 ``at:deleted-entry`` elements, which tell readers an entry was deleted.

RFC 6721 (namespace ``http://purl.org/atompub/tombstones/1.0``): an ``at:deleted-entry`` is a
child of ``atom:feed``; it MUST carry ``ref``, the deleted entry's atom:id (an IRI), and
``when``, an RFC 3339 date-time; it may hold one ``at:by`` (an Atom person: a name), one
``at:comment`` (an Atom text construct), any number of ``atom:link`` and one ``atom:source``.
A feed that still carries an entry with the ``ref`` of one of its tombstones leaves readers to
guess which one is true (a warning).
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from feeds.rules import ATOM_NS, TOMBSTONES_NS, is_absolute_iri
from feeds.validate.base import Collector, check_rfc3339, element_name, line_of, text_of

_AT: Final = f"{{{TOMBSTONES_NS}}}"
_DELETED: Final = f"{_AT}deleted-entry"
_ONCE: Final = ("by", "comment")
_CHILDREN: Final = frozenset({"by", "comment"})
_TEXT_TYPES: Final = frozenset({"text", "html", "xhtml"})


def check_tombstones(root: etree._Element, out: Collector) -> None:
    """Check every element of the tombstones namespace in the document."""
    if TOMBSTONES_NS not in _namespaces(root):
        return
    entry_ids = _entry_ids(root)
    for el in root.iter(f"{_AT}*"):
        local = el.tag[len(_AT) :]
        if local == "deleted-entry":
            _deleted_entry(root, el, entry_ids, out)
        elif local not in _CHILDREN:
            out.add(
                "tombstone-unknown-element",
                el,
                f"<{element_name(el)}> is not an element of RFC 6721 (it defines"
                " at:deleted-entry, with at:by and at:comment inside): check the spelling",
            )
        elif el.getparent() is None or el.getparent().tag != _DELETED:  # type: ignore[union-attr]
            out.add(
                "tombstone-misplaced",
                el,
                f"<{element_name(el)}> stands outside an at:deleted-entry: move it inside one",
            )


def _namespaces(root: etree._Element) -> set[str]:
    found = {uri for uri in root.nsmap.values() if uri}
    if TOMBSTONES_NS in found:
        return found
    # Declared further down (on the element itself, say): look at every element's namespace.
    return {etree.QName(el).namespace or "" for el in root.iter() if isinstance(el.tag, str)}


def _entry_ids(root: etree._Element) -> dict[str, int]:
    """The atom:ids of the feed's entries, with the line of each."""
    if root.tag != f"{{{ATOM_NS}}}feed":
        return {}
    ids: dict[str, int] = {}
    for entry in root.iterchildren(f"{{{ATOM_NS}}}entry"):
        element = next(entry.iterchildren(f"{{{ATOM_NS}}}id"), None)
        if element is not None:
            ids.setdefault(text_of(element).strip(), line_of(element))
    return ids


def _deleted_entry(
    root: etree._Element, el: etree._Element, entry_ids: dict[str, int], out: Collector
) -> None:
    parent = el.getparent()
    if parent is None or parent is not root or root.tag != f"{{{ATOM_NS}}}feed":
        where = f"inside <{element_name(parent)}>" if parent is not None else "as the document"
        out.add(
            "tombstone-misplaced",
            el,
            f"at:deleted-entry stands {where}: RFC 6721 places it directly inside an Atom"
            " atom:feed (RSS and JSON Feed have no tombstones); move it there",
        )
    ref = el.get("ref")
    if ref is None or not ref.strip():
        out.add(
            "tombstone-ref-missing",
            el,
            "at:deleted-entry has no ref: RFC 6721 requires the atom:id of the deleted entry"
            ' (ref="urn:uuid:…")',
        )
    elif not is_absolute_iri(ref) or ref != ref.strip():
        out.add(
            "tombstone-ref-iri",
            el,
            f'ref "{ref}" is not an absolute IRI: it must be the deleted entry\'s atom:id,'
            " exactly as it was published",
            attr="ref",
        )
    elif ref in entry_ids:
        out.add(
            "tombstone-ref-is-entry",
            el,
            f'ref "{ref}" is also the atom:id of the entry on line {entry_ids[ref]}: readers'
            " cannot tell whether it was deleted; remove the entry or the tombstone",
            attr="ref",
        )
    when = el.get("when")
    if when is None or not when.strip():
        out.add(
            "tombstone-when-missing",
            el,
            "at:deleted-entry has no when: RFC 6721 requires the moment the entry was deleted"
            ' (when="2026-03-02T09:00:00+01:00")',
        )
    else:
        problem = check_rfc3339(when)
        if problem or when != when.strip():
            out.add(
                "tombstone-when-format",
                el,
                f'when "{when}" {problem or "has white space around it"}: write it like'
                " 2026-03-02T09:00:00+01:00",
                attr="when",
            )
    seen: set[str] = set()
    for child in el.iterchildren(f"{_AT}*"):
        local = child.tag[len(_AT) :]
        if local in _ONCE and local in seen:
            out.add(
                "tombstone-duplicate-element",
                child,
                f"a second at:{local} in one at:deleted-entry: RFC 6721 allows one",
            )
        seen.add(local)
        if local == "by" and not text_of(
            next(child.iterchildren(f"{{{ATOM_NS}}}name"), etree.Element("x"))
        ):
            out.add(
                "tombstone-by-missing-name",
                child,
                "at:by has no atom:name: it is an Atom person (<name>…</name> inside)",
            )
        if local == "comment" and child.get("type", "text") not in _TEXT_TYPES:
            out.add(
                "tombstone-comment-type",
                child,
                f'at:comment type "{child.get("type")}" is none of text, html and xhtml',
                attr="type",
            )
