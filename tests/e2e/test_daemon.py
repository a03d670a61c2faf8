"""`feeds run` as a subprocess: watch, embargo to the second, bad input, SIGHUP, SIGTERM, lock."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[schedule]
every = "15s"
watch = true
"""
EMBARGO_AHEAD = 5.0


def feeds_command() -> str:
    found = shutil.which("feeds", path=str(Path(sys.executable).parent))
    assert found, "the feeds console script is not installed next to this Python"
    return found


def feeds(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [feeds_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def story(root: Path, name: str, title: str, date: str) -> None:
    path = root / "articles" / "news" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: {title}\ndate: {date}\n---\nThe story of {title}.\n", "utf-8")


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until `check()` holds; return the time it took (fails after `timeout`)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"timed out after {timeout} s: {what}"
        time.sleep(0.05)
    return time.monotonic() - start


def titles(project: Path) -> str:
    try:
        return (project / "output" / "rss.xml").read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def shows(project: Path, title: str) -> bool:
    return f"<title>{title}</title>" in titles(project)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str], Path]]:
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    story(tmp_path, "one.md", "One", "2026-05-01T10:00:00Z")
    log = tmp_path / "daemon.log"
    with log.open("w", encoding="utf-8") as stream:
        process = subprocess.Popen(
            [feeds_command(), "run"], cwd=tmp_path, stderr=stream, stdout=stream, text=True
        )
    try:
        yield tmp_path, process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.mark.e2e
def test_daemon_publishes_on_change_and_on_the_embargo_second_and_survives_bad_input(daemon):
    project, process, log = daemon
    wait_for(lambda: shows(project, "One"), 20, "the start build")

    # One daemon per output folder.
    second = feeds("run", cwd=project)
    assert second.returncode == 8, second.stderr
    assert "another `feeds run` (pid" in second.stderr
    assert "already publishes into this output folder" in second.stderr

    # A new article appears soon after it is saved (watch).
    story(project, "two.md", "Two", "2026-05-02T10:00:00Z")
    watch_latency = wait_for(lambda: shows(project, "Two"), 10, "the watched article")

    # An embargoed article is absent before its second and present within 5 s after it.
    embargo = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=EMBARGO_AHEAD + 1)
    story(project, "later.md", "Later", embargo.isoformat().replace("+00:00", "Z"))
    while datetime.now(UTC) < embargo - timedelta(seconds=0.3):
        assert not shows(project, "Later"), "published before its embargo"
        time.sleep(0.05)
    wait_for(lambda: shows(project, "Later"), 10, "the embargoed article")
    embargo_latency = (datetime.now(UTC) - embargo).total_seconds()
    assert embargo_latency <= 5.0

    # A broken article is skipped and reported; the others keep publishing.
    (project / "articles" / "news" / "broken.md").write_text(
        "---\ntitle: Broken\ndate: soon\n---\nx\n", encoding="utf-8"
    )
    story(project, "three.md", "Three", "2026-05-03T10:00:00Z")
    wait_for(lambda: shows(project, "Three"), 10, "publishing next to a broken article")

    def status() -> dict[str, object]:
        done = feeds("status", "--json", cwd=project)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    wait_for(lambda: any("broken.md" in p for p in status()["problems"]), 10, "the problem")
    state = status()
    assert state["daemon_running"] is True
    assert state["last_outcome"] == "problems"
    human = feeds("status", cwd=project).stdout
    assert "running (pid" in human
    assert "broken.md" in human

    # A cron-style `feeds build` interleaves safely with the daemon.
    build = feeds("build", "--wait", "20", cwd=project)
    assert build.returncode == 4, build.stderr  # the broken article

    # SIGHUP with a broken config: reported, and the daemon keeps running the old one.
    (project / "config.toml").write_text(CONFIG.replace('"15s"', '"often"'), encoding="utf-8")
    process.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload refused" in log.read_text(encoding="utf-8"), 10, "the refusal")
    assert process.poll() is None
    # Every command reads the whole configuration: `feeds status` names the broken key too.
    broken = feeds("status", cwd=project)
    assert broken.returncode == 3 and "schedule.every" in broken.stderr
    (project / "config.toml").write_text(CONFIG, encoding="utf-8")  # mended, not reloaded
    story(project, "four.md", "Four", "2026-05-04T10:00:00Z")
    wait_for(lambda: shows(project, "Four"), 10, "publishing after a refused reload")

    # SIGTERM: a clean exit, promptly.
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0
    assert time.monotonic() - started < 5
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text
    assert " INFO stopped" in text
    assert feeds("status", "--json", cwd=project).returncode == 0
    assert status()["daemon_running"] is False
    print(f"\nwatch latency {watch_latency:.2f} s, embargo latency {embargo_latency:.2f} s")


@pytest.mark.e2e
def test_an_invalid_schedule_stops_the_daemon_before_it_starts(tmp_path):
    (tmp_path / "config.toml").write_text(
        CONFIG.replace('every = "15s"', 'every = "15s"\nat = ["25:00"]'), encoding="utf-8"
    )
    done = feeds("run", cwd=tmp_path)
    assert done.returncode == 3
    assert "schedule.at: expected a list of daily times" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "output").exists()
