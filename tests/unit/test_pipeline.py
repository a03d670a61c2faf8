"""The whole build: selection, embargo, drafts, problems, strict mode, validation gate, rewrites."""

from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from PIL import Image as PILImage

from feeds import pipeline
from feeds.config import load_config
from feeds.errors import FeedInvalidError, StrictModeError
from feeds.models import RenderedFeed
from feeds.pipeline import publish

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


def test_an_invalid_feed_is_never_written_and_the_old_one_stays(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(site)
    good = (site / "output/rss.xml").read_bytes()
    real_render = pipeline.render_feed

    def broken_render(*args: object, **kwargs: object) -> RenderedFeed:
        feed = real_render(*args, **kwargs)  # type: ignore[arg-type]
        if feed.format != "rss":
            return feed
        body = feed.body.replace(
            b"<link>https://news.example.org/three/</link>", b"<link>not a url</link>"
        )
        body = body.replace(b"<title>Harbour Times</title>", b"")
        return RenderedFeed(feed.spec, feed.format, feed.rel_path, feed.url, body, feed.article_ids)

    monkeypatch.setattr(pipeline, "render_feed", broken_render)
    article(site, "news/four.md", "Four", "2026-05-05T10:00:00+02:00")
    with pytest.raises(FeedInvalidError) as caught:
        build(site)
    message = str(caught.value)
    assert message.startswith("a rendered feed did not validate, so nothing was written")
    assert "rss.xml:" in message
    assert "rss-missing-element" in message  # the channel title
    assert "rss-url-invalid" in message
    assert "(article news/three.md)" in message  # the item's link names its article
    assert (site / "output/rss.xml").read_bytes() == good
    assert "Four" not in titles(site / "output/atom.xml")


def test_dry_run_writes_nothing(site: Path) -> None:
    result = build(site, write=False)
    assert result.written is None
    assert len(result.feeds) == 3
    assert not (site / "output").exists()


def test_summary_tells_what_was_published_and_what_waits(site: Path) -> None:
    assert build(site).summary() == (
        "3 of 5 article(s) published (1 draft(s), 1 embargoed, the next until "
        "2026-06-01T14:30:00+02:00); 3 feed file(s): 4 written, 0 unchanged, 0 removed"
    )
