"""The sample repository's feeds, byte for byte (FEEDS_UPDATE_GOLDEN=1 rewrites them)."""

import dataclasses
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.build import publish
from feeds.config import load_config

PROJECT = Path(__file__).resolve().parents[2]
GOLDEN = PROJECT / "tests/data/golden"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


#: The sample's retracted story, and the day before the sample's build: it was published then.
RETRACTED = "news/dredging-contract.md"
BEFORE = datetime(2026, 9, 9, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = load_config(PROJECT / "config.toml")
    output = tmp_path_factory.mktemp("output")
    state = tmp_path_factory.mktemp("state")
    config = dataclasses.replace(config, output=output, state_dir=state)
    # First the build of the day before the retraction, which published the story (the
    # sample without its `retracted:`), so that the golden Atom feeds show its tombstone.
    earlier = tmp_path_factory.mktemp("earlier") / "articles"
    shutil.copytree(PROJECT / "articles", earlier)
    text = (earlier / RETRACTED).read_text(encoding="utf-8")
    (earlier / RETRACTED).write_text(
        text[: text.index("retracted:")] + text[text.index("---", 4) :], encoding="utf-8"
    )
    first = publish(dataclasses.replace(config, repository=earlier), now=BEFORE)
    assert first.problems == ()
    assert first.retracted == 0
    result = publish(config, now=NOW)
    assert result.problems == ()
    assert result.retracted == 1
    return output


def published_files(folder: Path) -> dict[str, bytes]:
    """Every file of a build but the media (those are compared with their sources below)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and "media" not in p.relative_to(folder).parts
    }


def test_every_published_file_matches_its_golden_copy(built: Path) -> None:
    actual = published_files(built)
    if os.environ.get("FEEDS_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, body in actual.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(body)
    golden = published_files(GOLDEN)
    assert sorted(actual) == sorted(golden), "the build writes other files than tests/data/golden"
    for name, body in actual.items():
        assert body == golden[name], (
            f"{name} differs from its golden copy; rerun with FEEDS_UPDATE_GOLDEN=1 if intended"
        )


def test_the_golden_set_covers_every_kind_of_output() -> None:
    names = set(published_files(GOLDEN))
    assert {
        "rss.xml",
        "atom.xml",
        "feed.json",
        "sport/rss.xml",
        "index.html",
        "feeds.opml",
    } <= names
    assert any(name.startswith("author/") for name in names)
    assert any(name.startswith("category/") for name in names)


def test_sample_media_are_exactly_the_published_images(built: Path) -> None:
    media = sorted(
        p.relative_to(built / "media").as_posix()
        for p in (built / "media").rglob("*")
        if p.is_file()
    )
    originals = [
        "culture/images/shanty-choir.webp",
        "culture/lighthouse-restored/keeper.png",
        "culture/lighthouse-restored/lighthouse.jpg",
        "news/fish-market/market-stall.jpg",
        "news/images/ferry-at-north-quay.jpg",
        "news/images/harbour-wall.jpg",
        "news/images/möwe am kai.jpg",
        "news/images/storm-breakwater.png",
        "sport/2026-05-10-regatta.webp",
        "sport/harbour-swim.jpg",
    ]
    thumbnails = [path.replace(".", ".400w.", 1) for path in originals]
    branding = [
        "_site/atom-logo-512x256.png",
        "_site/icon-512x512.png",
        "_site/icon-64x64.png",
        "_site/rss-logo-144x36.png",
    ]
    assert media == sorted(originals + thumbnails + branding)
    # The 3000 px harbour wall photo is published as a 2048 px rendition (without its GPS);
    # every other original fits the limits and carries no location: published as it is.
    for path in originals:
        published = (built / "media" / path).read_bytes()
        source = (PROJECT / "articles" / path).read_bytes()
        assert (published == source) == (path != "news/images/harbour-wall.jpg"), path
