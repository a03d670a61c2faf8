"""The clock: the one place the real time is read (the core is always given `now`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: Tells the time (the daemon's real clock, or a test's).
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (the daemon's real clock)."""
    return datetime.now(UTC)


def format_time(moment: datetime | None) -> str | None:
    """``2026-11-25T12:00:01Z`` (UTC, whole seconds) for logs and the status file."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
