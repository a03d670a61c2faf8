"""The status file: what the last runs did and what comes next (`feeds status`, monitoring)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from feeds.atomic import replace_file
from feeds.clock import format_time
from feeds.errors import FeedsError, OutputError, UsageError

log = logging.getLogger(__name__)

#: The status file inside the state folder.
STATUS_FILE = "status.json"
_STATUS_VERSION = 1
_POLL_SECONDS = 0.1


class StatusError(FeedsError):
    """The status file exists but cannot be read or understood."""

    status = UsageError.status


# --- status file -----------------------------------------------------------------------------


@dataclass(slots=True)
class Status:
    """What the last runs did, as written to ``<state>/status.json``.

    Times are ISO 8601 strings in UTC (``2026-11-25T12:00:01Z``), or None when unknown.

    Attributes:
        mode: "run" when the daemon wrote it last, "build" for a one-off `feeds build`.
        daemon_pid: The daemon that records here (None when no daemon ever ran).
        last_start: When the last run started.
        last_finish: When the last run ended (successfully or not).
        last_success: When a run last published.
        last_outcome: "ok", "problems" (published, some articles skipped) or "failed".
        last_error: The message of the last failed run, kept until a run succeeds.
        last_error_at: When that run failed.
        next_run: When the daemon builds next, and why (`next_reason`).
        next_embargo: The earliest embargoed article's publication time.
        articles: Articles found by the last successful run.
        written: Files written by the last successful run (relative to the output folder).
        unchanged: Files that were already up to date.
        removed: Media removed as unpublished.
        problems: Article problems of the last successful run, one message each.
        hub_failures: WebSub announcements the last successful run could not deliver (sent
            again at the next run), one message each.
        runs: Runs recorded so far.
        failures: Failed runs among them.
        role: With several daemons on one database: "leader" (the one that wrote this).
        host: The host of the daemon that wrote this.
        leader_since: Since when it leads.
    """

    mode: str = "build"
    daemon_pid: int | None = None
    daemon_state: str = "stopped"
    last_start: str | None = None
    last_finish: str | None = None
    last_success: str | None = None
    last_outcome: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    next_run: str | None = None
    next_reason: str | None = None
    next_embargo: str | None = None
    articles: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    hub_failures: list[str] = field(default_factory=list)
    runs: int = 0
    failures: int = 0
    role: str | None = None
    host: str | None = None
    leader_since: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to the status file."""
        return {"version": _STATUS_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: object) -> Status:
        """Parse what `to_json` wrote.

        Raises:
            ValueError: not an object of the known version with values of the right types.
        """
        if not isinstance(data, dict) or data.get("version") != _STATUS_VERSION:
            raise ValueError(f"not a version {_STATUS_VERSION} status object")
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name not in data:
                continue
            value = data[item.name]
            if not _KINDS[item.name](value):
                raise ValueError(f"{item.name}: unexpected value {value!r}")
            values[item.name] = value
        return cls(**values)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# How each status field is checked when read back: anything else means a corrupt file.
_KINDS: dict[str, Callable[[object], bool]] = {
    "mode": lambda value: isinstance(value, str),
    "daemon_state": lambda value: isinstance(value, str),
    "daemon_pid": lambda value: value is None or _is_int(value),
    "articles": _is_int,
    "runs": _is_int,
    "failures": _is_int,
    "written": _is_text_list,
    "unchanged": _is_text_list,
    "removed": _is_text_list,
    "problems": _is_text_list,
    "hub_failures": _is_text_list,
}
for _name in ("last_start", "last_finish", "last_success", "last_outcome", "last_error"):
    _KINDS[_name] = _is_optional_text
for _name in ("last_error_at", "next_run", "next_reason", "next_embargo"):
    _KINDS[_name] = _is_optional_text
for _name in ("role", "host", "leader_since"):
    _KINDS[_name] = _is_optional_text


def status_path(state_dir: Path) -> Path:
    """The status file inside `state_dir`."""
    return state_dir / STATUS_FILE


def read_status(state_dir: Path) -> Status | None:
    """The recorded status, or None when nothing was recorded yet.

    Raises:
        StatusError: the file is unreadable or corrupt; the next run replaces it.
    """
    path = status_path(state_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StatusError(f"{path}: cannot read the status file: {exc}") from exc
    try:
        return Status.from_json(json.loads(text))
    except ValueError as exc:
        # json.JSONDecodeError is a ValueError too.
        raise StatusError(f"{path}: corrupt status file ({exc}): the next run replaces it") from exc


def load_status_or_new(state_dir: Path) -> Status:
    """The recorded status; a fresh one when there is none or it is corrupt (logged once)."""
    try:
        return read_status(state_dir) or Status()
    except StatusError as exc:
        log.warning("%s", exc)
        return Status()


def write_status(state_dir: Path, status: Status) -> None:
    """Replace the status file atomically (readers see the old or the new file, never half).

    Raises:
        OutputError: the state folder cannot be written.
    """
    path = status_path(state_dir)
    text = json.dumps(status.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        replace_file(path, text.encode("utf-8"))
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write the status file: {exc.strerror or exc}: check that the"
            " state folder ([state] path) is writable"
        ) from exc


def record_failure(status: Status, exc: BaseException, when: datetime) -> None:
    """Note a failed run; the fields of the last success stay as they were."""
    message = str(exc) if isinstance(exc, FeedsError) else f"internal error: {exc!r}"
    status.last_finish = status.last_error_at = format_time(when)
    status.last_outcome = "failed"
    status.last_error = message
    status.failures += 1
