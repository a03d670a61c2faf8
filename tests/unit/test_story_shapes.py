"""Every story shape -- text only, photo only, several images, wire -- reads right in feedparser.

Built through the real pipeline from the sample repository plus the shapes it lacks
(tests/data/shapes: a photo story with no text, a gallery whose body repeats its lead image).
"""

import html
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from feeds.build import publish
from feeds.config import load_config

PROJECT = Path(__file__).resolve().parents[2]
SHAPES = PROJECT / "tests/data/shapes"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NS = {
    "media": "http://search.yahoo.com/mrss/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
}
STORIES = {
    "text only": "North Quay closes for resurfacing on Monday",
    "photo only": "Photo: the tall ship Elsa leaves the harbour",
    "several images, the lead repeated in the body": "The new crane at North Quay, in pictures",
    "several images, one shown in the body": (
        "Skerra Point lighthouse shines again after two-year restoration"
    ),
    "wire": "Dinghy crews brave a fresh breeze at the spring regatta",
}
SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"')


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shapes")
    shutil.copytree(PROJECT / "articles", root / "articles")
    shutil.copytree(SHAPES, root / "articles/pictures")
    shutil.copy(PROJECT / "config.toml", root / "config.toml")
    shutil.copytree(PROJECT / "branding", root / "branding")
    result = publish(load_config(root / "config.toml"), now=NOW)
    assert not result.problems
    return root / "output"


def declared_images(item: etree._Element) -> list[tuple[str, str]]:
    """(url, caption) of every media:content of a raw item, lead first."""
    return [
        (media.get("url", ""), media.findtext("media:description", "", NS))
        for media in item.iterfind("media:content", NS)
    ]


def raw_item(output: Path, fmt: str, title: str) -> etree._Element:
    tree = etree.parse(output / f"{fmt}.xml")
    path = "//item" if fmt == "rss" else "//atom:entry"
    (item,) = [
        node
        for node in tree.xpath(path, namespaces=NS)
        if node.findtext("title") == title or node.findtext("atom:title", None, NS) == title
    ]
    return item


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("shape", list(STORIES))
def test_every_story_shape_reads_right(output: Path, fmt: str, shape: str) -> None:
    title = STORIES[shape]
    item = raw_item(output, fmt, title)
    if fmt == "rss":
        # Without both, feedgen puts the body in <description> and feedparser takes the
        # image's media:description for the item's content.
        assert item.findtext("description")
        assert item.findtext("content:encoded", None, NS)
    else:
        assert item.findtext("atom:summary", None, NS)
        assert item.findtext("atom:content", None, NS)

    parsed = feedparser.parse((output / f"{fmt}.xml").read_bytes())
    (entry,) = [e for e in parsed.entries if e.title == title]
    (content,) = entry.content
    assert content.type == "text/html"
    body = content.value
    summary = entry.summary
    assert summary and "<" not in summary, "the summary is text, never the body"
    assert summary != body

    images = declared_images(item)
    shown = [html.unescape(src) for src in SRC.findall(body)]
    if shape == "text only":
        assert images == [] and shown == []
        return
    lead_url = images[0][0]
    assert shown[0] == lead_url, "the content opens with the lead image"
    for url, caption in images:
        assert shown.count(url) == 1, f"{url} appears {shown.count(url)} times in the body"
        assert body.count(html.escape(caption, quote=False)) == 1, f"caption of {url}"
    if shape == "photo only":
        assert summary == images[0][1], "a photo story's summary is its caption"


def test_the_discovery_page_shows_a_photo_storys_caption_once(output: Path) -> None:
    page = (output / "index.html").read_text(encoding="utf-8")
    caption = "The tall ship Elsa leaves the harbour on Sunday morning after a week at North Quay."
    assert page.count(html.escape(caption)) == 1, "under the picture, not again as its summary"
