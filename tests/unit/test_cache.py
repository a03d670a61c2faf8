"""The build cache never serves stale content: after every kind of change, a cached build
writes exactly what a cold build (no cache, fresh state) writes."""

import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image as PILImage

from feeds.build import publish
from feeds.config import load_config
from feeds.model import Article, Author
from feeds.sources.files import reader
from feeds.sources.files import scan as files_scan
from feeds.sources.files.listing import Candidate, Listing
from feeds.state import cache as cache_module
from feeds.state.cache import CACHE_DIR, ScanCache
from feeds.state.registry import FEEDS_FILE, REGISTRY_FILE

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]
limit = 4

[[feeds]]
name = "tags"
per = ["tag"]
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / "articles" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def picture(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", (16, 10), colour).save(path)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    for n in range(1, 7):
        write(
            tmp_path,
            f"news/story-{n}.md",
            f"---\ntitle: Story {n}\ndate: 2026-05-0{n}T10:00:00\ntags: [t{n % 2}]\n"
            f"image: s{n}.png\nimage_caption: Caption {n}\nimage_credit: Credit\n---\n"
            f"Body {n} with ![inline](inline.png).\n",
        )
        picture(tmp_path / f"articles/news/s{n}.png", (n * 30, 10, 10))
    picture(tmp_path / "articles/news/inline.png", (0, 0, 200))
    write(
        tmp_path,
        "sport/2026-05-09-regatta.txt",
        "Regatta\n\nBoats.\nBoats at sea. (Ane Moe)\n\nIt was windy.",
    )
    picture(tmp_path / "articles/sport/2026-05-09-regatta.png", (0, 200, 0))
    write(tmp_path, "news/later.md", "---\ntitle: Later\ndate: 2026-06-01T15:00:00Z\n---\nSoon.\n")
    return tmp_path


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def cached_build(site: Path, now: datetime = NOW):
    return publish(load_config(site / "config.toml"), now=now)


def cold_files(site: Path, now: datetime = NOW) -> dict[str, bytes]:
    config = load_config(site / "config.toml")
    cold = site / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    config = replace(config, output=cold / "output", state_dir=cold / "state")
    # The same records of what was published (the registry decides tombstones and emptied
    # slices), without any cache.
    (cold / "state").mkdir(parents=True)
    for name in (REGISTRY_FILE, FEEDS_FILE):
        if (site / ".feeds-state" / name).exists():
            shutil.copy(site / ".feeds-state" / name, cold / "state" / name)
    publish(config, now=now, use_cache=False)
    return files(cold / "output")


def touch_later(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


CHANGES: dict[str, Callable[[Path], None]] = {
    "nothing": lambda site: None,
    "body edited": lambda site: write(
        site,
        "news/story-6.md",
        (site / "articles/news/story-6.md").read_text(encoding="utf-8") + "More.\n",
    ),
    "title edited, same size": lambda site: write(
        site,
        "news/story-5.md",
        (site / "articles/news/story-5.md")
        .read_text(encoding="utf-8")
        .replace("Story 5", "Story V"),
    ),
    "article added": lambda site: write(
        site,
        "news/story-7.md",
        "---\ntitle: Story 7\ndate: 2026-05-20T10:00:00\ntags: [t9]\n---\nNew.\n",
    ),
    "article deleted": lambda site: (site / "articles/news/story-6.md").unlink(),
    "file renamed": lambda site: (site / "articles/news/story-6.md").rename(
        site / "articles/news/story-six.md"
    ),
    "made a draft": lambda site: write(
        site,
        "news/story-6.md",
        (site / "articles/news/story-6.md")
        .read_text(encoding="utf-8")
        .replace("---\ntitle", "---\ndraft: true\ntitle"),
    ),
    "image replaced, same size": lambda site: (
        picture(site / "articles/news/s6.png", (1, 2, 3)),
        touch_later(site / "articles/news/s6.png"),
    ),
    "inline image replaced": lambda site: (
        picture(site / "articles/news/inline.png", (9, 9, 9)),
        touch_later(site / "articles/news/inline.png"),
    ),
    "wire image removed": lambda site: (site / "articles/sport/2026-05-09-regatta.png").unlink(),
    # The wire article's file is unchanged, but another image now comes first beside it.
    "wire image added beside": lambda site: picture(
        site / "articles/sport/2026-05-09-regatta.jpeg", (200, 0, 200)
    ),
    "site address changed": lambda site: (site / "config.toml").write_text(
        CONFIG.replace("news.example.org", "harbour.example.org"), encoding="utf-8"
    ),
    "site time zone changed": lambda site: (site / "config.toml").write_text(
        CONFIG.replace("Europe/Berlin", "America/New_York"), encoding="utf-8"
    ),
    "config changed": lambda site: (site / "config.toml").write_text(
        CONFIG.replace("limit = 4", "limit = 2"), encoding="utf-8"
    ),
    "output file edited by hand": lambda site: (site / "output/rss.xml").write_text(
        "vandalised", encoding="utf-8"
    ),
    "cache cut short": lambda site: [
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
        for p in (site / ".feeds-state" / CACHE_DIR).glob("*.pickle")
    ],
    "cache corrupted": lambda site: [
        p.write_bytes(b"\x80garbage")
        for p in (site / ".feeds-state" / CACHE_DIR).rglob("*")
        if p.is_file()  # the renditions and their records too
    ],
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_cached_build_equals_cold_build_after(site: Path, change: str) -> None:
    cached_build(site)
    cached_build(site)  # a warm build on top, so that every cache file exists
    CHANGES[change](site)
    cached_build(site)
    assert files(site / "output") == cold_files(site)


def test_only_changed_articles_are_read_again(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached_build(site)
    CHANGES["body edited"](site)
    read: list[str] = []
    real = reader.read_article

    def counting(candidate: Candidate, *args: Any) -> Article:
        read.append(candidate.rel_path)
        return real(candidate, *args)

    monkeypatch.setattr(reader, "read_article", counting)
    monkeypatch.setattr(files_scan, "read_article", counting)
    cached_build(site)
    # Once by the scan, once to render it: the other articles in the feeds come from the cache.
    assert read == ["news/story-6.md", "news/story-6.md"]
    assert files(site / "output") == cold_files(site)


def test_embargo_lapsing_is_not_hidden_by_the_cache(site: Path) -> None:
    cached_build(site)
    assert "Later" not in (site / "output/rss.xml").read_text(encoding="utf-8")
    later = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
    result = cached_build(site, later)
    assert not result.up_to_date
    assert "Later" in (site / "output/rss.xml").read_text(encoding="utf-8")
    assert files(site / "output") == cold_files(site, later)


def test_nothing_changed_renders_nothing_and_rewrites_nothing(site: Path) -> None:
    first = cached_build(site)
    before = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()}
    again = cached_build(site, datetime(2026, 6, 1, 13, 0, tzinfo=UTC))
    assert again.up_to_date == first.what_is_published()
    assert again.summary().endswith("nothing changed since the last build, 0 written")
    assert again.next_embargo == first.next_embargo
    assert {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*") if p.is_file()} == before


def test_problems_are_reported_again_when_nothing_changed(site: Path) -> None:
    write(site, "news/broken.md", "---\ntitle: Broken\n---\nno date\n")
    first = cached_build(site)
    again = cached_build(site)
    assert again.up_to_date
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
    assert len(again.problems) == 1


@pytest.mark.parametrize("chunk", [7, 2000])  # many chunks per file, or one
def test_small_changes_go_to_a_delta_and_large_ones_rewrite_the_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(cache_module, "CHUNK", chunk)
    cache = ScanCache(tmp_path, "settings")
    for n in range(1000):
        cache.remember(f"a{n}.md", (n,), f"article {n}")
    cache.save()
    base = tmp_path / "scan.pickle"
    base_bytes = base.read_bytes()
    small = ScanCache(tmp_path, "settings")
    small.remember("a1.md", (1, 1), "article 1, edited")
    small.keep_only(f"a{n}.md" for n in range(1000) if n != 2)
    small.save()
    assert base.read_bytes() == base_bytes  # the large file was not rewritten
    reread = ScanCache(tmp_path, "settings")
    assert reread.get("a1.md", (1, 1)) == "article 1, edited"
    assert reread.get("a999.md", (999,)) == "article 999"
    assert reread.get("a2.md", (2,)) is None
    assert len(reread.items) == 999
    big = ScanCache(tmp_path, "settings")
    for n in range(300):
        big.remember(f"b{n}.md", (n,), "new")
    big.save()
    assert not (tmp_path / "scan.delta.pickle").exists()
    assert len(ScanCache(tmp_path, "settings").items) == 1299
    assert ScanCache(tmp_path, "other settings").items == {}


def test_a_cached_brief_is_equal_and_keeps_its_moment_and_offset() -> None:
    # 02:30 on the night Berlin's clocks go forward does not exist: Python never finds such a
    # time equal to one in another zone, so a brief must not keep the zone.
    published = datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    article = Article(
        id="urn:uuid:1",
        source="/repo/news/a.md",
        rel_path="news/a.md",
        title="A",
        slug="a",
        url="https://example.org/a/",
        published=published,
        updated=published,
        authors=(Author("Mara Lind"),),
        summary="",
        categories=("Harbour",),
        tags=(),
        section="news",
        images=(),
        related=(),
        draft=False,
        body_format="markdown",
        body_line=5,
    )
    brief = article.brief()
    assert brief == article.brief()
    assert brief.authors == ("Mara Lind",)
    loaded = pickle.loads(pickle.dumps(brief, protocol=pickle.HIGHEST_PROTOCOL))
    assert loaded == brief
    assert loaded.published.isoformat() == published.isoformat()
    assert loaded.published.utcoffset() == published.utcoffset()


def test_chunks_pickled_elsewhere_are_saved_as_they_are_unless_changed_since(
    tmp_path: Path,
) -> None:
    cache = ScanCache(tmp_path, "settings")
    first = cache_module.pickle_chunk({f"a{n}.md": ((n,), f"article {n}") for n in range(5)})
    second = cache_module.pickle_chunk({f"b{n}.md": ((n,), f"brief {n}") for n in range(5)})
    third = cache_module.pickle_chunk({f"c{n}.md": ((n,), f"card {n}") for n in range(5)})
    assert cache.adopt(first)["a1.md"] == ((1,), "article 1")
    cache.adopt(second)
    cache.adopt(third)
    cache.remember("b2.md", (2, 2), "brief 2, edited")  # spoils the second chunk
    cache.keep_only(n for n in list(cache.items) if n != "c3.md")  # and the third
    cache.save()
    assert [p.name for p in tmp_path.iterdir()] == ["scan.pickle"]  # nothing left behind
    saved = (tmp_path / "scan.pickle").read_bytes()
    assert first in saved  # written as it came
    assert second not in saved and third not in saved
    reread = ScanCache(tmp_path, "settings")
    assert reread.items == cache.items
    assert reread.get("b2.md", (2, 2)) == "brief 2, edited"
    assert "c3.md" not in reread.items
    assert len(reread.items) == 14


def test_a_cold_build_read_by_two_processes_is_remembered_as_one_read_here(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest of a cold build's inputs is made while its workers read: the next build
    finds nothing changed, and writes what a cold build in one process writes."""
    monkeypatch.setattr(files_scan, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    digests: list[str] = []
    real_fingerprint = Listing.fingerprint
    monkeypatch.setattr(
        Listing, "fingerprint", lambda self: digests.append(real_fingerprint(self)) or digests[-1]
    )
    waits: list[object] = []
    real_read = files_scan._read_in_parallel
    monkeypatch.setattr(
        files_scan, "_read_in_parallel", lambda *a, **k: waits.append(k) or real_read(*a, **k)
    )
    first = cached_build(site)
    assert len(waits) == 1 and len(digests) == 1  # read in parallel; the digest made once
    assert not first.up_to_date
    assert cached_build(site).up_to_date == first.what_is_published()
    assert files(site / "output") == cold_files(site)
