"""`feeds run`: keep the feeds current on a schedule, on the embargo minute and on change."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo

import schedule as schedule_lib

from feeds.build import Publisher, publish, publish_recorded
from feeds.clock import Clock, format_time, utc_now
from feeds.config import Config, Schedule, load_config
from feeds.errors import ConfigError, FeedsError, LockedError
from feeds.state.locks import DaemonLock
from feeds.state.status import load_status_or_new, record_failure, write_status

log = logging.getLogger(__name__)

#: A burst of edits gives one build this long after the last change seen.
WATCH_DEBOUNCE = timedelta(seconds=0.75)
#: ... but a repository that never stops changing still gets a build this often.
WATCH_MAX_DELAY = timedelta(seconds=10)
#: The quickest the repository is rescanned (slower when a scan itself is slow).
WATCH_SCAN_SECONDS = 0.5
#: The longest the daemon sleeps at a time: monotonic waits stop during a suspend and the wall
#: clock may be stepped, so it looks at the clock again at least this often.
MAX_SLEEP_SECONDS = 2.0
#: How long a daemon build waits for a `feeds build` holding the output folder.
DAEMON_LOCK_WAIT = 60.0


# --- regular runs: a private schedule.Scheduler on the daemon's clock ------------------------

_lend_lock = threading.Lock()


@contextlib.contextmanager
def _schedule_now(frame_now: dt.datetime) -> Iterator[None]:
    """Make `schedule` see `frame_now` (naive) as "now" for the duration of the block.

    `schedule` reads the process clock itself, as naive local time. The daemon decides on
    one injectable, aware clock (so a test can drive it) and wants daily times in
    ``site.timezone``, not the machine's zone; so it lends schedule that clock, expressed
    in the frame the jobs are kept in. Only this module uses schedule.
    """

    class _FrameDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Self:
            return cls.combine(frame_now.date(), frame_now.time(), tz)

    shim = types.SimpleNamespace(**vars(dt))
    shim.datetime = _FrameDatetime
    namespace = vars(schedule_lib)
    with _lend_lock:
        real = namespace["datetime"]
        namespace["datetime"] = shim
        try:
            yield
        finally:
            namespace["datetime"] = real


@dataclass(frozen=True, slots=True)
class Decision:
    """What the daemon should do at one moment.

    Attributes:
        reasons: Why to build now ("schedule", "embargo", "watch"); empty: do not build.
        wake_at: The next moment something is due (None: nothing scheduled).
        wake_reason: What is due then.
    """

    reasons: tuple[str, ...]
    wake_at: datetime | None
    wake_reason: str | None

    @property
    def build(self) -> bool:
        """Build now."""
        return bool(self.reasons)


class Planner:
    """The pure scheduling core: regular runs, embargo wake-ups and debounced watch events.

    Regular runs come from a private `schedule.Scheduler`. Intervals are kept in UTC (a DST
    change does not stretch or shrink them); daily `at` times are kept in ``site.timezone``
    wall-clock time, so 06:00 stays 06:00 across a DST change. `schedule` does not replay
    missed runs: after a suspend, each due job fires once and is rescheduled from "now",
    and all due triggers together give one build.
    """

    def __init__(self, spec: Schedule, timezone: str, now: datetime) -> None:
        self._zone = ZoneInfo(timezone) if spec.at else UTC
        self._scheduler = schedule_lib.Scheduler()
        self._due = False
        with _schedule_now(self._frame(now)):
            if spec.every_seconds is not None and not spec.at:
                self._scheduler.every(spec.every_seconds).seconds.do(self._mark_due)
            for moment in spec.at:
                self._scheduler.every().day.at(moment.strftime("%H:%M:%S")).do(self._mark_due)

    def _mark_due(self) -> None:
        # The job only marks: the build itself runs (and fails) under the daemon's care.
        self._due = True

    def _frame(self, moment: datetime) -> dt.datetime:
        return moment.astimezone(self._zone).replace(tzinfo=None)

    def _unframe(self, naive: dt.datetime) -> datetime:
        # fold=0: an ambiguous wall time is its first occurrence; one in a DST gap is taken
        # with the offset before the gap (02:30 on a spring-forward day runs at 03:30).
        return naive.replace(tzinfo=self._zone).astimezone(UTC)

    def next_regular(self) -> datetime | None:
        """When the next regular run is due (aware, UTC)."""
        naive = self._scheduler.get_next_run()
        return None if naive is None else self._unframe(naive)

    def decide(
        self,
        now: datetime,
        *,
        last_build: datetime | None,
        next_embargo: datetime | None,
        first_change: datetime | None = None,
        last_change: datetime | None = None,
    ) -> Decision:
        """Whether to build at `now`, and when to look again.

        Args:
            now: The daemon clock (aware).
            last_build: When the last build started (successful or not).
            next_embargo: The earliest future publication time the last build saw.
            first_change: When the first repository change since the last build was seen.
            last_change: When the latest one was seen (debounce counts from it).
        """
        self._due = False
        with _schedule_now(self._frame(now)):
            self._scheduler.run_pending()
        reasons: list[str] = ["schedule"] if self._due else []
        upcoming: list[tuple[datetime, str]] = []
        regular = self.next_regular()
        if regular is not None:
            upcoming.append((regular, "schedule"))

        # An embargo is served once: a build that started at or after it already included it
        # (or failed, and the regular schedule retries) -- never a tight retry loop.
        if next_embargo is not None and (last_build is None or last_build < next_embargo):
            if next_embargo <= now:
                reasons.append("embargo")
            else:
                upcoming.append((next_embargo, "embargo"))

        if last_change is not None and (last_build is None or last_change > last_build):
            start = first_change or last_change
            ready = min(last_change + WATCH_DEBOUNCE, start + WATCH_MAX_DELAY)
            if ready <= now:
                reasons.append("watch")
            else:
                upcoming.append((ready, "watch"))

        wake_at, wake_reason = min(upcoming, default=(None, None))
        return Decision(tuple(reasons), wake_at, wake_reason)


# --- watching the repository: a cheap stat scan ---------------------------------------------

Snapshot = frozenset[tuple[str, int, int]]


def snapshot_repository(root: Path) -> Snapshot:
    """(path, size, mtime) of every file the repository reader could use.

    Names starting with "." or "_" (editor swap files, ignored folders) and editor backups
    ending in "~" are skipped, and symbolic links are not followed, as the reader does.
    """
    found: set[tuple[str, int, int]] = set()
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith((".", "_"))]
        for name in files:
            if name.startswith((".", "_")) or name.endswith("~"):
                continue
            path = os.path.join(folder, name)  # noqa: PTH118 - os.walk speaks str; hot loop
            try:
                info = os.lstat(path)
            except OSError:
                continue  # removed while scanning: the next scan sees it gone
            found.add((path, info.st_size, info.st_mtime_ns))
    return frozenset(found)


class Watcher:
    """Compares stat snapshots of the repository; no dependency, no inotify limits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._snapshot = snapshot_repository(root)
        self.scan_seconds = WATCH_SCAN_SECONDS

    def poll(self) -> bool:
        """Rescan; True when a relevant file was added, changed or removed since last time."""
        started = time.monotonic()
        snapshot = snapshot_repository(self.root)
        # A big repository is scanned less often, so watching never eats a core.
        self.scan_seconds = max(WATCH_SCAN_SECONDS, 10 * (time.monotonic() - started))
        changed = snapshot != self._snapshot
        self._snapshot = snapshot
        return changed


# --- the daemon ------------------------------------------------------------------------------


class Control:
    """How signals reach the main loop: flags plus one event that wakes it at once."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.reload = threading.Event()
        self._wake = threading.Event()

    def request_stop(self) -> None:
        """SIGTERM / SIGINT: finish the current build, then exit cleanly."""
        self.stop.set()
        self._wake.set()

    def request_reload(self) -> None:
        """SIGHUP: reload the configuration at the next turn of the loop."""
        self.reload.set()
        self._wake.set()

    def sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, returning early when a signal arrives."""
        if self._wake.wait(max(0.0, seconds)):
            self._wake.clear()


class Daemon:
    """The main loop around `Planner`: builds, watching, reloads, status and locks.

    Args:
        config: The validated configuration (its `source` is reread on reload), with its
            ``[schedule]``.
        control: Stop / reload requests.
        clock: The daemon clock (aware); every `publish` gets its reading as `now`.
        publisher: `publish` (replaceable in tests).
        lock_wait: Seconds a build waits for a `feeds build` to finish writing.
    """

    def __init__(
        self,
        config: Config,
        control: Control,
        *,
        clock: Clock = utc_now,
        publisher: Publisher = publish,
        lock_wait: float = DAEMON_LOCK_WAIT,
    ) -> None:
        self.config = config
        self.spec = spec = config.schedule
        self.control = control
        self.clock = clock
        self.publisher = publisher
        self.lock_wait = lock_wait
        self.planner = Planner(spec, config.channel.timezone, clock())
        self.watcher: Watcher | None = None
        self.last_build: datetime | None = None
        self.next_embargo: datetime | None = None
        self._forced: str | None = "start"
        self._first_change: datetime | None = None
        self._last_change: datetime | None = None
        self._next_scan: datetime | None = None
        self._lock = DaemonLock(config.output)

    def run(self) -> None:
        """Serve until a stop is requested.

        Raises:
            LockedError: another daemon already serves the same output folder.
        """
        self._lock.acquire()
        try:
            self._start()
            while not self.control.stop.is_set():
                self.control.sleep(self.tick())
            log.info("stopped")
        finally:
            with contextlib.suppress(FeedsError):
                self._update_status(state="stopped", decision=None)
            self._lock.release()

    def _start(self) -> None:
        spec = self.spec
        how = (
            f"every {spec.every_seconds}s"
            if spec.every_seconds
            else "daily at "
            + ", ".join(t.strftime("%H:%M") for t in spec.at)
            + f" {self.config.channel.timezone}"
        )
        log.info(
            "start: pid %d, %s%s, output %s",
            os.getpid(),
            how,
            ", watching the repository" if spec.watch else "",
            self.config.output,
        )
        self._watch(spec.watch)

    def _watch(self, enabled: bool) -> None:
        self.watcher = Watcher(self.config.repository) if enabled else None
        self._next_scan = self.clock() if enabled else None
        self._first_change = self._last_change = None

    def tick(self) -> float:
        """One turn of the loop: reload, scan, build if due; returns the seconds to sleep."""
        if self.control.reload.is_set():
            self.control.reload.clear()
            self._reload()
        now = self.clock()
        if self.watcher is not None and self._next_scan is not None and now >= self._next_scan:
            if self.watcher.poll():
                self._first_change = self._first_change or now
                self._last_change = now
            self._next_scan = now + timedelta(seconds=self.watcher.scan_seconds)
        decision = self._decide(now)
        reasons = decision.reasons
        if self._forced is not None:
            reasons = (self._forced, *reasons)
            self._forced = None
        if reasons and not self.control.stop.is_set():
            self._build(now, reasons)
            now = self.clock()
            decision = self._decide(now)
            self._update_status(state="running", decision=decision)
            if decision.wake_at is not None:
                log.info("next run %s (%s)", format_time(decision.wake_at), decision.wake_reason)
        sleep = MAX_SLEEP_SECONDS
        if decision.wake_at is not None:
            sleep = min(sleep, (decision.wake_at - now).total_seconds())
        if self._next_scan is not None:
            sleep = min(sleep, (self._next_scan - now).total_seconds())
        return max(0.0, sleep)

    def _decide(self, now: datetime) -> Decision:
        return self.planner.decide(
            now,
            last_build=self.last_build,
            next_embargo=self.next_embargo,
            first_change=self._first_change,
            last_change=self._last_change,
        )

    def _build(self, now: datetime, reasons: tuple[str, ...]) -> None:
        self.last_build = now
        self._first_change = self._last_change = None
        why = "+".join(dict.fromkeys(reasons))
        try:
            result = publish_recorded(
                self.config,
                now=now,
                clock=self.clock,
                wait=self.lock_wait,
                stop=self.control.stop,
                publisher=self.publisher,
            )
        except LockedError as exc:
            if self.control.stop.is_set():
                log.info("build (%s) abandoned: stopping", why)
                return
            log.error("build (%s) failed: %s", why, exc)
            self._record_failure(exc)
        except FeedsError as exc:
            log.error("build (%s) failed: %s", why, exc)
        except Exception as exc:
            # The daemon outlives any failing build; the next run still happens.
            log.error("build (%s) failed with an internal error: %r", why, exc)
            log.debug("traceback of the failed build", exc_info=True)
        else:
            self.next_embargo = result.next_embargo
            for complaint in (*result.problems, *result.id_changes):
                log.warning("%s", complaint)
            log.info("build (%s): %s", why, result.summary())

    def _record_failure(self, exc: BaseException) -> None:
        status = load_status_or_new(self.config.state_dir)
        record_failure(status, exc, self.clock())
        try:
            write_status(self.config.state_dir, status)
        except FeedsError as problem:
            log.error("%s", problem)

    def _update_status(self, *, state: str, decision: Decision | None) -> None:
        status = load_status_or_new(self.config.state_dir)
        status.mode = "run"
        status.daemon_pid = os.getpid()
        status.daemon_state = state
        status.next_run = format_time(decision.wake_at) if decision else None
        status.next_reason = decision.wake_reason if decision else None
        try:
            write_status(self.config.state_dir, status)
        except FeedsError as problem:
            log.error("%s", problem)

    def _reload(self) -> None:
        source = self.config.source
        try:
            config = load_config(source)
        except ConfigError as exc:
            log.error("reload refused, the running configuration stays: %s", exc)
            return
        if config.output != self.config.output:
            lock = DaemonLock(config.output)
            try:
                lock.acquire()
            except FeedsError as exc:
                log.error("reload refused, the running configuration stays: %s", exc)
                return
            self._lock.release()
            self._lock = lock
        self.config, self.spec = config, config.schedule
        spec = config.schedule
        self.planner = Planner(spec, config.channel.timezone, self.clock())
        self.next_embargo = None
        self._watch(spec.watch)
        self._forced = "reload"
        log.info("reloaded %s", source)


def run_daemon(config: Config, control: Control) -> None:
    """Serve `config` on its schedule until `control` asks to stop (the `feeds run` command).

    Raises:
        LockedError: another daemon already serves the same output folder.
    """
    Daemon(config, control).run()
