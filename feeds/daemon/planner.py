"""The daemon's plan: when the next build is due (schedule, embargoes, changes), decided on an
injected clock, without doing anything. The only module that uses the `schedule` library."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Self
from zoneinfo import ZoneInfo

import schedule as schedule_lib

from feeds.config import Schedule

#: The longest the daemon sleeps at a time: monotonic waits stop during a suspend and the wall
#: clock may be stepped, so it looks at the clock again at least this often.
MAX_SLEEP_SECONDS = 2.0
#: A burst of edits gives one build this long after the last change seen (by default: the
#: scan's; the kernel's notification, `feeds.daemon.watch`, passes its shorter quiet).
WATCH_DEBOUNCE = timedelta(seconds=0.75)
#: ... but a repository that never stops changing still gets a build this often.
WATCH_MAX_DELAY = timedelta(seconds=10)

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
        debounce: timedelta = WATCH_DEBOUNCE,
    ) -> Decision:
        """Whether to build at `now`, and when to look again.

        Args:
            now: The daemon clock (aware).
            last_build: When the last build started (successful or not).
            next_embargo: The earliest future publication time the last build saw.
            first_change: When the first repository change since the last build was seen.
            last_change: When the latest one was seen (debounce counts from it).
            debounce: The quiet after `last_change` that ends a burst of changes.
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

        # A change seen at the very moment the last build started came after that build's
        # look at the repository (the watching hands its changes to a build as it starts).
        if last_change is not None and (last_build is None or last_change >= last_build):
            start = first_change or last_change
            ready = min(last_change + debounce, start + WATCH_MAX_DELAY)
            if ready <= now:
                reasons.append("watch")
            else:
                upcoming.append((ready, "watch"))

        wake_at, wake_reason = min(upcoming, default=(None, None))
        return Decision(tuple(reasons), wake_at, wake_reason)


def sleep_seconds(now: datetime, decision: Decision, longest: float = MAX_SLEEP_SECONDS) -> float:
    """How long a loop may sleep: until the planned wake-up, and never longer than `longest`
    (at most `MAX_SLEEP_SECONDS`). A change to the repository ends the sleep early."""
    sleep = min(longest, MAX_SLEEP_SECONDS)
    if decision.wake_at is not None:
        sleep = min(sleep, (decision.wake_at - now).total_seconds())
    return max(0.0, sleep)
