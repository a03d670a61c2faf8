"""Where a feed keeps its channel-level and item-level elements, in RSS 2.0, RSS 1.0 and Atom."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, NamedTuple

from lxml import etree

from feeds.rules import ATOM_NS
from feeds.validate.base import KNOWN_NAMESPACES, RDF_NS, RSS1_NS, children

_RSS2_NAMESPACES = ("", "http://backend.userland.com/rss2")
_RSS_090_NS = "http://my.netscape.com/rdf/simple/0.9/"

CHANNEL = "channel"
ITEM = "item"


class Placed(NamedTuple):
    """A child element of a channel or item, with where it stands.

    Attributes:
        context: ``channel`` (an RSS channel or Atom feed) or ``item`` (an item or entry).
        parent: The channel, item, feed or entry.
        element: The child element itself.
        local: Its local name.
    """

    context: str
    parent: etree._Element
    element: etree._Element
    local: str


@dataclass(frozen=True, slots=True)
class Scope:
    """The parts of one feed document the rule families walk.

    Attributes:
        kind: ``rss`` (RSS 2.0 and 0.9x), ``rss1`` (RSS 1.0) or ``atom``.
        root: The document element.
        channel: The RSS channel or the Atom feed; None for an Atom entry document or a
            feed without channel.
        items: The RSS items or Atom entries, in document order.
        core: The namespace of the format's own elements ("" for RSS 2.0 as written).
        by_namespace: The children of the channel and of each item in the extension
            namespaces the validator knows (`INDEXED_NAMESPACES`), by namespace, in document
            order: what the extension families check.
        namespaces: The namespaces the document's elements use; None when not known.
    """

    kind: str
    root: etree._Element
    channel: etree._Element | None
    items: list[etree._Element]
    core: str
    by_namespace: dict[str, list[Placed]] = field(default_factory=dict)
    namespaces: frozenset[str] | None = None

    def tag(self, local: str) -> str:
        """The Clark name of one of the format's own elements."""
        return f"{{{self.core}}}{local}" if self.core else local

    def uses(self, namespace: str) -> bool:
        """Whether an element of the document may be in `namespace`."""
        return self.namespaces is None or namespace in self.namespaces

    def containers(self) -> list[tuple[str, etree._Element]]:
        """The channel (if any) and every item, with their context."""
        found = [(CHANNEL, self.channel)] if self.channel is not None else []
        return found + [(ITEM, item) for item in self.items]

    def placed(self, namespace: str) -> list[Placed]:
        """The channel and item children in `namespace`."""
        return self.by_namespace.get(namespace, [])


def scope_of(root: etree._Element, kind: str, namespaces: set[str] | None = None) -> Scope | None:
    """The scope of a document the validator recognised as `kind` (``rss`` or ``atom``).

    Args:
        root: The document element.
        kind: What `feeds.validate` recognised.
        namespaces: The namespaces the document's elements use, when known: only those
            are indexed (a feed using none of the extension vocabularies costs nothing).
    """
    known = None if namespaces is None else frozenset(namespaces)
    wanted = INDEXED_NAMESPACES if known is None else INDEXED_NAMESPACES & known
    qname = etree.QName(root)
    ns = qname.namespace or ""
    if kind == "atom":
        if qname.localname == "entry":
            return _indexed(wanted, Scope("atom", root, None, [root], ATOM_NS, namespaces=known))
        entries = [c for c in children(root) if c.tag == f"{{{ATOM_NS}}}entry"]
        return _indexed(wanted, Scope("atom", root, root, entries, ATOM_NS, namespaces=known))
    if kind != "rss":
        return None
    if qname.localname == "RDF" and ns == RDF_NS:
        if any(c.tag == f"{{{_RSS_090_NS}}}channel" for c in children(root)):
            return None  # RSS 0.90: reported as a format that is not checked
        channel = next((c for c in children(root) if c.tag == f"{{{RSS1_NS}}}channel"), None)
        items = [c for c in children(root) if c.tag == f"{{{RSS1_NS}}}item"]
        return _indexed(wanted, Scope("rss1", root, channel, items, RSS1_NS, namespaces=known))
    if ns not in _RSS2_NAMESPACES:
        return None
    prefix = f"{{{ns}}}" if ns else ""
    channel = next((c for c in children(root) if c.tag == f"{prefix}channel"), None)
    items = [] if channel is None else [c for c in children(channel) if c.tag == f"{prefix}item"]
    return _indexed(wanted, Scope("rss", root, channel, items, ns, namespaces=known))


def _indexed(wanted: frozenset[str], scope: Scope) -> Scope:
    index = scope.by_namespace
    if not wanted:
        return scope
    core = f"{{{scope.core}}}" if scope.core else "{"
    for context, parent in scope.containers():
        for child in parent:
            tag = child.tag
            # The format's own elements (no namespace for RSS 2.0, Atom's for Atom) first.
            if tag.__class__ is not str or tag[0] != "{" or (scope.core and tag.startswith(core)):
                continue
            end = tag.index("}")
            namespace = tag[1:end]
            if namespace in wanted:
                index.setdefault(namespace, []).append(
                    Placed(context, parent, child, tag[end + 1 :])
                )
    return scope


#: The namespaces whose channel and item children `Scope.placed` lists.
INDEXED_NAMESPACES: Final = frozenset(
    uri
    for prefix, uri in KNOWN_NAMESPACES.items()
    if prefix not in ("xhtml", "rdf", "rss1", "atom", "media")
)
