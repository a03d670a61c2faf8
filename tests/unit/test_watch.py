"""Watching a repository with real inotify in a temporary folder: what each change reports, the
reader's ignore rules, a lost track (overflow, the watch limit) falling back to the scan, and the
daemon waking on an event. Only the kernel's queue overflow is delivered by hand (the kernel's
own overflow event, fed to watchdog's reader): its queue limit is global and cannot be lowered
for one test."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.clock import utc_now
from feeds.config import Schedule, load_config
from feeds.daemon import Control, Daemon, open_watching
from feeds.daemon.watch import (
    KERNEL_DEBOUNCE_SECONDS,
    OVERFLOW_LIMIT,
    ROOT_CHECK_SECONDS,
    RepositoryWatch,
    Watching,
    WatchUnavailableError,
    ignored,
)
from feeds.errors import ConfigError

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"
"""
STORY = "---\ntitle: {title}\ndate: 2026-05-01T10:00:00Z\n---\nThe story.\n"
#: watchdog holds a move out of the repository for 0.5 s, waiting for a matching move in.
OUT_DELAY = 1.0


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    (root / "news").mkdir(parents=True)
    (root / "news" / "one.md").write_text(STORY.format(title="One"), encoding="utf-8")
    (tmp_path / "outside").mkdir()
    return root


@pytest.fixture
def watch(repo: Path) -> Iterator[RepositoryWatch]:
    feed = RepositoryWatch(repo, "inotify", threading.Event())
    assert feed.method == "inotify"
    yield feed
    feed.close()


def changes(feed: RepositoryWatch, *, quiet: float = 0.3, limit: float = 5.0) -> set[str] | None:
    """Everything the feed reports until it has been quiet for `quiet` seconds."""
    seen: set[str] = set()
    start = last = time.monotonic()
    while time.monotonic() - last < quiet:
        assert time.monotonic() - start < limit, f"never quiet: {seen}"
        got = feed.wait(quiet)
        if got is None:
            return None
        if got:
            seen.update(got)
            last = time.monotonic()
    return seen


def first_batch(feed: RepositoryWatch, limit: float = 3.0) -> Collection[str] | None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        got = feed.wait(deadline - time.monotonic())
        if got is None or got:
            return got
    return set()


# --- what each change reports ------------------------------------------------------------------


def test_create_modify_and_delete_report_the_file(watch: RepositoryWatch, repo: Path) -> None:
    story = repo / "news" / "two.md"
    story.write_text(STORY.format(title="Two"), encoding="utf-8")
    assert changes(watch) == {"news/two.md"}
    with story.open("a", encoding="utf-8") as stream:
        stream.write("More.\n")
    assert changes(watch) == {"news/two.md"}
    os.utime(story, (1, 1))  # a new stamp alone changes what the listing sees
    assert changes(watch) == {"news/two.md"}
    story.unlink()
    assert changes(watch) == {"news/two.md"}


def test_renames_within_into_and_out_of_the_repository(
    watch: RepositoryWatch, repo: Path, tmp_path: Path
) -> None:
    (repo / "news" / "one.md").rename(repo / "news" / "first.md")
    assert changes(watch) == {"news/one.md", "news/first.md"}
    (repo / "news" / "first.md").rename(tmp_path / "outside" / "first.md")
    assert changes(watch, quiet=OUT_DELAY) == {"news/first.md"}
    (tmp_path / "outside" / "first.md").rename(repo / "news" / "back.md")
    assert changes(watch) == {"news/back.md"}


def test_image_changes_are_reported_by_their_paths(watch: RepositoryWatch, repo: Path) -> None:
    photo = repo / "news" / "one.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 first")
    assert changes(watch) == {"news/one.jpg"}
    photo.write_bytes(b"\xff\xd8\xff\xe0 other bytes")
    assert changes(watch) == {"news/one.jpg"}


def test_a_folder_moved_in_renamed_and_out_is_reported_as_the_folder(
    watch: RepositoryWatch, repo: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "outside" / "harbour"
    bundle.mkdir()
    (bundle / "index.md").write_text(STORY.format(title="Harbour"), encoding="utf-8")
    bundle.rename(repo / "news" / "harbour")
    assert "news/harbour" in (changes(watch) or ())
    # The moved-in folder is watched: a change inside it is seen.
    (repo / "news" / "harbour" / "lead.jpg").write_bytes(b"\xff\xd8")
    assert changes(watch) == {"news/harbour/lead.jpg"}
    (repo / "news" / "harbour").rename(repo / "news" / "quay")
    assert {"news/harbour", "news/quay"} <= (changes(watch) or set())
    (repo / "news" / "quay" / "index.md").write_text(STORY.format(title="Quay"), "utf-8")
    assert changes(watch) == {"news/quay/index.md"}
    (repo / "news" / "quay").rename(tmp_path / "outside" / "quay")
    assert changes(watch, quiet=OUT_DELAY) == {"news/quay"}
    (repo / "sport").mkdir()
    assert changes(watch) == {"sport"}


def test_ignored_names_report_nothing(watch: RepositoryWatch, repo: Path) -> None:
    (repo / "news" / ".one.md.swp").write_text("swap", encoding="utf-8")
    (repo / "news" / "one.md~").write_text("backup", encoding="utf-8")
    (repo / "_drafts").mkdir()
    (repo / "_drafts" / "later.md").write_text(STORY.format(title="Later"), encoding="utf-8")
    (repo / ".git" / "objects").mkdir(parents=True)
    (repo / ".git" / "objects" / "ab").write_bytes(b"blob")
    assert changes(watch) == set()
    assert ignored(".git/objects/ab") and ignored("news/_x.md") and ignored("news/one.md~")
    assert not ignored("news/one.md") and not ignored("news/one~/index.md")


def test_an_editor_save_by_temporary_file_and_rename_is_one_batch(
    watch: RepositoryWatch, repo: Path
) -> None:
    story = repo / "news" / "one.md"
    temporary = repo / "news" / ".one.md.tmp-4913"
    temporary.write_text(STORY.format(title="One, saved"), encoding="utf-8")
    temporary.replace(story)
    assert first_batch(watch) == {"news/one.md"}
    assert changes(watch) == set()


def test_the_wake_event_ends_a_wait_at_once(repo: Path) -> None:
    wake = threading.Event()
    feed = RepositoryWatch(repo, "inotify", wake)
    try:
        threading.Timer(0.1, wake.set).start()
        started = time.monotonic()
        assert feed.wait(10) == ()
        assert time.monotonic() - started < 1
        assert not wake.is_set(), "the wait clears what woke it"
    finally:
        feed.close()


def test_a_replaced_repository_folder_is_watched_anew(
    watch: RepositoryWatch, repo: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    new = tmp_path / "articles.new"
    (new / "news").mkdir(parents=True)
    repo.rename(tmp_path / "articles.old")
    new.rename(repo)  # a deploy: the new tree renamed into place
    assert changes(watch, quiet=ROOT_CHECK_SECONDS + 0.5) is None  # everything is read again
    assert "the repository folder was replaced; watching it anew" in caplog.text
    assert watch.method == "inotify"
    (repo / "news" / "two.md").write_text(STORY.format(title="Two"), encoding="utf-8")
    assert changes(watch) == {"news/two.md"}


def test_close_ends_the_threads_and_removes_the_watches(repo: Path) -> None:
    before = set(threading.enumerate())
    feed = RepositoryWatch(repo, "auto", threading.Event())
    assert feed.method == "inotify"
    assert "2 folders watched" in feed.describe()
    feed.close()
    assert set(threading.enumerate()) <= before


# --- lost track: overflow, the watch limit -------------------------------------------------------


def overflow(feed: RepositoryWatch) -> None:
    """Deliver the kernel's queue-overflow event (wd -1, IN_Q_OVERFLOW) to watchdog's reader,
    as the kernel does when more events arrive than its queue holds."""
    from watchdog.observers.inotify_c import InotifyConstants, InotifyEvent  # noqa: PLC0415

    descriptor = feed._feed._feed._descriptor  # type: ignore[union-attr]
    descriptor.handle_event(InotifyEvent(-1, InotifyConstants.IN_Q_OVERFLOW, 0, b""))


def test_an_overflow_means_rescan_and_repeated_ones_fall_back_to_scanning(
    repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed = RepositoryWatch(repo, "auto", threading.Event())
    try:
        overflow(feed)
        assert feed.wait(1) is None
        assert "overflowed" in caplog.text and "scanning everything again" in caplog.text
        assert feed.method == "inotify"  # once is no reason to give up on the kernel
        (repo / "news" / "two.md").write_text(STORY.format(title="Two"), encoding="utf-8")
        assert changes(feed) == {"news/two.md"}  # watchdog rebuilt its watches
        for _ in range(OVERFLOW_LIMIT - 1):
            overflow(feed)
            assert feed.wait(1) is None
        assert feed.method == "poll"
        fallback = [r for r in caplog.records if "scanning the repository instead" in r.message]
        assert len(fallback) == 1 and fallback[0].levelno == logging.WARNING
        assert f"overflowed {OVERFLOW_LIMIT} times" in fallback[0].message
        assert "sysctl fs.inotify.max_queued_events=" in fallback[0].message
        assert "/etc/sysctl.d/" in fallback[0].message
        # The scan reports what changes from now on.
        (repo / "news" / "three.md").write_text(STORY.format(title="Three"), encoding="utf-8")
        assert "news/three.md" in (changes(feed, quiet=1.2) or ())
    finally:
        feed.close()


def test_watch_method_inotify_without_the_kernels_notification_is_a_located_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "config.toml").write_text(
        CONFIG + '[repository]\npath = "nowhere"\n[schedule]\nwatch = true\n'
        'watch_method = "inotify"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "config.toml")
    with pytest.raises(ConfigError) as caught:
        open_watching(config, Control(), utc_now)
    message = str(caught.value)
    assert message.startswith(f'{tmp_path / "config.toml"}: schedule.watch_method = "inotify": ')
    assert "the repository folder does not exist" in message
    assert 'set [schedule] watch_method = "auto" to scan the repository instead' in message
    with pytest.raises(WatchUnavailableError):
        RepositoryWatch(tmp_path / "nowhere", "inotify", threading.Event())
    # auto scans instead (and the scan sees the folder once it exists).
    feed = RepositoryWatch(tmp_path / "nowhere", "auto", threading.Event())
    assert feed.method == "poll"
    feed.close()


LIMITED = """\
import logging, os, sys, threading, time
from pathlib import Path
from feeds.daemon.watch import RepositoryWatch
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
root = Path(sys.argv[1])
feed = RepositoryWatch(root, "auto", threading.Event())
print("method", feed.method, flush=True)
if feed.method == "inotify":
    (root / "sport" / "deep").mkdir(parents=True)  # one folder more than the limit allows
    deadline = time.monotonic() + 5
    while feed.method == "inotify" and time.monotonic() < deadline:
        if feed.wait(0.5) is None:
            print("lost track", flush=True)
    print("method", feed.method, flush=True)
feed.close()
"""


def run_with_watch_limit(limit: int, repo: Path) -> subprocess.CompletedProcess[str]:
    """Run `LIMITED` in a user namespace of its own whose inotify watch limit is `limit`
    (the machine's limit and every other process are left alone)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    script = f'echo {limit} > /proc/sys/user/max_inotify_watches && exec "$0" -c "$1" "$2"'
    done = subprocess.run(
        [unshare, "--user", "--map-root-user", "sh", "-c", script, sys.executable, LIMITED,
         str(repo)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"no user namespace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return done


def test_the_watch_limit_at_start_falls_back_to_scanning_with_one_clear_line(repo: Path) -> None:
    (repo / "sport").mkdir()
    done = run_with_watch_limit(2, repo)  # three folders: articles, news, sport
    assert done.stdout.splitlines() == ["method poll"]
    lines = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert len(lines) == 1, done.stderr
    assert "the inotify watch limit is reached (fs.inotify.max_user_watches =" in lines[0]
    assert "scanning the repository instead" in lines[0]
    assert "`sysctl fs.inotify.max_user_watches=" in lines[0]
    assert "/etc/sysctl.d/90-feeds-inotify.conf" in lines[0]


def test_the_watch_limit_reached_by_a_new_folder_falls_back_to_scanning(repo: Path) -> None:
    done = run_with_watch_limit(3, repo)  # articles and news, then sport: deep is one too many
    assert done.stdout.splitlines() == ["method inotify", "lost track", "method poll"]
    lines = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert len(lines) == 1, done.stderr
    assert "the inotify watch limit is reached; scanning the repository instead" in lines[0]
    assert "`sysctl fs.inotify.max_user_watches=" in lines[0]


# --- the loops: the daemon and feeds serve wake on an event ------------------------------------


def site(tmp_path: Path, schedule: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG + schedule, encoding="utf-8")
    story = tmp_path / "articles" / "news" / "one.md"
    story.parent.mkdir(parents=True, exist_ok=True)
    story.write_text(STORY.format(title="One"), encoding="utf-8")
    return config


class Recording(Daemon):
    """The daemon, with the changes each build was given written down."""

    builds: list[tuple[str, Collection[str] | None]]

    def _build(self, now, reasons, changes):  # type: ignore[no-untyped-def]
        self.builds.append(("+".join(reasons), changes))
        super()._build(now, reasons, changes)


def test_the_daemon_wakes_on_an_event_and_builds_once_with_the_changed_keys(
    tmp_path: Path,
) -> None:
    config = load_config(site(tmp_path, '[schedule]\nevery = "1h"\nwatch = true\n'))
    control = Control()
    daemon = Recording(config, control)
    daemon.builds = []
    thread = threading.Thread(target=daemon.run)
    thread.start()
    try:
        rss = config.output / "rss.xml"
        deadline = time.monotonic() + 20
        while not rss.exists():
            assert time.monotonic() < deadline, "no start build"
            time.sleep(0.02)
        assert daemon.watching is not None and daemon.watching.feed.method == "inotify"
        # An editor's save: a temporary file renamed over the article.
        temporary = tmp_path / "articles" / "news" / "two.md.tmp"
        temporary.write_text(STORY.format(title="Two"), encoding="utf-8")
        saved = time.monotonic()
        temporary.replace(tmp_path / "articles" / "news" / "two.md")
        while "<title>Two</title>" not in rss.read_text(encoding="utf-8"):
            assert time.monotonic() < saved + 10, "the saved story never appeared"
            time.sleep(0.01)
        time.sleep(5 * KERNEL_DEBOUNCE_SECONDS + 0.3)
        assert daemon.builds == [
            ("start", None),
            ("watch", frozenset({"news/two.md.tmp", "news/two.md"})),
        ]
    finally:
        control.request_stop()
        stopping = time.monotonic()
        thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - stopping < 1.5, "a stop ends the wait at once"


class Batches:
    """A feed that tells of the given batches, one per wait (the loop's side alone)."""

    debounce = KERNEL_DEBOUNCE_SECONDS

    def __init__(self, batches: list[Collection[str] | None]) -> None:
        self.batches = batches

    def wait(self, timeout: float) -> Collection[str] | None:
        return self.batches.pop(0)

    def close(self) -> None:
        pass


def test_watching_accumulates_changes_between_builds_and_none_wins() -> None:
    ticks = iter(range(100))
    t0 = datetime(2026, 6, 1, tzinfo=UTC)
    watching = Watching(
        Batches([{"a.md"}, (), {"b.md"}, None, {"c.md"}]),  # type: ignore[arg-type]
        lambda: t0 + timedelta(seconds=next(ticks)),
    )
    watching.sleep(1)
    watching.sleep(1)
    watching.sleep(1)
    assert (watching.first_change, watching.last_change) == (t0, t0 + timedelta(seconds=1))
    assert watching.take() == {"a.md", "b.md"}
    assert watching.first_change is None and watching.take() == frozenset()
    watching.sleep(1)
    watching.sleep(1)
    assert watching.take() is None
    assert watching.debounce == timedelta(seconds=KERNEL_DEBOUNCE_SECONDS)


def test_watch_method_poll_keeps_the_scans_slower_debounce(tmp_path: Path) -> None:
    config = load_config(
        site(tmp_path, '[schedule]\nevery = "1h"\nwatch = true\nwatch_method = "poll"\n')
    )
    watching = open_watching(config, Control(), utc_now)
    try:
        assert watching.feed.method == "poll"
        assert watching.debounce == timedelta(seconds=0.75)
    finally:
        watching.close()
    assert Schedule().watch_method == "auto"
