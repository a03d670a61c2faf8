"""Order and placement: what may stand where in RSS 2.0 and Atom, text versus elements, and
the attributes each element defines.

Following RFC 4287 and RSS 2.0 as the W3C Feed Validation Service reads them: feed metadata
after the first entry (MisplacedMetadata), text inside elements that hold only elements
(UnexpectedText), elements inside elements that hold only text (UndefinedElement: in RSS,
HTML written unescaped into a description), and attributes an element does not define
(UnexpectedAttribute). Attributes in a namespace are extensions and are not judged.

The loops are kept tight on purpose: they visit every element of the feed, and a valid
feed should cost well under a microsecond per element here.
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from feeds.rules import ATOM_NS
from feeds.validate.base import Collector, children, element_name
from feeds.validate.scope import Scope

_ATOM: Final = f"{{{ATOM_NS}}}"
_ATOM_META: Final = frozenset(
    {
        "author", "category", "contributor", "generator", "icon", "id", "link", "logo",
        "rights", "subtitle", "title", "updated",
    }
)  # fmt: skip
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
_ALLOWED_ATOM: Final = {name: frozenset(attrs) for name, attrs in _ATOM_ATTRIBUTES.items()}
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
_ALLOWED_RSS: Final = {name: frozenset(attrs) for name, attrs in _RSS_ATTRIBUTES.items()}
_RSS_NESTED: Final = frozenset({"image", "textInput", "textinput", "skipHours", "skipDays"})
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
        return
    if scope.kind == "rss":
        _Rss(scope, out).run()
    # Atom elements in RSS (atom:link) have Atom's attributes.
    for el in scope.root.iter(f"{_ATOM}*"):
        if el.keys():
            _attributes(el, el.tag[len(_ATOM) :], _ATOM_ATTRIBUTES, "atom", out)


def _stray(el: etree._Element) -> str:
    """The first non-blank text directly inside `el` (its text or a child's tail)."""
    text = el.text
    if text and not text.isspace():
        return text.strip()
    for child in el:
        tail = child.tail
        if tail and not tail.isspace():
            return tail.strip()
    return ""


def _attributes(
    el: etree._Element,
    local: str,
    table: dict[str, tuple[str, ...]],
    family: str,
    out: Collector,
) -> None:
    allowed = table.get(local, ())
    for key in el.keys():  # noqa: SIM118 - keys() is the cheap call
        name = key if isinstance(key, str) else key.decode()
        if name[0] == "{" or name in allowed:
            continue
        near = next((a for a in allowed if a.lower() == name.lower()), "")
        if family == "atom":
            hint = ' (Atom writes uri="...")' if (local, name) == ("generator", "url") else ""
            fix = "check the spelling or remove it"
        else:
            hint = f' (the attribute is spelt "{near}")' if near else ""
            fix = "RSS 2.0 does not define it; remove it or put it in an extension namespace"
        out.add(
            f"{family}-unknown-attribute",
            el,
            f'<{element_name(el)}> has no attribute "{name}"{hint}'
            + (f" (it has {', '.join(allowed)})" if allowed and not near else "")
            + f": {fix}",
            attr=name,
        )


def _atom(scope: Scope, out: Collector) -> None:
    if scope.channel is not None:
        after_entry = False
        for child in scope.channel:
            tag = child.tag
            if not isinstance(tag, str) or not tag.startswith(_ATOM):
                continue
            local = tag[len(_ATOM) :]
            if local == "entry":
                after_entry = True
            elif after_entry and local in _ATOM_META:
                out.add(
                    "atom-misplaced-metadata",
                    child,
                    f"<{local}> of the feed stands after the first entry: RFC 4287 puts the "
                    "feed's metadata before its entries; move it up",
                )
    skip = len(_ATOM)
    for el in scope.root.iter(f"{_ATOM}*"):
        local = el.tag[skip:]
        keys = el.keys()
        if keys and not _ALLOWED_ATOM.get(local, frozenset()).issuperset(keys):
            _attributes(el, local, _ATOM_ATTRIBUTES, "atom", out)
        if local in _ATOM_CONTAINERS or local == "category":
            stray = _stray(el)
            if stray:
                out.add(
                    "atom-unexpected-text",
                    el,
                    f'text "{stray[:40]}" directly inside <{local}>: it holds only elements'
                    + (" (a category's words go in term or label)" if local == "category" else "")
                    + "; remove it or put it in the right child element",
                )
        elif local == "link":
            if len(el) or _stray(el):
                out.add(
                    "atom-link-not-empty",
                    el,
                    'a link is an empty element: put its text in title="..." and remove the '
                    "content",
                )
        elif local in _ATOM_TEXT_ONLY and len(el) and children(el):
            out.add(
                "atom-text-markup",
                el,
                f"<{local}> holds only text, not elements: remove the child elements (or "
                "escape them as text)",
            )


class _Rss:
    """One pass over the RSS elements of the rss element, the channel and the items."""

    def __init__(self, scope: Scope, out: Collector) -> None:
        self.scope = scope
        self.out = out
        self.prefix = f"{{{scope.core}}}" if scope.core else ""

    def run(self) -> None:
        root = self.scope.root
        if root.keys():
            _attributes(root, "rss", _RSS_ATTRIBUTES, "rss", self.out)
        self.container(root, "rss")
        channel = self.scope.channel
        if channel is not None:
            if channel.keys():
                _attributes(channel, "channel", _RSS_ATTRIBUTES, "rss", self.out)
            self.container(channel, "channel")
            for item in self.scope.items:
                if item.keys():
                    _attributes(item, "item", _RSS_ATTRIBUTES, "rss", self.out)
                self.container(item, "item")

    def container(self, el: etree._Element, name: str) -> None:
        """Check the text of `el` (which holds only elements) and its RSS children."""
        stray = _stray(el)
        if stray:
            self.unexpected_text(el, name, stray)
        text_only = _RSS_TEXT.get(name, frozenset())
        prefix, skip = self.prefix, len(self.prefix)
        for child in el:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            if prefix:
                if not tag.startswith(prefix):
                    continue
                local = tag[skip:]
            elif tag[0] == "{":
                continue
            else:
                local = tag
            if local == "item":
                continue
            keys = child.keys()
            if keys and not _ALLOWED_RSS.get(local, frozenset()).issuperset(keys):
                _attributes(child, local, _RSS_ATTRIBUTES, "rss", self.out)
            if local in text_only:
                if len(child):
                    self.markup(child, local)
            elif local in _RSS_EMPTY:
                stray = _stray(child)
                if stray:
                    self.unexpected_text(child, local, stray)
            elif local in _RSS_NESTED and name == "channel":
                self.container(child, local)

    def unexpected_text(self, el: etree._Element, local: str, stray: str) -> None:
        what = "is empty" if local in _RSS_EMPTY else "holds only elements"
        self.out.add(
            "rss-unexpected-text",
            el,
            f'text "{stray[:40]}" directly inside <{local}>: it {what}; remove the text',
        )

    def markup(self, el: etree._Element, local: str) -> None:
        inner = children(el)
        if inner:
            self.out.add(
                "rss-markup-in-text",
                el,
                f"<{local}> holds the element <{element_name(inner[0])}>, but RSS {local} is "
                "text: escape the HTML (&lt;p&gt;) or wrap it in <![CDATA[ ... ]]>",
            )
