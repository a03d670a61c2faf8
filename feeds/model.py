"""The frozen data types that flow through the pipeline: articles, images, channels, feeds."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple

from feeds.errors import ArticleError

Format = Literal["rss", "atom", "json"]

#: The media type of each feed format (its self link, autodiscovery links).
FEED_MEDIA_TYPES: dict[Format, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


class _FastPickle:
    """Pickle a slotted dataclass as its constructor call: several times faster to load than
    dataclasses' generic __setstate__, which matters for a cache of 100,000 articles."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        fields: tuple[str, ...] = type(self).__slots__  # the dataclass's fields, in order
        return (type(self), tuple(getattr(self, name) for name in fields))


#: What an automatic slice (`per`) makes one feed for: each distinct value of this field.
SliceKey = Literal["category", "tag", "author", "section"]
BodyFormat = Literal["markdown", "wire"]
#: How a feed's older items are archived (RFC 5005): by calendar month or year in the
#: channel's time zone, or in pages of a fixed number of items counted from the oldest.
ArchiveKind = Literal["monthly", "yearly", "count"]


@dataclass(frozen=True, slots=True)
class Author(_FastPickle):
    """A byline: a name, and optionally an e-mail address, a web page and a social handle."""

    name: str
    email: str = ""
    uri: str = ""
    handle: str = ""


@dataclass(frozen=True, slots=True)
class Link(_FastPickle):
    """A related link; `url` may be empty when the source names a story without its address."""

    title: str
    url: str = ""


def byline(authors: Sequence[Author]) -> str:
    """Names as a person writes them: "A", "A and B", "A, B and C" (every place that shows
    an article's bylines as one text)."""
    names = [author.name for author in authors]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True, slots=True)
class ImageRef(_FastPickle):
    """An image as an article declares it, before the file is read.

    Attributes:
        path: The image file inside the repository (absolute; a plain string, because a
            large repository's scan holds and caches hundreds of thousands of these).
        line: 1-based line of the declaration in the article file (0 when implicit).
    """

    path: str
    alt: str = ""
    caption: str = ""
    credit: str = ""
    title: str = ""
    line: int = 0


class Blob(NamedTuple):
    """The bytes of a file a source holds (an image), handed to a publish target, which never
    sees where the source keeps it.

    Attributes:
        size: Its length in bytes.
        mtime_ns: When it last changed (ns since the epoch): a copy that kept this time and
            size is the same file.
        open: Opens it for reading.
    """

    size: int
    mtime_ns: int
    open: Callable[[], BinaryIO]


@dataclass(frozen=True, slots=True)
class MediaSettings:
    """How images are published (`[media]` in the configuration).

    Attributes:
        max_width: A wider image is published as a rendition this wide.
        max_height: A taller image is published as a rendition this tall (whichever limit
            binds).
        thumbnail_width: Width of every image's thumbnail (`media:thumbnail`).
        quality: Encoder quality of renditions and thumbnails (JPEG, WebP, AVIF), 1-95.
        keep_location: Publish GPS and location metadata (default: strip it).
    """

    max_width: int = 2048
    max_height: int = 2048
    thumbnail_width: int = 400
    quality: int = 82
    keep_location: bool = False


@dataclass(frozen=True, slots=True)
class Rendition:
    """One published file made from an image: the image itself, a web-size copy or a
    thumbnail.

    Attributes:
        url: Absolute public URL.
        media_path: Path relative to the output media folder (POSIX).
        source: The file whose bytes are published (in the repository or the rendition cache).
    """

    url: str
    media_path: str
    media_type: str
    length: int
    width: int
    height: int
    source: Path


@dataclass(frozen=True, slots=True)
class Image:
    """A publishable image: the published file's facts plus the words about it (the
    article's, and what the photo's own metadata adds).

    Attributes:
        url: Absolute public URL of the published copy (a rendition when the original is
            larger than the configured limits, or carried location metadata).
        media_type: Sniffed from the bytes, e.g. ``image/jpeg``.
        length: Exact byte count of the published file.
        width, height: Of the published file as displayed (orientation applied).
        source: The file whose bytes are published: the repository's file, or a rendition
            of it in the state folder's cache.
        media_path: Path of the published copy relative to the output media folder (POSIX).
        credit: The credit line as shown ("Jane Doe / Agency").
        copyright: The copyright notice ("© 2026 Agency").
        license: URL of the licence or rights statement.
        thumbnail: The small rendition (`media:thumbnail`); the image itself when it is
            no wider than the thumbnail width.
        original: The repository file it was made from.
    """

    url: str
    media_type: str
    length: int
    width: int | None
    height: int | None
    source: Path
    media_path: str
    alt: str = ""
    caption: str = ""
    credit: str = ""
    title: str = ""
    copyright: str = ""
    license: str = ""
    thumbnail: Rendition | None = None
    original: Path | None = None

    def files(self) -> tuple[Rendition, ...]:
        """Every file this image publishes (the image, then its thumbnail when separate)."""
        main = Rendition(
            self.url,
            self.media_path,
            self.media_type,
            self.length,
            self.width or 0,
            self.height or 0,
            self.source,
        )
        if self.thumbnail is None or self.thumbnail.media_path == self.media_path:
            return (main,)
        return (main, self.thumbnail)


@dataclass(frozen=True, slots=True)
class Correction(_FastPickle):
    """A significant correction of a published article: shown as a dated note in the item's
    content, and the item's `updated` is its date.

    Attributes:
        date: When the article was corrected (aware).
        text: What was corrected, as plain text (escaped where it is shown).
    """

    date: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Retraction(_FastPickle):
    """An article pulled from publication (`retracted` in its front matter): it leaves every
    output, and Atom feeds that carried it say so with a tombstone.

    Attributes:
        date: When it was retracted (aware): the tombstone's `when`.
        reason: Why, as plain text (the tombstone's comment; may be empty).
        line: 1-based line of `retracted` in the article (0 when the source has no lines).
    """

    date: datetime
    reason: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Tombstone:
    """An RFC 6721 ``at:deleted-entry`` of an Atom feed: an item readers may hold was deleted.

    Attributes:
        id: The deleted item's id (its ``ref``).
        when: When it was deleted (aware; ``when``).
        comment: Why (``at:comment``; "" for none).
    """

    id: str
    when: datetime
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Article(_FastPickle):
    """An article's metadata as read by the cheap scan; the body is loaded only when selected.

    Attributes:
        id: Stable forever: from front matter, else derived from the repository path.
        source: The article file (absolute path, a string for the same reason as
            `ImageRef.path`).
        rel_path: The article's path relative to the repository (POSIX), for messages and ids.
        summary: From front matter; empty means "derive from the body when rendering".
        section: The article's top folder in the repository ("" at the top level).
        body_format: Which reader turns the body into HTML.
        body_line: 1-based line where the body starts in `source`.
        updated: As written (default: `published`); the corrections' dates bump it when the
            feeds are rendered (`feeds.render.notes.as_of`), not here.
        corrections: In date order, oldest first.
        retracted: Set when the article is pulled from publication.
    """

    id: str
    source: str
    rel_path: str
    title: str
    slug: str
    url: str
    published: datetime
    updated: datetime
    authors: tuple[Author, ...]
    summary: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    section: str
    images: tuple[ImageRef, ...]
    related: tuple[Link, ...]
    draft: bool
    body_format: BodyFormat
    body_line: int
    corrections: tuple[Correction, ...] = ()
    retracted: Retraction | None = None

    def brief(self) -> Brief:
        """What choosing this article for a feed needs to know about it."""
        # A fixed offset: datetimes in a time zone's gap or fold (a local time written on the
        # night clocks change) are never equal to one in another zone, even at the same moment.
        offset = self.published.utcoffset()
        published = self.published
        if offset is not None:
            published = published.replace(tzinfo=fixed_offset(offset))
        fields = (
            self.id,
            self.rel_path,
            self.title,
            self.url,
            published,
            self.draft,
            tuple([author.name for author in self.authors]),
            self.categories,
            self.tags,
            self.section,
            self.retracted,
        )
        # In Brief's field order; tuple.__new__ skips the named tuple's Python-level __new__
        # (a scan makes one Brief per article).
        return _new_tuple(Brief, fields)


class Brief(NamedTuple):
    """What choosing articles for feeds needs to know about one: the scan keeps (and caches)
    this small record for every article of the repository, and the full `Article` is read
    again only for the few that a feed selects.

    A named tuple: 100,000 of them are made, sent between processes and loaded from the cache
    at the cost of plain tuples.

    Attributes:
        published: With a fixed offset (see `fixed_offset`), shared by every Brief of that
            offset.
        authors: The bylines' names.
        retracted: Set when the article is pulled from publication (never published again).
    """

    id: str
    rel_path: str
    title: str
    url: str
    published: datetime
    draft: bool
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    section: str
    retracted: Retraction | None = None


_new_tuple = tuple.__new__
_FIXED_OFFSETS: dict[timedelta, timezone] = {}


def fixed_offset(offset: timedelta) -> timezone:
    """One shared `timezone` object per offset (a cache pickles a shared object once)."""
    zone = _FIXED_OFFSETS.get(offset)
    if zone is None:
        zone = _FIXED_OFFSETS.setdefault(offset, timezone(offset))
    return zone


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Every article the scan could read, and a located problem for each file it could not."""

    articles: tuple[Brief, ...]
    problems: tuple[ArticleError, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """A selected article, ready to render: its body as safe HTML and its images resolved.

    Attributes:
        images: The declared images (lead first): enclosures and media:content.
        inline_images: Repository files the body shows that are not declared images; they are
            published with the feed but travel only inside the content.
        depends_on: Every file (absolute path) the entry was made from, including local paths
            the body names that did not exist: a change to any of them invalidates a cached copy.
    """

    article: Article
    content_html: str
    summary: str
    images: tuple[Image, ...]
    inline_images: tuple[Image, ...] = ()
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Site:
    """What the repository needs to know about the site to turn files into articles.

    Attributes:
        url: The site's absolute URL, ending with "/".
        timezone: IANA zone for dates written without an offset.
        permalink: Article URL pattern relative to `url` ({slug} {year} {month} {day} {section}).
    """

    url: str
    timezone: str
    permalink: str = "{slug}/"


@dataclass(frozen=True, slots=True)
class Channel:
    """The site a feed belongs to.

    Attributes:
        hubs: WebSub hubs every feed advertises (and that are told when a feed changes).
    """

    title: str
    url: str
    description: str
    language: str
    timezone: str
    author: Author | None = None
    copyright: str = ""
    logo: Path | None = None
    icon: Path | None = None
    branding: Branding | None = None
    hubs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Branding:
    """The channel's logo and icon, made at the sizes each format asks for.

    Attributes:
        rss_image: The RSS ``<image>`` (at most 144 x 400).
        atom_logo: The Atom ``<logo>`` (2:1).
        atom_icon: The Atom ``<icon>`` (square).
        json_icon: JSON Feed ``icon`` (512 x 512).
        favicon: JSON Feed ``favicon`` and the discovery page's icon (64 x 64).
    """

    rss_image: Rendition | None = None
    atom_logo: Rendition | None = None
    atom_icon: Rendition | None = None
    json_icon: Rendition | None = None
    favicon: Rendition | None = None

    def files(self) -> tuple[Rendition, ...]:
        """Every file the branding publishes, each once."""
        found = (self.rss_image, self.atom_logo, self.atom_icon, self.json_icon, self.favicon)
        unique = {r.media_path: r for r in found if r is not None}
        return tuple(unique.values())


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One configured feed: which articles, which formats, how many items, where its files go.

    The filters select from the published articles: an article is in the feed when, for every
    non-empty filter, one of its values matches one of the filter's values (AND across filters,
    OR within one). Values match when their slugs are equal (``Sea Shanties`` = ``sea-shanties``).

    Attributes:
        path: Sub-folder of the output folder for this feed's files ("" for the top). When
            `per` is set, a pattern with ``{slug}`` (and ``{per}``) filled per value.
        categories: Keep articles with one of these categories (empty: no filter).
        tags: Keep articles with one of these tags.
        authors: Keep articles by one of these authors (names).
        sections: Keep articles in one of these sections (top folder or front matter).
        per: Not a feed itself but a template: one feed per distinct value of each of these
            fields among the selected articles (expanded by the pipeline after the scan).
        group: For a feed expanded from a `per` template: that template's name ("" otherwise).
        archive: Publish RFC 5005 archive documents of the items of every closed period.
        complete: Declare the feed complete (RFC 5005 ``fh:complete``): it holds every item
            it selects, whatever `limit` says (the configuration refuses both).
    """

    name: str
    formats: tuple[Format, ...]
    limit: int
    title: str
    description: str
    path: str
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    per: tuple[SliceKey, ...] = ()
    group: str = ""
    archive: ArchivePolicy | None = None
    complete: bool = False

    def file_for(self, fmt: Format) -> str:
        """The feed file of one format, relative to the output folder (POSIX)."""
        name = FEED_FILE_NAMES[fmt]
        return f"{self.path.strip('/')}/{name}" if self.path.strip("/") else name

    def archive_folder(self) -> str:
        """The folder of this feed's archive documents, relative to the output folder."""
        return f"{self.path.strip('/')}/{ARCHIVE_DIR}" if self.path.strip("/") else ARCHIVE_DIR

    def archive_file(self, fmt: Format, key: str) -> str:
        """The archive document of the period `key` in one format (``archive/2026-11/rss.xml``)."""
        return f"{self.archive_folder()}/{key}/{FEED_FILE_NAMES[fmt]}"


@dataclass(frozen=True, slots=True)
class ArchivePolicy:
    """How a feed is archived (RFC 5005 archived feeds).

    Attributes:
        kind: "monthly" or "yearly" (calendar periods in the channel's time zone), or "count".
        size: With "count": the items of each archive document.
    """

    kind: ArchiveKind
    size: int = 0


@dataclass(frozen=True, slots=True)
class ArchiveDocument:
    """One published archive document, as the discovery page lists it.

    Attributes:
        feed: The name of the feed it archives (`FeedSpec.name`).
        key: Its period ("2026-11", "2026", or a page number).
    """

    feed: str
    key: str
    format: Format
    url: str
    items: int


#: The sub-folder of a feed's folder that holds its archive documents.
ARCHIVE_DIR = "archive"


@dataclass(frozen=True, slots=True)
class Paging:
    """The RFC 5005 links and markers of one feed document.

    Attributes:
        key: The archived period this document holds ("2026-11", "2026", "3"); "" for the
            subscription document.
        current: The subscription document's URL (archive documents link it as "current").
        prev_archive: The next older archive document's URL ("" when none).
        next_archive: The next newer archive document's URL ("" for the newest archive).
        complete: The subscription document is a complete feed (``fh:complete``).
    """

    key: str = ""
    current: str = ""
    prev_archive: str = ""
    next_archive: str = ""
    complete: bool = False

    @property
    def is_archive(self) -> bool:
        return bool(self.key)


#: File name of each format inside a feed's folder.
FEED_FILE_NAMES: dict[Format, str] = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}


@dataclass(frozen=True, slots=True)
class RenderedFeed:
    """One serialised feed document, not yet validated or written.

    Attributes:
        rel_path: Path of the file relative to the output folder (POSIX), e.g. ``rss.xml``.
    """

    spec: FeedSpec
    format: Format
    rel_path: str
    url: str
    body: bytes
    article_ids: tuple[str, ...]
    updated: datetime | None = None
    paging: Paging | None = None

    @property
    def archive_key(self) -> str:
        """The period of an archive document ("" for a subscription document)."""
        return self.paging.key if self.paging is not None else ""


def credit_html(image: Image) -> str:
    """The figure caption's HTML: "caption — credit · © notice", the notice linked to the
    licence when there is one."""
    words = " — ".join(part for part in (image.caption, image.credit) if part)
    parts = [html.escape(words, quote=False)] if words else []
    if image.copyright or image.license:
        notice = html.escape(image.copyright or "Licence", quote=False)
        if image.license:
            notice = f'<a href="{html.escape(image.license)}" rel="license">{notice}</a>'
        parts.append(notice)
    return " · ".join(parts)
