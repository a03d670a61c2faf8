"""The sample repository's feeds, byte for byte (FEEDS_UPDATE_GOLDEN=1 rewrites them)."""

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.config import load_config
from feeds.pipeline import publish

PROJECT = Path(__file__).resolve().parents[2]
GOLDEN = PROJECT / "tests/data/golden"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = load_config(PROJECT / "config.toml")
    output = tmp_path_factory.mktemp("output")
    state = tmp_path_factory.mktemp("state")
    result = publish(dataclasses.replace(config, output=output, state_dir=state), now=NOW)
    assert result.problems == ()
    return output


@pytest.mark.parametrize(
    "name", ["rss.xml", "atom.xml", "feed.json", "sport/rss.xml", "index.html", "feeds.opml"]
)
def test_sample_feed_matches_golden_file(built: Path, name: str) -> None:
    actual = (built / name).read_bytes()
    golden = GOLDEN / name
    if os.environ.get("FEEDS_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
    assert actual == golden.read_bytes(), (
        f"{name} differs from {golden}; rerun with FEEDS_UPDATE_GOLDEN=1 if intended"
    )


def test_sample_media_are_exactly_the_published_images(built: Path) -> None:
    media = sorted(
        p.relative_to(built / "media").as_posix()
        for p in (built / "media").rglob("*")
        if p.is_file()
    )
    assert media == [
        "culture/images/shanty-choir.webp",
        "culture/lighthouse-restored/keeper.png",
        "culture/lighthouse-restored/lighthouse.jpg",
        "news/fish-market/market-stall.jpg",
        "news/images/ferry-at-north-quay.jpg",
        "news/images/storm-breakwater.png",
        "sport/2026-05-10-regatta.webp",
        "sport/harbour-swim.jpg",
    ]
    for path in media:
        assert (built / "media" / path).read_bytes() == (PROJECT / "articles" / path).read_bytes()
