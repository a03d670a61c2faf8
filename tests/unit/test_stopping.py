"""A build stopped at any of its checkpoints publishes nothing, and leaves what a later build
needs whole: the next build publishes exactly what a build that was never stopped does."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.build import publish, publish_recorded
from feeds.config import load_config
from feeds.state.status import read_status
from feeds.stopping import BuildStopped, Cancellation

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "UTC"

[[feeds]]
name = "main"

[[feeds]]
name = "by-tag"
per = ["tag"]
"""


class StopAfter(threading.Event):
    """An event that reads as set from its `after`-th look on (a stop that arrives while the
    build is at that checkpoint); counts the looks."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after
        self.looks = 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > self.after


def story(root: Path, name: str, title: str, tags: str) -> None:
    path = root / "articles" / "news" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"---\ntitle: {title}\ndate: 2026-05-0{len(name) % 9 + 1}T10:00:00Z\ntags: [{tags}]\n"
        f"---\nThe story of {title}.\n",
        encoding="utf-8",
    )


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A project published once, whose articles then changed (an edit, a new story)."""
    project = tmp_path / "published"
    project.mkdir()
    (project / "config.toml").write_text(CONFIG, encoding="utf-8")
    story(project, "one.md", "One", "harbour")
    story(project, "two.md", "Two", "harbour, ferry")
    publish(load_config(project / "config.toml"), now=NOW)
    story(project, "one.md", "One, corrected", "harbour")
    story(project, "three.md", "Three", "ferry, weather")
    return project


def test_a_stop_at_any_checkpoint_publishes_nothing_and_the_next_build_is_whole(
    published: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(published, reference)
    never = StopAfter(10**9)
    publish(load_config(reference / "config.toml"), now=NOW, stop=Cancellation(never))
    whole = files(reference / "output")
    checkpoints = never.looks
    assert checkpoints >= 8  # listing, reading, loading, rendering, validating, writing
    before = files(published / "output")
    assert whole != before  # the build has something to publish
    for after in range(checkpoints):
        project = tmp_path / f"stopped-{after}"
        shutil.copytree(published, project)
        config = load_config(project / "config.toml")
        with pytest.raises(BuildStopped):
            publish(config, now=NOW, stop=Cancellation(StopAfter(after)))
        assert files(project / "output") == before, f"stopped at checkpoint {after}"
        publish(config, now=NOW)
        assert files(project / "output") == whole, f"the build after a stop at {after}"


def test_a_stopped_recorded_build_records_nothing_and_says_where_it_was(published: Path) -> None:
    config = load_config(published / "config.toml")
    status = read_status(config.state_dir)
    stop = threading.Event()
    stop.set()
    with pytest.raises(BuildStopped, match="stopped while listing the repository: nothing"):
        publish_recorded(config, now=NOW, wait=1.0, stop=stop)
    assert read_status(config.state_dir) == status  # no failure, no run recorded
