"""The daemon's scheduling core on a fake clock: intervals, daily times, embargoes, watch, failures."""

from __future__ import annotations

import itertools
import logging
import os
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feeds import build as pipeline
from feeds.config import Schedule, load_config
from feeds.daemon import Control, Daemon
from feeds.daemon.planner import WATCH_DEBOUNCE, WATCH_MAX_DELAY, Planner
from feeds.daemon.watch import PollFeed, snapshot_repository
from feeds.errors import ConfigError, RepositoryError
from feeds.state.status import read_status

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
EVERY_5M = Schedule(every_seconds=300)
CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"
"""


class FakeClock:
    """A clock the test moves by hand; nothing ever sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


# --- regular runs --------------------------------------------------------------------------


def test_interval_runs_are_due_on_time_and_not_before():
    planner = Planner(EVERY_5M, "UTC", T0)
    assert planner.next_regular() == T0 + seconds(300)

    early = planner.decide(T0 + seconds(299.9), last_build=T0, next_embargo=None)
    assert not early.build
    assert (early.wake_at, early.wake_reason) == (T0 + seconds(300), "schedule")

    due = planner.decide(T0 + seconds(300), last_build=T0, next_embargo=None)
    assert due.reasons == ("schedule",)
    assert due.wake_at == T0 + seconds(600)


def test_intervals_keep_their_length_across_a_dst_change_of_the_site_zone():
    # 2026-10-25 01:00 UTC: Berlin falls back from CEST to CET.
    start = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)
    planner = Planner(Schedule(every_seconds=900), "Europe/Berlin", start)
    moments = [start]
    for _ in range(3):
        moment = planner.next_regular()
        assert planner.decide(moment, last_build=moments[-1], next_embargo=None).build
        moments.append(moment)
    assert [b - a for a, b in itertools.pairwise(moments)] == [seconds(900)] * 3


def test_daily_times_are_wall_clock_times_in_the_site_zone_across_spring_forward():
    spec = Schedule(every_seconds=None, at=(time(6, 0), time(18, 30)))
    # Saturday 2026-03-28 07:00 CET; Berlin springs forward on Sunday 29 March at 02:00.
    start = datetime(2026, 3, 28, 7, 0, tzinfo=BERLIN)
    planner = Planner(spec, "Europe/Berlin", start)
    moments = []
    for _ in range(4):
        moments.append(planner.next_regular())
        assert planner.decide(moments[-1], last_build=None, next_embargo=None).build
    local = [moment.astimezone(BERLIN).strftime("%d %H:%M %Z") for moment in moments]
    assert local == ["28 18:30 CET", "29 06:00 CEST", "29 18:30 CEST", "30 06:00 CEST"]
    # The night of the change is an hour shorter, and the daily time did not move.
    assert moments[1] - moments[0] == timedelta(hours=10, minutes=30)


def test_daily_time_runs_once_when_the_clock_falls_back():
    spec = Schedule(every_seconds=None, at=(time(2, 30),))
    # 2026-10-25: 02:30 happens twice in Berlin (CEST, then CET).
    start = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)
    planner = Planner(spec, "Europe/Berlin", start)
    first = planner.next_regular()
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert planner.decide(first, last_build=None, next_embargo=None).build
    second_occurrence = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert not planner.decide(second_occurrence, last_build=first, next_embargo=None).build
    assert planner.next_regular() == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_a_long_suspend_gives_one_run_not_a_burst():
    planner = Planner(EVERY_5M, "UTC", T0)
    resumed = T0 + timedelta(hours=3, seconds=7)
    assert planner.decide(resumed, last_build=T0, next_embargo=None).reasons == ("schedule",)
    again = planner.decide(resumed, last_build=resumed, next_embargo=None)
    assert not again.build
    assert again.wake_at == resumed + seconds(300)


def test_several_daily_times_missed_during_a_suspend_give_one_build():
    spec = Schedule(every_seconds=None, at=(time(6, 0), time(18, 30)))
    start = datetime(2026, 6, 1, 5, 0, tzinfo=BERLIN)
    planner = Planner(spec, "Europe/Berlin", start)
    resumed = datetime(2026, 6, 3, 20, 0, tzinfo=BERLIN)
    assert planner.decide(resumed, last_build=start, next_embargo=None).reasons == ("schedule",)
    assert planner.next_regular() == datetime(2026, 6, 4, 6, 0, tzinfo=BERLIN)


# --- embargo and watch ---------------------------------------------------------------------


def test_embargo_wakes_the_daemon_long_before_the_next_regular_run():
    planner = Planner(Schedule(every_seconds=3600), "UTC", T0)
    embargo = T0 + seconds(7)
    waiting = planner.decide(T0 + seconds(1), last_build=T0, next_embargo=embargo)
    assert (waiting.build, waiting.wake_at, waiting.wake_reason) == (False, embargo, "embargo")
    assert not planner.decide(embargo - seconds(0.001), last_build=T0, next_embargo=embargo).build
    assert planner.decide(embargo, last_build=T0, next_embargo=embargo).reasons == ("embargo",)
    # Served once: a build at or after the embargo does not trigger it again (no retry loop,
    # even when that build failed and so could not report a newer embargo).
    served = planner.decide(embargo + seconds(1), last_build=embargo, next_embargo=embargo)
    assert not served.build
    assert served.wake_reason == "schedule"


def test_watch_events_are_debounced_into_one_build():
    planner = Planner(Schedule(every_seconds=3600), "UTC", T0)
    first, last = T0 + seconds(10), T0 + seconds(10.5)
    kwargs = {"last_build": T0, "next_embargo": None, "first_change": first, "last_change": last}
    pending = planner.decide(last + seconds(0.1), **kwargs)
    assert (pending.build, pending.wake_at, pending.wake_reason) == (
        False,
        last + WATCH_DEBOUNCE,
        "watch",
    )
    assert planner.decide(last + WATCH_DEBOUNCE, **kwargs).reasons == ("watch",)
    # A change seen before the last build started was part of that build.
    kwargs["last_build"] = last + seconds(0.2)
    assert not planner.decide(last + seconds(5), **kwargs).build


def test_a_repository_that_never_stops_changing_still_gets_built():
    planner = Planner(Schedule(every_seconds=3600), "UTC", T0)
    first = T0 + seconds(1)
    now = first + WATCH_MAX_DELAY
    decision = planner.decide(
        now, last_build=T0, next_embargo=None, first_change=first, last_change=now
    )
    assert decision.reasons == ("watch",)


def test_snapshot_sees_articles_and_images_but_not_dotfiles_or_backups(tmp_path):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.md").write_text("a", encoding="utf-8")
    watcher = PollFeed(tmp_path)
    for name in (".a.md.swp", "a.md~", "_draft.md", ".git/HEAD"):
        target = tmp_path / "news" / name
        target.parent.mkdir(exist_ok=True)
        target.write_text("x", encoding="utf-8")
    assert watcher.poll() == set()
    (tmp_path / "news" / "photo.jpg").write_bytes(b"\xff\xd8")
    assert watcher.poll() == {"news/photo.jpg"}
    assert watcher.poll() == set()
    (tmp_path / "news" / "a.md").unlink()
    assert watcher.poll() == {"news/a.md"}
    assert snapshot_repository(tmp_path / "missing") == frozenset()


# --- the loop: a failing run, then a good one -----------------------------------------------


def write_site(root: Path, schedule: str = "") -> Path:
    config = root / "config.toml"
    config.write_text(CONFIG + schedule, encoding="utf-8")
    story = root / "articles" / "news" / "one.md"
    story.parent.mkdir(parents=True)
    story.write_text("---\ntitle: One\ndate: 2026-05-01T10:00:00Z\n---\nBody.\n", encoding="utf-8")
    return config


def test_a_failing_run_is_recorded_and_the_next_run_still_happens(tmp_path, caplog):
    config = load_config(write_site(tmp_path))
    clock = FakeClock(T0)
    calls: list[datetime] = []

    def flaky(cfg, *, now, strict, stop):
        calls.append(now)
        if len(calls) == 1:
            raise RepositoryError("articles: cannot read the repository: mounted yet?")
        if len(calls) == 2:
            raise ZeroDivisionError("a bug")
        return pipeline.publish(cfg, now=now, strict=strict, stop=stop)

    daemon = Daemon(replace(config, schedule=EVERY_5M), Control(), clock=clock, publisher=flaky)
    assert daemon.tick() > 0  # the start build fails ...
    failed = read_status(config.state_dir)
    assert (failed.last_outcome, failed.failures, failed.last_success) == ("failed", 1, None)
    assert failed.last_error == "articles: cannot read the repository: mounted yet?"
    assert "build (start) failed: articles: cannot read" in caplog.text

    clock.advance(seconds=299)
    daemon.tick()
    assert len(calls) == 1  # nothing due yet: no retry storm
    clock.advance(seconds=1)
    daemon.tick()  # ... an internal error does not kill the daemon either ...
    assert "internal error: ZeroDivisionError('a bug')" in caplog.text
    clock.advance(seconds=300)
    daemon.tick()  # ... and the next regular run publishes.
    assert calls == [T0, T0 + seconds(300), T0 + seconds(600)]
    good = read_status(config.state_dir)
    assert (good.last_outcome, good.failures, good.runs) == ("ok", 2, 3)
    assert good.last_success == "2026-06-01T12:10:00Z"
    assert good.last_error is None
    assert good.next_run == "2026-06-01T12:15:00Z"
    assert (config.output / "rss.xml").is_file()


def test_every_publish_gets_the_daemon_clock_as_an_aware_utc_now(tmp_path):
    config = load_config(write_site(tmp_path))
    seen: list[datetime] = []

    def spy(cfg, *, now, strict, stop):
        seen.append(now)
        return pipeline.publish(cfg, now=now, strict=strict, stop=stop)

    Daemon(replace(config, schedule=EVERY_5M), Control(), clock=FakeClock(T0), publisher=spy).tick()
    assert seen == [T0]
    assert seen[0].utcoffset() == timedelta(0)


def test_the_daemon_sleeps_until_the_embargo_and_publishes_it_on_time(tmp_path):
    config = load_config(write_site(tmp_path))
    embargoed = tmp_path / "articles" / "news" / "later.md"
    embargoed.write_text(
        "---\ntitle: Later\ndate: 2026-06-01T12:00:42Z\n---\nBody.\n", encoding="utf-8"
    )
    clock = FakeClock(T0)
    daemon = Daemon(replace(config, schedule=Schedule(every_seconds=3600)), Control(), clock=clock)
    assert daemon.tick() == pytest.approx(2.0)  # capped; the embargo is 42 s away
    assert daemon.next_embargo == T0 + seconds(42)
    assert "Later" not in (config.output / "rss.xml").read_text(encoding="utf-8")
    clock.advance(seconds=41.5)
    assert daemon.tick() == pytest.approx(0.5)
    clock.advance(seconds=0.5)
    daemon.tick()
    assert "Later" in (config.output / "rss.xml").read_text(encoding="utf-8")


def test_a_reload_with_a_broken_config_keeps_the_running_one(tmp_path, caplog):
    source = write_site(tmp_path)
    config = load_config(source)
    control = Control()
    running = replace(config, schedule=EVERY_5M)
    daemon = Daemon(running, control, clock=FakeClock(T0))
    daemon.tick()
    source.write_text(CONFIG + '[schedule]\nevery = "often"\n', encoding="utf-8")
    control.request_reload()
    daemon.tick()
    assert daemon.config is running
    assert "reload refused, the running configuration stays" in caplog.text
    assert 'schedule.every: expected an interval such as "30s", "5m" or "1h"' in caplog.text


# --- [schedule] ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("", Schedule(every_seconds=300, watch=False)),
        ('[schedule]\nevery = "30s"\nwatch = true\n', Schedule(every_seconds=30, watch=True)),
        (
            '[schedule]\nwatch = true\nwatch_method = "poll"\n',
            Schedule(every_seconds=300, watch=True, watch_method="poll"),
        ),
        ('[schedule]\nevery = "2h"\n', Schedule(every_seconds=7200)),
        ('[schedule]\nevery = "15 minutes"\n', Schedule(every_seconds=900)),
        (
            '[schedule]\nat = ["18:30", "06:00"]\n',
            Schedule(every_seconds=None, at=(time(6, 0), time(18, 30))),
        ),
        ("[schedule]\nat = [07:15:00]\n", Schedule(every_seconds=None, at=(time(7, 15),))),
    ],
)
def test_schedule_table_loads(tmp_path, table, expected):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + table, encoding="utf-8")
    assert load_config(path).schedule == expected


def test_schedule_problems_are_all_reported_with_their_key_paths(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        CONFIG + '[schedule]\nevery = "5 fortnights"\nat = ["6am"]\nwatch = "yes"\nwhen = 1\n'
        'watch_method = "fanotify"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: 6 problems:\n"
        '  schedule.every: expected an interval such as "30s", "5m" or "1h" (s, m or h),'
        ' got "5 fortnights"\n'
        '  schedule.at: expected a list of daily times such as ["06:00", "18:30"]'
        ' ("HH:MM", 24-hour clock), got ["6am"]\n'
        '  schedule.watch: expected true or false, got "yes"\n'
        '  schedule.watch_method: expected "auto", "inotify" or "poll", got "fanotify"\n'
        "  schedule.at: use either `every` (an interval) or `at` (daily times), not both\n"
        "  schedule.when: unknown key (known keys: every, at, watch, watch_method, rescan)"
    )


def test_state_folder_defaults_beside_the_config_and_can_be_moved(tmp_path):
    path = write_site(tmp_path)
    assert load_config(path).state_dir == tmp_path.resolve() / ".feeds-state"
    path.write_text(CONFIG + '[state]\npath = "var/feeds"\n', encoding="utf-8")
    assert load_config(path).state_dir == tmp_path.resolve() / "var" / "feeds"
    path.write_text(CONFIG + "[state]\ndir = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"state\.dir: unknown key \(known keys: path\)"):
        load_config(path)


def test_daemon_pid_is_recorded(tmp_path):
    config = load_config(write_site(tmp_path))
    Daemon(replace(config, schedule=EVERY_5M), Control(), clock=FakeClock(T0)).tick()
    status = read_status(config.state_dir)
    assert (status.mode, status.daemon_pid, status.daemon_state) == ("run", os.getpid(), "running")


def test_a_loop_sleeps_until_the_wake_up_and_never_long() -> None:
    from feeds.daemon.planner import MAX_SLEEP_SECONDS, Decision, sleep_seconds  # noqa: PLC0415

    soon = Decision((), T0 + timedelta(seconds=0.5), "embargo")
    later = Decision((), T0 + timedelta(hours=1), "schedule")
    assert sleep_seconds(T0, soon) == 0.5
    assert sleep_seconds(T0, later, 1.25) == 1.25
    assert sleep_seconds(T0, later) == MAX_SLEEP_SECONDS
    assert sleep_seconds(T0, later, 60) == MAX_SLEEP_SECONDS
    assert sleep_seconds(T0, Decision((), T0 - timedelta(seconds=3), "late")) == 0.0


# --- the resident index ----------------------------------------------------------------------


def test_a_watching_daemon_builds_through_its_index_reading_only_what_changed(tmp_path):
    config = load_config(write_site(tmp_path, '[schedule]\nwatch = true\nrescan = "1h"\n'))
    clock = FakeClock(T0)
    daemon = Daemon(config, Control(), clock=clock)
    daemon._start()
    daemon.tick()  # the start: a full scan
    assert daemon.index is not None and daemon.index.full_builds == 1
    story = tmp_path / "articles" / "news" / "two.md"
    story.write_text("---\ntitle: Two\ndate: 2026-05-02T10:00:00Z\n---\nNew.\n", encoding="utf-8")
    for _ in range(8):  # the watch tells of it, the debounce is waited out, a build
        daemon._sleep(0.6)
        clock.advance(seconds=1)
        daemon.tick()
    assert "Two" in (config.output / "rss.xml").read_text(encoding="utf-8")
    assert daemon.index.full_builds == 1  # told the change: no rescan
    assert daemon.index.scan_cache is not None
    assert set(daemon.index.scan_cache.items) == {"news/one.md", "news/two.md"}
    clock.advance(seconds=3600)
    daemon.tick()  # the safety rescan is due
    assert daemon.index.full_builds == 2


def test_without_watching_every_daemon_build_rescans(tmp_path):
    config = load_config(write_site(tmp_path))
    clock = FakeClock(T0)
    daemon = Daemon(replace(config, schedule=EVERY_5M), Control(), clock=clock)
    daemon.tick()
    story = tmp_path / "articles" / "news" / "two.md"
    story.write_text("---\ntitle: Two\ndate: 2026-05-02T10:00:00Z\n---\nNew.\n", encoding="utf-8")
    clock.advance(seconds=300)
    daemon.tick()
    assert daemon.index is not None and daemon.index.full_builds == 2
    assert "Two" in (config.output / "rss.xml").read_text(encoding="utf-8")


def test_a_reload_that_changes_the_feeds_makes_the_index_anew(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="feeds.daemon")
    source = write_site(tmp_path)
    daemon = Daemon(load_config(source), Control(), clock=FakeClock(T0))
    daemon.tick()
    first = daemon.index
    daemon.control.request_reload()
    daemon.tick()  # the same configuration: the same index
    assert daemon.index is first
    source.write_text(CONFIG.replace("Harbour Times", "Harbour News"), encoding="utf-8")
    daemon.control.request_reload()
    daemon.tick()
    assert daemon.index is not first and first is not None and first.scan_cache is None
    assert "changes what the index holds: it is made anew" in caplog.text
    assert "Harbour News" in (daemon.config.output / "rss.xml").read_text(encoding="utf-8")
