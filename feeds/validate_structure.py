"""Order and placement: what may stand where in RSS 2.0 and Atom, text versus elements, and
the attributes each element defines.

Following RFC 4287 and RSS 2.0 as the W3C Feed Validation Service reads them: feed metadata
after the first entry (MisplacedMetadata), text inside elements that hold only elements
(UnexpectedText), elements inside elements that hold only text (UndefinedElement: in RSS,
HTML written unescaped into a description), and attributes an element does not define
(UnexpectedAttribute). Attributes in a namespace are extensions and are not judged.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from feeds.validate_base import ATOM_NS, Collector, children, element_name
from feeds.validate_scope import Scope
from feeds.validate_values import plain_attributes

_ATOM_META: Final = frozenset(
    """author category contributor generator icon id link logo rights subtitle title
    updated""".split()  # noqa: SIM905
)
_ATOM_ATTRIBUTES: Final = {
    "title": ("type",),
    "subtitle": ("type",),
    "rights": ("type",),
    "summary": ("type",),
    "content": ("type", "src"),
    "link": ("href", "rel", "type", "hreflang", "title", "length"),
    "category": ("term", "scheme", "label"),
    "generator": ("uri", "version"),
}
# Atom elements that hold only elements, and those that hold only text.
_ATOM_CONTAINERS: Final = frozenset({"feed", "entry", "source", "author", "contributor"})
_ATOM_TEXT_ONLY: Final = frozenset(
    {"id", "updated", "published", "icon", "logo", "name", "email", "uri", "generator"}
)

_RSS_ATTRIBUTES: Final = {
    "rss": ("version",),
    "guid": ("isPermaLink",),
    "category": ("domain",),
    "source": ("url",),
    "enclosure": ("url", "length", "type"),
    "cloud": ("domain", "port", "path", "registerProcedure", "protocol"),
}
_RSS_CONTAINERS: Final = frozenset(
    {"channel", "item", "image", "textInput", "textinput", "skipHours", "skipDays"}
)
_RSS_EMPTY: Final = frozenset({"cloud", "enclosure"})
_RSS_TEXT: Final = {
    "channel": frozenset(
        """title link description language copyright managingEditor webMaster pubDate
        lastBuildDate category generator docs ttl rating""".split()  # noqa: SIM905
    ),
    "item": frozenset(
        "title link description author category comments guid pubDate source".split()  # noqa: SIM905
    ),
    "image": frozenset("url title link width height description".split()),  # noqa: SIM905
    "textInput": frozenset("title description name link".split()),  # noqa: SIM905
    "textinput": frozenset("title description name link".split()),  # noqa: SIM905
    "skipHours": frozenset({"hour"}),
    "skipDays": frozenset({"day"}),
}


def check_structure(scope: Scope, out: Collector) -> None:
    """Check order, text and attributes of an RSS 2.0 or Atom document."""
    if scope.kind == "atom":
        _atom(scope, out)
    elif scope.kind == "rss":
        _rss(scope, out)
    # Atom elements also stand in RSS (atom:link); their attributes are Atom's.
    if scope.kind != "atom":
        for el in scope.root.iter(f"{{{ATOM_NS}}}*"):
            _atom_attributes(el, etree.QName(el).localname, out)


def _stray_text(el: etree._Element) -> str:
    text = (el.text or "").strip()
    if text:
        return text
    for child in el:
        tail = child.tail
        if tail and not tail.isspace():
            return tail.strip()
    return ""


def _atom(scope: Scope, out: Collector) -> None:
    feed = scope.channel
    if feed is not None:
        after_entry = False
        for child in children(feed):
            local = _atom_local(child)
            if local == "entry":
                after_entry = True
            elif after_entry and local in _ATOM_META:
                out.add(
                    "atom-misplaced-metadata",
                    child,
                    f"<{local}> of the feed stands after the first entry: RFC 4287 puts the "
                    "feed's metadata before its entries; move it up",
                )
    for el in scope.root.iter(f"{{{ATOM_NS}}}*"):
        local = etree.QName(el).localname
        _atom_attributes(el, local, out)
        if local in _ATOM_CONTAINERS or local == "category":
            stray = _stray_text(el)
            if stray:
                out.add(
                    "atom-unexpected-text",
                    el,
                    f'text "{stray[:40]}" directly inside <{local}>: it holds only elements'
                    + (" (a category's words go in term or label)" if local == "category" else "")
                    + "; remove it or put it in the right child element",
                )
        elif local == "link":
            if _stray_text(el) or len(el):
                out.add(
                    "atom-link-not-empty",
                    el,
                    'a link is an empty element: put its text in title="..." and remove the '
                    "content",
                )
        elif local in _ATOM_TEXT_ONLY and len(children(el)):
            out.add(
                "atom-text-markup",
                el,
                f"<{local}> holds only text, not elements: remove the child elements (or "
                "escape them as text)",
            )


def _atom_local(el: etree._Element) -> str | None:
    tag = el.tag
    if isinstance(tag, str) and tag.startswith(f"{{{ATOM_NS}}}"):
        return tag[len(ATOM_NS) + 2 :]
    return None


def _atom_attributes(el: etree._Element, local: str, out: Collector) -> None:
    allowed = _ATOM_ATTRIBUTES.get(local, ())
    for name in plain_attributes(el):
        if name not in allowed:
            hint = ' (Atom writes uri="...")' if (local, name) == ("generator", "url") else ""
            out.add(
                "atom-unknown-attribute",
                el,
                f'<{element_name(el)}> has no attribute "{name}"{hint}'
                + (f"; it has {', '.join(allowed)}" if allowed else "")
                + ": check the spelling or remove it",
                attr=name,
            )


def _rss(scope: Scope, out: Collector) -> None:
    root = scope.root
    prefix = f"{{{scope.core}}}" if scope.core else ""
    _rss_element(root, "rss", out)
    channel = scope.channel
    if channel is None:
        return
    _rss_element(channel, "channel", out)
    for el in children(channel):
        tag = el.tag
        if not tag.startswith(prefix) or (not prefix and tag[0] == "{"):
            continue
        local = tag[len(prefix) :]
        _rss_element(el, local, out, container="channel")
        if local in ("image", "textInput", "textinput", "skipHours", "skipDays"):
            for child in children(el):
                if child.tag.startswith(prefix) and (prefix or child.tag[0] != "{"):
                    _rss_element(child, child.tag[len(prefix) :], out, container=local)
    for item in scope.items:
        for el in children(item):
            tag = el.tag
            if tag.startswith(prefix) and (prefix or tag[0] != "{"):
                _rss_element(el, tag[len(prefix) :], out, container="item")


def _rss_element(el: etree._Element, local: str, out: Collector, container: str = "") -> None:
    allowed = _RSS_ATTRIBUTES.get(local, ())
    for name in plain_attributes(el):
        if name not in allowed:
            near = next((a for a in allowed if a.lower() == name.lower()), "")
            hint = f' (the attribute is spelt "{near}")' if near else ""
            out.add(
                "rss-unknown-attribute",
                el,
                f'<{local}> has no attribute "{name}"{hint}: RSS 2.0 does not define it; '
                "remove it or put it in an extension namespace",
                attr=name,
            )
    if local in _RSS_CONTAINERS or local in _RSS_EMPTY or local == "rss":
        stray = _stray_text(el)
        if stray:
            what = "is empty" if local in _RSS_EMPTY else "holds only elements"
            out.add(
                "rss-unexpected-text",
                el,
                f'text "{stray[:40]}" directly inside <{local}>: it {what}; remove the text',
            )
    elif local in _RSS_TEXT.get(container, ()) and len(children(el)):
        first = element_name(children(el)[0])
        out.add(
            "rss-markup-in-text",
            el,
            f"<{local}> holds the element <{first}>, but RSS {local} is text: escape the HTML "
            "(&lt;p&gt;) or wrap it in <![CDATA[ ... ]]>",
        )
