"""The whole build: selection, embargo, drafts, problems, strict mode, validation gate, rewrites."""

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from PIL import Image as PILImage

from feeds import build as pipeline
from feeds.build import publish
from feeds.config import load_config
from feeds.errors import FeedInvalidError, StrictModeError
from feeds.model import RenderedFeed
from feeds.render import rss_atom as render
from feeds.sources.files import scan as files_scan

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
description = "News from the harbour"
timezone = "Europe/Berlin"

[repository]
path = "articles"

[output]
path = "output"

[[feeds]]
name = "main"
limit = 3

[[feeds]]
name = "latest"
formats = ["atom"]
limit = 1
"""


def article(root: Path, rel: str, title: str, date: str, extra: str = "", image: str = "") -> None:
    path = root / "articles" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"title: {title}", f"date: {date}"]
    if image:
        PILImage.new("RGB", (30, 20), (10, 90, 200)).save(path.parent / image)
        lines += [
            f"image: {image}",
            "image_alt: Alt",
            "image_caption: Caption.",
            "image_credit: Credit",
        ]
    if extra:
        lines.append(extra)
    path.write_text(
        "---\n" + "\n".join(lines) + f"\n---\nThe story of {title}.\n", encoding="utf-8"
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    article(tmp_path, "news/one.md", "One", "2026-05-01T10:00:00+02:00", image="one.jpg")
    article(tmp_path, "news/two.md", "Two", "2026-05-02T10:00:00+02:00")
    article(tmp_path, "news/three.md", "Three", "2026-05-03T10:00:00+02:00")
    article(
        tmp_path, "news/draft.md", "Draft", "2026-05-04T10:00:00+02:00", "draft: true", "draft.jpg"
    )
    article(tmp_path, "news/later.md", "Later", "2026-06-01T14:30:00+02:00", image="later.png")
    return tmp_path


def titles(path: Path) -> list[str]:
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0
    return [entry.title for entry in parsed.entries]


def build(site: Path, now: datetime = NOW, **kwargs: bool) -> pipeline.PublishResult:
    return publish(load_config(site / "config.toml"), now=now, **kwargs)


def test_publishes_newest_first_without_drafts_or_embargoed(site: Path) -> None:
    result = build(site)
    out = site / "output"
    assert titles(out / "rss.xml") == ["Three", "Two", "One"]
    assert titles(out / "atom.xml") == ["Three", "Two", "One"]
    assert titles(out / "latest/atom.xml") == ["Three"]
    assert not (out / "latest/rss.xml").exists()
    assert sorted(p.relative_to(out).as_posix() for p in (out / "media").rglob("*.*")) == [
        "media/news/one.jpg"
    ]
    assert result.problems == ()
    assert all(report.ok for report in result.reports)
    assert result.written is not None
    assert sorted(result.written.written) == [
        "atom.xml",
        "feeds.opml",
        "index.html",
        "latest/atom.xml",
        "media/news/one.jpg",
        "rss.xml",
    ]


def test_embargoed_article_appears_at_its_minute_with_its_image(site: Path) -> None:
    build(site, datetime(2026, 6, 1, 12, 29, 59, tzinfo=UTC))
    assert "Later" not in titles(site / "output/rss.xml")
    build(site, datetime(2026, 6, 1, 12, 30, tzinfo=UTC))
    assert titles(site / "output/rss.xml")[0] == "Later"
    assert (site / "output/media/news/later.png").exists()


def test_second_build_rewrites_nothing(site: Path) -> None:
    build(site)
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (site / "output").rglob("*")
        if p.is_file()
    }
    result = build(site)
    assert result.written is not None
    assert result.written.written == ()
    after = {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (site / "output").rglob("*")
        if p.is_file()
    }
    assert after == before


def test_an_article_turned_draft_loses_its_item_and_its_media(site: Path) -> None:
    build(site)
    assert (site / "output/media/news/one.jpg").exists()
    article(site, "news/one.md", "One", "2026-05-01T10:00:00+02:00", "draft: true", "one.jpg")
    result = build(site)
    assert "One" not in titles(site / "output/rss.xml")
    assert not (site / "output/media/news/one.jpg").exists()
    assert result.written is not None
    assert result.written.removed == ("media/news/one.jpg",)


def test_broken_article_is_reported_and_the_next_one_takes_its_place(site: Path) -> None:
    article(site, "news/four.md", "Four", "2026-05-05T10:00:00+02:00", image="four.jpg")
    (site / "articles/news/four.jpg").unlink()
    (site / "articles/news/bad.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    result = build(site)
    assert [p.path for p in result.problems] == ["news/bad.md", "news/four.md"]
    assert "image 'four.jpg' not found" in str(result.problems[1])
    assert titles(site / "output/rss.xml") == ["Three", "Two", "One"]


def test_strict_mode_writes_nothing_when_an_article_has_a_problem(site: Path) -> None:
    (site / "articles/news/bad.md").write_text("---\ntitle: T\n---\nno date\n", encoding="utf-8")
    with pytest.raises(StrictModeError) as caught:
        build(site, strict=True)
    assert "news/bad.md:1: no date" in str(caught.value)
    assert not (site / "output").exists()


def corrupting(monkeypatch: pytest.MonkeyPatch, *, channel: bool, item: bool) -> None:
    """Make every RSS document the renderer gives invalid: its channel title gone, and/or the
    link of the item of news/three.md broken."""
    real_render = render.render_feed

    def broken_render(*args: object, **kwargs: object) -> RenderedFeed:
        feed = real_render(*args, **kwargs)  # type: ignore[arg-type]
        if feed.format != "rss":
            return feed
        body = feed.body
        if item:
            body = body.replace(
                b"<link>https://news.example.org/three/</link>", b"<link>not a url</link>"
            )
        if channel:
            body = body.replace(b"<title>Harbour Times</title>", b"")
        return RenderedFeed(feed.spec, feed.format, feed.rel_path, feed.url, body, feed.article_ids)

    monkeypatch.setattr(render, "render_feed", broken_render)


def test_an_invalid_feed_is_never_written_and_the_old_one_stays(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(site)
    good = (site / "output/rss.xml").read_bytes()
    corrupting(monkeypatch, channel=True, item=False)
    article(site, "news/four.md", "Four", "2026-05-05T10:00:00+02:00")
    result = build(site)
    assert (site / "output/rss.xml").read_bytes() == good  # refused: the old one stays
    assert [line.split(": ")[1] for line in result.refused] == ["rss-missing-element"]
    assert result.refused[0].startswith("rss.xml:")
    # A defect of one feed that belongs to no item refuses that feed alone.
    assert "Four" in titles(site / "output/atom.xml")
    assert "rss.xml" not in result.written.written
    assert "feed file(s) did not validate and were not written" in result.summary()


def test_an_item_that_does_not_validate_leaves_its_article_out_of_every_feed(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corrupting(monkeypatch, channel=False, item=True)
    result = build(site)
    assert result.refused == ()
    (problem,) = [p for p in result.problems if p.path == "news/three.md"]
    assert problem.reason.startswith(
        "left out of every feed: its item in rss.xml does not validate (rss-url-invalid: "
    )
    for feed in ("rss.xml", "atom.xml"):
        assert "Three" not in titles(site / "output" / feed)
        assert "One" in titles(site / "output" / feed)


def test_strict_writes_nothing_when_a_feed_does_not_validate(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corrupting(monkeypatch, channel=True, item=True)
    with pytest.raises(FeedInvalidError) as caught:
        build(site, strict=True)
    message = str(caught.value)
    assert message.startswith("a rendered feed did not validate, so nothing was written")
    assert "rss-missing-element" in message
    assert not (site / "output").exists()


def test_dry_run_writes_nothing(site: Path) -> None:
    result = build(site, write=False)
    assert result.written is None
    assert len(result.feeds) == 3
    assert not (site / "output").exists()


def test_summary_tells_what_was_published_and_what_waits(site: Path) -> None:
    assert build(site).summary() == (
        "3 of 5 article(s) published (1 draft(s), 1 embargoed, the next until "
        "2026-06-01T14:30:00+02:00); 3 feed file(s): 3 written, 0 unchanged; media: 1 copied, "
        "0 removed; also written: index.html, feeds.opml"
    )


SLICES = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]

[[feeds]]
name = "sport"
sections = ["sport"]
formats = ["rss", "atom", "json"]

[[feeds]]
name = "topics"
per = ["tag", "author"]
formats = ["atom", "json"]
limit = 2
"""


@pytest.fixture
def sliced(site: Path) -> Path:
    (site / "config.toml").write_text(SLICES, encoding="utf-8")
    tags = "tags: [ferry, Quay]\nauthor: Mara Lind"
    article(site, "news/one.md", "One", "2026-05-01T10:00:00+02:00", tags, image="one.jpg")
    article(site, "news/two.md", "Two", "2026-05-02T10:00:00+02:00", "tags: [ferry]")
    article(site, "news/three.md", "Three", "2026-05-03T10:00:00+02:00", "tags: [quay, ferry]")
    # The draft and the embargoed article carry a tag nobody else uses: it must not leak.
    article(
        site, "news/draft.md", "Draft", "2026-05-04T10:00:00+02:00", "draft: true\ntags: [secret]"
    )
    article(site, "news/later.md", "Later", "2026-06-01T14:30:00+02:00", "tags: [secret, ferry]")
    return site


def items(path: Path) -> list[tuple[str, str, str, str]]:
    """(id, published, updated, content) of each item, the way a reader stores it."""
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0
    return [(e.id, e.published, e.updated, e.content[0].value) for e in parsed.entries]


def test_every_slice_is_the_main_selection_filtered(sliced: Path) -> None:
    result = build(sliced)
    out = sliced / "output"
    main = items(out / "atom.xml")
    by_title = dict(zip(titles(out / "atom.xml"), main, strict=True))
    expected = {
        "tag/ferry": ["Three", "Two"],  # limit 2: "One" is the third
        "tag/quay": [],  # "Quay" and "quay" collide: no feed
        "author/mara-lind": ["One"],
    }
    assert not (out / "tag/quay").exists()
    assert not (out / "tag/secret").exists()
    for folder, wanted in expected.items():
        if not wanted:
            continue
        assert items(out / folder / "atom.xml") == [by_title[t] for t in wanted]
        json_items = json.loads((out / folder / "feed.json").read_text())["items"]
        assert [i["id"] for i in json_items] == [by_title[t][0] for t in wanted]
    assert [str(p) for p in result.problems] == [
        'news/one.md: tags "Quay" (news/one.md) and "quay" (news/three.md) both make the URL'
        ' slug "quay", so feed "topics" makes no feed for them: spell the tag the same way in'
        " every article"
    ]
    assert all(report.ok for report in result.reports)
    assert {r.kind for r in result.reports} == {"rss", "atom", "json"}


def test_an_empty_slice_is_still_a_valid_feed(sliced: Path) -> None:
    result = build(sliced)
    out = sliced / "output"
    rss = feedparser.parse((out / "sport/rss.xml").read_bytes())
    assert (rss.bozo, rss.entries) == (0, [])
    assert json.loads((out / "sport/feed.json").read_text())["items"] == []
    reports = {r.source: r for r in result.reports}
    assert reports["sport/feed.json"].issues == ()
    assert reports["sport/rss.xml"].ok


def test_discovery_page_and_opml_list_only_published_feeds_and_items(sliced: Path) -> None:
    build(sliced)
    out = sliced / "output"
    page = (out / "index.html").read_text(encoding="utf-8")
    for folder in ("", "sport/", "tag/ferry/", "author/mara-lind/"):
        assert f'href="https://news.example.org/{folder}atom.xml"' in page
    assert "Draft" not in page
    assert "Later" not in page
    assert "secret" not in page
    assert 'href="https://news.example.org/feed.json"' in page
    opml = etree.fromstring((out / "feeds.opml").read_bytes())
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert urls == [
        "https://news.example.org/rss.xml",
        "https://news.example.org/sport/rss.xml",
        "https://news.example.org/tag/ferry/atom.xml",
        "https://news.example.org/author/mara-lind/atom.xml",
    ]


def test_feed_paths_finds_the_slices_that_were_written(sliced: Path) -> None:
    build(sliced)
    config = load_config(sliced / "config.toml")
    found = [p.relative_to(sliced / "output").as_posix() for p in pipeline.feed_paths(config)]
    assert found == [
        "rss.xml",
        "atom.xml",
        "feed.json",
        "sport/rss.xml",
        "sport/atom.xml",
        "sport/feed.json",
        "tag/ferry/atom.xml",
        "author/mara-lind/atom.xml",
        "tag/ferry/feed.json",
        "author/mara-lind/feed.json",
    ]


def test_related_titles_link_to_published_articles_only(site: Path) -> None:
    wire = site / "articles/news/2026-05-20-gulls.txt"
    wire.write_text(
        "Gulls come back\n\nThe gulls came back.\n\nRelated: Two\n\nRelated: Draft\n\n"
        "Related: Later\n\nRelated: Some older story",
        encoding="utf-8",
    )
    build(site)
    body = feedparser.parse((site / "output/atom.xml").read_bytes()).entries[0].content[0].value
    assert '<li><a href="https://news.example.org/two/">Two</a></li>' in body
    assert "<li>Draft</li>" in body  # a draft's URL never leaks through a related link
    assert "<li>Later</li>" in body  # nor an embargoed one's
    assert "<li>Some older story</li>" in body


def test_an_article_turned_draft_during_the_build_is_left_out(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Selection uses the scan's brief; the article is read again when loaded, and if it no
    longer matches its brief (here it became a draft) it is not published as scanned."""
    real_scan = files_scan.scan_repository

    def scan_then_edit(*args: object, **kwargs: object) -> object:
        result = real_scan(*args, **kwargs)  # type: ignore[arg-type]
        article(site, "news/three.md", "Three", "2026-05-03T10:00:00+02:00", "draft: true")
        (site / "articles/news/two.md").unlink()
        return result

    monkeypatch.setattr(files_scan, "scan_repository", scan_then_edit)
    result = build(site)
    assert titles(site / "output/rss.xml") == ["One"]
    assert [str(p) for p in result.problems] == [
        "news/three.md: changed while the feeds were being built: the next build publishes it",
        "news/two.md: disappeared while the feeds were being built",
    ]
    monkeypatch.undo()
    build(site)
    assert titles(site / "output/rss.xml") == ["One"]
    article(site, "news/three.md", "Three", "2026-05-03T10:00:00+02:00")
    build(site)
    assert titles(site / "output/rss.xml") == ["Three", "One"]


def test_an_article_dated_in_the_clock_change_gap_publishes_from_the_cache_too(
    site: Path,
) -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; the site's zone reads it as 03:30 CEST.
    article(site, "news/gap.md", "Gap", "2026-03-29 02:30")
    (site / "articles/news/one.md").unlink()  # so that the gap article is among the newest 3
    build(site)
    assert titles(site / "output/rss.xml") == ["Three", "Two", "Gap"]
    article(site, "news/four.md", "Four", "2026-05-04T10:00:00+02:00")
    result = build(site)  # the gap article's brief now comes from the scan cache
    assert titles(site / "output/rss.xml") == ["Four", "Three", "Two"]
    assert result.problems == ()
    (site / "config.toml").write_text(CONFIG.replace("limit = 3", "limit = 4"), encoding="utf-8")
    result = build(site)
    assert titles(site / "output/rss.xml") == ["Four", "Three", "Two", "Gap"]
    assert result.problems == ()


# --- newsroom images: embedded words, renditions, thumbnails, no location, branding -----------

NEWSROOM = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
logo = "brand/logo.png"
icon = "brand/icon.png"

[media]
max_width = 1600
thumbnail_width = 320

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]
"""


@pytest.fixture
def newsroom(tmp_path: Path, exiftool) -> Path:
    (tmp_path / "config.toml").write_text(NEWSROOM, encoding="utf-8")
    brand = tmp_path / "brand"
    brand.mkdir()
    PILImage.new("RGBA", (900, 300), (11, 78, 162, 255)).save(brand / "logo.png")
    PILImage.new("RGB", (300, 200), (11, 78, 162)).save(brand / "icon.png")  # not square
    images = tmp_path / "articles/news/images"
    images.mkdir(parents=True)
    big = images / "wall.jpg"
    PILImage.linear_gradient("L").resize((4000, 2500)).convert("RGB").save(big, quality=70)
    exiftool.write(
        big,
        "-XMP-dc:Description=Die alte Hafenmauer bei Niedrigwasser",
        "-IPTC:Caption-Abstract=IIM says otherwise",
        "-XMP-dc:Creator=Zoë Ångström",
        "-IPTC:Credit=Nordbild",
        "-XMP-dc:Rights=© 2026 Nordbild",
        "-XMP-xmpRights:WebStatement=https://creativecommons.org/licenses/by/4.0/",
        "-XMP-iptcCore:AltTextAccessibility=Eine Steinmauer im grauen Wasser",
        *exiftool.GPS_TAGS,
    )
    gull = images / "möwe am kai.jpg"
    PILImage.new("RGB", (800, 500), (150, 190, 225)).save(gull)
    exiftool.write(gull, *exiftool.GPS_TAGS)
    (tmp_path / "articles/news/wall.md").write_text(
        "---\ntitle: Wall\ndate: 2026-05-01T10:00:00+02:00\nimage: images/wall.jpg\n---\n"
        "The wall.\n\n![A gull](<images/möwe am kai.jpg>)\n",
        encoding="utf-8",
    )
    return tmp_path


def test_newsroom_images_publish_as_promised(newsroom: Path, exiftool) -> None:
    result = build(newsroom)
    assert result.problems == ()
    output = newsroom / "output"
    rss = etree.parse(str(output / "rss.xml"))
    media = {"media": "http://search.yahoo.com/mrss/"}
    item = rss.find("channel/item")
    assert item is not None
    content = item.find("media:content", media)
    assert content is not None
    assert content.findtext("media:description", namespaces=media) == (
        "Die alte Hafenmauer bei Niedrigwasser"  # XMP wins over IIM
    )
    assert content.findtext("media:credit", namespaces=media) == "Zoë Ångström / Nordbild"
    copyright_ = content.find("media:copyright", media)
    assert copyright_ is not None and copyright_.text == "© 2026 Nordbild"
    assert copyright_.get("url") == "https://creativecommons.org/licenses/by/4.0/"
    assert content.findtext("media:title", namespaces=media) == "Eine Steinmauer im grauen Wasser"
    # The enclosure is the rendition: its URL, its exact length, its type.
    enclosure = item.find("enclosure")
    assert enclosure is not None
    published = output / "media/news/images/wall.jpg"
    assert enclosure.get("url") == "https://news.example.org/media/news/images/wall.jpg"
    assert enclosure.get("length") == str(published.stat().st_size)
    assert (content.get("width"), content.get("height")) == ("1600", "1000")
    with PILImage.open(published) as picture:
        assert picture.size == (1600, 1000)
    thumb = content.find("media:thumbnail", media)
    assert thumb is not None
    assert (thumb.get("width"), thumb.get("height")) == ("320", "200")
    assert thumb.get("url") == "https://news.example.org/media/news/images/wall.320w.jpg"
    with PILImage.open(output / "media/news/images/wall.320w.jpg") as picture:
        assert picture.size == (320, 200)
    body = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
    assert (
        'srcset="https://news.example.org/media/news/images/wall.320w.jpg 320w, '
        'https://news.example.org/media/news/images/wall.jpg 1600w"' in body
    )
    assert "© 2026 Nordbild</a>" in body
    # The inline image, named with spaces and umlauts, is found and published.
    assert 'src="https://news.example.org/media/news/images/m%C3%B6we%20am%20kai.jpg"' in body
    # No published image says where a photo was taken.
    files = sorted(p for p in (output / "media").rglob("*") if p.is_file())
    assert len(files) == 4 + 4  # wall, its thumbnail, the gull, its thumbnail; branding
    for path in files:
        assert exiftool.location_tags(path) == [], path
    # Branding at the sizes each format wants.
    image = rss.find("channel/image")
    assert image is not None
    assert int(image.findtext("width") or 0) <= 144 and int(image.findtext("height") or 0) <= 400
    assert image.findtext("title") == "Harbour Times"
    assert image.findtext("link") == "https://news.example.org/"
    atom = etree.parse(str(output / "atom.xml"))
    atom_ns = {"a": "http://www.w3.org/2005/Atom"}

    def size_of(url: str) -> tuple[int, int]:
        local = output / "media" / url.removeprefix("https://news.example.org/media/")
        with PILImage.open(local) as picture:
            return picture.size

    icon = size_of(atom.findtext("a:icon", namespaces=atom_ns) or "")
    logo = size_of(atom.findtext("a:logo", namespaces=atom_ns) or "")
    assert icon[0] == icon[1]
    assert logo[0] == 2 * logo[1]
    feed = json.loads((output / "feed.json").read_text(encoding="utf-8"))
    assert size_of(feed["icon"]) == (512, 512)
    assert size_of(feed["favicon"]) == (64, 64)
    assert '<link rel="icon" type="image/png" sizes="64x64"' in (output / "index.html").read_text(
        encoding="utf-8"
    )
    # And every feed validates without a single issue (errors or warnings).
    for report in result.reports:
        assert report.issues == (), report


def test_renditions_are_made_once_and_not_again_on_later_builds(
    newsroom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(newsroom)
    output = newsroom / "output/media/news/images/wall.jpg"
    stamp = output.stat().st_mtime_ns
    cache = newsroom / ".feeds-state/cache"
    (cache / "entries.pickle").unlink()  # every entry read again; the renditions stay cached
    (cache / "last-build.json").unlink()

    def made_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("a rendition was made again")

    monkeypatch.setattr("feeds.load.images._render", made_again)
    monkeypatch.setattr("feeds.load.images.make_icon", made_again)
    monkeypatch.setattr("feeds.load.branding.make_icon", made_again)
    result = build(newsroom)
    assert result.problems == ()
    assert output.stat().st_mtime_ns == stamp  # not even copied again
    assert result.written is not None and not any(
        path.startswith("media/") for path in result.written.written
    )


def test_renditions_no_longer_used_leave_the_cache(newsroom: Path) -> None:
    build(newsroom)
    store = newsroom / ".feeds-state/cache/media"
    before = {p.name for p in store.rglob("*") if p.is_file()}
    config = (newsroom / "config.toml").read_text(encoding="utf-8")
    (newsroom / "config.toml").write_text(config.replace("1600", "1200"), encoding="utf-8")
    build(newsroom)
    after = {p.name for p in store.rglob("*") if p.is_file()}
    assert after != before
    assert not any(".main." in name for name in before & after)  # the 1600 px one is gone
    with PILImage.open(newsroom / "output/media/news/images/wall.jpg") as picture:
        assert picture.size == (1200, 750)
