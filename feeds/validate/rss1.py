"""RSS 1.0 (RDF Site Summary, 2000-12-06) rules of the feed validator.

An ``rdf:RDF`` document holds one ``channel``, optional ``image`` and ``textinput``, and the
``item`` elements, all in the namespace http://purl.org/rss/1.0/ and each identified by
``rdf:about``. Required children and their URLs are checked as the W3C Feed Validation
Service checks them; elements in no namespace are refused (InvalidNamespace there).
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from lxml import etree

from feeds.validate.base import RDF_NS, RSS1_NS, Collector, children, element_name, text_of
from feeds.validate.scope import Scope
from feeds.validate.values import uri_problem

_ABOUT: Final = f"{{{RDF_NS}}}about"
_RESOURCE: Final = f"{{{RDF_NS}}}resource"
_REQUIRED: Final = {
    "channel": ("title", "link", "description", "items"),
    "item": ("title", "link"),
    "image": ("title", "url", "link"),
    "textinput": ("title", "description", "name", "link"),
}
_KNOWN: Final = {
    "channel": frozenset({"title", "link", "description", "image", "items", "textinput"}),
    "item": frozenset({"title", "link", "description"}),
    "image": frozenset({"title", "url", "link"}),
    "textinput": frozenset({"title", "description", "name", "link"}),
}
_URLS: Final = frozenset({"link", "url"})
_TOP: Final = frozenset({"channel", "image", "item", "textinput"})


def check_rss1(scope: Scope, out: Collector) -> None:
    """Check an RSS 1.0 document (its channel, image, text input and items)."""
    if scope.kind != "rss1":
        return
    root = scope.root
    counts = Counter(etree.QName(c).localname for c in children(root) if _in_rss1(c))
    abouts: set[str] = set()
    if scope.channel is None:
        out.add(
            "rss-missing-channel",
            root,
            f'rdf:RDF has no <channel> (xmlns="{RSS1_NS}"): add one with title, link, '
            "description and items",
        )
    for child in children(root):
        tag = child.tag
        if tag[0] != "{":
            _no_namespace(child, out)
            continue
        if not _in_rss1(child):
            continue  # RDF and extension resources (cc:License, taxo:topic …)
        local = etree.QName(child).localname
        if local not in _TOP:
            out.add(
                "rss-unknown-element",
                child,
                f"RSS 1.0 has no <{local}> at the top level: it holds channel, image, "
                "textinput and item",
            )
            continue
        if local != "item" and counts[local] > 1 and child is not _first(root, local):
            out.add("rss-duplicate-element", child, f"an RSS 1.0 feed has one <{local}>")
            continue
        _resource(child, local, abouts, out)


def _in_rss1(el: etree._Element) -> bool:
    tag = el.tag
    return isinstance(tag, str) and tag.startswith(f"{{{RSS1_NS}}}")


def _first(root: etree._Element, local: str) -> etree._Element | None:
    return next((c for c in children(root) if c.tag == f"{{{RSS1_NS}}}{local}"), None)


def _no_namespace(el: etree._Element, out: Collector) -> None:
    out.add(
        "rss1-namespace",
        el,
        f'<{element_name(el)}> is in no namespace: RSS 1.0 elements are in "{RSS1_NS}" '
        f'(declare xmlns="{RSS1_NS}" on rdf:RDF), extensions in their own',
    )


def _resource(el: etree._Element, local: str, abouts: set[str], out: Collector) -> None:
    about = el.get(_ABOUT)
    if about is None:
        out.add(
            "rss-missing-attribute",
            el,
            f'<{local}> needs rdf:about="<its URL>" (the URL it describes)',
            attr="rdf:about",
        )
    elif about in abouts:
        out.add(
            "rss1-about-duplicate",
            el,
            f'rdf:about="{about}" names another resource of this feed too: each channel, '
            "item and image has its own",
            attr="rdf:about",
        )
    else:
        abouts.add(about)
    named = [(c, etree.QName(c).localname if _in_rss1(c) else None) for c in children(el)]
    seen: Counter[str] = Counter()
    for child, name in named:
        if child.tag[0] != "{":
            _no_namespace(child, out)
            continue
        if name is None:
            continue
        seen[name] += 1
        if name not in _KNOWN[local]:
            out.add(
                "rss-unknown-element",
                child,
                f"RSS 1.0 has no <{name}> in {local}: use a module (dc:date, dc:language, "
                "content:encoded …) for anything else",
            )
        elif seen[name] == 2:
            out.add("rss-duplicate-element", child, f"<{name}> may appear only once in {local}")
        elif name in _URLS:
            _url(child, out)
        elif name in ("image", "textinput") and child.get(_RESOURCE) is None:
            out.add(
                "rss-missing-attribute",
                child,
                f"the channel's <{name}> points at the feed's {name}: add rdf:resource=\"<its "
                'rdf:about>"',
                attr="rdf:resource",
            )
        elif name == "items":
            _items(child, out)
        elif len(child):
            _markup_in_text(child, name, out)
    present = set(seen)
    for required in _REQUIRED[local]:
        if required not in present:
            out.add("rss-missing-element", el, f"an RSS 1.0 {local} must contain <{required}>")
    stray = (el.text or "").strip() or next(
        (t.strip() for c in el if (t := c.tail) and t.strip()), ""
    )
    if stray:
        out.add(
            "rss-unexpected-text",
            el,
            f'text "{stray[:40]}" directly inside <{local}>: it holds only elements',
        )


def _url(el: etree._Element, out: Collector) -> None:
    value = text_of(el).strip()
    problem = uri_problem(value)
    if problem:
        out.add(
            "rss-url-invalid",
            el,
            f'<{etree.QName(el).localname}> "{value}" {problem}: write an absolute URL such as '
            "https://example.com/page",
        )


def _items(el: etree._Element, out: Collector) -> None:
    seq = [c for c in children(el) if c.tag == f"{{{RDF_NS}}}Seq"]
    if not seq:
        out.add(
            "rss-missing-element",
            el,
            '<items> must hold an <rdf:Seq> of <rdf:li resource="<item URL>"/>: add it',
        )
        return
    for li in children(seq[0]):
        if li.tag == f"{{{RDF_NS}}}li" and li.get(_RESOURCE) is None and li.get("resource") is None:
            out.add(
                "rss-missing-attribute",
                li,
                'each <rdf:li> names an item: add rdf:resource="<the item\'s rdf:about>"',
                attr="rdf:resource",
            )


def _markup_in_text(el: etree._Element, name: str, out: Collector) -> None:
    if el.get(f"{{{RDF_NS}}}parseType") == "Literal":
        return
    out.add(
        "rss-markup-in-text",
        el,
        f"<{name}> holds elements: it is text; escape markup (&lt;b&gt;) or use content:encoded",
    )
