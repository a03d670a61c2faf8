"""Articles in PostgreSQL against the same articles in files: build times, and how soon a
committed change is live under `feeds run`.

    .venv/bin/python benchmarks/bench_postgres.py [--articles 100000] [--repeat 3]

It generates (or reuses) the seeded corpus of `make_corpus.py`, starts a PostgreSQL server of its
own on 127.0.0.1 (Debian's postgresql package; as the `postgres` user when run as root) unless
`--url` names one, imports the corpus with `feeds db import` and then times, as child processes:

- cold: a build with no state folder (no caches);
- no change: a build right after another;
- one edit: a build after one of the 50 newest Markdown articles got one more sentence;

for the file repository and the database alike (medians of `--repeat`), and then, with one
`feeds run` on the database, the time from the commit of an UPDATE (a new title for the newest
article) and of an INSERT (a new newest article) to the new title being in the published
rss.xml. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from run import NOW, child_env, compile_feeds, ensure_corpus, feeds_command, run_child


@contextlib.contextmanager
def server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free port; yields its URL."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    bindir = Path(found[-1]).parent if found else None
    if bindir is None:
        sys.exit("PostgreSQL is not installed: apt-get install postgresql (or pass --url)")
    root = Path(tempfile.mkdtemp(prefix="feeds-bench-pg-"))
    user = "postgres" if os.geteuid() == 0 else None
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def run(program: str, *args: str) -> None:
        command = [str(bindir / program), *args]
        subprocess.run(
            ["runuser", "-u", user, "--", *command] if user else command,
            check=True,
            capture_output=True,
        )

    data = root / "data"
    run("initdb", "-D", str(data), "-A", "trust", "-U", "feeds", "-E", "UTF8", "--no-locale")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root}"
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    try:
        yield f"postgresql://feeds@127.0.0.1:{port}/postgres"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


class Project:
    """One configuration of the corpus (files or database), with its own output and state."""

    def __init__(self, root: Path, name: str, url: str | None) -> None:
        self.root = root
        self.name = name
        text = (root / "config.toml").read_text(encoding="utf-8")
        text = text.replace('path = "output"', f'path = "output-{name}"')
        if url is not None:
            text = text.replace('path = "articles"', f'url = "{url}"')
        self.config = root / f"config-{name}.toml"
        self.config.write_text(text + f'\n[state]\npath = ".state-{name}"\n', encoding="utf-8")
        self.rss = root / f"output-{name}" / "rss.xml"

    def clean(self) -> None:
        shutil.rmtree(self.root / f"output-{self.name}", ignore_errors=True)
        shutil.rmtree(self.root / f".state-{self.name}", ignore_errors=True)

    def build(self) -> float:
        command = [*feeds_command(), "-q", "build", "-c", str(self.config), "--now", NOW]
        return run_child(command, self.root)[0]


def key_of(entry: dict) -> str:
    """The article's key in the database: its path in the repository."""
    return str(entry["feeds"]).removeprefix("articles/")


def newest_markdown(manifest: dict) -> list[dict]:
    return [e for e in manifest["newest"][:50] if e["kind"] != "wire"]


def edit_file(root: Path, entry: dict, i: int) -> None:
    with (root / entry["feeds"]).open("a", encoding="utf-8") as f:
        f.write(f"\nThe harbour office added this update in revision {i + 1}.\n")


def edit_row(url: str, entry: dict, i: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE feeds.articles SET body = body || %s WHERE key = %s",
            [f"\nThe harbour office added this update in revision {i + 1}.\n", key_of(entry)],
        )


def timings(project: Project, edit: Callable[[int], None], repeat: int) -> dict[str, float]:
    cold, warm, edited = [], [], []
    for i in range(repeat):
        project.clean()
        cold.append(project.build())
        warm.append(project.build())
        edit(i)
        edited.append(project.build())
    return {
        "cold": statistics.median(cold),
        "no change": statistics.median(warm),
        "one edit": statistics.median(edited),
    }


def latency(project: Project, url: str, manifest: dict, rounds: int) -> dict[str, list[float]]:
    """Seconds from a commit to its title in the published feed, under `feeds run`."""
    log = project.root / f"run-{project.name}.log"
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [*feeds_command(), "run", "-c", str(project.config)],
            cwd=project.root,
            stdout=out,
            stderr=out,
            env=child_env(),
        )
    found: dict[str, list[float]] = {"update": [], "insert": []}
    try:
        deadline = time.monotonic() + 600
        while "build (" not in log.read_text(errors="replace"):
            if time.monotonic() > deadline or daemon.poll() is not None:
                sys.exit(f"feeds run did not build: see {log}")
            time.sleep(0.1)
        key = key_of(newest_markdown(manifest)[0])
        with psycopg.connect(url, autocommit=True) as conn:
            for i in range(rounds):
                for kind in ("update", "insert"):
                    title = f"Latency probe {kind} {i} {time.time_ns()}"
                    if kind == "update":
                        conn.execute(
                            "UPDATE feeds.articles SET title = %s WHERE key = %s", [title, key]
                        )
                    else:
                        conn.execute(
                            "INSERT INTO feeds.articles (key, title, date, body)"
                            " VALUES (%s, %s, %s, 'A probe.')",
                            [f"news/probe-{i}.md", title, NOW],
                        )
                    committed = time.perf_counter()
                    while title not in _read(project.rss):
                        if time.perf_counter() - committed > 60:
                            sys.exit(f"{title!r} not live after 60 s: see {log}")
                        time.sleep(0.002)
                    found[kind].append(time.perf_counter() - committed)
                    time.sleep(0.5)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    parser.add_argument("--url", help="an existing PostgreSQL database to use (it is changed)")
    args = parser.parse_args()
    compile_feeds()
    corpus, manifest = ensure_corpus(args.workdir, args.articles, seed=1, regenerate=False)
    root = corpus / "feeds"
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(server())
        files = Project(root, "files", None)
        database = Project(root, "database", url)
        subprocess.run([*feeds_command(), "db", "init", "-c", str(database.config)], check=True)
        started = time.perf_counter()
        subprocess.run(
            [*feeds_command(), "-q", "db", "import", str(root / "articles"), "-c",
             str(database.config)],
            check=True,
        )  # fmt: skip
        imported = time.perf_counter() - started
        targets = newest_markdown(manifest)
        saved = {e["feeds"]: (root / e["feeds"]).read_bytes() for e in targets}
        try:
            by_file = timings(
                files, lambda i: edit_file(root, targets[i % len(targets)], i), args.repeat
            )
        finally:
            for path, data in saved.items():
                (root / path).write_bytes(data)
        by_row = timings(
            database, lambda i: edit_row(url, targets[i % len(targets)], i), args.repeat
        )
        live = latency(database, url, manifest, args.latency_rounds)
        for project in (files, database):
            project.clean()
            project.config.unlink()

    print(f"\n| {args.articles:,} articles | files s | PostgreSQL s |")
    print("|---|---:|---:|")
    for scenario in by_file:
        print(f"| {scenario} build | {by_file[scenario]:.2f} | {by_row[scenario]:.2f} |")
    print(f"| `feeds db import` | — | {imported:.1f} |")
    for kind, samples in live.items():
        print(
            f"| {kind} committed → live (median, max of {len(samples)}) | — |"
            f" {statistics.median(samples):.2f}, {max(samples):.2f} |"
        )


if __name__ == "__main__":
    main()
