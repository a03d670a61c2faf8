"""Benchmark archived feeds (RFC 5005): cold builds with archives off and on, and one new article.

    python benchmarks/bench_archives.py [--sizes 10000,100000] [--workdir /tmp/feeds-bench]

For each size it uses (or generates) the corpus of ``make_corpus.py`` (dates spread over five
years: sixty closed months) and builds it, as ``feeds -q build`` subprocesses, with two
configurations side by side: the corpus's own (one feed, newest 50, RSS + Atom) and the same
with ``archive = "monthly"``. Each has its own output and state folders. Measured per child:
wall time, CPU time, peak RSS (``os.wait4``), and the output files created or rewritten
(mtimes compared). Rows:

- ``cold``: no output, no state;
- ``add``: one article newer than all others, dated in the open month, added after the cold
  build (the same article for both configurations, removed afterwards): with archives on it
  must rewrite the subscription documents and the index page only, no archive.

The builds run at the corpus's NOW plus two hours (``--now``), so that January is open.

The corpus is left as it was found.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # the measuring helpers of the main benchmark

ARCHIVES = 'archive = "monthly"\n'
# The corpus is dated up to its NOW (midnight, 1 January): its open month would be empty. The
# builds run two hours later, and the new article is dated an hour after NOW: in the open month.
BUILD_NOW = (run.make_corpus.NOW + timedelta(hours=2)).isoformat()


class OpenMonthChanges(run.Changes):
    """`run.Changes`, but the new article is dated in the open month (after the corpus's NOW):
    the ordinary case of a story published today."""

    def add(self, i: int) -> None:
        maker = run.make_corpus
        rng = random.Random(self.manifest["seed"] * 1000 + i)
        text = maker.TextMaker(rng, pool_size=200)
        date = maker.NOW + timedelta(hours=1, minutes=i)
        article = maker.new_article(
            rng, text, self.manifest["articles"] + i, date, "yaml", with_image=True
        )
        pool = [(self.corpus / p).read_bytes() for p in self.manifest["pool"]]
        entry = maker.write_article(self.corpus, article, pool, set())
        self.created += [self.feeds / entry.feeds, self.hugo / Path(entry.hugo).parent]
        if entry.feeds_image:
            self.created.append(self.feeds / entry.feeds_image)


def configs(corpus: Path) -> dict[str, Path]:
    """The two configurations, each with its own output and state folder."""
    root = corpus / "feeds"
    base = (root / "config.toml").read_text(encoding="utf-8")
    found = {}
    for label, extra in (("off", ""), ("on", ARCHIVES)):
        text = base.replace('path = "output"', f'path = "output-archives-{label}"')
        text += extra + f'\n[state]\npath = ".feeds-state-archives-{label}"\n'
        path = root / f"config-archives-{label}.toml"
        path.write_text(text, encoding="utf-8")
        found[label] = path
    return found


def build(config: Path) -> tuple[float, float, float]:
    cmd = [*run.feeds_command(), "-q", "build", "-c", str(config), "--now", BUILD_NOW]
    return run.run_child(cmd, config.parent)


def measure(corpus: Path, manifest: dict, *, cold: bool = True) -> list[str]:
    rows = []
    paths = configs(corpus)
    root = corpus / "feeds"
    size = manifest["articles"]
    results: dict[tuple[str, str], tuple[float, float, float, int, int]] = {}
    if not cold:  # the outputs of an earlier run, brought up to date (untimed)
        for label, config in paths.items():
            run.progress(f"{size:,} articles, archives {label}: untimed build")
            build(config)
    for label in paths if cold else ():
        shutil.rmtree(root / f"output-archives-{label}", ignore_errors=True)
        shutil.rmtree(root / f".feeds-state-archives-{label}", ignore_errors=True)
    for label, config in paths.items() if cold else ():
        out = root / f"output-archives-{label}"
        run.progress(f"{size:,} articles, archives {label}: cold build")
        wall, cpu, peak = build(config)
        after = run.snapshot(out)
        archives = sum(1 for name in after if name.startswith("archive/"))
        results[("cold", label)] = (wall, cpu, peak, len(after), archives)
    changes = OpenMonthChanges(corpus, manifest)
    try:
        changes.add(0)
        for label, config in paths.items():
            out = root / f"output-archives-{label}"
            before = run.snapshot(out)
            run.progress(f"{size:,} articles, archives {label}: one new article")
            wall, cpu, peak = build(config)
            changed = run.changed_files(before, run.snapshot(out))
            feeds = {p for p in changed if not p.startswith("media/")}
            archives = sum(1 for p in changed if p.startswith("archive/"))
            results[("add", label)] = (wall, cpu, peak, len(feeds), archives)
            print(f"  archives {label}, one new article rewrote: {sorted(feeds)}", file=sys.stderr)
    finally:
        changes.undo()
    for scenario in ("cold", "add") if cold else ("add",):
        for label in ("off", "on"):
            wall, cpu, peak, files, archives = results[(scenario, label)]
            what = "files written" if scenario == "cold" else "files rewritten (not media)"
            rows.append(
                f"| {size:,} | {scenario} | {label} | {wall:.2f} | {cpu:.2f} | {peak:.0f} |"
                f" {files} {what} | {archives} |"
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--add-only",
        action="store_true",
        help="no cold builds: bring the outputs of an earlier run up to date, then add one",
    )
    args = parser.parse_args(argv)
    run.compile_feeds()
    rows = [
        "| size | build | archives | wall s | CPU s | peak MB | output files | archive files |",
        "|---:|---|---|---:|---:|---:|---|---:|",
    ]
    for size in (int(s) for s in args.sizes.split(",")):
        corpus, manifest = run.ensure_corpus(args.workdir, size, args.seed, regenerate=False)
        rows += measure(corpus, manifest, cold=not args.add_only)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
