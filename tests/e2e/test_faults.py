"""Faults from outside: a build killed with SIGKILL at any moment never leaves a partial feed."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"

[[feeds]]
name = "main"
limit = 400
"""
PARAGRAPH = "The harbour master counted the boats again and wrote the numbers in the book. " * 12


def feeds_command() -> str:
    found = shutil.which("feeds", path=str(Path(sys.executable).parent))
    assert found, "the feeds console script is not installed next to this Python"
    return found


def make_site(root: Path) -> None:
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    articles = root / "articles"
    articles.mkdir()
    for n in range(400):
        body = "\n\n".join([PARAGRAPH] * 6)
        (articles / f"story-{n:03d}.md").write_text(
            f"---\ntitle: Story {n}\ndate: 2026-01-01T00:00:00Z\nupdated: 2026-02-{1 + n % 28:02d}T00:00:00Z\n---\n{body}\n",
            encoding="utf-8",
        )


def build(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            feeds_command(),
            "-q",
            "build",
            "-c",
            str(root / "config.toml"),
            "--now",
            "2026-06-01T00:00:00+00:00",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_at_first_write(output: Path, process: subprocess.Popen[bytes]) -> None:
    """Spin until the build starts writing (a temp file appears or a feed changes), then return."""
    before = {p.name: p.stat().st_mtime_ns for p in output.iterdir()}
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        with os.scandir(output) as entries:
            for entry in entries:
                if (
                    entry.name.endswith(".tmp")
                    or before.get(entry.name) != entry.stat().st_mtime_ns
                ):
                    return


def assert_published_files_are_whole(root: Path, expected_items: int) -> None:
    for name in ("rss.xml", "atom.xml"):
        path = root / "output" / name
        if path.exists():
            parsed = feedparser.parse(path.read_bytes())
            assert parsed.bozo == 0, (
                f"{name} is not a complete feed: {parsed.get('bozo_exception')}"
            )
            assert len(parsed.entries) == expected_items


def test_sigkill_at_any_moment_leaves_old_or_new_feed_and_the_next_build_heals(
    tmp_path: Path,
) -> None:
    make_site(tmp_path)
    started = time.perf_counter()
    assert build(tmp_path).wait(timeout=120) == 0
    duration = time.perf_counter() - started
    assert_published_files_are_whole(tmp_path, 400)

    for step in range(16):
        # Change every item's content so that each build really rewrites both feeds.
        for path in (tmp_path / "articles").glob("*.md"):
            text = path.read_text(encoding="utf-8")
            path.write_text(text.rstrip("\n") + f" Edit {step}.\n", encoding="utf-8")
        process = build(tmp_path)
        if step % 2:
            time.sleep(duration * (0.3 + 0.7 * step / 15))
        else:
            kill_at_first_write(tmp_path / "output", process)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert_published_files_are_whole(tmp_path, 400)

    assert build(tmp_path).wait(timeout=120) == 0
    assert_published_files_are_whole(tmp_path, 400)
    leftovers = [p.name for p in (tmp_path / "output").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert "Edit 15." in (tmp_path / "output/atom.xml").read_text(encoding="utf-8")
