"""The state folder: the status file of the last runs and the locks that keep one writer."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feeds.config import Config
from feeds.errors import FeedsError, LockedError, OutputError, UsageError
from feeds.pipeline import PublishResult, publish
from feeds.writer import replace_file

log = logging.getLogger(__name__)

#: Lock file in the output folder held by whoever writes into it (a build).
BUILD_LOCK = ".feeds.lock"
#: Lock file in the output folder held by a `feeds run` daemon for its whole lifetime.
DAEMON_LOCK = ".feeds-daemon.lock"
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
        runs: Runs recorded so far.
        failures: Failed runs among them.
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
    runs: int = 0
    failures: int = 0

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
}
for _name in ("last_start", "last_finish", "last_success", "last_outcome", "last_error"):
    _KINDS[_name] = _is_optional_text
for _name in ("last_error_at", "next_run", "next_reason", "next_embargo"):
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


# --- locks -----------------------------------------------------------------------------------


def lock_holder(path: Path) -> int | None:
    """The pid holding an flock on `path`, as far as the system tells (Linux: /proc/locks)."""
    try:
        info = path.stat()
        lines = Path("/proc/locks").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" ("->" marks a blocked waiter).
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == device:
            with contextlib.suppress(ValueError):
                return int(parts[4])
    return None


def _holder_text(path: Path) -> str:
    pid = lock_holder(path)
    return f"pid {pid}" if pid is not None else "another process"


def _open_lock(path: Path) -> int:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot create the lock file: {exc.strerror or exc}: check that the output"
            " folder is writable"
        ) from exc


def _try_lock(fd: int, *, shared: bool = False) -> bool:
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


@contextlib.contextmanager
def build_lock(output: Path, *, wait: float, stop: threading.Event | None = None) -> Iterator[None]:
    """Hold ``<output>/.feeds.lock`` while writing into `output`; never two writers at once.

    Args:
        output: The output folder (created if missing).
        wait: Seconds to wait for another writer to finish.
        stop: Give up waiting as soon as this is set.

    Raises:
        LockedError: still held by another process after `wait` seconds (or `stop` was set).
    """
    path = output / BUILD_LOCK
    fd = _open_lock(path)
    try:
        deadline = time.monotonic() + wait
        announced = False
        while not _try_lock(fd):
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                raise LockedError(
                    f"{output}: {_holder_text(path)} is writing this output folder"
                    f" (lock {path}); gave up after {wait:g} s: try again later or raise"
                    " --wait"
                )
            if not announced:
                log.info("waiting for %s to finish writing %s", _holder_text(path), output)
                announced = True
            if stop is not None:
                stop.wait(_POLL_SECONDS)
            else:
                time.sleep(_POLL_SECONDS)
        yield
    finally:
        # Closing the descriptor releases the lock; the file stays for the next writer.
        os.close(fd)


class DaemonLock:
    """``<output>/.feeds-daemon.lock``, held by one `feeds run` for its whole lifetime."""

    def __init__(self, output: Path) -> None:
        self.path = output / DAEMON_LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock at once.

        Raises:
            LockedError: another daemon serves the same output folder.
        """
        fd = _open_lock(self.path)
        # `feeds status` probes this lock for an instant; do not mistake that for a daemon.
        deadline = time.monotonic() + 0.5
        while not _try_lock(fd) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        if not _try_lock(fd):
            os.close(fd)
            raise LockedError(
                f"{self.path.parent}: another `feeds run` ({_holder_text(self.path)}) already"
                " publishes into this output folder: stop it first, or check it with"
                " `feeds status`"
            )
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock (no-op when not held)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def daemon_running(output: Path) -> int | None:
    """The pid of the daemon serving `output` (0 when its pid is unknown), or None if none."""
    path = output / DAEMON_LOCK
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if _try_lock(fd, shared=True):
            return None
        return lock_holder(path) or 0
    finally:
        os.close(fd)


Clock = Callable[[], datetime]
Publisher = Callable[..., PublishResult]


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (the daemon's real clock)."""
    return datetime.now(UTC)


def format_time(moment: datetime | None) -> str | None:
    """``2026-11-25T12:00:01Z`` (UTC, whole seconds) for logs and the status file."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- one recorded build (also used by `feeds build`) ----------------------------------------


def publish_recorded(
    config: Config,
    *,
    now: datetime,
    clock: Clock = utc_now,
    strict: bool = False,
    wait: float,
    stop: threading.Event | None = None,
    publisher: Publisher = publish,
) -> PublishResult:
    """Publish under the output folder's build lock and record the outcome in the status file.

    A failed run records its error and leaves the previously published feeds in place.

    Args:
        config: The configuration to build.
        now: The moment to publish for (aware).
        clock: Tells when the run finished.
        strict: As for `publish`.
        wait: Seconds to wait for another writer of the same output folder.
        stop: Give up waiting for the lock when set.
        publisher: `publish` (replaceable in tests).

    Raises:
        LockedError: another process kept the output folder locked (nothing recorded).
        FeedsError: the build failed (recorded).
    """
    with build_lock(config.output, wait=wait, stop=stop):
        status = load_status_or_new(config.state_dir)
        status.last_start = format_time(clock())  # the real start, even for a --now build
        status.runs += 1
        try:
            result = publisher(config, now=now, strict=strict)
        except Exception as exc:
            record_failure(status, exc, clock())
            write_status(config.state_dir, status)
            raise
        finished = clock()
        status.last_finish = status.last_success = format_time(finished)
        status.last_outcome = "problems" if result.problems else "ok"
        status.last_error = status.last_error_at = None
        status.articles = result.article_count
        status.problems = [str(p) for p in (*result.problems, *result.id_changes)]
        status.next_embargo = format_time(result.next_embargo)
        if result.written is not None:
            status.written = list(result.written.written)
            status.unchanged = list(result.written.unchanged)
            status.removed = list(result.written.removed)
        write_status(config.state_dir, status)
    return result


def record_failure(status: Status, exc: BaseException, when: datetime) -> None:
    """Note a failed run; the fields of the last success stay as they were."""
    message = str(exc) if isinstance(exc, FeedsError) else f"internal error: {exc!r}"
    status.last_finish = status.last_error_at = format_time(when)
    status.last_outcome = "failed"
    status.last_error = message
    status.failures += 1
