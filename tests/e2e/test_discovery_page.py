"""The discovery page in a real headless Chromium: every feed link resolves; a screenshot."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from lxml import etree

PROJECT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT / "tests/artifacts"
NOW = "2026-11-25T12:00:00+00:00"
SITE = "https://news.example.org/"
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}
FEED_FILES = {"rss.xml", "atom.xml", "feed.json"}


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "chromium is not installed: this test drives a real headless browser; install it with"
        " `apt-get install -y chromium` (scripts/test does)"
    )


def browse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(PROJECT / "articles", root / "articles")
    shutil.copy(PROJECT / "config.toml", root / "config.toml")
    shutil.copytree(PROJECT / "branding", root / "branding")
    feeds = shutil.which("feeds", path=str(Path(sys.executable).parent))
    assert feeds, "the feeds console script is not installed next to this Python"
    done = subprocess.run(
        [feeds, "build", "--now", NOW], cwd=root, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return root / "output"


def local_file(output: Path, href: str) -> Path:
    """The output file an href names: public URLs of the output folder map onto it."""
    if href.startswith(SITE):
        href = href[len(SITE) :]
    assert not urlsplit(href).scheme, f"{href} points outside the output folder"
    return output / unquote(href)


def test_browser_sees_every_feed_linked_and_discoverable(output: Path, tmp_path: Path) -> None:
    index = output / "index.html"
    dom = browse(tmp_path, "--dump-dom", index.as_uri()).stdout
    page = lxml.html.fromstring(dom)

    alternates = page.xpath('//head/link[@rel="alternate"]')
    assert {link.get("type") for link in alternates} == FEED_TYPES
    discovered = {local_file(output, link.get("href")) for link in alternates}
    for link in alternates:
        assert link.get("title")
        assert link.get("href").startswith(SITE)  # readers store it: absolute
    subscribe = {
        local_file(output, a.get("href"))
        for a in page.xpath('//section[not(@aria-labelledby="archives-heading")]//a[@type]')
        if a.get("type") in FEED_TYPES
    }
    on_disk = {
        p
        for p in output.rglob("*")
        if p.name in {"rss.xml", "atom.xml", "feed.json"}
        and "media" not in p.parts
        and "archive" not in p.parts
    }
    assert discovered == subscribe == on_disk
    # Archive documents (RFC 5005) are listed in their own section, never autodiscovered.
    archived = {
        local_file(output, a.get("href"))
        for a in page.xpath('//section[@aria-labelledby="archives-heading"]//a[@type]')
    }
    assert archived == {p for p in output.rglob("archive/*/*") if p.name in FEED_FILES}
    assert archived and not archived & discovered
    assert output / "author/mara-lind/atom.xml" in on_disk
    assert output / "category/heritage/rss.xml" in on_disk
    assert output / "sport/feed.json" in on_disk

    # Item counts shown are the feeds' real item counts.
    for row in page.xpath("//tbody/tr"):
        href = row.xpath(".//a[@type]")[0].get("href")
        count = int(row.xpath('string(td[@class="count"])').split()[0])
        feed = local_file(output, href)
        if feed.suffix == ".json":
            assert len(json.loads(feed.read_bytes())["items"]) == count
        else:
            tree = etree.parse(str(feed))
            assert len(tree.xpath("//item | //*[local-name()='entry']")) == count

    # Newest stories: headline, date, lead image with alt text and "caption — credit".
    stories = page.xpath('//ul[@class="stories"]/li')
    assert len(stories) == 8
    for story in stories:
        assert story.xpath("string(.//h3)").strip()
        assert story.xpath(".//time/@datetime")
        for img in story.xpath(".//img"):
            assert img.get("alt")
            assert local_file(output, img.get("src")).is_file()
            assert " — " in story.xpath("string(.//figcaption)")
    assert "visitor pontoon" not in dom  # the draft
    assert "herring gallery" not in dom  # embargoed
    assert not page.xpath("//script")
    assert not page.xpath('//link[@rel="stylesheet"]')

    opml = etree.parse(str(output / "feeds.opml"))  # the subscription documents only
    urls = opml.xpath("//outline/@xmlUrl")
    assert len(urls) == len({f.parent for f in on_disk})  # one outline per feed
    for url in urls:
        assert local_file(output, url).is_file()


def test_screenshot_is_saved_as_an_artefact(output: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "discovery-page.png"
    shot.unlink(missing_ok=True)
    browse(
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        (output / "index.html").as_uri(),
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a rendered page with pictures, not a blank one
