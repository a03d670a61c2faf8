"""Atom 1.0 (RFC 4287) rules of the feed validator: every MUST as an error."""

from __future__ import annotations

from collections import Counter
from typing import Final

from lxml import etree

from feeds.rules import ATOM_NS, XHTML_NS, is_email, is_iri_reference, is_language_tag
from feeds.rules import is_absolute_iri as is_absolute_url
from feeds.validate.base import (
    Collector,
    check_rfc3339,
    children,
    element_name,
    is_mime_type,
    is_non_negative_integer,
    is_xml_mime_type,
    text_of,
)

_META: Final = frozenset(
    [
        "author",
        "category",
        "contributor",
        "generator",
        "icon",
        "id",
        "link",
        "logo",
        "rights",
        "subtitle",
        "title",
        "updated",
    ]
)
_FEED_KNOWN: Final = _META | {"entry"}
_FEED_ONCE: Final = frozenset(
    ["generator", "icon", "id", "logo", "rights", "subtitle", "title", "updated"]
)
_ENTRY_KNOWN: Final = frozenset(
    [
        "author",
        "category",
        "content",
        "contributor",
        "id",
        "link",
        "published",
        "rights",
        "source",
        "summary",
        "title",
        "updated",
    ]
)
_ENTRY_ONCE: Final = frozenset(
    ["content", "id", "published", "rights", "source", "summary", "title", "updated"]
)
_REQUIRED: Final = ("id", "title", "updated")
_TEXT_CONSTRUCTS: Final = frozenset({"title", "subtitle", "rights", "summary"})
_TEXT_TYPES: Final = ("text", "html", "xhtml")
_PERSON_KNOWN: Final = frozenset({"name", "uri", "email"})
_IANA_PREFIX: Final = "http://www.iana.org/assignments/relation/"
# IANA link relations (RFC 8288 registry) plus the ones RFC 4287 defines.
_REGISTERED_RELS: Final = frozenset(
    """about acl alternate amphtml appendix apple-touch-icon apple-touch-startup-image archives
    author blocked-by bookmark canonical chapter cite-as collection contents convertedfrom
    copyright create-form current describedby describes disclosure dns-prefetch duplicate edit
    edit-form edit-media enclosure external first glossary help hosts hub icon index
    intervalafter intervalbefore intervalcontains intervaldisjoint intervalduring
    intervalequals intervalfinishedby intervalfinishes intervalin intervalmeets intervalmetby
    intervaloverlappedby intervaloverlaps intervalstartedby intervalstarts item last
    latest-version license linkset lrdd manifest mask-icon me media-feed memento micropub
    modulepreload monitor monitor-group next next-archive nofollow noopener noreferrer opener
    openid2.local_id openid2.provider original p3pv1 payment pingback preconnect
    predecessor-version prefetch preload prerender prev preview previous prev-archive
    privacy-policy profile publication related replies restconf search section self service
    service-desc service-doc service-meta sponsored start status stylesheet subsection
    successor-version sunset tag terms-of-service timegate timemap type ugc up
    version-history via webmention working-copy working-copy-of""".split()  # noqa: SIM905
)
_ISEGMENT_NZ_NC_BAD: Final = frozenset(' \t\r\n/?#[]<>"{}|\\^`')


def _is_atom(el: etree._Element, local: str) -> bool:
    return el.tag == f"{{{ATOM_NS}}}{local}"


def _atom_local(el: etree._Element) -> str | None:
    tag = el.tag
    if isinstance(tag, str) and tag.startswith(f"{{{ATOM_NS}}}"):
        return tag[len(ATOM_NS) + 2 :]
    return None


class _Atom:
    def __init__(self, out: Collector) -> None:
        self.out = out

    # containers ---------------------------------------------------------------------

    def feed(self, feed: etree._Element) -> None:
        self.container(feed, _FEED_KNOWN, _FEED_ONCE, "the feed", required=True)
        kids = children(feed)
        feed_author = any(_is_atom(c, "author") for c in kids)
        if not any(_is_atom(c, "link") and c.get("rel") == "self" for c in kids):
            self.out.add(
                "atom-missing-self",
                feed,
                'add <link rel="self" type="application/atom+xml" href="<this feed\'s URL>"/> '
                "so readers know the feed's own address",
            )
        for child in kids:
            if _is_atom(child, "entry"):
                self.entry(child, feed_author=feed_author)

    def entry(self, entry: etree._Element, *, feed_author: bool) -> None:
        self.container(entry, _ENTRY_KNOWN, _ENTRY_ONCE, "an entry", required=True)
        kids = children(entry)
        has = {name for c in kids if (name := _atom_local(c))}
        sources = [c for c in kids if _is_atom(c, "source")]
        source_author = any(_is_atom(s, "author") for src in sources for s in children(src))
        if not (feed_author or "author" in has or source_author):
            self.out.add(
                "atom-missing-author",
                entry,
                "this entry has no <author> and the feed has none: add <author><name>...</name>"
                "</author> to the feed (or to every entry)",
            )
        contents = [c for c in kids if _is_atom(c, "content")]
        if not contents:
            alternate = any(
                _is_atom(c, "link") and c.get("rel", "alternate") in _ALTERNATE for c in kids
            )
            if not alternate:
                self.out.add(
                    "atom-missing-content-or-alternate",
                    entry,
                    'an entry without <content> needs <link rel="alternate" href="..."/>: '
                    "add one, or add the content",
                )
        elif "summary" not in has and self.content_needs_summary(contents[0]):
            self.out.add(
                "atom-missing-summary",
                entry,
                "an entry whose content is out of line (src) or base64-encoded must have a "
                "<summary>: add one",
            )
        for src in sources:
            self.container(src, _META, _FEED_ONCE, "the source", required=False)

    def container(
        self,
        el: etree._Element,
        known: frozenset[str],
        once: frozenset[str],
        where: str,
        *,
        required: bool,
    ) -> None:
        kids = children(el)
        counts = Counter(_atom_local(c) for c in kids)
        if required:
            for required_name in _REQUIRED:
                if counts[required_name] == 0:
                    self.out.add(
                        f"atom-missing-{required_name}",
                        el,
                        f"{where} must contain <{required_name}>: "
                        + _MISSING_ADVICE[required_name],
                    )
        seen: set[str] = set()
        alternates: set[tuple[str, str]] = set()
        selfs = 0
        for child in kids:
            name = _atom_local(child)
            if name is None:
                continue
            if name not in known:
                self.out.add(
                    "atom-unknown-element",
                    child,
                    f"Atom has no <{name}> in {where}: remove it or move it to an extension "
                    "namespace",
                )
                continue
            if name in once and name in seen:
                self.out.add(
                    "atom-duplicate-element", child, f"<{name}> may appear only once in {where}"
                )
            seen.add(name)
            if name == "id":
                self.id(child)
            elif name in ("updated", "published"):
                self.date(child)
            elif name in _TEXT_CONSTRUCTS:
                self.text_construct(child)
            elif name == "content":
                self.content(child)
            elif name in ("author", "contributor"):
                self.person(child)
            elif name == "category":
                self.category(child)
            elif name in ("icon", "logo"):
                self.iri_text(child)
            elif name == "generator":
                self.iri_attr(child, "uri")
            elif name == "link":
                rel = self.link(child)
                if rel in _ALTERNATE:
                    key = (child.get("type", ""), child.get("hreflang", ""))
                    if key in alternates:
                        self.out.add(
                            "atom-link-alternate-duplicate",
                            child,
                            "two alternate links with the same type and hreflang: remove one or "
                            "give them different type/hreflang",
                        )
                    alternates.add(key)
                elif rel == "self":
                    selfs += 1
                    if selfs == 2:
                        self.out.add(
                            "atom-link-self-duplicate",
                            child,
                            'more than one rel="self" link: keep the one with the feed\'s URL',
                        )

    # constructs ---------------------------------------------------------------------

    def id(self, el: etree._Element) -> None:
        value = text_of(el).strip()
        if not is_absolute_url(value):
            self.out.add(
                "atom-id-not-absolute",
                el,
                f'<id> "{value}" must be an absolute IRI that never changes, e.g. '
                '"tag:example.com,2024:post-17" or "urn:uuid:..."',
            )

    def date(self, el: etree._Element) -> None:
        value = text_of(el)
        problem = check_rfc3339(value)
        if problem:
            self.out.add(
                "atom-date-format",
                el,
                f'<{element_name(el)}> "{value.strip()}" {problem}: write it like '
                '"2024-03-05T14:30:00Z" or "2024-03-05T15:30:00+01:00" (upper-case T and Z)',
            )

    def text_construct(self, el: etree._Element) -> None:
        kind = el.get("type", "text")
        if not kind:  # a warning for the W3C validator (AttrNotBlank); read as text
            self.blank(el, "type", 'leave type out, or write type="text"')
            kind = "text"
        if kind not in _TEXT_TYPES:
            self.out.add(
                "atom-text-type",
                el,
                f'type="{kind}" must be "text", "html" or "xhtml"',
                attr="type",
            )
            return
        if kind == "xhtml":
            self.xhtml_div(el)
        elif children(el):
            self.out.add(
                "atom-text-markup",
                el,
                f'type="{kind}" text must not contain elements: escape the markup '
                '(&lt;p&gt;) with type="html", or use type="xhtml" with a <div>',
            )

    def xhtml_div(self, el: etree._Element) -> None:
        kids = children(el)
        stray = (el.text or "").strip() or any((k.tail or "").strip() for k in kids)
        if len(kids) != 1 or kids[0].tag != f"{{{XHTML_NS}}}div" or stray:
            self.out.add(
                "atom-xhtml-div",
                el,
                'type="xhtml" needs exactly one <div xmlns="http://www.w3.org/1999/xhtml"> '
                "child holding all the markup",
            )

    def content(self, el: etree._Element) -> None:
        kind = el.get("type")
        src = el.get("src")
        if kind == "":
            self.blank(el, "type", "leave type out, or name the content's type")
            kind = None
        if kind is not None and kind not in _TEXT_TYPES and not is_mime_type(kind):
            self.out.add(
                "atom-content-type",
                el,
                f'content type="{kind}" must be "text", "html", "xhtml" or a MIME type',
                attr="type",
            )
            return
        if src is not None:
            if not is_iri_reference(src):
                self.out.add("atom-iri-invalid", el, f'src="{src}" is not a valid IRI', attr="src")
            if (el.text or "").strip() or children(el):
                self.out.add(
                    "atom-content-src-not-empty",
                    el,
                    "content with src must be empty: remove the inline content or the src",
                )
            if kind in _TEXT_TYPES:
                self.out.add(
                    "atom-content-type",
                    el,
                    f'content with src needs a MIME type, not type="{kind}": e.g. "text/html"',
                    attr="type",
                )
            elif kind is None:
                self.out.add(
                    "atom-content-src-missing-type",
                    el,
                    'content with src should say what it points to: add type="<MIME type>"',
                )
            return
        if kind == "xhtml":
            self.xhtml_div(el)
        elif (kind in (None, "text", "html") or kind.lower().startswith("text/")) and children(el):
            self.out.add(
                "atom-text-markup",
                el,
                "this content type must not contain elements: escape the markup with "
                'type="html", or use type="xhtml" with a <div>',
            )

    def content_needs_summary(self, el: etree._Element) -> bool:
        kind = el.get("type")
        if el.get("src") is not None:
            return True
        if kind is None or kind in _TEXT_TYPES or not is_mime_type(kind):
            return False
        return not (is_xml_mime_type(kind) or kind.lower().startswith("text/"))

    def person(self, el: etree._Element) -> None:
        kids = children(el)
        if not any(_is_atom(c, "name") for c in kids):
            self.out.add(
                "atom-person-missing-name",
                el,
                f"<{element_name(el)}> must contain <name>: add the person's name",
            )
        seen: set[str] = set()
        for child in kids:
            name = _atom_local(child)
            if name is None:
                continue
            if name not in _PERSON_KNOWN:
                self.out.add(
                    "atom-unknown-element",
                    child,
                    f"a person has only name, uri and email, not <{name}>",
                )
                continue
            if name in seen:
                self.out.add(
                    "atom-duplicate-element", child, f"<{name}> may appear only once in a person"
                )
            seen.add(name)
            if name == "email" and not is_email(text_of(child)):
                self.out.add(
                    "atom-email",
                    child,
                    f'<email> "{text_of(child).strip()}" is not an e-mail address '
                    "(jo@example.com): fix it or remove the element",
                )
            elif name == "uri":
                self.iri_text(child)

    def category(self, el: etree._Element) -> None:
        if not el.get("term"):
            self.out.add(
                "atom-category-missing-term",
                el,
                'category needs term="...": add it',
                attr="term",
            )
        self.iri_attr(el, "scheme")

    def link(self, el: etree._Element) -> str:
        """Check one link; return its normalised rel."""
        href = el.get("href")
        if href is None:
            self.out.add(
                "atom-link-missing-href", el, 'link needs href="<URL>": add it', attr="href"
            )
        elif not is_iri_reference(href):
            self.out.add(
                "atom-iri-invalid",
                el,
                f'href="{href}" is not a valid IRI: percent-encode spaces and quotes',
                attr="href",
            )
        for attr in ("rel", "title"):
            if el.get(attr) == "":
                self.blank(el, attr, f"leave {attr} out or give it a value")
        rel = (el.get("rel") or "alternate").strip()
        rel = rel.removeprefix(_IANA_PREFIX) if rel.startswith(_IANA_PREFIX) else rel
        if ":" in rel:
            if not is_absolute_url(rel):
                self.out.add(
                    "atom-link-rel",
                    el,
                    f'rel="{rel}" must be a registered name or an absolute IRI',
                    attr="rel",
                )
        elif not rel or any(ch in _ISEGMENT_NZ_NC_BAD for ch in rel):
            self.out.add(
                "atom-link-rel",
                el,
                f'rel="{rel}" must be a single registered name (no spaces or slashes) or an '
                "absolute IRI",
                attr="rel",
            )
        elif rel.lower() not in _REGISTERED_RELS:
            self.out.add(
                "atom-link-rel-unregistered",
                el,
                f'rel="{rel}" is not in the IANA registry: readers will ignore it; use a '
                "registered name or an absolute IRI",
                attr="rel",
            )
        kind = el.get("type")
        if kind is not None and not is_mime_type(kind):
            self.out.add(
                "atom-link-type",
                el,
                f'type="{kind}" is not a MIME type: use e.g. "text/html" or "image/jpeg"',
                attr="type",
            )
        hreflang = el.get("hreflang")
        if hreflang is not None and not is_language_tag(hreflang):
            self.out.add(
                "atom-link-hreflang",
                el,
                f'hreflang="{hreflang}" is not a language tag: use e.g. "en" or "de-CH"',
                attr="hreflang",
            )
        length = el.get("length")
        if length is not None and not is_non_negative_integer(length):
            self.out.add(
                "atom-link-length",
                el,
                f'length="{length}" must be the size in bytes, a whole number',
                attr="length",
            )
        return rel

    def blank(self, el: etree._Element, attr: str, fix: str) -> None:
        self.out.add("atom-attribute-blank", el, f'{attr}="" says nothing: {fix}', attr=attr)

    def iri_text(self, el: etree._Element) -> None:
        value = text_of(el).strip()
        if not value or not is_iri_reference(value):
            self.out.add(
                "atom-iri-invalid",
                el,
                f'<{element_name(el)}> "{value}" is not a valid IRI: percent-encode spaces',
            )

    def iri_attr(self, el: etree._Element, attr: str) -> None:
        value = el.get(attr)
        if value is not None and not is_iri_reference(value):
            self.out.add(
                "atom-iri-invalid",
                el,
                f'{attr}="{value}" is not a valid IRI: percent-encode spaces',
                attr=attr,
            )


_ALTERNATE: Final = frozenset({"alternate"})
_MISSING_ADVICE: Final = {
    "id": "add a permanent absolute IRI, e.g. <id>tag:example.com,2024:post-17</id>",
    "title": "add a <title> (it may be empty only if there is really no title)",
    "updated": "add <updated> with an RFC 3339 date such as 2024-03-05T14:30:00Z",
}


def check_atom(root: etree._Element, out: Collector) -> None:
    """Check an Atom 1.0 feed or entry document (root ``atom:feed`` or ``atom:entry``)."""
    atom = _Atom(out)
    if _is_atom(root, "feed"):
        atom.feed(root)
    elif _is_atom(root, "entry"):
        atom.entry(root, feed_author=False)
