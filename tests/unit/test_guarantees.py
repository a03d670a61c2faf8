"""What is promised: nothing unpublished leaks into any output, and nothing published lingers.

Each test builds a small site with every kind of output (RSS, Atom, JSON Feed, a section feed,
per-tag slices, the discovery page, OPML, media) and reads every file the build wrote.
"""

from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from PIL import Image as PILImage

from feeds.build import publish
from feeds.config import load_config
from feeds.errors import StrictModeError
from feeds.validate import validate_feed

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]

[[feeds]]
name = "news"
sections = ["news"]

[[feeds]]
name = "tags"
per = ["tag"]
formats = ["rss", "atom", "json"]
"""


def article(
    root: Path,
    rel: str,
    title: str,
    tag: str,
    *,
    date: str = "2026-05-01T10:00:00Z",
    extra: str = "",
) -> None:
    path = root / "articles" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    image = f"{path.stem}.png"
    PILImage.new("RGB", (12, 8), (len(title) * 7 % 255, 90, 30)).save(path.parent / image)
    path.write_text(
        f"---\ntitle: {title}\ndate: {date}\ntags: [{tag}]\nimage: {image}\nimage_alt: Alt {title}\n"
        f"image_caption: Caption {title}\nimage_credit: Credit {title}\n{extra}---\n"
        f"Body of {title}.\n",
        encoding="utf-8",
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    article(tmp_path, "news/public.md", "Publicstory", "harbour")
    article(tmp_path, "sport/swim.md", "Swimstory", "swim")
    article(tmp_path, "news/secret.md", "Draftstory", "draftonly", extra="draft: true\n")
    article(tmp_path, "news/later.md", "Embargostory", "embargoonly", date="2026-06-02T00:00:00Z")
    return tmp_path


def build(site: Path, **kwargs: bool):
    return publish(load_config(site / "config.toml"), now=NOW, **kwargs)


def outputs(site: Path) -> dict[str, str]:
    """Every text file under output/, by relative path."""
    out = site / "output"
    return {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in out.rglob("*")
        if p.is_file() and p.suffix in {".xml", ".json", ".html", ".opml"}
    }


def media(site: Path) -> list[str]:
    return sorted(p.name for p in (site / "output/media").rglob("*") if p.is_file())


def assert_nowhere(site: Path, *words: str) -> None:
    for rel, text in outputs(site).items():
        for word in words:
            assert word not in text, f"{word!r} leaked into {rel}"
    for word in words:
        assert not any(word.lower() in name for name in media(site)), f"media of {word} leaked"


def test_drafts_and_embargoed_articles_leak_nowhere(site: Path) -> None:
    build(site)
    files = outputs(site)
    assert {"rss.xml", "atom.xml", "feed.json", "news/rss.xml", "index.html", "feeds.opml"} <= set(
        files
    )
    assert "tag/harbour/feed.json" in files
    assert "Publicstory" in files["rss.xml"]
    assert_nowhere(
        site, "Draftstory", "Embargostory", "draftonly", "embargoonly", "secret", "later"
    )
    assert media(site) == ["public.png", "swim.png"]


def test_filtered_out_articles_are_not_in_the_section_feed(site: Path) -> None:
    build(site)
    section = outputs(site)["news/rss.xml"]
    assert "Publicstory" in section
    assert "Swimstory" not in section


def test_article_turned_draft_disappears_everywhere_and_its_slice_stays_valid_but_empty(
    site: Path,
) -> None:
    build(site)
    updated = feedparser.parse((site / "output/tag/harbour/atom.xml").read_bytes()).feed.updated
    article(site, "news/public.md", "Publicstory", "harbour", extra="draft: true\n")
    result = build(site)
    assert_nowhere(site, "Publicstory", "public.png")
    for fmt in ("rss.xml", "atom.xml", "feed.json"):
        emptied = (site / "output/tag/harbour" / fmt).read_bytes()
        assert validate_feed(emptied).ok
        if fmt != "feed.json":
            assert feedparser.parse(emptied).entries == []
    assert result.written is not None
    assert "media/news/public.png" in result.written.removed
    # The emptied feed keeps its last date instead of jumping back to 1970.
    emptied = feedparser.parse((site / "output/tag/harbour/atom.xml").read_bytes())
    assert emptied.feed.updated == updated


def test_deleted_article_disappears_everywhere(site: Path) -> None:
    build(site)
    (site / "articles/sport/swim.md").unlink()
    build(site)
    assert_nowhere(site, "Swimstory", "swim.png")
    assert (site / "output/tag/swim/rss.xml").exists()  # subscribers keep a valid, empty feed


def test_embargoed_article_appears_at_its_time_with_its_media(site: Path) -> None:
    build(site)
    publish(load_config(site / "config.toml"), now=datetime(2026, 6, 2, tzinfo=UTC))
    assert "Embargostory" in outputs(site)["feed.json"]
    assert "later.png" in media(site)
    assert "tag/embargoonly/rss.xml" in outputs(site)


def test_a_feed_removed_from_the_configuration_is_retired(site: Path) -> None:
    build(site)
    assert (site / "output/news/rss.xml").exists()
    config = site / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            '[[feeds]]\nname = "news"\nsections = ["news"]\n', ""
        ),
        encoding="utf-8",
    )
    result = build(site)
    assert not (site / "output/news/rss.xml").exists()
    assert result.written is not None
    assert "news/rss.xml" in result.written.removed
    assert "news/rss.xml" not in outputs(site)["feeds.opml"]


def test_a_stale_record_never_removes_files_that_are_not_feeds(site: Path) -> None:
    build(site)
    keep = site / "output/keep.html"
    keep.write_text("the site's own page", encoding="utf-8")
    record = site / ".feeds-state/published-feeds.json"
    text = record.read_text(encoding="utf-8")
    record.write_text(
        text.replace('"rel_path": "news/rss.xml"', '"rel_path": "keep.html"'), encoding="utf-8"
    )
    build(site)
    assert keep.read_text(encoding="utf-8") == "the site's own page"


def test_renamed_article_changing_its_id_is_warned_and_fails_under_strict(site: Path) -> None:
    build(site)
    (site / "articles/news/public.md").rename(site / "articles/news/public-renamed.md")
    (site / "articles/news/public.png").rename(site / "articles/news/public-renamed.png")
    text = (site / "articles/news/public-renamed.md").read_text(encoding="utf-8")
    (site / "articles/news/public-renamed.md").write_text(
        text.replace("public.png", "public-renamed.png"), encoding="utf-8"
    )
    before = outputs(site)["rss.xml"]
    with pytest.raises(StrictModeError) as caught:
        build(site, strict=True)
    assert "news/public-renamed.md: its id changed from 'urn:uuid:" in str(caught.value)
    assert "(published from news/public.md)" in str(caught.value)
    assert outputs(site)["rss.xml"] == before  # nothing written
    result = build(site)
    (change,) = result.id_changes
    assert change.before.source == "news/public.md"
    assert "1 article(s) changed their id" in result.summary()


def test_pinning_the_old_id_settles_the_warning(site: Path) -> None:
    first = build(site)
    public_id = next(a.id for a in first.scan.articles if a.rel_path == "news/public.md")
    path = site / "articles/news/public.md"
    renamed = site / "articles/news/public-renamed.md"
    path.rename(renamed)
    renamed.write_text(
        renamed.read_text(encoding="utf-8").replace("---\n", f'---\nid: "{public_id}"\n', 1),
        encoding="utf-8",
    )
    assert build(site, strict=True).id_changes == ()


def test_corrupt_state_files_are_reported_and_rebuilt(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build(site)
    for name in ("published-ids.json", "published-feeds.json"):
        (site / ".feeds-state" / name).write_text("{broken", encoding="utf-8")
    result = build(site)
    assert result.problems == ()
    assert "the registry of published ids is unreadable" in caplog.text
    assert "the record of published feed files is unreadable" in caplog.text
    assert (site / ".feeds-state/published-ids.json").read_text(encoding="utf-8").startswith("{\n")
