"""The registry of published ids: a renamed article that would change its id is noticed."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.model import Article
from feeds.state.registry import REGISTRY_FILE, find_id_changes, load_registry, record_published
from feeds.state.store import FolderStore


def article(rel_path: str, id_: str, url: str, title: str = "Ferry", day: int = 2) -> Article:
    return Article(
        id=id_,
        source=Path("/repo") / rel_path,
        rel_path=rel_path,
        title=title,
        slug="x",
        url=url,
        published=datetime(2026, 3, day, tzinfo=UTC),
        updated=datetime(2026, 3, day, tzinfo=UTC),
        authors=(),
        summary="",
        categories=(),
        tags=(),
        section="",
        images=(),
        related=(),
        draft=False,
        body_format="markdown",
        body_line=1,
    )


OLD = article("news/ferry.md", "urn:uuid:old", "https://news.example.org/ferry/")


def test_round_trip_and_no_rewrite_when_nothing_changed(tmp_path: Path) -> None:
    record_published(FolderStore(tmp_path), {}, [OLD])
    registry = load_registry(FolderStore(tmp_path))
    assert list(registry) == ["urn:uuid:old"]
    assert registry["urn:uuid:old"].source == "news/ferry.md"
    path = tmp_path / REGISTRY_FILE
    mtime = path.stat().st_mtime_ns
    record_published(FolderStore(tmp_path), registry, [OLD])
    assert path.stat().st_mtime_ns == mtime


def test_renamed_file_with_a_derived_id_is_reported_with_the_fix(tmp_path: Path) -> None:
    record_published(FolderStore(tmp_path), {}, [OLD])
    renamed = article("news/ferry-timetable.md", "urn:uuid:new", "https://news.example.org/ferry/")
    (change,) = find_id_changes(load_registry(FolderStore(tmp_path)), [renamed], {"urn:uuid:new"})
    assert str(change) == (
        "news/ferry-timetable.md: its id changed from 'urn:uuid:old' (published from news/ferry.md) "
        "to 'urn:uuid:new', so feed readers will show it again as a new article: "
        'add `id: "urn:uuid:old"` to its front matter to keep the old id'
    )


def test_match_by_title_and_date_when_the_url_changed_too(tmp_path: Path) -> None:
    record_published(FolderStore(tmp_path), {}, [OLD])
    moved = article("sport/ferry.md", "urn:uuid:new", "https://news.example.org/sport/ferry/")
    assert (
        len(find_id_changes(load_registry(FolderStore(tmp_path)), [moved], {"urn:uuid:new"})) == 1
    )


def test_no_change_when_the_old_id_is_still_carried_or_the_article_is_new(tmp_path: Path) -> None:
    record_published(FolderStore(tmp_path), {}, [OLD])
    registry = load_registry(FolderStore(tmp_path))
    copy = article("news/ferry-2.md", "urn:uuid:new", "https://news.example.org/ferry/")
    assert find_id_changes(registry, [copy], {"urn:uuid:old", "urn:uuid:new"}) == []
    other = article(
        "news/storm.md", "urn:uuid:storm", "https://news.example.org/storm/", "Storm", 9
    )
    assert find_id_changes(registry, [other], {"urn:uuid:storm"}) == []


@pytest.mark.parametrize(
    "content", ["{not json", '{"version": 99, "items": []}', '{"version": 1}', "[]"]
)
def test_corrupt_registry_is_reported_and_replaced(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / REGISTRY_FILE).write_text(content, encoding="utf-8")
    assert load_registry(FolderStore(tmp_path)) == {}
    assert "the registry of published ids is unreadable" in caplog.text
    record_published(FolderStore(tmp_path), {}, [OLD])
    assert json.loads((tmp_path / REGISTRY_FILE).read_text(encoding="utf-8"))["version"] == 1
