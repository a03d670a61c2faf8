"""Corrections: a dated note in every format, `updated` bumped to its date; a silent fix is silent."""

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from feeds.build import publish
from feeds.config import load_config
from feeds.errors import ArticleError

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]
"""

FERRY = """\
---
title: Ferry timetable changes
date: 2026-05-01T10:00:00+02:00
{extra}---
The ferry leaves at {time}.
"""


def write(site: Path, extra: str = "", time: str = "7:00") -> None:
    path = site / "articles/news/ferry.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FERRY.format(extra=extra, time=time), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "articles/news").mkdir(parents=True)
    (tmp_path / "articles/news/quay.md").write_text(
        "---\ntitle: Quay lights\ndate: 2026-04-01T10:00:00+02:00\n---\nLights.\n",
        encoding="utf-8",
    )
    write(tmp_path)
    return tmp_path


def build(site: Path, now: datetime = NOW):
    return publish(load_config(site / "config.toml"), now=now)


def item(site: Path, name: str) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((site / "output" / name).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return next(e for e in parsed.entries if e.title == "Ferry timetable changes")


def json_item(site: Path) -> dict[str, str]:
    feed = json.loads((site / "output/feed.json").read_text(encoding="utf-8"))
    return next(i for i in feed["items"] if i["title"] == "Ferry timetable changes")


CORRECTED = (
    "corrections:\n"
    "  - date: 2026-05-03T09:15:00+02:00\n"
    '    text: "An earlier version gave the wrong departure time <7:00>."\n'
)


def test_a_correction_bumps_updated_and_shows_its_note_in_every_format(site: Path) -> None:
    build(site)
    assert item(site, "atom.xml").updated == "2026-05-01T10:00:00+02:00"
    write(site, CORRECTED, time="7:30")
    result = build(site)
    assert result.problems == ()
    note = "An earlier version gave the wrong departure time &lt;7:00&gt;."
    atom = item(site, "atom.xml")
    assert atom.updated == "2026-05-03T09:15:00+02:00"
    assert atom.published == "2026-05-01T10:00:00+02:00"
    assert note in atom.content[0].value
    assert "Correction" in atom.content[0].value
    assert "3 May 2026, 09:15" in atom.content[0].value  # the site's time zone
    rss = item(site, "rss.xml")
    assert note in rss.content[0].value
    assert rss.id == atom.id  # the guid never changes
    entry = json_item(site)
    assert entry["date_modified"] == "2026-05-03T09:15:00+02:00"
    assert entry["date_published"] == "2026-05-01T10:00:00+02:00"
    assert note in entry["content_html"]
    # The note comes after the story, which still reads as corrected.
    assert entry["content_html"].index("7:30") < entry["content_html"].index("Correction")
    # The feed's own date is the newest item's updated.
    parsed = feedparser.parse((site / "output/atom.xml").read_bytes())
    assert parsed.feed.updated == "2026-05-03T09:15:00+02:00"
    page = (site / "output/index.html").read_text(encoding="utf-8")
    section = page[page.index('id="corrections-heading"') :]
    assert "Ferry timetable changes</a>: " + note in section
    assert "3 May 2026, 09:15" in section


def test_a_silent_fix_keeps_updated_and_shows_no_note(site: Path) -> None:
    build(site)
    before = {name: item(site, name) for name in ("atom.xml", "rss.xml")}
    write(site, time="7:05")  # a typo fixed: no correction, no new `updated`
    build(site)
    atom = item(site, "atom.xml")
    assert "7:05" in atom.content[0].value
    assert atom.updated == before["atom.xml"].updated == "2026-05-01T10:00:00+02:00"
    assert "Correction" not in atom.content[0].value
    assert json_item(site)["date_modified"] == "2026-05-01T10:00:00+02:00"
    assert item(site, "rss.xml").id == before["rss.xml"].id
    assert "corrections-heading" not in (site / "output/index.html").read_text(encoding="utf-8")


def test_a_correction_dated_later_appears_at_its_date(site: Path) -> None:
    later = CORRECTED.replace("2026-05-03T09:15", "2026-06-02T09:15")
    write(site, later)
    result = build(site)
    assert result.problems == ()
    assert "Correction" not in item(site, "atom.xml").content[0].value
    assert item(site, "atom.xml").updated == "2026-05-01T10:00:00+02:00"
    assert result.wake_at == datetime(2026, 6, 2, 7, 15, tzinfo=UTC)
    build(site, datetime(2026, 6, 2, 8, 0, tzinfo=UTC))
    assert item(site, "atom.xml").updated == "2026-06-02T09:15:00+02:00"
    assert "Correction" in item(site, "atom.xml").content[0].value


def test_corrections_are_listed_oldest_first_with_updated_the_newest(site: Path) -> None:
    write(
        site,
        "corrections:\n"
        "  - {date: 2026-05-05T12:00:00+02:00, text: Second fix.}\n"
        "  - {date: 2026-05-02T12:00:00+02:00, text: First fix.}\n"
        "updated: 2026-05-04T08:00:00+02:00\n",
    )
    build(site)
    atom = item(site, "atom.xml")
    assert atom.updated == "2026-05-05T12:00:00+02:00"
    content = atom.content[0].value
    assert content.index("First fix.") < content.index("Second fix.")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "corrections: fixed\n",
            "corrections: expected a list of {date, text}, got plain text",
        ),
        (
            "corrections:\n  - text: Wrong time.\n",
            "corrections: correction 1 needs a `date`",
        ),
        (
            "corrections:\n  - {date: 2026-05-03, text: ''}\n",
            "corrections: correction 1 has no `text`",
        ),
        (
            "corrections:\n  - {date: yesterday, text: Wrong time.}\n",
            "corrections: correction 1: date 'yesterday' is not a date and time",
        ),
        (
            "corrections:\n  - {date: 2026-04-30T10:00:00+02:00, text: Wrong time.}\n",
            "corrections: correction 1 is dated 2026-04-30T10:00:00+02:00, before the"
            " article's date 2026-05-01T10:00:00+02:00",
        ),
        (
            "corrections:\n  - {date: 2026-05-03, text: Wrong time., note: x}\n",
            "corrections: unknown key `note` in a correction (its keys are date, text)",
        ),
        ("correction: []\n", "correction: unknown field: did you mean `corrections`?"),
    ],
)
def test_a_bad_correction_is_a_located_article_problem(
    site: Path, extra: str, message: str
) -> None:
    write(site, extra)
    result = build(site)
    (problem,) = result.problems
    assert isinstance(problem, ArticleError)
    assert problem.path == "news/ferry.md"
    assert problem.line == 4  # the line of the key
    assert message in str(problem)
    # The other article still publishes.
    assert [e.title for e in feedparser.parse(site / "output/atom.xml").entries] == ["Quay lights"]
