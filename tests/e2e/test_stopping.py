"""Stopping is prompt, as real processes and real signals show it: a build running when SIGTERM
or Ctrl-C arrives ends within seconds with nothing of it published, and the scan's worker
processes neither outlive their parent nor inherit its signal handlers.

A cold scan of a few thousand articles starts two worker processes; the tests freeze them with
SIGSTOP as soon as they appear (a disk that does not answer), so the build is certainly still
reading when the signal comes, however fast the machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feeds.model import Site
from feeds.sources.files.scan import scan_repository
from feeds.stopping import BuildStopped, Cancellation
from tests.e2e.test_daemon import feeds, feeds_command, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "UTC"

[schedule]
every = "1h"
"""

#: Enough files for the scan to read them in worker processes (PARALLEL_MIN_FILES is 2,000).
ARTICLES = 3000

#: How long a stop may take: a few polls of the workers' results and the exit (on a loaded
#: machine: a full suite next to others ran it slower).
PROMPT = 10.0

#: How long killed workers may take to be gone (their exit is the kernel's, on a loaded machine).
GONE = 10.0


def write_story(folder: Path, number: int) -> None:
    (folder / f"s{number:05}.md").write_text(
        f"---\ntitle: Story {number}\ndate: 2026-05-01T10:{number % 60:02}:00Z\n---\n"
        f"The story of {number}.\n",
        encoding="utf-8",
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project published once with one story, that then gets `ARTICLES` new ones (so the
    next build reads them all, in worker processes)."""
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    news = tmp_path / "articles" / "news"
    news.mkdir(parents=True)
    write_story(news, 0)
    done = feeds("build", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for number in range(1, ARTICLES + 1):
        write_story(news, number)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every published file's bytes (not the lock files a build or a daemon holds)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc/*/stat)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:  # fields: state, ppid, ...
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def signal_mask(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1], 16)
    raise AssertionError(f"/proc/{pid}/status has no {field}")


def caught(pid: int, number: int) -> bool:
    return bool(signal_mask(pid, "SigCgt") & (1 << (number - 1)))


def ignored(pid: int, number: int) -> bool:
    return bool(signal_mask(pid, "SigIgn") & (1 << (number - 1)))


#: Every worker process the tests saw: killed at the end of each test, should one outlive its
#: parent (as they did before the fix), so that no test leaves processes behind.
SEEN: list[int] = []


@contextlib.contextmanager
def started(project: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`feeds *args` in its own session; every worker it leaves is killed afterwards."""
    log = project / "feeds.log"
    with log.open("w", encoding="utf-8") as stream:
        process = subprocess.Popen(
            [feeds_command(), *args],
            cwd=project,
            stdout=stream,
            stderr=stream,
            text=True,
            start_new_session=True,
        )
    try:
        yield process, log
    finally:
        SEEN.extend(children(process.pid))
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pid in SEEN:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        SEEN.clear()


def frozen_workers(process: subprocess.Popen[str], log: Path) -> list[int]:
    """Wait for the scan's worker processes of `process`, and SIGSTOP them."""
    workers: list[int] = []

    def appeared() -> bool:
        assert process.poll() is None, log.read_text(encoding="utf-8")
        workers[:] = children(process.pid)
        return len(workers) >= 2

    wait_for(appeared, 30, "the scan's worker processes")
    SEEN.extend(workers)
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    return workers


def exits_within(process: subprocess.Popen[str], seconds: float) -> int:
    """The exit status of `process`, which must end within `seconds`."""
    return process.wait(timeout=seconds)


def gone(workers: list[int]) -> Callable[[], bool]:
    return lambda: not any(alive(pid) for pid in workers)


@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_feeds_build_stops_at_once_and_publishes_nothing(project: Path, how: str) -> None:
    before = snapshot(project / "output")
    with started(project, "build") as (process, log):
        workers = frozen_workers(process, log)
        if how == "SIGTERM":
            process.send_signal(signal.SIGTERM)
        else:  # a terminal's Ctrl-C reaches the whole process group, the workers too
            os.killpg(process.pid, signal.SIGINT)
        code = exits_within(process, PROMPT)
        text = log.read_text(encoding="utf-8")
        assert code == 130, text
        assert "stopped while reading the articles: nothing of this build was published" in text
        assert "Traceback" not in text  # the workers did not take the Ctrl-C themselves
        wait_for(gone(workers), GONE, "the workers ended with the build")
    assert snapshot(project / "output") == before
    # Nothing half-done stays behind: the next build publishes the new stories.
    again = feeds("build", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "50 of 3001 article(s) published" in again.stderr


def test_the_daemon_abandons_its_build_on_sigterm_and_its_workers_have_default_handlers(
    project: Path,
) -> None:
    before = snapshot(project / "output")
    with started(project, "run") as (process, log):
        workers = frozen_workers(process, log)
        # The daemon catches SIGTERM (to stop cleanly); its workers must not inherit that.
        assert caught(process.pid, signal.SIGTERM)
        for pid in workers:
            assert not caught(pid, signal.SIGTERM)
            assert not ignored(pid, signal.SIGTERM)
            assert not caught(pid, signal.SIGHUP)
            assert ignored(pid, signal.SIGINT)  # Ctrl-C is the parent's to handle
        process.send_signal(signal.SIGTERM)
        code = exits_within(process, PROMPT)
        text = log.read_text(encoding="utf-8")
        assert code == 0, text
        assert "build (start) abandoned: stopping" in text
        assert "stopped" in text.splitlines()[-1]
        wait_for(gone(workers), GONE, "the workers ended with the daemon")
    assert snapshot(project / "output") == before


def test_workers_die_with_a_daemon_killed_outright(project: Path) -> None:
    with started(project, "run") as (process, log):
        workers = frozen_workers(process, log)  # frozen: on their own they would never end
        process.kill()
        process.wait(timeout=10)
        wait_for(gone(workers), GONE, f"the orphaned workers {workers} to die (PR_SET_PDEATHSIG)")


def test_a_stopped_scan_kills_its_workers_before_it_returns(tmp_path: Path) -> None:
    # In this process: the workers must be gone because the scan ended them, not because
    # their parent died (PR_SET_PDEATHSIG exists on Linux only).
    news = tmp_path / "articles" / "news"
    news.mkdir(parents=True)
    for number in range(ARTICLES):
        write_story(news, number)
    others = set(children(os.getpid()))
    stop = threading.Event()
    workers: list[int] = []

    def freeze_then_stop() -> None:
        def appeared() -> bool:
            workers[:] = [pid for pid in children(os.getpid()) if pid not in others]
            return len(workers) >= 2

        wait_for(appeared, 30, "the scan's worker processes")
        SEEN.extend(workers)
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        stop.set()

    helper = threading.Thread(target=freeze_then_stop)
    helper.start()
    try:
        with pytest.raises(BuildStopped, match="stopped while reading the articles"):
            scan_repository(
                tmp_path / "articles",
                Site(url="https://news.example.org/", timezone="UTC"),
                workers=2,
                stop=Cancellation(stop),
            )
        helper.join()
        assert workers
        assert not any(alive(pid) for pid in workers)
    finally:
        helper.join()
        for pid in SEEN:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        SEEN.clear()
