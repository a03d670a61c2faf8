"""RSS and Atom rendering: what feed readers see of each item and its images."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
from lxml import etree

from feeds.model import Article, Author, Channel, Entry, FeedSpec, Image, Link
from feeds.render.rss_atom import EMPTY_FEED_UPDATED, render_feed

CET = timezone(timedelta(hours=1))
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
CHANNEL = Channel(
    title="Harbour Times",
    url="https://news.example.org/",
    description="News from the harbour",
    language="en",
    timezone="Europe/Berlin",
    author=Author("Newsroom", "newsroom@news.example.org"),
)
SPEC = FeedSpec(
    name="main",
    formats=("rss", "atom"),
    limit=50,
    title="Harbour Times",
    description="News",
    path="",
)


def make_image(name: str, caption: str, credit: str, length: int = 1234) -> Image:
    return Image(
        url=f"https://news.example.org/media/{name}",
        media_type="image/jpeg" if name.endswith(".jpg") else "image/png",
        length=length,
        width=640,
        height=400,
        source=Path("/repo") / name,
        media_path=name,
        alt=f"alt of {name}",
        caption=caption,
        credit=credit,
    )


def make_entry(
    n: int,
    *,
    images: tuple[Image, ...] = (),
    authors: tuple[Author, ...] = (Author("Tomas Berg"),),
    title: str = "",
    day: int = 0,
) -> Entry:
    published = datetime(2026, 3, 2, 7, 30, tzinfo=CET) + timedelta(days=day or n)
    article = Article(
        id=f"urn:uuid:00000000-0000-0000-0000-{n:012d}",
        source=Path(f"/repo/{n}.md"),
        rel_path=f"{n}.md",
        title=title or f"Story {n}",
        slug=f"story-{n}",
        url=f"https://news.example.org/story-{n}/",
        published=published,
        updated=published + timedelta(hours=2),
        authors=authors,
        summary="",
        categories=("News",),
        tags=("ferry",),
        section="news",
        images=(),
        related=(Link("Older story", "https://news.example.org/older/"),),
        draft=False,
        body_format="markdown",
        body_line=4,
    )
    return Entry(
        article=article, content_html=f"<p>Body {n}</p>", summary=f"Summary {n}", images=images
    )


TWO_IMAGES = (
    make_image(
        "lighthouse.jpg", "The lamp room after restoration.", "Mara Lind/Harbour Times", 5000
    ),
    make_image("keeper.png", "The last keeper in 1961.", "Harbour Times archive", 777),
)


def rss(entries: list[Entry]) -> bytes:
    return render_feed(CHANNEL, SPEC, "rss", entries, output_url="https://news.example.org/").body


def atom(entries: list[Entry]) -> bytes:
    return render_feed(CHANNEL, SPEC, "atom", entries, output_url="https://news.example.org/").body


def test_rss_item_has_one_enclosure_the_lead_image_and_media_for_every_image() -> None:
    tree = etree.fromstring(rss([make_entry(1, images=TWO_IMAGES)]))
    enclosures = tree.findall("channel/item/enclosure")
    assert [(e.get("url"), e.get("length"), e.get("type")) for e in enclosures] == [
        ("https://news.example.org/media/lighthouse.jpg", "5000", "image/jpeg")
    ]
    media = tree.findall("channel/item/media:content", NS)
    assert [m.get("url") for m in media] == [
        "https://news.example.org/media/lighthouse.jpg",
        "https://news.example.org/media/keeper.png",
    ]
    first = media[0]
    assert first.get("fileSize") == "5000"
    assert first.get("medium") == "image"
    assert (first.get("width"), first.get("height")) == ("640", "400")
    assert first.findtext("media:description", namespaces=NS) == "The lamp room after restoration."
    assert first.find("media:description", NS).get("type") == "plain"
    credit = first.find("media:credit", NS)
    assert credit.text == "Mara Lind/Harbour Times"
    assert (credit.get("role"), credit.get("scheme")) == ("photographer", "urn:ebu")
    assert first.findtext("media:title", namespaces=NS) == "alt of lighthouse.jpg"
    assert tree.find(".//media:group", NS) is None


def test_rss_item_element_order_puts_description_and_content_before_media() -> None:
    item = etree.fromstring(rss([make_entry(1, images=TWO_IMAGES)])).find("channel/item")
    tags = [etree.QName(child).localname for child in item]
    assert tags.index("title") < tags.index("link") < tags.index("guid") < tags.index("pubDate")
    assert tags.index("pubDate") < tags.index("description") < tags.index("encoded")
    assert tags.index("encoded") < tags.index("enclosure") < tags.index("content")


def test_rss_guid_is_not_a_permalink_and_names_go_to_dc_creator() -> None:
    authors = (
        Author("Tomas Berg"),
        Author("Ann Lee", "ann@news.example.org"),
        Author("Ole Dam", "ole@news.example.org"),
    )
    item = etree.fromstring(rss([make_entry(1, authors=authors)])).find("channel/item")
    guid = item.find("guid")
    assert guid.get("isPermaLink") == "false"
    assert guid.text == "urn:uuid:00000000-0000-0000-0000-000000000001"
    assert [e.text for e in item.findall("dc:creator", NS)] == ["Tomas Berg, Ann Lee and Ole Dam"]
    assert item.findall("author") == []
    assert feedparser.parse(rss([make_entry(1, authors=authors)])).entries[0].author == (
        "Tomas Berg, Ann Lee and Ole Dam"
    )
    single = etree.fromstring(rss([make_entry(1, authors=(Author("Ann Lee", "ann@x.example"),))]))
    assert [e.text for e in single.findall("channel/item/author")] == ["ann@x.example (Ann Lee)"]
    assert single.findall("channel/item/dc:creator", NS) == []


def test_rss_dates_are_rfc822_with_numeric_zone() -> None:
    tree = etree.fromstring(rss([make_entry(1), make_entry(2)]))
    assert tree.findtext("channel/item/pubDate") == "Tue, 03 Mar 2026 07:30:00 +0100"
    # The channel's build date is the newest item's update, never the clock.
    assert tree.findtext("channel/lastBuildDate") == "Wed, 04 Mar 2026 09:30:00 +0100"


def test_rss_channel_link_is_the_site_and_self_link_is_the_feed() -> None:
    tree = etree.fromstring(rss([make_entry(1)]))
    assert tree.findtext("channel/link") == "https://news.example.org/"
    self_links = tree.findall("channel/atom:link[@rel='self']", NS)
    assert [(s.get("href"), s.get("type")) for s in self_links] == [
        ("https://news.example.org/rss.xml", "application/rss+xml")
    ]


def test_atom_has_an_enclosure_link_per_image_with_caption_title() -> None:
    tree = etree.fromstring(atom([make_entry(1, images=TWO_IMAGES)]))
    entry = tree.find("atom:entry", NS)
    enclosures = entry.findall("atom:link[@rel='enclosure']", NS)
    assert [
        (e.get("href"), e.get("type"), e.get("length"), e.get("title")) for e in enclosures
    ] == [
        (
            "https://news.example.org/media/lighthouse.jpg",
            "image/jpeg",
            "5000",
            "The lamp room after restoration.",
        ),
        (
            "https://news.example.org/media/keeper.png",
            "image/png",
            "777",
            "The last keeper in 1961.",
        ),
    ]
    alternates = entry.findall("atom:link[@rel='alternate']", NS)
    assert [a.get("href") for a in alternates] == ["https://news.example.org/story-1/"]
    assert [r.get("href") for r in entry.findall("atom:link[@rel='related']", NS)] == [
        "https://news.example.org/older/"
    ]
    assert len(entry.findall("media:content", NS)) == 2
    assert len(tree.findall("atom:link[@rel='self']", NS)) == 1


def test_atom_dates_content_and_order() -> None:
    entry = etree.fromstring(atom([make_entry(1)])).find("atom:entry", NS)
    assert entry.findtext("atom:published", namespaces=NS) == "2026-03-03T07:30:00+01:00"
    assert entry.findtext("atom:updated", namespaces=NS) == "2026-03-03T09:30:00+01:00"
    content = entry.find("atom:content", NS)
    assert content.get("type") == "html"
    assert content.text == "<p>Body 1</p>"
    tags = [etree.QName(child).localname for child in entry]
    assert tags.index("summary") < tags.index("content")


def test_feedparser_reads_items_in_the_given_order_with_enclosures() -> None:
    entries = [make_entry(2, images=TWO_IMAGES), make_entry(1)]
    for body, version, enclosure_count in (
        (rss(entries), "rss20", 1),
        (atom(entries), "atom10", 2),
    ):
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == version
        assert [e.title for e in parsed.entries] == ["Story 2", "Story 1"]
        assert len(parsed.entries[0].enclosures) == enclosure_count
        assert (
            parsed.entries[0].enclosures[0].href == "https://news.example.org/media/lighthouse.jpg"
        )
        # The caption must not be mistaken for the body.
        assert parsed.entries[0].summary == "Summary 2"


def test_hostile_titles_are_escaped_and_control_characters_removed() -> None:
    entry = make_entry(1, title="Tide ]]> <b>high</b> \x07 & low")
    for body in (rss([entry]), atom([entry])):
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0
        assert "]]>" in parsed.entries[0].title
        assert "\x07" not in parsed.entries[0].title


def test_same_input_gives_identical_bytes() -> None:
    entries = [make_entry(1, images=TWO_IMAGES), make_entry(2)]
    assert rss(entries) == rss(entries)
    assert atom(entries) == atom(entries)


def test_empty_feed_is_reproducible_and_dated_from_content_not_the_clock() -> None:
    body = atom([])
    tree = etree.fromstring(body)
    assert tree.findtext("atom:updated", namespaces=NS) == EMPTY_FEED_UPDATED.isoformat()
    assert body == atom([])
    # RSS too: feedgen would otherwise stamp lastBuildDate with the build's clock.
    channel = etree.fromstring(rss([])).find("channel")
    assert channel.findtext("lastBuildDate") == "Thu, 01 Jan 1970 00:00:00 +0000"
