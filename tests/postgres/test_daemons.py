"""`feeds run` on a database, as subprocesses against a real server: changes live at once, a
dropped session and a stopped server survived, and among two or three daemons exactly one
publishes, with a standby taking over when the leader is killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from feeds.sources import postgres

HERE = Path(__file__).resolve().parent

CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[repository]
url = "{url}"

[schedule]
every = "1h"
"""


def feeds_command() -> str:
    found = shutil.which("feeds", path=str(Path(sys.executable).parent))
    assert found, "the feeds console script is not installed next to this Python"
    return found


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"timed out after {timeout} s: {what}"
        time.sleep(0.05)
    return time.monotonic() - start


class Daemon:
    """One `feeds run` process with its log."""

    def __init__(self, project: Path, name: str, *, recorded: bool = True) -> None:
        self.project = project
        self.log_path = project / f"{name}.log"
        command = (
            [sys.executable, str(HERE / "daemon_runner.py")]
            if recorded
            else [feeds_command(), "run"]
        )
        env = {**os.environ, "FEEDS_PUBLISH_LOG": str(project / "publishes.jsonl")}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "-c", str(project / "config.toml")],
                cwd=project,
                stdout=log,
                stderr=log,
                env=env,
            )
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def role(self) -> str | None:
        record = self.project / ".feeds-state" / "daemons" / f"{_host()}-{self.pid}.json"
        try:
            return str(json.loads(record.read_text(encoding="utf-8"))["role"])
        except (OSError, ValueError, KeyError):
            return None

    def kill(self) -> float:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        return time.time()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(5)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _host() -> str:
    return socket.gethostname()


@pytest.fixture
def project(database_url: str, tmp_path: Path) -> Iterator[Path]:
    postgres.init_schema(database_url)
    (tmp_path / "config.toml").write_text(CONFIG.format(url=database_url), encoding="utf-8")
    yield tmp_path


@pytest.fixture
def daemons(project: Path) -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.stop()


def insert(url: str, key: str, title: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO feeds.articles (key, title, date, body) VALUES (%s, %s, %s, %s)",
            [key, title, "2026-06-01 10:00+02", f"The story of {title}."],
        )


def feed(project: Path) -> str:
    try:
        return (project / "output" / "rss.xml").read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def test_a_change_in_the_database_is_live_without_waiting_for_the_schedule(
    project: Path, database_url: str, daemons: list[Daemon]
) -> None:
    # Another story stays: a source that suddenly holds none is refused, not published empty.
    insert(database_url, "news/quay.md", "Quay reopens")
    daemons.append(Daemon(project, "one", recorded=False))
    wait_for(lambda: "<channel>" in feed(project), 20, "the first build")
    insert(database_url, "news/ferry.md", "Ferry runs late")
    took = wait_for(lambda: "Ferry runs late" in feed(project), 10, "the new article")
    print(f"inserted -> live in {took:.2f} s")  # the benchmark measures this properly
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE feeds.articles SET title = 'Ferry runs on time' WHERE key = 'news/ferry.md'"
        )
        wait_for(lambda: "Ferry runs on time" in feed(project), 10, "the updated article")
        conn.execute("DELETE FROM feeds.articles WHERE key = 'news/ferry.md'")
        wait_for(lambda: "Ferry runs" not in feed(project), 10, "the deleted article gone")
    assert "listening for changes in the database" in daemons[0].log()
    assert daemons[0].stop() == 0


def test_a_terminated_session_is_logged_and_the_daemon_carries_on(
    project: Path, database_url: str, daemons: list[Daemon]
) -> None:
    daemons.append(Daemon(project, "one"))
    wait_for(lambda: "<channel>" in feed(project), 20, "the first build")
    with psycopg.connect(database_url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert killed and killed[0] >= 1
    wait_for(lambda: "reconnected to" in daemons[0].log(), 15, "the daemon reconnecting")
    insert(database_url, "news/after.md", "After the drop")
    wait_for(lambda: "After the drop" in feed(project), 15, "a change after the reconnection")
    log = daemons[0].log()
    assert "lost the session with the article database" in log or "no longer the leader" in log
    assert "Traceback" not in log


def test_the_server_going_away_and_coming_back(
    project: Path, database_url: str, daemons: list[Daemon], postgres_server
) -> None:
    daemons.append(Daemon(project, "one"))
    wait_for(lambda: "<channel>" in feed(project), 20, "the first build")
    insert(database_url, "news/before.md", "Before the outage")
    wait_for(lambda: "Before the outage" in feed(project), 15, "the first article")
    published = feed(project)
    postgres_server.stop()
    try:
        wait_for(
            lambda: "cannot reach the article database" in daemons[0].log(), 20, "the outage logged"
        )
        time.sleep(2)  # retries meanwhile, with backoff
        assert feed(project) == published  # the published feed stays as it was
        assert daemons[0].process.poll() is None
    finally:
        postgres_server.start()
    wait_for(lambda: "reconnected to" in daemons[0].log(), 20, "the daemon reconnecting")
    insert(database_url, "news/after.md", "After the outage")
    wait_for(lambda: "After the outage" in feed(project), 15, "a change after the outage")
    assert "Traceback" not in daemons[0].log()


def leader_of(group: list[Daemon]) -> Daemon | None:
    roles = [d.role() for d in group]
    if roles.count("leader") == 1 and roles.count("standby") == len(group) - 1:
        return group[roles.index("leader")]
    return None


def publishes(project: Path) -> list[dict]:
    path = project / "publishes.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def published_by(project: Path, path: str, since: float) -> set[int]:
    return {
        p["pid"]
        for p in publishes(project)
        if p["event"] == "end" and p["time"] >= since and path in p["paths"]
    }


def intervals(project: Path, killed: dict[int, float]) -> list[tuple[float, float, int]]:
    """Every publish step as (start, end, pid); one cut short by kill -9 ends at the kill."""
    found, open_steps = [], {}
    for event in publishes(project):
        if event["event"] == "start":
            open_steps[event["pid"]] = event["time"]
        else:
            found.append((open_steps.pop(event["pid"]), event["time"], event["pid"]))
    for pid, start in open_steps.items():
        found.append((start, killed.get(pid, float("inf")), pid))
    return sorted(found)


@pytest.mark.parametrize("count", [2, 3])
def test_one_leader_publishes_and_a_standby_takes_over_when_it_is_killed(
    count: int, project: Path, database_url: str, daemons: list[Daemon]
) -> None:
    for n in range(count):
        daemons.append(Daemon(project, f"daemon-{n}"))
    wait_for(lambda: leader_of(daemons) is not None, 20, "one leader, the others standbys")
    leader = leader_of(daemons)
    assert leader is not None
    wait_for(lambda: "<channel>" in feed(project), 20, "the leader's first build")

    start = time.time()
    insert(database_url, "news/one.md", "Story one")
    wait_for(lambda: "Story one" in feed(project), 10, "the first change")
    # The recording notes a step's end just after the file is replaced: wait for the note.
    wait_for(lambda: bool(published_by(project, "rss.xml", start)), 5, "the step's record")
    assert published_by(project, "rss.xml", start) == {leader.pid}

    status = json.loads(
        subprocess.run(
            [feeds_command(), "status", "--json"],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert status["role"] == "leader"
    assert (status["leader_host"], status["leader_pid"]) == (_host(), leader.pid)
    assert status["leader_since"]
    assert sorted(d["role"] for d in status["daemons"]) == ["leader"] + ["standby"] * (count - 1)
    text = subprocess.run(
        [feeds_command(), "status"], cwd=project, capture_output=True, text=True, check=True
    ).stdout
    assert f"leader:       {_host()} (pid {leader.pid}) since {status['leader_since']}" in text
    assert text.count(": standby since ") == count - 1
    state = json.loads((project / ".feeds-state" / "status.json").read_text(encoding="utf-8"))
    assert (state["role"], state["host"]) == ("leader", _host())

    killed_at = leader.kill()
    insert(database_url, "news/two.md", "Story two")
    took = wait_for(
        lambda: "Story two" in feed(project), 10, "a standby publishing the next change"
    )
    print(f"killed the leader -> the next change live in {took:.2f} s")
    survivors = [d for d in daemons if d is not leader]
    wait_for(lambda: bool(published_by(project, "rss.xml", killed_at)), 5, "the step's record")
    by = published_by(project, "rss.xml", killed_at)
    assert len(by) == 1 and by <= {d.pid for d in survivors}
    wait_for(lambda: leader_of(survivors) is not None, 10, "one leader among the survivors")

    # A standby sleeps through the changes it is told of: it does not spin.
    standbys = [d for d in survivors if d.role() == "standby"]
    before = [cpu_seconds(d.pid) for d in standbys]
    for n in range(20):
        insert(database_url, f"news/burst-{n}.md", f"Burst {n}")
    time.sleep(2)
    for daemon, used in zip(standbys, before, strict=True):
        assert cpu_seconds(daemon.pid) - used < 0.5

    restarted = Daemon(project, "restarted")
    daemons.append(restarted)
    wait_for(lambda: restarted.role() == "standby", 20, "the restarted daemon standing by")
    insert(database_url, "news/three.md", "Story three")
    wait_for(lambda: "Story three" in feed(project), 10, "the third change")
    group = [*survivors, restarted]
    assert leader_of(group) is not None
    assert "standby:" in restarted.log()

    for daemon in daemons:
        daemon.stop()
    steps = intervals(project, {leader.pid: killed_at})
    assert len({pid for *_, pid in steps}) >= 2  # the leader's, and its successor's
    latest_end, latest_pid = float("-inf"), None
    for begin, end, pid in steps:
        assert pid == latest_pid or begin >= latest_end, (
            f"pid {pid} began publishing at {begin} while pid {latest_pid} did until {latest_end}"
        )
        if end >= latest_end:
            latest_end, latest_pid = end, pid


def test_a_leader_whose_session_is_dropped_stops_publishing_and_one_daemon_leads(
    project: Path, database_url: str, daemons: list[Daemon]
) -> None:
    daemons.extend(Daemon(project, f"daemon-{n}") for n in range(2))
    wait_for(lambda: leader_of(daemons) is not None, 20, "one leader, one standby")
    wait_for(lambda: "<channel>" in feed(project), 20, "the leader's first build")
    with psycopg.connect(database_url, autocommit=True) as conn:
        dropped = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE 'feeds leader %'"
        ).fetchone()
    assert dropped == (1,)
    insert(database_url, "news/after.md", "After the drop")
    took = wait_for(lambda: "After the drop" in feed(project), 10, "the change published")
    print(f"dropped the leader's session -> the next change live in {took:.2f} s")
    wait_for(lambda: leader_of(daemons) is not None, 10, "again one leader, one standby")
    for daemon in daemons:
        daemon.stop()
    latest_end, latest_pid = float("-inf"), None
    for begin, end, pid in intervals(project, {}):
        assert pid == latest_pid or begin >= latest_end
        if end >= latest_end:
            latest_end, latest_pid = end, pid


def test_feeds_build_publishes_only_while_no_daemon_leads(
    project: Path, database_url: str, daemons: list[Daemon]
) -> None:
    build = [feeds_command(), "build", "--wait", "1"]
    done = subprocess.run(build, cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr  # nobody leads: the build does, for its duration
    daemons.append(Daemon(project, "one"))
    wait_for(lambda: daemons[0].role() == "leader", 20, "the daemon leading")
    done = subprocess.run(build, cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 8
    assert f"{_host()} (pid {daemons[0].pid}) leads the publishing" in done.stderr
