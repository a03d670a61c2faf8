"""The daemons sharing a database: one small record per running `feeds run`, with its role."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path

from feeds.atomic import replace_file
from feeds.clock import format_time

#: The folder of the records inside the state folder.
DAEMONS_DIR = "daemons"
#: A record not renewed for this long belongs to a daemon that is gone.
FRESH = timedelta(seconds=15)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class DaemonRecord:
    """One daemon as it last described itself (times in UTC, ISO 8601).

    Attributes:
        role: "leader" (it builds and publishes) or "standby" (it waits to take over).
        since: When it took this role.
        leader_host, leader_pid, leader_since: The leader as this daemon last saw it.
        seen: When it wrote this record (it does every few seconds).
    """

    host: str
    pid: int
    role: str
    since: str
    leader_host: str | None
    leader_pid: int | None
    leader_since: str | None
    seen: str


def _path(state_dir: Path, host: str, pid: int) -> Path:
    return state_dir / DAEMONS_DIR / f"{_UNSAFE.sub('_', host)}-{pid}.json"


def write_record(state_dir: Path, record: DaemonRecord) -> None:
    """Replace this daemon's record (atomically).

    Raises:
        OSError: the state folder cannot be written.
    """
    text = json.dumps(asdict(record), ensure_ascii=False) + "\n"
    replace_file(_path(state_dir, record.host, record.pid), text.encode("utf-8"))


def remove_record(state_dir: Path, host: str, pid: int) -> None:
    """Remove this daemon's record (it stops)."""
    with contextlib.suppress(OSError):
        _path(state_dir, host, pid).unlink()


def read_records(state_dir: Path, now: datetime) -> list[DaemonRecord]:
    """The records of the daemons running now (renewed within `FRESH`), leader first."""
    found: list[DaemonRecord] = []
    names = {item.name for item in fields(DaemonRecord)}
    here = socket.gethostname()
    for path in sorted((state_dir / DAEMONS_DIR).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            record = DaemonRecord(**{k: v for k, v in data.items() if k in names})
            seen = datetime.fromisoformat(record.seen.replace("Z", "+00:00"))
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        if now - seen <= FRESH and (record.host != here or _alive(record.pid)):
            found.append(record)
    # The leader first: the latest to take the role (a dead one's record outlives it briefly).
    found.sort(key=lambda r: (r.host, r.pid))
    found.sort(key=lambda r: r.since, reverse=True)
    return sorted(found, key=lambda r: r.role != "leader")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        return True
    return True


def describe(record: DaemonRecord) -> str:
    """``host (pid 123): leader since 2026-11-25T12:00:01Z``."""
    return f"{record.host} (pid {record.pid}): {record.role} since {record.since}"


def stamp(moment: datetime) -> str:
    """A time as the records write it."""
    return format_time(moment) or ""
