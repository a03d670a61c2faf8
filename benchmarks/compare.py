"""Two versions of feeds side by side on one corpus, alternately, in one run (this machine is
shared and noisy: numbers taken at different times do not compare).

    .venv/bin/python benchmarks/compare.py --baseline /path/to/old/.venv/bin/feeds

The baseline is any `feeds` executable (an older checkout installed in its own venv); the
candidate is this interpreter's. Each version builds the same corpus into its own output and
state folders, cold, warm (nothing changed) and after a one-article edit, alternating which runs
first. Prints the median wall time of each and the candidate/baseline ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from run import (
    NOW,
    Changes,
    child_env,
    ensure_corpus,
    feeds_command,
    run_child,
    scenario_changes,
)

SCENARIOS = ("cold", "warm", "edit")


def compile_tree(executable: str) -> None:
    """Compile the package behind `executable` once, as `pip install` would have."""
    python = Path(executable).with_name("python")
    code = (
        "import compileall, os, feeds;"
        " compileall.compile_dir(os.path.dirname(feeds.__file__), quiet=1)"
    )
    subprocess.run([str(python), "-c", code], check=True, env=child_env())


class Version:
    """One feeds executable building the corpus into folders of its own."""

    def __init__(self, name: str, command: list[str], corpus: Path) -> None:
        self.name = name
        self.root = corpus / "feeds"
        config = (self.root / "config.toml").read_text(encoding="utf-8")
        self.config = self.root / f"config-{name}.toml"
        self.config.write_text(
            config + f'\n[state]\npath = ".feeds-state-{name}"\n', encoding="utf-8"
        )
        text = self.config.read_text(encoding="utf-8")
        self.config.write_text(
            text.replace('path = "output"', f'path = "output-{name}"'), encoding="utf-8"
        )
        self.command = [*command, "-q", "build", "-c", str(self.config), "--now", NOW]

    def clean(self) -> None:
        shutil.rmtree(self.root / f"output-{self.name}", ignore_errors=True)
        shutil.rmtree(self.root / f".feeds-state-{self.name}", ignore_errors=True)

    def run(self) -> float:
        wall, _, _ = run_child(self.command, self.root)
        return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="path of the older `feeds` executable")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench"))
    args = parser.parse_args()
    candidate = feeds_command()
    for executable in (args.baseline, candidate[0]):
        compile_tree(executable)
    corpus, manifest = ensure_corpus(args.workdir, args.size, seed=1, regenerate=False)
    if 'path = "output"' not in (corpus / "feeds" / "config.toml").read_text(encoding="utf-8"):
        sys.exit('the corpus configuration has no `path = "output"` to redirect')
    versions = [
        Version("baseline", [args.baseline], corpus),
        Version("candidate", candidate, corpus),
    ]
    print(f"| {args.size:,} articles | baseline s | candidate s | ratio |")
    print("|---|---:|---:|---:|")
    for scenario in SCENARIOS:
        times: dict[str, list[float]] = {v.name: [] for v in versions}
        with scenario_changes(corpus, manifest) as changes:
            for version in versions:
                version.clean()
                if scenario != "cold":
                    version.run()  # prime, not timed
            for i in range(args.repeat):
                if scenario == "edit":
                    Changes.edit(changes, i)
                for version in versions if i % 2 == 0 else versions[::-1]:
                    if scenario == "cold":
                        version.clean()
                    times[version.name].append(version.run())
        base, cand = (statistics.median(times[v.name]) for v in versions)
        print(f"| {scenario} | {base:.3f} | {cand:.3f} | {cand / base:.3f} |", flush=True)
    for version in versions:
        version.clean()
        version.config.unlink()


if __name__ == "__main__":
    main()
