"""The discovery page (``index.html``) and the OPML subscription list (``feeds.opml``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from zoneinfo import ZoneInfo

from lxml import etree

from feeds.model import (
    FEED_MEDIA_TYPES,
    ArchiveDocument,
    Channel,
    Entry,
    FeedSpec,
    Format,
    Image,
    RenderedFeed,
    byline,
    credit_html,
)
from feeds.render.notes import MONTHS, human_date

INDEX_FILE = "index.html"
OPML_FILE = "feeds.opml"

FORMAT_LABELS: dict[Format, str] = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}

_CSS = """\
:root{color-scheme:light dark;--bg:#fbfaf7;--card:#fff;--text:#1b1f24;--muted:#4b5563;
--link:#0b4ea2;--line:#d9dde3;--accent:#0b4ea2;--chip:#eef2f8}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1a1f26;--text:#eceff3;
--muted:#b4bcc6;--link:#9cc3ff;--line:#323a45;--accent:#9cc3ff;--chip:#232b36}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);line-height:1.5;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--link);text-underline-offset:.15em}
a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1.25rem}
header{padding-top:2.5rem;padding-bottom:1rem;border-bottom:1px solid var(--line)}
h1{font-size:clamp(1.8rem,4vw,2.6rem);margin:0 0 .25rem;letter-spacing:-.01em}
h2{font-size:1.4rem;margin:2.25rem 0 .75rem}
h3{font-size:1.05rem;margin:1.5rem 0 .5rem}
.lede{color:var(--muted);margin:0}
table{width:100%;table-layout:fixed;border-collapse:collapse;background:var(--card);
border:1px solid var(--line);border-radius:.5rem;overflow:hidden}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{text-align:left;padding:.55rem .75rem;border-bottom:1px solid var(--line);
vertical-align:top}
thead th{font-size:.85rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
td.count{font-variant-numeric:tabular-nums;white-space:nowrap}
.feed-desc{display:block;color:var(--muted);font-size:.9rem;font-weight:400}
col.c-feed{width:58%}col.c-items{width:14%}col.c-sub{width:28%}
ul.formats{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.4rem}
ul.formats a{display:inline-block;padding:.15rem .6rem;border-radius:999px;
background:var(--chip);text-decoration:none;font-size:.9rem;font-weight:600}
ul.formats a:hover{text-decoration:underline}
.stories{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:1.25rem;
list-style:none;margin:0;padding:0}
.stories article{background:var(--card);border:1px solid var(--line);border-radius:.5rem;
overflow:hidden;height:100%}
.stories figure{margin:0}
.stories img{display:block;width:100%;height:auto;aspect-ratio:3/2;object-fit:cover;
background:var(--chip)}
.stories figcaption{font-size:.8rem;color:var(--muted);padding:.4rem .9rem 0}
.story-text{padding:.25rem .9rem 1rem}
.stories h3{margin:.6rem 0 .35rem;font-size:1.1rem;line-height:1.3}
.meta{font-size:.85rem;color:var(--muted);margin:0 0 .4rem}
.summary{margin:0;font-size:.95rem}
ul.corrections{margin:0;padding-left:1.25rem}ul.corrections li{margin:.3rem 0}
ul.corrections time{color:var(--muted);font-size:.9rem}
footer{color:var(--muted);font-size:.85rem;padding-top:2rem;padding-bottom:2.5rem}
"""


@dataclass(frozen=True, slots=True)
class _Listed:
    """One configured or generated feed with its rendered files, in output order."""

    spec: FeedSpec
    files: tuple[RenderedFeed, ...]

    @property
    def count(self) -> int:
        return len(self.files[0].article_ids)


def _listed(feeds: Sequence[RenderedFeed]) -> list[_Listed]:
    by_spec: dict[str, list[RenderedFeed]] = {}
    specs: dict[str, FeedSpec] = {}
    for feed in feeds:
        by_spec.setdefault(feed.spec.name, []).append(feed)
        specs.setdefault(feed.spec.name, feed.spec)
    return [_Listed(specs[name], tuple(files)) for name, files in by_spec.items()]


def _groups(listed: Sequence[_Listed]) -> list[tuple[str, list[_Listed]]]:
    """Configured feeds first, then the feeds of each `per` template under its name."""
    groups: dict[str, list[_Listed]] = {}
    for feed in listed:
        groups.setdefault(feed.spec.group, []).append(feed)
    return [(group, groups[group]) for group in groups]


def _local(url: str, output_url: str) -> str:
    """A URL inside the output folder as a path relative to the page (works on any mirror)."""
    return url[len(output_url) :] if url.startswith(output_url) else url


def _figure(image: Image, output_url: str) -> str:
    size = f' width="{image.width}" height="{image.height}"' if image.width and image.height else ""
    words = credit_html(image)
    caption = f"<figcaption>{words}</figcaption>" if words else ""
    # A card is a few hundred pixels wide: the thumbnail, with the full size for wide screens.
    thumb = image.thumbnail
    src = thumb.url if thumb is not None else image.url
    srcset = ""
    if thumb is not None and thumb.url != image.url:
        candidates = [
            f"{_local(thumb.url, output_url)} {thumb.width}w",
            f"{_local(image.url, output_url)} {image.width}w",
        ]
        srcset = (
            f' srcset="{escape(", ".join(candidates))}" sizes="(max-width: 40rem) 100vw, 24rem"'
        )
    return (
        f'<figure><img src="{escape(_local(src, output_url))}"{srcset}'
        f' alt="{escape(image.alt)}"{size} loading="lazy" decoding="async">{caption}</figure>'
    )


def _story(entry: Entry, zone: ZoneInfo, output_url: str) -> str:
    article = entry.article
    parts = ["<li><article>"]
    if entry.images:
        parts.append(_figure(entry.images[0], output_url))
    parts.append('<div class="story-text">')
    parts.append(f'<h3><a href="{escape(article.url)}">{escape(article.title)}</a></h3>')
    when = human_date(article.published, zone)
    meta = f'<time datetime="{article.published.isoformat()}">{when}</time>'
    if article.authors:
        meta += " · " + escape(byline(article.authors))
    parts.append(f'<p class="meta">{meta}</p>')
    # A photo story's summary is its caption, which the figure above already shows.
    if entry.summary and not (entry.images and entry.summary == entry.images[0].caption):
        parts.append(f'<p class="summary">{escape(entry.summary)}</p>')
    parts.append("</div></article></li>")
    return "".join(parts)


#: How many corrections the discovery page lists.
NEWEST_CORRECTIONS = 20


def _corrections_section(corrected: Sequence[Entry], zone: ZoneInfo) -> str:
    """The "Corrections" section (with its line break), or "" when no published item has one:
    each correction's date, the story it corrected and what was corrected, newest first."""
    notes = sorted(
        ((c, entry.article) for entry in corrected for c in entry.article.corrections),
        key=lambda pair: (pair[0].date, pair[1].id, pair[0].text),
        reverse=True,
    )[:NEWEST_CORRECTIONS]
    if not notes:
        return ""
    rows = "\n".join(
        f'<li><time datetime="{c.date.astimezone(zone).isoformat()}">'
        f"{human_date(c.date, zone)}</time> · "
        f'<a href="{escape(article.url)}">{escape(article.title)}</a>: {escape(c.text)}</li>'
        for c, article in notes
    )
    return (
        '<section aria-labelledby="corrections-heading">\n'
        '<h2 id="corrections-heading">Corrections</h2>\n'
        f'<ul class="corrections">\n{rows}\n</ul>\n</section>\n'
    )


def _feed_row(feed: _Listed, channel: Channel, output_url: str) -> str:
    spec = feed.spec
    links = "".join(
        f'<li><a href="{escape(_local(file.url, output_url))}"'
        f' type="{FEED_MEDIA_TYPES[file.format]}"'
        f' aria-label="{escape(spec.title)}: {FORMAT_LABELS[file.format]}">'
        f"{FORMAT_LABELS[file.format]}</a></li>"
        for file in feed.files
    )
    description = (
        f'<span class="feed-desc">{escape(spec.description)}</span>'
        if spec.description not in ("", spec.title)
        and (not spec.group or spec.description != channel.description)
        else ""
    )
    items = "1 item" if feed.count == 1 else f"{feed.count} items"
    return (
        f'<tr><th scope="row">{escape(spec.title)}{description}</th>'
        f'<td class="count">{items}</td><td><ul class="formats">{links}</ul></td></tr>'
    )


def render_index(
    channel: Channel,
    feeds: Sequence[RenderedFeed],
    newest: Sequence[Entry],
    *,
    output_url: str,
    archives: Sequence[ArchiveDocument] = (),
    corrected: Sequence[Entry] = (),
) -> bytes:
    """The discovery page: every feed with its formats and item count, then the newest items,
    the latest corrections, and (for archived feeds) every archive document, newest first.

    The page is static HTML with inline CSS and no script; its ``<head>`` carries one
    autodiscovery link per feed file. Links to files in the output folder are relative, so the
    page works wherever the folder is served or opened.

    Args:
        channel: The site.
        feeds: Every rendered (and validated) feed document, in build order.
        newest: The newest published entries to show, newest first.
        output_url: Public URL of the output folder (ends with "/").
        archives: The archive documents published (RFC 5005), any order.
        corrected: Published entries with corrections (as of the build): the page lists
            their newest `NEWEST_CORRECTIONS` corrections, newest first.

    Returns:
        UTF-8 HTML; equal input gives equal bytes.
    """
    zone = ZoneInfo(channel.timezone)
    listed = _listed(feeds)
    head_links = "\n".join(
        f'<link rel="alternate" type="{FEED_MEDIA_TYPES[file.format]}"'
        f' title="{escape(f"{feed.spec.title} ({FORMAT_LABELS[file.format]})")}"'
        f' href="{escape(file.url)}">'
        for feed in listed
        for file in feed.files
    )
    tables: dict[str, str] = {}
    for group, members in _groups(listed):
        heading = group.replace("-", " ").capitalize() if group else "Feeds"
        rows = "".join(_feed_row(feed, channel, output_url) for feed in members)
        tables[group] = (
            f'<table aria-label="{escape(heading)}"><colgroup><col class="c-feed">'
            '<col class="c-items"><col class="c-sub"></colgroup>'
            '<thead><tr><th scope="col">Feed</th><th scope="col">Items</th>'
            f'<th scope="col">Subscribe</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    main_table = tables.pop("", "<p>No feeds are configured.</p>")
    more = "\n".join(
        f"<h3>{escape(group.replace('-', ' ').capitalize())}</h3>\n{table}"
        for group, table in tables.items()
    )
    more_section = (
        f'<section aria-labelledby="more-heading">\n<h2 id="more-heading">More feeds</h2>\n'
        f"{more}\n</section>"
        if tables
        else ""
    )
    stories = "\n".join(_story(entry, zone, output_url) for entry in newest)
    latest = (
        f'<ul class="stories">\n{stories}\n</ul>' if newest else "<p>No stories published yet.</p>"
    )
    corrections_section = _corrections_section(corrected, zone)
    title = f"{channel.title}: feeds"
    page = f"""<!DOCTYPE html>
<html lang="{escape(channel.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<meta name="description" content="{escape(channel.description)}">
{_favicon(channel, output_url)}{head_links}
<style>
{_CSS}</style>
</head>
<body>
<header>
<h1>{escape(channel.title)}</h1>
<p class="lede">{escape(channel.description)}. Follow it in any feed reader:
copy a feed link below, or <a href="{OPML_FILE}">import every feed at once (OPML)</a>.
Back to <a href="{escape(channel.url)}">the site</a>.</p>
</header>
<main>
<section aria-labelledby="feeds-heading">
<h2 id="feeds-heading">Feeds</h2>
{main_table}
</section>
<section aria-labelledby="latest-heading">
<h2 id="latest-heading">Latest stories</h2>
{latest}
</section>
{corrections_section}{more_section}{_archives_section(feeds, archives, output_url)}
</main>
<footer><p>Feeds in RSS 2.0, Atom 1.0 and JSON Feed 1.1 where listed.</p></footer>
</body>
</html>
"""
    return page.encode("utf-8")


def _archive_label(key: str) -> str:
    """ "November 2026" for a month, "2026" for a year, "Archive 3" for a page of items."""
    year, _, month = key.partition("-")
    if month.isdigit() and year.isdigit() and 1 <= int(month) <= len(MONTHS):
        return f"{MONTHS[int(month) - 1]} {year}"
    return key if len(key) == 4 and key.isdigit() else f"Archive {key}"


def _archive_order(key: str) -> tuple[int, str]:
    """Newest first: pages by number, periods by their (sortable) key."""
    return (-int(key), "") if key.isdigit() and len(key) != 4 else (0, key)


def _archives_section(
    feeds: Sequence[RenderedFeed], archives: Sequence[ArchiveDocument], output_url: str
) -> str:
    """The "Archives" section (with its leading line break), or "" without archives."""
    if not archives:
        return ""
    titles = {feed.spec.name: feed.spec.title for feed in feeds}
    by_feed: dict[str, dict[str, list[ArchiveDocument]]] = {}
    for doc in archives:
        by_feed.setdefault(doc.feed, {}).setdefault(doc.key, []).append(doc)
    order = {feed.spec.name: i for i, feed in enumerate(feeds)}
    parts = []
    for name in sorted(by_feed, key=lambda n: (order.get(n, len(order)), n)):
        periods = by_feed[name]
        keys = sorted(periods, key=_archive_order)
        if all(not k.isdigit() or len(k) == 4 for k in keys):
            keys.reverse()  # calendar keys sort oldest first
        rows = []
        for key in keys:
            docs = sorted(periods[key], key=lambda d: list(FORMAT_LABELS).index(d.format))
            links = "".join(
                f'<li><a href="{escape(_local(d.url, output_url))}"'
                f' type="{FEED_MEDIA_TYPES[d.format]}">{FORMAT_LABELS[d.format]}</a></li>'
                for d in docs
            )
            count = docs[0].items
            items = "1 item" if count == 1 else f"{count} items"
            rows.append(
                f'<tr><th scope="row">{escape(_archive_label(key))}</th>'
                f'<td class="count">{items}</td><td><ul class="formats">{links}</ul></td></tr>'
            )
        title = titles.get(name, name)
        parts.append(
            f"<h3>{escape(title)}</h3>\n"
            f'<table aria-label="{escape(title)}: archives"><colgroup><col class="c-feed">'
            '<col class="c-items"><col class="c-sub"></colgroup>'
            '<thead><tr><th scope="col">Period</th><th scope="col">Items</th>'
            f'<th scope="col">Archive</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        )
    body = "\n".join(parts)
    return (
        '\n<section aria-labelledby="archives-heading">\n<h2 id="archives-heading">Archives</h2>\n'
        "<p>Older stories of the archived feeds (RFC 5005): each feed links its newest archive"
        " and each archive the one before.</p>\n"
        f"{body}\n</section>"
    )


def _favicon(channel: Channel, output_url: str) -> str:
    """The page's icon link (with its line break), or "" without `site.icon`."""
    icon = channel.branding.favicon if channel.branding is not None else None
    if icon is None:
        return ""
    return (
        f'<link rel="icon" type="{icon.media_type}" sizes="{icon.width}x{icon.height}"'
        f' href="{escape(_local(icon.url, output_url))}">\n'
    )


def render_opml(channel: Channel, feeds: Sequence[RenderedFeed]) -> bytes:
    """OPML 2.0: one outline per feed (its first format), a folder per `per` template.

    Readers subscribe to every outline they import, so each feed is listed once, in the
    format the configuration lists first, rather than once per format.

    Args:
        channel: The site.
        feeds: Every rendered feed document, in build order.

    Returns:
        UTF-8 XML; equal input gives equal bytes.
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{channel.title}: feeds"
    if channel.author is not None:
        etree.SubElement(head, "ownerName").text = channel.author.name
        if channel.author.email:
            etree.SubElement(head, "ownerEmail").text = channel.author.email
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    for group, members in _groups(_listed(feeds)):
        parent = body
        if group:
            label = group.replace("-", " ").capitalize()
            parent = etree.SubElement(body, "outline", text=label, title=label)
        for feed in members:
            first = feed.files[0]
            attributes = {
                "type": "rss",  # OPML 2.0 says "rss" for every feed format
                "text": feed.spec.title,
                "title": feed.spec.title,
                "xmlUrl": first.url,
                "htmlUrl": channel.url,
                "language": channel.language,
            }
            if feed.spec.description:
                attributes["description"] = feed.spec.description
            etree.SubElement(parent, "outline", attributes)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data
