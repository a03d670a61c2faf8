"""The state folder: the status file (atomic, corruption detected) and the output-folder locks."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from feeds.errors import ExitStatus, LockedError
from feeds.state.locks import BUILD_LOCK, DaemonLock, build_lock, daemon_running
from feeds.state.status import (
    Status,
    StatusError,
    load_status_or_new,
    read_status,
    status_path,
    write_status,
)

HAS_PROC_LOCKS = Path("/proc/locks").is_file()


def test_status_round_trips_through_the_file(tmp_path):
    status = Status(
        mode="run",
        daemon_pid=42,
        last_start="2026-06-01T12:00:00Z",
        last_outcome="problems",
        written=["rss.xml"],
        problems=["articles/news/bad.md:3: date: not a date"],
        runs=3,
        failures=1,
    )
    write_status(tmp_path / "state", status)
    assert read_status(tmp_path / "state") == status
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["status.json"]  # no temp files


def test_no_status_yet_is_none(tmp_path):
    assert read_status(tmp_path) is None


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "[]",
        '{"version": 99}',
        '{"version": 1, "runs": "three"}',
        '{"version": 1, "written": [1]}',
    ],
)
def test_a_corrupt_status_file_is_detected(tmp_path, text):
    status_path(tmp_path).write_text(text, encoding="utf-8")
    with pytest.raises(StatusError, match=r"corrupt status file .*: the next run replaces it"):
        read_status(tmp_path)


def test_a_corrupt_status_file_is_reported_once_and_replaced(tmp_path, caplog):
    status_path(tmp_path).write_bytes(b"\x00\x01garbage")
    with caplog.at_level(logging.WARNING):
        status = load_status_or_new(tmp_path)
    assert status == Status()
    assert len(caplog.records) == 1
    write_status(tmp_path, status)
    caplog.clear()
    assert load_status_or_new(tmp_path) == Status()
    assert caplog.records == []
    assert json.loads(status_path(tmp_path).read_text(encoding="utf-8"))["version"] == 1


def test_build_lock_keeps_a_second_writer_out_and_names_the_holder(tmp_path):
    with build_lock(tmp_path / "out", wait=5):
        assert (tmp_path / "out" / BUILD_LOCK).is_file()
        with pytest.raises(LockedError) as caught, build_lock(tmp_path / "out", wait=0.2):
            pass
    assert caught.value.status is ExitStatus.LOCKED
    message = str(caught.value)
    assert "is writing this output folder" in message
    assert "gave up after 0.2 s: try again later or raise --wait" in message
    if HAS_PROC_LOCKS:
        assert f"pid {os.getpid()}" in message
    with build_lock(tmp_path / "out", wait=0):  # released
        pass


def test_a_second_daemon_is_refused_and_status_sees_the_first(tmp_path):
    first = DaemonLock(tmp_path)
    first.acquire()
    try:
        assert daemon_running(tmp_path) is not None
        with pytest.raises(LockedError, match=r"another `feeds run` .* already publishes"):
            DaemonLock(tmp_path).acquire()
    finally:
        first.release()
    assert daemon_running(tmp_path) is None


def test_the_daemon_lock_does_not_block_builds(tmp_path):
    daemon = DaemonLock(tmp_path)
    daemon.acquire()
    try:
        with build_lock(tmp_path, wait=0):
            pass
    finally:
        daemon.release()
