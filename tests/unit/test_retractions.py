"""Retractions and deletions: the story leaves every output and its media, Atom feeds that
carried it keep an RFC 6721 tombstone for a while, and its id is never published again."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from PIL import Image as PILImage

from feeds.build import publish
from feeds.config import load_config
from feeds.errors import ConfigError
from feeds.rules import TOMBSTONES_NS
from feeds.state.registry import REGISTRY_FILE
from feeds.validate import validate_feed

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]

[[feeds]]
name = "sport"
sections = ["sport"]
formats = ["rss", "atom", "json"]

[[feeds]]
name = "tags"
per = ["tag"]
formats = ["rss", "atom", "json"]
{retractions}"""

CRANE = """\
---
title: Crane collapse blamed on contractor
date: 2026-05-20T10:00:00+02:00
tags: [crane, harbour]
image: crane.jpg
image_alt: A crane lying across the quay.
image_caption: The fallen crane.
{extra}---
The crane fell, the story said.
"""
ID = "urn:uuid:"  # a prefix: the derived id is checked through the registry below


def write_crane(site: Path, extra: str = "") -> None:
    folder = site / "articles/sport"
    folder.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", (600, 300), (200, 40, 40)).save(folder / "crane.jpg")
    (folder / "crane.md").write_text(CRANE.format(extra=extra), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG.format(retractions=""), encoding="utf-8")
    (tmp_path / "articles/news").mkdir(parents=True)
    (tmp_path / "articles/news/quay.md").write_text(
        "---\ntitle: Quay lights\ndate: 2026-04-01T10:00:00+02:00\ntags: [harbour]\n---\nLights.\n",
        encoding="utf-8",
    )
    write_crane(tmp_path)
    return tmp_path


def build(site: Path, now: datetime = NOW):
    return publish(load_config(site / "config.toml"), now=now)


def crane_id(site: Path) -> str:
    items = json.loads((site / ".feeds-state" / REGISTRY_FILE).read_text(encoding="utf-8"))
    return next(i["id"] for i in items["items"] if i["source"] == "sport/crane.md")


def output_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site / "output").as_posix(): p.read_bytes()
        for p in sorted((site / "output").rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def tombstones(data: bytes) -> list[etree._Element]:
    return etree.fromstring(data).findall(f"{{{TOMBSTONES_NS}}}deleted-entry")


RETRACTED = (
    "retracted:\n"
    "  date: 2026-05-25T08:00:00+02:00\n"
    '  reason: "The contractor was not at fault; the story is withdrawn."\n'
)


def test_a_retraction_removes_the_story_from_every_output_and_its_media(site: Path) -> None:
    build(site)
    before = output_files(site)
    article_id = crane_id(site)
    held = [name for name, body in before.items() if article_id.encode() in body]
    assert {"atom.xml", "rss.xml", "feed.json", "sport/atom.xml", "tag/crane/atom.xml"} <= set(held)
    assert any(name.startswith("media/sport/crane") for name in before)

    write_crane(site, RETRACTED)
    result = build(site)
    assert result.problems == ()
    assert result.retracted == 1
    after = output_files(site)
    assert not any(name.startswith("media/sport/") for name in after)  # image and thumbnail
    for name, body in after.items():
        assert b"Crane collapse" not in body, name
        assert b"crane.jpg" not in body, name
        assert b"https://news.example.org/crane/" not in body, name
        if name.endswith(("rss.xml", ".json", ".html", ".opml")):
            assert article_id.encode() not in body, name  # no tombstone outside Atom
    # Every Atom feed that carried it says it was deleted, with when and the reason.
    atom_held = sorted(name for name in held if name.endswith("atom.xml"))
    with_stone = sorted(
        name for name, body in after.items() if name.endswith(".xml") and tombstones(body)
    )
    assert with_stone == atom_held
    for name in atom_held:
        (stone,) = tombstones(after[name])
        assert stone.get("ref") == article_id
        assert stone.get("when") == "2026-05-25T08:00:00+02:00"
        comment = stone.find(f"{{{TOMBSTONES_NS}}}comment")
        assert comment is not None
        assert comment.text == "The contractor was not at fault; the story is withdrawn."
        report = validate_feed(after[name], source=name)
        assert report.issues == (), report.issues
        parsed = feedparser.parse(after[name])
        assert parsed.bozo == 0
        assert article_id not in [e.id for e in parsed.entries]
    # The crane tag's feed lost its only item: it is rewritten empty, tombstone included.
    assert feedparser.parse(after["tag/crane/atom.xml"]).entries == []
    assert feedparser.parse(after["tag/crane/rss.xml"]).entries == []


def test_the_tombstone_leaves_after_the_period(site: Path) -> None:
    (site / "config.toml").write_text(
        CONFIG.format(retractions="\n[retractions]\ntombstone_days = 3\n"), encoding="utf-8"
    )
    build(site)
    write_crane(site, RETRACTED)
    result = build(site)
    assert tombstones((site / "output/atom.xml").read_bytes())
    assert result.wake_at == NOW + timedelta(days=3)  # the daemon builds again then
    # Nothing changed, but the period still counts: two days on the tombstone stays...
    build(site, NOW + timedelta(days=2))
    assert tombstones((site / "output/atom.xml").read_bytes())
    # ...and once it is over it is gone, the story too.
    build(site, NOW + timedelta(days=3, seconds=1))
    body = (site / "output/atom.xml").read_bytes()
    assert tombstones(body) == []
    assert validate_feed(body).issues == ()
    assert b"Crane collapse" not in body


def test_no_tombstones_with_zero_days(site: Path) -> None:
    (site / "config.toml").write_text(
        CONFIG.format(retractions="\n[retractions]\ntombstone_days = 0\n"), encoding="utf-8"
    )
    build(site)
    write_crane(site, RETRACTED)
    build(site)
    body = (site / "output/atom.xml").read_bytes()
    assert tombstones(body) == []
    assert b"Crane collapse" not in body
    assert b"tombstones/1.0" not in body  # the namespace is declared only when used


def test_a_deleted_file_gets_a_tombstone_dated_by_the_first_build_that_found_it_gone(
    site: Path,
) -> None:
    build(site)
    article_id = crane_id(site)
    (site / "articles/sport/crane.md").unlink()
    gone = NOW + timedelta(hours=1, microseconds=5)
    build(site, gone)
    (stone,) = tombstones((site / "output/sport/atom.xml").read_bytes())
    assert stone.get("ref") == article_id
    assert stone.get("when") == "2026-06-01T15:00:00+02:00"  # in the site's time zone
    assert stone.find(f"{{{TOMBSTONES_NS}}}comment") is None
    assert not (site / "output/media/sport").exists()
    # A later build keeps the date: it is recorded, not taken from the clock again.
    (site / "articles/news/other.md").write_text(
        "---\ntitle: Other\ndate: 2026-05-30T10:00:00+02:00\n---\nOther.\n", encoding="utf-8"
    )
    build(site, gone + timedelta(hours=5))
    (stone,) = tombstones((site / "output/sport/atom.xml").read_bytes())
    assert stone.get("when") == "2026-06-01T15:00:00+02:00"


def test_a_retired_id_is_never_published_again(site: Path) -> None:
    build(site)
    article_id = crane_id(site)
    write_crane(site, RETRACTED)
    build(site)
    # The retraction is taken back: the story would come back under the retired id.
    write_crane(site)
    result = build(site)
    (problem,) = result.problems
    assert problem.path == "sport/crane.md"
    assert f"has the id {article_id!r} of a story that was retracted or deleted" in str(problem)
    assert "give this article a new `id`" in str(problem)
    body = (site / "output/atom.xml").read_bytes()
    assert b"Crane collapse" not in body
    assert tombstones(body)  # readers are still told it is deleted
    # Another article that pins the retired id is refused too; with a new id it publishes.
    (site / "articles/sport/crane.md").unlink()
    (site / "articles/news/again.md").write_text(
        f"---\ntitle: Crane story, corrected\ndate: 2026-05-30T10:00:00+02:00\nid: {article_id}\n"
        "---\nA new story.\n",
        encoding="utf-8",
    )
    result = build(site)
    assert [p.path for p in result.problems] == ["news/again.md"]
    (site / "articles/news/again.md").write_text(
        "---\ntitle: Crane story, corrected\ndate: 2026-05-30T10:00:00+02:00\n---\nNew.\n",
        encoding="utf-8",
    )
    result = build(site)
    assert result.problems == ()
    titles = [e.title for e in feedparser.parse(site / "output/atom.xml").entries]
    assert "Crane story, corrected" in titles


def test_a_broken_article_is_not_taken_for_a_deleted_one(site: Path) -> None:
    build(site)
    write_crane(site, "draft: maybe\n")  # a front matter problem: skipped, not retired
    result = build(site)
    assert [p.path for p in result.problems] == ["sport/crane.md"]
    assert tombstones((site / "output/atom.xml").read_bytes()) == []
    write_crane(site)
    result = build(site)
    assert result.problems == ()
    assert b"Crane collapse" in (site / "output/atom.xml").read_bytes()


def test_a_retraction_dated_later_removes_the_story_now_and_says_so(site: Path) -> None:
    build(site)
    write_crane(site, RETRACTED.replace("2026-05-25", "2026-07-25"))
    result = build(site)
    (problem,) = result.problems
    assert problem.path == "sport/crane.md"
    assert problem.line == 8
    assert "after this build's moment" in str(problem)
    body = (site / "output/atom.xml").read_bytes()
    assert b"Crane collapse" not in body
    (stone,) = tombstones(body)
    assert stone.get("when") == "2026-06-01T14:00:00+02:00"  # the build that found it


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("retracted: true\n", "retracted: expected {date, reason}, got a true/false value"),
        ("retracted:\n  reason: Wrong.\n", "retracted: the retraction needs a `date`"),
        (
            "retracted: {date: 2026-05-01T10:00:00+02:00}\n",
            "retracted: the retraction is dated 2026-05-01T10:00:00+02:00, before the"
            " article's date",
        ),
        (
            "retracted: {date: 2026-05-25, why: x}\n",
            "retracted: unknown key `why` in a retraction (its keys are date, reason)",
        ),
        ("retraction: {date: 2026-05-25}\n", "did you mean `retracted`?"),
    ],
)
def test_a_bad_retraction_is_a_located_problem_and_never_publishes_the_story(
    site: Path, extra: str, message: str
) -> None:
    write_crane(site, extra)
    result = build(site)
    (problem,) = result.problems
    assert problem.path == "sport/crane.md"
    assert problem.line == 8
    assert message in str(problem)
    assert b"Crane collapse" not in (site / "output/atom.xml").read_bytes()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("tombstone_days = -1", "retractions.tombstone_days: expected a whole number of days"),
        ("tombstone_days = 3651", "retractions.tombstone_days: expected a whole number of days"),
        ("tombstone_days = true", "retractions.tombstone_days: expected a whole number of days"),
        ('tombstone_days = "30"', "retractions.tombstone_days: expected a whole number of days"),
        ("tombstone_day = 30", "retractions.tombstone_day: unknown key"),
    ],
)
def test_retraction_settings_are_checked(site: Path, table: str, message: str) -> None:
    (site / "config.toml").write_text(
        CONFIG.format(retractions=f"\n[retractions]\n{table}\n"), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(site / "config.toml")
    assert message in str(caught.value)


def test_tombstone_days_default_to_thirty(site: Path) -> None:
    assert load_config(site / "config.toml").tombstone_days == 30
