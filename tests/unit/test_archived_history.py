"""Archives meet corrections and retractions: an archived item carries its correction note,
and a story retracted after its month was archived leaves that archive with a tombstone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from lxml import etree

from feeds.validate import validate_feed

from .test_archives import NOW, build, output_files, site, write_article

__all__ = ["site"]  # the fixture, imported for these tests

AT = "{http://purl.org/atompub/tombstones/1.0}"


def test_a_story_retracted_after_its_month_was_archived_leaves_a_tombstone_there(
    site: Path,
) -> None:
    build(site)
    archive = site / "output/archive/2026-08/atom.xml"
    story = feedparser.parse(archive.read_bytes())
    retracted_id = next(e.id for e in story.entries if e.title == "Story s-08-22")
    before = output_files(site)

    write_article(
        site,
        "s-08-22",
        datetime(2026, 8, 22, 9, tzinfo=UTC),
        retracted='{date = 2026-11-24T10:00:00Z, reason = "The story was wrong."}',
    )
    build(site)

    after = output_files(site)
    body = archive.read_bytes()
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0
    assert retracted_id not in {e.id for e in parsed.entries}
    deleted = etree.fromstring(body).findall(f"{AT}deleted-entry")
    assert [(d.get("ref"), d.findtext(f"{AT}comment")) for d in deleted] == [
        (retracted_id, "The story was wrong.")
    ]
    assert validate_feed(body, source="archive/2026-08/atom.xml").issues == ()
    # The story is gone from every document, not only from the one with the tombstone.
    assert not [name for name, data in after.items() if b"Story s-08-22" in data]
    # Only August's archive changed among the closed ones (RSS and JSON lose the item too).
    changed = {n for n in before if n.startswith("archive/") and after.get(n) != before[n]}
    assert changed == {f"archive/2026-08/{f}" for f in ("rss.xml", "atom.xml", "feed.json")}


def test_an_archived_item_shows_its_correction(site: Path) -> None:
    write_article(
        site,
        "s-07-26",
        datetime(2026, 7, 26, 9, tzinfo=UTC),
        corrections='[{date = 2026-07-27T08:00:00Z, text = "The quay is the north quay."}]',
    )
    build(site, NOW)
    parsed = feedparser.parse((site / "output/archive/2026-07/atom.xml").read_bytes())
    assert parsed.bozo == 0
    entry = next(e for e in parsed.entries if e.title == "Story s-07-26")
    assert "The quay is the north quay." in entry.content[0].value
    assert datetime.fromisoformat(entry.updated) == datetime(2026, 7, 27, 8, tzinfo=UTC)


def test_an_archive_keeps_its_tombstone_after_the_feeds_period(site: Path) -> None:
    build(site)
    write_article(
        site,
        "s-08-22",
        datetime(2026, 8, 22, 9, tzinfo=UTC),
        retracted='{date = 2026-11-24T10:00:00Z, reason = "The story was wrong."}',
    )
    build(site)
    later = NOW + timedelta(days=31)  # past retractions.tombstone_days (30)
    build(site, later)
    assert b"deleted-entry" not in (site / "output/atom.xml").read_bytes()
    archived = etree.fromstring((site / "output/archive/2026-08/atom.xml").read_bytes())
    assert len(archived.findall(f"{AT}deleted-entry")) == 1
