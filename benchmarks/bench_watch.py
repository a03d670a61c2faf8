"""Compare ways of noticing a change in a 100,000-file repository: today's stat scan, watchfiles
(Rust's notify) and watchdog (inotify through ctypes) -- the measurements issue 16 chose by.

Run: .venv/bin/python benchmarks/bench_watch.py [--files 100000] [--folders 400] [--idle 30]
     [--samples 20] [--methods poll,watchfiles:10,watchfiles:50,watchdog,feeds]

The tree is generated once under ``--workdir`` (default /tmp/feeds-bench-watch) and reused. Each
method runs in its own worker process (so memory is its own) and measures:

- setup: from nothing to every folder watched (recursive inotify watches; for the scan, the
  first snapshot);
- memory: the worker's resident memory added by the setup (kernel memory for inotify watches,
  about 1 KiB each, is not in it) and the number of inotify watches it holds;
- latency: from ``os.rename`` of one article file to the consumer holding the event for it
  (median and max over ``--samples`` renames, in random folders, 0.2 s apart);
- idle CPU: user + system time of the worker while waiting for changes that never come, over
  ``--idle`` seconds, as a share of one core.

``feeds`` is what the daemon runs: `feeds.daemon.watch.RepositoryWatch` on watchdog, with the
reader's ignore rules and a look at the repository folder every second. ``watchfiles:N`` waits
with ``RustNotify.watch`` stepping every N ms (its default is 50; the
step bounds both its latency, about two steps, and its idle wake-ups). Install both libraries
first (``pip install watchfiles watchdog``); a missing one is reported, not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def make_tree(root: Path, files: int, folders: int) -> Path:
    """`files` small Markdown files spread over `folders` folders (sections of 20), made once."""
    tree = root / f"tree-{files}-{folders}"
    done = tree / ".complete"
    if done.exists():
        return tree
    per = -(-files // folders)
    made = 0
    for n in range(folders):
        folder = tree / f"section-{n // 20:02d}" / f"folder-{n:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(min(per, files - made)):
            (folder / f"story-{i:04d}.md").write_text(
                f"---\ntitle: Story {n}-{i}\ndate: 2025-01-01\n---\nA line of text.\n",
                encoding="utf-8",
            )
        made += per
    done.touch()
    return tree


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def inotify_watches() -> int:
    sys.path.insert(0, str(REPO))
    from feeds.daemon.inotify import inotify_watch_count  # noqa: PLC0415

    return inotify_watch_count()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Method:
    """What a worker measures: start watching, wait for a path, wait idly."""

    def prepare(self) -> None:
        """Import what it needs (not counted in setup time or memory)."""

    def start(self, tree: Path) -> None:
        raise NotImplementedError

    def wait_for(self, path: str, deadline: float) -> bool:
        raise NotImplementedError

    def idle(self, seconds: float) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop watching."""


class Poll(Method):
    """The scan (before issue 16 the only watcher): snapshots, every max(0.5 s, 10 x a scan)."""

    def prepare(self) -> None:
        sys.path.insert(0, str(REPO))
        import feeds.daemon.watch  # noqa: PLC0415, F401

    def start(self, tree: Path) -> None:
        from feeds.daemon.watch import PollFeed  # noqa: PLC0415

        self.watcher = PollFeed(tree)

    def wait_for(self, path: str, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.watcher.poll():
                return True
            time.sleep(self.watcher.scan_seconds)
        return False

    def idle(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(min(self.watcher.scan_seconds, max(0.0, end - time.monotonic())))
            self.watcher.poll()


class Watchfiles(Method):
    def __init__(self, step_ms: int) -> None:
        self.step_ms = step_ms
        self.stop_event = threading.Event()

    def prepare(self) -> None:
        import watchfiles._rust_notify  # noqa: PLC0415, F401

    def start(self, tree: Path) -> None:
        from watchfiles._rust_notify import RustNotify  # noqa: PLC0415

        self.notify = RustNotify([str(tree)], False, False, 300, True, False)

    def wait_for(self, path: str, deadline: float) -> bool:
        while time.monotonic() < deadline:
            left = max(1, int((deadline - time.monotonic()) * 1000))
            got = self.notify.watch(1000, self.step_ms, left, self.stop_event)
            if isinstance(got, set) and any(p == path for _, p in got):
                return True
        return False

    def idle(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.notify.watch(1000, self.step_ms, max(1, int(min(2.0, left) * 1000)), None)

    def stop(self) -> None:
        self.notify.close()


class Watchdog(Method):
    def prepare(self) -> None:
        import watchdog.events  # noqa: PLC0415
        import watchdog.observers.inotify  # noqa: PLC0415, F401

    def start(self, tree: Path) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler  # noqa: PLC0415
        from watchdog.observers.inotify import InotifyObserver  # noqa: PLC0415

        self.seen: set[str] = set()
        self.cond = threading.Condition()
        method = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                with method.cond:
                    method.seen.add(os.fsdecode(event.src_path))
                    if event.dest_path:
                        method.seen.add(os.fsdecode(event.dest_path))
                    method.cond.notify_all()

        self.observer = InotifyObserver()
        self.observer.schedule(Handler(), str(tree), recursive=True)
        self.observer.start()

    def wait_for(self, path: str, deadline: float) -> bool:
        with self.cond:
            while path not in self.seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            self.seen.clear()
            return True

    def idle(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        with self.cond:
            while (left := end - time.monotonic()) > 0:
                self.cond.wait(min(2.0, left))

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join()


class Feeds(Method):
    """What feeds runs: RepositoryWatch ("auto": watchdog, the ignore rules, the root check)."""

    def prepare(self) -> None:
        sys.path.insert(0, str(REPO))
        import feeds.daemon.inotify  # noqa: PLC0415
        import feeds.daemon.watch  # noqa: PLC0415, F401

    def start(self, tree: Path) -> None:
        from feeds.daemon.watch import RepositoryWatch  # noqa: PLC0415

        self.feed = RepositoryWatch(tree, "auto", threading.Event())
        assert self.feed.method == "inotify", self.feed.describe()
        self.root = str(tree)

    def wait_for(self, path: str, deadline: float) -> bool:
        key = path[len(self.root) + 1 :]
        while (left := deadline - time.monotonic()) > 0:
            got = self.feed.wait(left)
            if got and key in got:
                return True
        return False

    def idle(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.feed.wait(min(2.0, left))  # as the daemon does: at most 2 s at a time

    def stop(self) -> None:
        self.feed.close()


def make_method(name: str) -> Method:
    if name == "poll":
        return Poll()
    if name == "feeds":
        return Feeds()
    if name.startswith("watchfiles"):
        _, _, step = name.partition(":")
        return Watchfiles(int(step or 50))
    if name == "watchdog":
        return Watchdog()
    raise SystemExit(f"unknown method {name}")


def worker(name: str, tree: Path, samples: int, idle: float) -> dict[str, Any]:
    method = make_method(name)
    method.prepare()
    before = rss_kib()
    started = time.perf_counter()
    method.start(tree)
    setup = time.perf_counter() - started
    memory = rss_kib() - before
    watches = inotify_watches()
    rng = random.Random(16)
    folders = sorted(p for p in tree.glob("section-*/folder-*"))
    latencies: list[float] = []
    missed = 0
    time.sleep(0.5)
    for n in range(samples):
        folder = rng.choice(folders)
        old = folder / "story-0000.md"
        new = folder / f"renamed-{n}.md"
        old.rename(new)
        t0 = time.perf_counter()
        ok = method.wait_for(str(new), time.monotonic() + 60)
        t1 = time.perf_counter()
        new.rename(old)
        if ok:
            latencies.append(t1 - t0)
        else:
            missed += 1
        time.sleep(0.2)
        method.wait_for("\0", time.monotonic() + 0.3)  # drain the rename back
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    method.idle(idle)
    idle_cpu = (cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
    method.stop()
    return {
        "method": name,
        "setup_s": setup,
        "rss_added_mib": memory / 1024,
        "watches": watches,
        "latency_median_ms": 1000 * statistics.median(latencies) if latencies else None,
        "latency_max_ms": 1000 * max(latencies) if latencies else None,
        "missed": missed,
        "idle_cpu_percent": 100 * idle_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--folders", type=int, default=400)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench-watch"))
    parser.add_argument("--methods", default="poll,watchfiles:10,watchfiles:50,watchdog,feeds")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.tree, args.samples, args.idle)))
        return
    started = time.perf_counter()
    tree = make_tree(args.workdir, args.files, args.folders)
    print(
        f"tree: {tree} ({args.files:,} files, {args.folders} folders; ready in "
        f"{time.perf_counter() - started:.1f} s)"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for name in args.methods.split(","):
        command = [
            sys.executable,
            __file__,
            "--worker",
            name,
            "--tree",
            str(tree),
            "--samples",
            str(args.samples),
            "--idle",
            str(args.idle),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{name}: not measured ({last})")
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print()
    print(
        "| method | setup | RSS added | inotify watches | rename → event, median / max "
        "| idle CPU (one core) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        latency = (
            f"{row['latency_median_ms']:.0f} ms / {row['latency_max_ms']:.0f} ms"
            if row["latency_median_ms"] is not None
            else "-"
        )
        if row["missed"]:
            latency += f" ({row['missed']} missed)"
        print(
            f"| {row['method']} | {row['setup_s']:.2f} s | {row['rss_added_mib']:.1f} MiB "
            f"| {row['watches']} | {latency} | {row['idle_cpu_percent']:.2f} % |"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
