"""The daemon's resident index against today's daemon build (the disk caches), on one corpus.

    python benchmarks/bench_index.py [--sizes 10000,100000] [--timed 30] [--edits 5000]
                                     [--edits-size 10000] [--workdir /tmp/feeds-bench]

For each size it makes (or reuses, see ``run.py``) the corpus, then in child processes, one per
path, saves one of the newest articles again and again and times each build after a save:

- ``today``: what a daemon build did before the index: ``publish_recorded`` with the disk
  caches (list and stat the repository, load the caches, scan, render, compare, save);
- ``index``: the same build through a `ResidentIndex` told the saved path (as the watcher
  tells it).

Both share one state folder (the index's first build finds the disk caches the ``today`` runs
left, as a restarted daemon would) and one output folder. ``--edits`` saves through the index
that many times at ``--edits-size`` articles and prints the resident memory (RSS) after the
first build, after 1,000 saves and at the end: it must stay flat. The articles are restored
afterwards. Prints a Markdown table (medians; the load average with it).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_corpus  # noqa: E402 - beside this script
import run  # noqa: E402


def rss_mb() -> float:
    """This process's resident set size now, MiB (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_config(corpus: Path, folder: Path) -> Path:
    """The corpus's configuration with the output and state in `folder`."""
    text = (corpus / "feeds" / "config.toml").read_text(encoding="utf-8")
    articles = corpus / "feeds" / "articles"
    text = text.replace('path = "articles"', f'path = "{articles}"')
    text = text.replace('path = "output"', f'path = "{folder / "output"}"')
    text += f'\n[state]\npath = "{folder / "state"}"\n'
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def child(args: argparse.Namespace) -> None:
    """One path at one size, in this process: prints one JSON line."""
    from feeds.build import publish, publish_recorded  # noqa: PLC0415
    from feeds.config import load_config  # noqa: PLC0415
    from feeds.index import ResidentIndex  # noqa: PLC0415

    corpus, manifest = run.ensure_corpus(args.workdir, args.size, args.seed, False)
    config = load_config(write_config(corpus, args.folder))
    now = make_corpus.NOW
    index = ResidentIndex(config) if args.path == "index" else None
    publisher = functools.partial(publish, index=index) if index else publish
    started = time.perf_counter()
    publish_recorded(config, now=now, wait=60, publisher=publisher)
    first = time.perf_counter() - started
    rss: dict[str, float] = {"0": rss_mb()}
    times: list[float] = []
    articles = corpus / "feeds"
    with run.scenario_changes(corpus, manifest) as changes:
        targets = changes.text_targets
        for i in range(args.count):
            entry = targets[i % len(targets)]
            path = articles / entry["feeds"]
            changes._save(path)
            path.write_bytes(changes.saved[path] + f"\nRevision {i % 7} of the story.\n".encode())
            if index is not None:
                index.changed([path.relative_to(config.repository).as_posix()])
            started = time.perf_counter()
            result = publish_recorded(config, now=now, wait=60, publisher=publisher)
            times.append(time.perf_counter() - started)
            if result.written is None or result.problems:
                raise SystemExit(f"unexpected build: {result.summary()}")
            if i + 1 in (1000, args.count):
                rss[str(i + 1)] = rss_mb()
    print(json.dumps({"first": first, "times": times, "rss": rss}))


def run_child(path: str, size: int, count: int, folder: Path, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        path,
        "--size",
        str(size),
        "--count",
        str(count),
        "--folder",
        str(folder),
        "--workdir",
        str(args.workdir),
        "--seed",
        str(args.seed),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{path} at {size:,} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--timed", type=int, default=30, help="timed saves per size and path")
    parser.add_argument("--edits", type=int, default=5000, help="saves for the memory check")
    parser.add_argument("--edits-size", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", choices=("today", "index"))
    parser.add_argument("--size", type=int)
    parser.add_argument("--count", type=int)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        args.path = args.child
        child(args)
        return 0
    run.compile_feeds()
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        run.ensure_corpus(args.workdir, size, args.seed, False)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            today = run_child("today", size, args.timed, folder, args)
            index = run_child("index", size, args.timed, folder, args)
        rows.append((size, today, index))
        print(f"{size:,}: done", file=sys.stderr, flush=True)
    memory = None
    if args.edits:
        with tempfile.TemporaryDirectory() as tmp:
            memory = run_child("index", args.edits_size, args.edits, Path(tmp), args)
    print(f"machine: {run.machine()}; load average {os.getloadavg()[0]:.2f} at the end")
    print()
    print(
        "| articles | path | first build (s) | one save, median (s) | max (s) | RSS after (MiB) |"
    )
    print("|---:|---|---:|---:|---:|---:|")
    for size, today, index in rows:
        for name, got in (("today (disk caches)", today), ("resident index", index)):
            times = got["times"]
            print(
                f"| {size:,} | {name} | {got['first']:.2f} | {statistics.median(times):.3f}"
                f" | {max(times):.3f} | {max(got['rss'].values()):.0f} |"
            )
    if memory is not None:
        print()
        print(
            f"memory over {args.edits:,} saves through the index at {args.edits_size:,} articles:"
        )
        for after, mb in memory["rss"].items():
            print(f"  RSS after {int(after):,} saves: {mb:.1f} MiB")
        print(f"  median build {statistics.median(memory['times']):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
