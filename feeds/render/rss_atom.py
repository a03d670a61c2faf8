"""Serialise entries as RSS 2.0 or Atom 1.0 bytes; the only module that imports feedgen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree
from lxml.etree import _Element as Element

from feeds import __version__
from feeds.model import (
    FEED_MEDIA_TYPES,
    Author,
    Channel,
    Entry,
    FeedSpec,
    Format,
    Image,
    Paging,
    RenderedFeed,
    Tombstone,
    byline,
)
from feeds.render import EntryRenderError
from feeds.rules import (
    ATOM_NS,
    CONTENT_NS,
    DC_NS,
    FH_NS,
    MEDIA_NS,
    TOMBSTONES_NS,
    strip_forbidden_chars,
)

#: `updated` of a feed that has no items: fixed, so that an empty feed is still reproducible.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)

# Item children in the order feedparser-based readers need (description and content before
# media:*, or the caption is shown as the body); unknown elements keep their place at the end.
_RSS_ORDER = {
    "title": 0,
    "link": 1,
    "guid": 2,
    "pubDate": 3,
    "author": 4,
    f"{{{DC_NS}}}creator": 4,
    "category": 5,
    "comments": 6,
    "description": 7,
    f"{{{CONTENT_NS}}}encoded": 8,
    "enclosure": 9,
    f"{{{MEDIA_NS}}}content": 10,
    f"{{{MEDIA_NS}}}thumbnail": 11,
}
# feedgen writes Atom elements without a namespace and sets xmlns on the root as a plain
# attribute, so inside an entry the Atom names are bare.
_ATOM_ORDER = {
    "title": 0,
    "link": 1,
    "id": 2,
    "published": 3,
    "updated": 3,
    "author": 4,
    "category": 5,
    "summary": 7,
    "content": 8,
    f"{{{MEDIA_NS}}}content": 10,
    f"{{{MEDIA_NS}}}thumbnail": 11,
}


def _t(text: str) -> str:
    return strip_forbidden_chars(text)


def _sub(parent: Element, tag: str, text: str = "", **attributes: str) -> Element:
    element = etree.SubElement(parent, tag, {k: _t(v) for k, v in attributes.items()})
    if text:
        element.text = _t(text)
    return element


def _reorder(
    parent: Element, order: dict[str, int], rank_of: Callable[[Element], int | None]
) -> None:
    children = list(parent)

    def rank(child: Element) -> int:
        special = rank_of(child)
        if special is not None:
            return special
        return order.get(child.tag, 20)

    parent[:] = sorted(children, key=rank)


def _media_content(parent: Element, image: Image) -> None:
    attributes = {
        "url": image.url,
        "type": image.media_type,
        "fileSize": str(image.length),
        "medium": "image",
    }
    if image.width and image.height:
        attributes["width"] = str(image.width)
        attributes["height"] = str(image.height)
    content = _sub(parent, f"{{{MEDIA_NS}}}content", **attributes)
    title = image.title or image.alt
    if title:
        _sub(content, f"{{{MEDIA_NS}}}title", title, type="plain")
    if image.caption:
        _sub(content, f"{{{MEDIA_NS}}}description", image.caption, type="plain")
    if image.credit:
        _sub(content, f"{{{MEDIA_NS}}}credit", image.credit, role="photographer", scheme="urn:ebu")
    if image.copyright or image.license:
        # Media RSS: the notice as text, the licence (rights statement) as its url.
        extra = {"url": image.license} if image.license else {}
        _sub(content, f"{{{MEDIA_NS}}}copyright", image.copyright or image.license, **extra)
    if image.thumbnail is not None:
        _thumbnail(content, image)


def _thumbnail(parent: Element, image: Image) -> None:
    thumb = image.thumbnail
    assert thumb is not None
    _sub(
        parent,
        f"{{{MEDIA_NS}}}thumbnail",
        url=thumb.url,
        width=str(thumb.width),
        height=str(thumb.height),
    )


def _lead_thumbnail(parent: Element, entry: Entry) -> None:
    """The lead image's thumbnail at item level too: Miniflux and other readers take an
    item's picture from there, not from inside media:content."""
    if entry.images and entry.images[0].thumbnail is not None:
        _thumbnail(parent, entry.images[0])


class _FeedExtension(BaseExtension):  # type: ignore[misc]
    """Declares the namespaces our entry extension writes, writes the WebSub hub links of an
    RSS channel (feedgen writes only the self link there), the RFC 5005 links and markers
    of an archived or complete feed (``atom:link rel="current"``, ``"prev-archive"``,
    ``"next-archive"``; ``fh:archive``, ``fh:complete``), in RSS and Atom alike, and an Atom
    feed's tombstones (RFC 6721 ``at:deleted-entry``, which feedgen does not know)."""

    def __init__(self) -> None:
        self.hubs: tuple[str, ...] = ()
        self.paging: Paging | None = None
        self.tombstones: tuple[Tombstone, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        spaces = {"media": MEDIA_NS, "dc": DC_NS}
        if self._marker():  # only there: every other feed keeps its bytes
            spaces["fh"] = FH_NS
        if self.tombstones:  # set for Atom documents only
            spaces["at"] = TOMBSTONES_NS
        return spaces

    def _marker(self) -> str:
        paging = self.paging
        if paging is None:
            return ""
        return "archive" if paging.is_archive else "complete" if paging.complete else ""

    def _paging_links(self) -> list[tuple[str, str]]:
        paging = self.paging
        if paging is None:
            return []
        links = [
            ("current", paging.current),
            ("prev-archive", paging.prev_archive),
            ("next-archive", paging.next_archive),
        ]
        return [(rel, href) for rel, href in links if href]

    def extend_rss(self, feed: Element) -> Element:
        channel = feed.find("channel")
        if channel is None:
            return feed
        link_tag = f"{{{ATOM_NS}}}link"
        after = next(
            (child for child in channel if child.tag == link_tag and child.get("rel") == "self"),
            None,
        )
        # Beside the self link, as WebSub discovery reads them (rel="hub", then rel="self").
        position = list(channel).index(after) + 1 if after is not None else len(channel)
        links = [("hub", hub, "") for hub in self.hubs]
        links += [(rel, href, FEED_MEDIA_TYPES["rss"]) for rel, href in self._paging_links()]
        for offset, (rel, href, kind) in enumerate(links):
            attributes = {"href": _t(href), "rel": rel, **({"type": kind} if kind else {})}
            channel.insert(position + offset, etree.Element(link_tag, attributes))
        marker = self._marker()
        if marker:
            channel.insert(position + len(links), etree.Element(f"{{{FH_NS}}}{marker}"))
        return feed

    def extend_atom(self, feed: Element) -> Element:
        # feedgen calls this before it appends the entries: the tombstones come after the
        # feed's own elements and before the entries (RFC 6721 lets them stand anywhere among
        # the feed's children).
        for tombstone in self.tombstones:
            deleted = _sub(
                feed,
                f"{{{TOMBSTONES_NS}}}deleted-entry",
                ref=tombstone.id,
                when=tombstone.when.isoformat(),
            )
            if tombstone.comment:
                _sub(deleted, f"{{{TOMBSTONES_NS}}}comment", tombstone.comment)
        for rel, href in self._paging_links():
            _sub(feed, "link", href=href, rel=rel, type=FEED_MEDIA_TYPES["atom"])
        marker = self._marker()
        if marker:
            etree.SubElement(feed, f"{{{FH_NS}}}{marker}")
        return feed


class _EntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Writes what feedgen cannot: dc:creator, Media RSS, Atom enclosure links, element order.

    feedgen 1.0 drops ``rel``/``type``/``length`` of Atom entry links (upstream issue #135) and
    its media extension lacks captions and credits, so those elements are written here.
    """

    def __init__(self) -> None:
        self.entry: Entry | None = None

    def extend_rss(self, item: Element) -> Element:
        entry = self._require()
        # RSS allows one <author>, an e-mail address. A single byline with an e-mail keeps it;
        # otherwise the byline goes out as one dc:creator ("A, B and C"): readers show a
        # single creator (feedparser the last of several), so one element keeps every name.
        authors = entry.article.authors
        if authors and not (len(authors) == 1 and authors[0].email):
            for element in item.findall("author"):
                item.remove(element)
            _sub(item, f"{{{DC_NS}}}creator", byline(authors))
        for image in entry.images:
            _media_content(item, image)
        _lead_thumbnail(item, entry)
        _reorder(item, _RSS_ORDER, lambda _child: None)
        return item

    def extend_atom(self, node: Element) -> Element:
        entry = self._require()
        for image in entry.images:
            attributes = {"rel": "enclosure", "href": image.url, "type": image.media_type}
            attributes["length"] = str(image.length)
            if image.caption:
                attributes["title"] = image.caption
            _sub(node, "link", **attributes)
        for link in entry.article.related:
            if link.url:
                _sub(node, "link", rel="related", href=link.url, title=link.title)
        for image in entry.images:
            _media_content(node, image)
        _lead_thumbnail(node, entry)

        for element in node.iterfind("link"):
            if element.get("rel") is None:  # feedgen drops rel (upstream #135): say it explicitly
                element.set("rel", "alternate")
                element.set("type", "text/html")

        def link_rank(child: Element) -> int | None:
            if child.tag != "link":
                return None
            return {"enclosure": 9, "related": 9}.get(child.get("rel", "alternate"), 1)

        _reorder(node, _ATOM_ORDER, link_rank)
        return node

    def _require(self) -> Entry:
        if self.entry is None:  # pragma: no cover - render_feed always sets it
            raise RuntimeError("entry extension used before its entry was set")
        return self.entry


def render_feed(
    channel: Channel,
    spec: FeedSpec,
    fmt: Format,
    entries: Sequence[Entry],
    *,
    output_url: str,
    updated_when_empty: datetime | None = None,
    paging: Paging | None = None,
    tombstones: Sequence[Tombstone] = (),
) -> RenderedFeed:
    """Render one feed document.

    Args:
        channel: The site.
        spec: The feed's configuration.
        fmt: "rss" or "atom".
        entries: The items, already in feed order (newest first).
        output_url: Public URL of the output folder (ends with "/").
        updated_when_empty: The feed's date when it has no items (a slice that lost its last
            article keeps the date it had); default `EMPTY_FEED_UPDATED`.
        paging: Its RFC 5005 links and markers; with a `key`, the document is that archive
            (written at `FeedSpec.archive_file`, its Atom id the subscription document's: one
            logical feed).
        tombstones: Items this feed carried that were retracted or deleted: written into an
            Atom feed as ``at:deleted-entry`` (newest first, then by id); RSS has no such
            element, so an RSS feed leaves them out.

    Returns:
        The serialised document; dates come only from the entries, so equal input gives equal
        bytes.
    """
    current = output_url + spec.file_for(fmt)
    archived = paging is not None and paging.is_archive
    rel_path = spec.archive_file(fmt, paging.key) if paging and archived else spec.file_for(fmt)
    self_url = output_url + rel_path
    fg = FeedGenerator()
    fg.register_extension("feeds", _FeedExtension, _EntryExtension, atom=True, rss=True)
    fg.id(current)
    fg.title(_t(spec.title))
    # RSS takes its channel <link> from the last link: self first, the site last.
    fg.link(href=self_url, rel="self", type=FEED_MEDIA_TYPES[fmt])
    # An archive never changes (much): only the subscription document is worth a push.
    hubs = () if archived else channel.hubs
    for hub in hubs:  # Atom; the RSS channel's hub links come from our extension
        fg.link(href=hub, rel="hub")
    fg.feeds.hubs = hubs
    fg.feeds.paging = paging
    if fmt == "atom":
        ordered = sorted(tombstones, key=lambda t: t.id)
        fg.feeds.tombstones = tuple(sorted(ordered, key=lambda t: t.when, reverse=True))
    fg.link(href=channel.url, rel="alternate", type="text/html")
    fg.description(_t(spec.description or spec.title))
    fg.language(channel.language)
    author = channel.author or Author(channel.title)
    fg.author(
        {
            k: v
            for k, v in (("name", author.name), ("email", author.email), ("uri", author.uri))
            if v
        }
    )
    if channel.copyright:
        fg.rights(_t(channel.copyright))
    _branding(fg, channel, fmt)
    fg.generator("feeds", version=__version__)
    updated = max(
        (e.article.updated for e in entries), default=updated_when_empty or EMPTY_FEED_UPDATED
    )
    fg.updated(updated)

    for entry in entries:
        try:
            _add_entry(fg, entry)
        except Exception as exc:  # one article's: the build leaves it out
            raise EntryRenderError(entry.article.id, exc) from exc

    body: bytes = fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)
    return RenderedFeed(
        spec=spec,
        format=fmt,
        rel_path=rel_path,
        url=self_url,
        body=body,
        article_ids=tuple(entry.article.id for entry in entries),
        updated=updated,
        paging=paging,
    )


def _branding(fg: FeedGenerator, channel: Channel, fmt: Format) -> None:
    """RSS <image> (title and link are the channel's, as validators require), Atom <icon>
    and <logo>."""
    branding = channel.branding
    if branding is None:
        return
    if fmt == "rss" and branding.rss_image is not None:
        image = branding.rss_image
        fg.image(url=image.url, width=str(image.width), height=str(image.height))
    if fmt == "atom":
        if branding.atom_icon is not None:
            fg.icon(branding.atom_icon.url)
        if branding.atom_logo is not None:
            fg.logo(branding.atom_logo.url)


def _add_entry(fg: FeedGenerator, entry: Entry) -> None:
    article = entry.article
    fe = fg.add_entry(order="append")
    fe.feeds.entry = entry
    fe.id(_t(article.id))  # also the RSS guid, isPermaLink="false"
    fe.title(_t(article.title))
    fe.link(href=article.url)
    fe.published(article.published)
    fe.updated(article.updated)
    for author in article.authors:
        fields = {"name": _t(author.name)}
        if author.email:
            fields["email"] = author.email
        if author.uri:
            fields["uri"] = author.uri
        fe.author(fields)
    terms = dict.fromkeys(_t(term).strip() for term in article.categories + article.tags)
    terms.pop("", None)
    if terms:  # in one call: feedgen rebuilds its whole list on each (3,000 tags took minutes)
        fe.category([{"term": term} for term in terms])
    fe.content(_t(entry.content_html), type="html")
    if entry.summary:
        fe.summary(_t(entry.summary))
    if entry.images:
        lead = entry.images[0]
        fe.enclosure(url=lead.url, length=str(lead.length), type=lead.media_type)
        # feedgen also turns the enclosure into an Atom link it cannot write correctly
        # (upstream #135); the Atom enclosure links come from our extension instead.
        fe.link([link for link in fe.link() if link.get("rel") != "enclosure"], replace=True)
