"""Archived feeds (RFC 5005): configuration, partition, the documents a build writes, how a
client walks them back, what stays byte-identical, and what the validator says of them."""

from __future__ import annotations

import dataclasses
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
from feeds.model import ArchivePolicy, Brief
from feeds.scan.archives import partition
from feeds.validate import validate_feed

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "http://purl.org/syndication/history/1.0"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

SITE = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[repository]
path = "articles"

[output]
path = "output"

[state]
path = "state"
"""


def write_config(folder: Path, feeds: str) -> Path:
    path = folder / "config.toml"
    path.write_text(SITE + feeds, encoding="utf-8")
    return path


def config_error(folder: Path, feeds: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(folder, feeds))
    return str(caught.value)


# --- configuration ---------------------------------------------------------------------------


def test_archive_policies_load(tmp_path: Path) -> None:
    config = load_config(
        write_config(
            tmp_path,
            '[[feeds]]\nname = "main"\narchive = "monthly"\n'
            '[[feeds]]\nname = "y"\narchive = "yearly"\n'
            '[[feeds]]\nname = "n"\narchive = 500\n'
            '[[feeds]]\nname = "c"\ncomplete = true\n',
        )
    )
    specs = {spec.name: spec for spec in config.feeds}
    assert specs["main"].archive == ArchivePolicy("monthly")
    assert specs["y"].archive == ArchivePolicy("yearly")
    assert specs["n"].archive == ArchivePolicy("count", 500)
    assert specs["c"].complete and specs["c"].archive is None


@pytest.mark.parametrize("value", ['"weekly"', "5", "true", '"500"', "20000"])
def test_a_wrong_archive_value_is_a_located_error(tmp_path: Path, value: str) -> None:
    message = config_error(tmp_path, f'[[feeds]]\nname = "main"\narchive = {value}\n')
    assert 'feeds[1].archive: expected "monthly", "yearly" or a whole number of items' in message


def test_complete_and_archive_exclude_each_other(tmp_path: Path) -> None:
    message = config_error(
        tmp_path, '[[feeds]]\nname = "main"\narchive = "monthly"\ncomplete = true\n'
    )
    assert "feeds[1].complete: a feed is either complete" in message


def test_a_complete_feed_takes_no_limit(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[[feeds]]\nname = "main"\ncomplete = true\nlimit = 5\n')
    assert "feeds[1].limit: a complete feed holds every article it selects" in message
    message = config_error(tmp_path, '[[feeds]]\nname = "main"\ncomplete = "yes"\n')
    assert 'feeds[1].complete: expected true or false, got "yes"' in message


def test_a_feed_inside_another_feeds_archive_folder_is_refused(tmp_path: Path) -> None:
    message = config_error(
        tmp_path,
        '[[feeds]]\nname = "main"\narchive = "monthly"\n'
        '[[feeds]]\nname = "odd"\npath = "archive/2026-01"\n',
    )
    assert 'feeds[2].path: "archive/2026-01" is inside the archive folder of feeds[1]' in message


# --- partition -------------------------------------------------------------------------------


def brief(name: str, published: datetime) -> Brief:
    return Brief(name, f"news/{name}.md", name, f"u/{name}", published, False, (), (), (), "news")


def test_months_are_the_channels_and_the_open_month_is_nows() -> None:
    # 23:30 UTC on 31 October is already November in Berlin.
    items = [
        brief("nov", datetime(2026, 11, 2, tzinfo=UTC)),
        brief("late-oct-utc", datetime(2026, 10, 31, 23, 30, tzinfo=UTC)),
        brief("oct", datetime(2026, 10, 5, tzinfo=UTC)),
        brief("aug", datetime(2026, 8, 5, tzinfo=UTC)),
    ]
    cut = partition(items, ArchivePolicy("monthly"), timezone="Europe/Berlin", now=NOW)
    assert cut.open_count == 2
    assert [(p.key, [b.id for b in p.articles]) for p in cut.closed] == [
        ("2026-10", ["oct"]),
        ("2026-08", ["aug"]),  # no September: an empty month has no archive
    ]
    assert cut.neighbours(0) == ("2026-08", "")
    assert cut.neighbours(1) == ("", "2026-10")


def test_pages_count_from_the_oldest_so_a_new_article_moves_nothing() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = [brief(f"a{i:02d}", start + timedelta(days=i)) for i in range(25)][::-1]
    before = partition(items, ArchivePolicy("count", 10), timezone="UTC", now=NOW)
    assert before.open_count == 5
    assert [p.key for p in before.closed] == ["2", "1"]
    assert [b.id for b in before.closed[1].articles] == [f"a{i:02d}" for i in range(9, -1, -1)]
    newer = [brief("new", start + timedelta(days=40)), *items]
    after = partition(newer, ArchivePolicy("count", 10), timezone="UTC", now=NOW)
    assert after.closed == before.closed and after.open_count == 6


# --- a whole archived feed -------------------------------------------------------------------

# (month, day): three in the open month (November), the others spread over closed months;
# September has none.
DATES = [(11, 20), (11, 12), (11, 3), (10, 30), (10, 2), (8, 22), (8, 1), (7, 26), (6, 18)]


def write_article(folder: Path, name: str, when: datetime, **extra: str) -> None:
    lines = [f'title = "Story {name}"', f"date = {when.isoformat()}"]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    path = folder / "articles" / "news" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("+++\n" + "\n".join(lines) + f"\n+++\nThe body of {name}.\n", "utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    for month, day in DATES:
        write_article(
            tmp_path, f"s-{month:02d}-{day:02d}", datetime(2026, month, day, 9, tzinfo=UTC)
        )
    # Archived stories with photos wider than a thumbnail: their renditions are the cache's
    # (two, so that they are made in parallel, as a large build makes them).
    for name, colour in (("s-07-26", "navy"), ("s-06-18", "teal")):
        photo = tmp_path / "articles" / "news" / "images" / f"{name}.jpg"
        photo.parent.mkdir(parents=True, exist_ok=True)
        PILImage.new("RGB", (900, 600), colour).save(photo, "JPEG")
        when = datetime(2026, int(name[2:4]), int(name[5:]), 9, tzinfo=UTC)
        write_article(tmp_path, name, when, image=f'"images/{name}.jpg"', image_alt='"A quay"')
    write_article(tmp_path, "draft", datetime(2026, 8, 2, tzinfo=UTC), draft="true")
    write_article(tmp_path, "embargoed", datetime(2026, 12, 24, tzinfo=UTC))
    write_config(
        tmp_path,
        '[[feeds]]\nname = "main"\nformats = ["rss", "atom", "json"]\nlimit = 2\n'
        'archive = "monthly"\n',
    )
    return tmp_path


def build(folder: Path, now: datetime = NOW) -> object:
    config = load_config(folder / "config.toml")
    result = publish(config, now=now)
    assert result.problems == () and result.refused == ()
    return result


def output_files(folder: Path) -> dict[str, bytes]:
    out = folder / "output"
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def walk_xml(folder: Path, subscription: str) -> list[list[str]]:
    """What an RFC 5005 client does: read the subscription document, then follow prev-archive
    until there is none (stopping at a document seen before); the ids of each document."""
    base = "https://news.example.org/"
    url, seen, documents = base + subscription, set(), []
    while url and url not in seen:
        seen.add(url)
        body = (folder / "output" / url.removeprefix(base)).read_bytes()
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
        documents.append([entry.id for entry in parsed.entries])
        root = etree.fromstring(body)
        head = root.find("channel") if root.tag == "rss" else root
        assert head is not None
        prev = [
            ln.get("href") for ln in head.iter(f"{ATOM}link") if ln.get("rel") == "prev-archive"
        ]
        if len(documents) > 1:  # every archive says it is one
            assert head.find(f"{{{FH}}}archive") is not None
        url = prev[0] if prev else ""
    return documents


def published_ids(folder: Path) -> set[str]:
    """Every published article's id, from a complete feed of the same articles."""
    config = load_config(folder / "config.toml")
    spec = dataclasses.replace(config.feeds[0], archive=None, complete=True, limit=1000)
    result = publish(dataclasses.replace(config, feeds=(spec,)), now=NOW, write=False)
    feed = next(f for f in result.feeds if f.format == "atom")
    return set(feed.article_ids)


@pytest.mark.parametrize("subscription", ["rss.xml", "atom.xml"])
def test_following_prev_archive_collects_every_published_item_once(
    site: Path, subscription: str
) -> None:
    build(site)
    documents = walk_xml(site, subscription)
    assert len(documents) == 1 + 4  # October, August, July, June
    # The subscription document holds the whole open month, beyond limit = 2.
    assert len(documents[0]) == 3
    archived = [item for doc in documents[1:] for item in doc]
    assert len(archived) == len(set(archived)), "an item is in two archives"
    collected = set(documents[0]) | set(archived)
    expected = published_ids(site)
    assert len(expected) == len(DATES)  # no draft, nothing embargoed
    assert collected == expected
    assert not set(documents[0]) & set(archived)  # November is in no archive yet


def test_json_feed_chains_next_url_into_the_archives(site: Path) -> None:
    build(site)
    ids: list[str] = []
    url = "https://news.example.org/feed.json"
    documents = 0
    while url:
        document = json.loads(
            (site / "output" / url.removeprefix("https://news.example.org/")).read_text()
        )
        documents += 1
        assert document["feed_url"] == "https://news.example.org/feed.json"
        extension = document.get("_archive", {})
        assert extension.get("about") == "https://www.rfc-editor.org/rfc/rfc5005"
        if documents > 1:
            assert extension["archive"] is True
            assert extension["current"] == "https://news.example.org/feed.json"
        ids.extend(item["id"] for item in document["items"])
        url = document.get("next_url", "")
        assert url == extension.get("prev_archive", "")
    assert documents == 5
    assert sorted(ids) == sorted(published_ids(site))


def canonical(element: etree._Element) -> bytes:
    element.tail = None
    return etree.tostring(element, method="c14n", exclusive=True)


def test_archive_items_are_the_feeds_items(site: Path) -> None:
    build(site)
    files = output_files(site)
    october = etree.fromstring(files["archive/2026-10/atom.xml"])
    entries = october.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Story s-10-30", "Story s-10-02"]
    # The same entry (id, content, dates) as a feed carrying it: a complete feed of the site.
    config = load_config(site / "config.toml")
    spec = dataclasses.replace(config.feeds[0], archive=None, complete=True)
    whole = publish(dataclasses.replace(config, feeds=(spec,)), now=NOW, write=False)
    full = etree.fromstring(next(f for f in whole.feeds if f.format == "atom").body)
    same = {e.findtext(f"{ATOM}id"): canonical(e) for e in full.findall(f"{ATOM}entry")}
    for entry in entries:
        assert canonical(entry) == same[entry.findtext(f"{ATOM}id")]
    links = {ln.get("rel"): ln.get("href") for ln in october.findall(f"{ATOM}link")}
    assert links["current"] == "https://news.example.org/atom.xml"
    assert links["prev-archive"] == "https://news.example.org/archive/2026-08/atom.xml"
    assert links["self"] == "https://news.example.org/archive/2026-10/atom.xml"
    assert "next-archive" not in links  # the newest archive: its next is the current feed
    assert "archive/2026-09" not in "".join(files)  # an empty month has no archive
    assert "draft" not in files["archive/2026-08/rss.xml"].decode()
    index = files["index.html"].decode()
    assert 'href="archive/2026-10/atom.xml"' in index and "October 2026" in index


def test_every_document_validates_and_feedparser_reads_it(site: Path) -> None:
    build(site)
    for name, body in output_files(site).items():
        if name.endswith((".xml", ".json")) and not name.endswith("opml"):
            report = validate_feed(body, source=name)
            assert report.issues == (), (name, report.issues)
            if name.endswith(".xml"):
                assert feedparser.parse(body).bozo == 0, name


def test_a_new_article_rewrites_no_archive(site: Path) -> None:
    build(site)
    before = output_files(site)
    stamps = {n: (site / "output" / n).stat().st_mtime_ns for n in before if "archive/" in n}
    write_article(site, "s-11-24", datetime(2026, 11, 24, 9, tzinfo=UTC))
    build(site)
    write_article(site, "s-11-25", datetime(2026, 11, 25, 9, tzinfo=UTC))
    result = build(site)  # a second one: nothing the first left out of the cache is missed
    after = output_files(site)
    archives = [n for n in before if n.startswith("archive/")]
    assert len(archives) == 12
    for name in archives:
        assert after[name] == before[name], name
        assert (site / "output" / name).stat().st_mtime_ns == stamps[name], name
    written = set(result.written.written)  # type: ignore[attr-defined]
    assert written == {"rss.xml", "atom.xml", "feed.json", "index.html"}
    assert b"media/news/images/s-07-26.400w.jpg" in after["archive/2026-07/atom.xml"]
    assert "media/news/images/s-07-26.400w.jpg" in after  # kept published with its archive
    # The closed archives were not even rendered again.
    assert not [f for f in result.feeds if f.archive_key]  # type: ignore[attr-defined]


def test_a_month_closing_adds_its_archive_and_one_next_link(site: Path) -> None:
    build(site)
    before = output_files(site)
    result = build(site, now=datetime(2026, 12, 2, tzinfo=UTC))
    after = output_files(site)
    assert {"archive/2026-11/rss.xml", "archive/2026-11/atom.xml"} <= set(after)
    changed = {n for n in before if n.startswith("archive/") and after[n] != before[n]}
    # Only the archive that was the newest gains its next-archive link.
    assert changed == {f"archive/2026-10/{f}" for f in ("rss.xml", "atom.xml", "feed.json")}
    assert b'rel="next-archive"' in after["archive/2026-10/atom.xml"]
    rendered = {f.rel_path for f in result.feeds if f.archive_key}  # type: ignore[attr-defined]
    assert rendered == {
        f"archive/2026-{m}/{f}" for m in ("10", "11") for f in ("rss.xml", "atom.xml", "feed.json")
    }
    documents = walk_xml(site, "atom.xml")
    # December has nothing yet: the feed keeps its newest `limit`, which November archives too
    # (a client deduplicates them by id).
    assert len(documents[0]) == 2 and set(documents[0]) <= set(documents[1])
    assert {i for doc in documents for i in doc} == published_ids(site)


def test_a_changed_article_rewrites_its_archive_only(site: Path) -> None:
    build(site)
    before = output_files(site)
    write_article(site, "s-08-22", datetime(2026, 8, 22, 9, tzinfo=UTC), summary='"Changed"')
    build(site)
    after = output_files(site)
    changed = {n for n in before if n.startswith("archive/") and after[n] != before[n]}
    assert changed == {f"archive/2026-08/{f}" for f in ("rss.xml", "atom.xml", "feed.json")}


def test_an_archive_deleted_from_the_output_is_written_again(site: Path) -> None:
    build(site)
    before = output_files(site)
    (site / "output" / "archive/2026-07/rss.xml").unlink()
    build(site)
    assert output_files(site)["archive/2026-07/rss.xml"] == before["archive/2026-07/rss.xml"]


def test_a_month_losing_its_last_article_loses_its_archive(site: Path) -> None:
    build(site)
    (site / "articles/news/s-07-26.md").unlink()
    build(site)
    files = output_files(site)
    assert not [n for n in files if n.startswith("archive/2026-07/")]
    august = files["archive/2026-08/atom.xml"].decode()
    assert "https://news.example.org/archive/2026-06/atom.xml" in august  # relinked over July


def test_a_complete_feed_holds_every_item(site: Path) -> None:
    write_config(site, '[[feeds]]\nname = "main"\nformats = ["rss", "atom"]\ncomplete = true\n')
    build(site)
    files = output_files(site)
    assert not [n for n in files if n.startswith("archive/")]
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(files[name])
        assert parsed.bozo == 0
        assert len(parsed.entries) == len(DATES)
        assert b"<fh:complete/>" in files[name]
        assert validate_feed(files[name], source=name).issues == ()


# --- the validator ---------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:fh="http://purl.org/syndication/history/1.0">
<channel><title>T</title><link>https://example.org/</link><description>D</description>
<atom:link href="https://example.org/archive/1.xml" rel="self" type="application/rss+xml"/>
{head}
<item><title>A</title><link>https://example.org/a</link><description>a</description>
<guid isPermaLink="false">urn:x:a</guid>{item}</item>
</channel></rss>"""


def codes(head: str, item: str = "") -> list[str]:
    report = validate_feed(RSS.format(head=head, item=item).encode(), source="t.xml")
    return [issue.code for issue in report.issues]


CURRENT = '<atom:link href="https://example.org/rss.xml" rel="current"/>'
PREV = '<atom:link href="https://example.org/archive/0.xml" rel="prev-archive"/>'


def test_a_valid_archive_and_subscription_document_report_nothing() -> None:
    assert codes(f"{CURRENT}{PREV}<fh:archive/>") == []
    assert codes(PREV) == []  # a subscription document
    assert codes("<fh:complete/>") == []


@pytest.mark.parametrize(
    ("head", "item", "expected"),
    [
        ("<fh:archive/><fh:complete/>" + CURRENT, "", ["fh-archive-and-complete"]),
        ("<fh:archive/>" + PREV, "", ["fh-archive-without-current"]),
        ("<fh:archive>yes</fh:archive>" + CURRENT, "", ["fh-not-empty"]),
        ("<fh:complete/>" + PREV, "", ["fh-complete-with-links"]),
        (
            '<fh:archive/><atom:link href="archive/0.xml" rel="prev-archive"/>' + CURRENT,
            "",
            ["fh-link-not-absolute"],
        ),
        ('<fh:archive/><atom:link rel="current" href=""/>', "", ["fh-link-empty"]),
        (CURRENT + CURRENT + "<fh:archive/>", "", ["fh-link-duplicate"]),
        (CURRENT, "", ["fh-links-without-archive"]),
        ("", PREV, ["fh-link-in-item"]),
    ],
)
def test_broken_archive_markup_reports_a_located_code(
    head: str, item: str, expected: list[str]
) -> None:
    report = validate_feed(RSS.format(head=head, item=item).encode(), source="t.xml")
    found = [issue for issue in report.issues if issue.code.startswith("fh-")]
    assert [issue.code for issue in found] == expected
    assert all(issue.line > 0 for issue in found)


def test_a_per_value_feed_archives_in_its_own_folder(site: Path) -> None:
    for name in ("s-08-22", "s-11-12"):
        write_article(
            site,
            name,
            datetime(2026, int(name[2:4]), int(name[5:]), 9, tzinfo=UTC),
            tags='["ferry"]',
        )
    write_config(
        site,
        '[[feeds]]\nname = "main"\nformats = ["atom"]\n'
        '[[feeds]]\nname = "tags"\nper = "tag"\nformats = ["atom"]\narchive = "monthly"\n',
    )
    build(site)
    files = output_files(site)
    assert sorted(n for n in files if "archive/" in n) == ["tag/ferry/archive/2026-08/atom.xml"]
    assert (
        b"https://news.example.org/tag/ferry/archive/2026-08/atom.xml"
        in files["tag/ferry/atom.xml"]
    )
    # The tag's last archived article loses it: the archive is retired with the period.
    write_article(site, "s-08-22", datetime(2026, 8, 22, 9, tzinfo=UTC))
    build(site)
    assert not [n for n in output_files(site) if "archive/" in n]
