"""Corrections and retractions of articles kept in PostgreSQL (in the row's `extra`), against a
real server: the note and `updated`, a retracted or deleted row's tombstone, located problems."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import psycopg
import pytest
from lxml import etree
from PIL import Image as PILImage

from feeds.build import publish
from feeds.config import load_config
from feeds.rules import TOMBSTONES_NS
from feeds.sources import postgres
from feeds.validate import validate_feed

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[repository]
url = "{url}"

[output]
path = "output"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]
"""
KEY = "news/2026/crane.md"


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    postgres.init_schema(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def site(tmp_path: Path, database_url: str, db: psycopg.Connection) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG.format(url=database_url), encoding="utf-8")
    for key, title, date in (
        (KEY, "Crane collapse on the quay", "2026-11-20 10:00+01"),
        ("news/2026/lights.md", "Harbour lights", "2026-11-19 10:00+01"),
    ):
        db.execute(
            "INSERT INTO feeds.articles (key, title, date, body) VALUES (%s, %s, %s, %s)",
            [key, title, date, f"The story of {title}."],
        )
    out = io.BytesIO()
    PILImage.new("RGB", (40, 30), "red").save(out, "JPEG")
    db.execute(
        "INSERT INTO feeds.images (article, path, position, data, alt) VALUES (%s, %s, 0, %s, %s)",
        [KEY, "news/2026/crane.jpg", out.getvalue(), "The crane."],
    )
    return tmp_path


def build(site: Path, now: datetime = NOW):
    return publish(load_config(site / "config.toml"), now=now)


def set_extra(db: psycopg.Connection, extra: object) -> None:
    db.execute("UPDATE feeds.articles SET extra = %s WHERE key = %s", [json.dumps(extra), KEY])


def crane(site: Path, name: str) -> feedparser.FeedParserDict | None:
    parsed = feedparser.parse((site / "output" / name).read_bytes())
    assert parsed.bozo == 0
    return next((e for e in parsed.entries if e.title == "Crane collapse on the quay"), None)


def stones(site: Path) -> list[etree._Element]:
    root = etree.fromstring((site / "output/atom.xml").read_bytes())
    return root.findall(f"{{{TOMBSTONES_NS}}}deleted-entry")


def test_a_correction_in_extra_bumps_updated_and_shows_its_note(
    site: Path, db: psycopg.Connection
) -> None:
    build(site)
    set_extra(
        db, {"corrections": [{"date": "2026-11-21T09:00:00+01:00", "text": "The crane's make."}]}
    )
    result = build(site)
    assert result.problems == ()
    entry = crane(site, "atom.xml")
    assert entry is not None
    assert entry.updated == "2026-11-21T09:00:00+01:00"
    assert "The crane's make." in entry.content[0].value
    feed = json.loads((site / "output/feed.json").read_text(encoding="utf-8"))
    assert feed["items"][0]["date_modified"] == "2026-11-21T09:00:00+01:00"


def test_a_retracted_row_leaves_the_feeds_and_media_with_a_tombstone(
    site: Path, db: psycopg.Connection
) -> None:
    build(site)
    assert (site / "output/media/news/2026/crane.jpg").exists()
    article_id = crane(site, "atom.xml").id  # type: ignore[union-attr]
    set_extra(db, {"retracted": {"date": "2026-11-24T08:00:00+01:00", "reason": "Legal."}})
    result = build(site)
    assert result.problems == ()
    for name in ("atom.xml", "rss.xml"):
        assert crane(site, name) is None
    assert "Crane collapse" not in (site / "output/feed.json").read_text(encoding="utf-8")
    assert not (site / "output/media/news/2026/crane.jpg").exists()
    (stone,) = stones(site)
    assert (stone.get("ref"), stone.get("when")) == (article_id, "2026-11-24T08:00:00+01:00")
    assert stone.findtext(f"{{{TOMBSTONES_NS}}}comment") == "Legal."
    assert validate_feed((site / "output/atom.xml").read_bytes()).issues == ()


def test_a_deleted_row_gets_a_tombstone_and_its_id_is_retired(
    site: Path, db: psycopg.Connection
) -> None:
    build(site)
    article_id = crane(site, "atom.xml").id  # type: ignore[union-attr]
    db.execute("DELETE FROM feeds.articles WHERE key = %s", [KEY])
    build(site, NOW + timedelta(minutes=10))
    (stone,) = stones(site)
    assert (stone.get("ref"), stone.get("when")) == (article_id, "2026-11-25T13:10:00+01:00")
    # The row comes back: its id is retired, so it is a problem and stays out.
    db.execute(
        "INSERT INTO feeds.articles (key, title, date, body) VALUES (%s, %s, %s, 'Again.')",
        [KEY, "Crane collapse on the quay", "2026-11-20 10:00+01"],
    )
    result = build(site, NOW + timedelta(minutes=20))
    (problem,) = result.problems
    assert problem.path == f"postgresql:{KEY}"
    assert "of a story that was retracted or deleted" in str(problem)
    assert crane(site, "atom.xml") is None


def test_a_bad_correction_in_extra_is_a_problem_named_by_its_key(
    site: Path, db: psycopg.Connection
) -> None:
    set_extra(db, {"corrections": [{"date": "2026-11-01T09:00:00+01:00", "text": "Early."}]})
    result = build(site)
    (problem,) = result.problems
    assert str(problem).startswith(
        f"postgresql:{KEY}: corrections: correction 1 is dated 2026-11-01T09:00:00+01:00,"
        " before the article's date"
    )
    assert crane(site, "atom.xml") is None
    assert len(feedparser.parse((site / "output/atom.xml").read_bytes()).entries) == 1
