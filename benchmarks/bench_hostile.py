"""Build each hostile worst case (issue 12) and print how long it takes, before and after.

    .venv/bin/python benchmarks/bench_hostile.py [--baseline /old/.venv/bin/feeds]

Each case is a repository of one article (plus the sample's config): the same bytes for both
versions, built cold (no output, no state) as a subprocess, `--repeat` times; the table shows
the median wall time, or "> T s" when a build ran past `--timeout` and was stopped. With
`--baseline`, the older executable builds each case too (alternately, first on even runs), so
that both columns come from one run on this shared machine.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

NOW = "2026-11-25T12:00:00+00:00"

CONFIG = """\
[site]
title = "Hostile"
url = "https://news.example.org/"
language = "en"
timezone = "UTC"

[repository]
path = "articles"

[output]
path = "output"

[state]
path = ".state"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]
limit = 50
"""

PER_TAG = """
[[feeds]]
name = "tags"
per = ["tag"]
title = "Hostile: {value}"
formats = ["rss", "atom"]
limit = 20
"""


def front(title: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: 2026-05-01T10:00:00Z\nauthor: Jo Smith\n{extra}---\n"


def png(index: int) -> bytes:
    """A small PNG that differs from every other index (so every file is copied)."""
    from PIL import Image  # noqa: PLC0415 - only the image cases need Pillow

    picture = Image.new("RGB", (4, 4), (index % 256, index // 256 % 256, 7))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def nested_quotes(root: Path) -> None:
    (root / "quotes.md").write_text(front("Quotes") + "> " * 50_000 + "deep\n")


def nested_divs(root: Path) -> None:
    (root / "divs.md").write_text(front("Divs") + "<div>" * 100_000 + "deep\n")


def many_paragraph_tags(root: Path) -> None:
    (root / "paras.md").write_text(front("Paragraphs") + "<p>" * 40_000 + "text\n")


def tags(count: int) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        listed = "".join(f"  - tag number {i}\n" for i in range(count))
        (root / "tags.md").write_text(front("Tags", f"tags:\n{listed}") + "Body text.\n")

    return make


def images(root: Path) -> None:
    bundle = root / "album"
    bundle.mkdir()
    lines = []
    for i in range(2_500):
        (bundle / f"photo-{i:04}.png").write_bytes(png(i))
        lines.append(f"![Photo {i}](photo-{i:04}.png)\n")
    (bundle / "index.md").write_text(front("Album") + "\n".join(lines))


def one_image_many_times(root: Path) -> None:
    (root / "pixel.png").write_bytes(png(1))
    body = "".join(f"Line {i} ![a pixel](pixel.png)\n\n" for i in range(20_000))
    (root / "pixel-story.md").write_text(front("Pixel") + body)


FIVE_MIB = 5 * 1024 * 1024 - 64 * 1024  # the default repository.max_article_bytes, less room


def big_prose(root: Path) -> None:
    paragraph = (
        "The *harbour* council met on **Tuesday** to discuss the [breakwater](https://x.org/b) "
        "and voted to repair it before winter; the fishing crews welcomed the decision.\n\n"
    )
    items = "".join(f"- item {i} with `code` and _emphasis_\n" for i in range(20)) + "\n"
    unit = paragraph * 8 + "## A heading\n\n" + items + "> A quote from the mayor.\n\n"
    text = unit * (FIVE_MIB // len(unit))
    (root / "prose.md").write_text(front("Prose") + text)


def big_hostile(root: Path) -> None:
    """5 MiB of every nesting attack at once: quotes, lists, divs, a run of <p> tags."""
    part = FIVE_MIB // 4
    text = (
        "> " * (part // 2)
        + "x\n\n"
        + ("".join("  " * i + "- l\n" for i in range(300)) + "\n") * (part // 91_000)
        + "\n"
        + "<div>" * (part // 5)
        + "\n\n"
        + "<p>" * (part // 3)
        + "\n"
    )
    (root / "hostile.md").write_text(front("Hostile") + text[: FIVE_MIB - 200])


CASES: dict[str, tuple[str, Callable[[Path], None], bool]] = {
    "quotes": ("50,000 nested `> ` (100 KB)", nested_quotes, False),
    "divs": ("100,000 nested `<div>` (500 KB)", nested_divs, False),
    "paragraphs": ("40,000 `<p>` in a row (the summary)", many_paragraph_tags, False),
    "tags-400": ("400 tags, per-tag feeds", tags(400), True),
    "tags-3000": ("3,000 tags, per-tag feeds", tags(3_000), True),
    "images": ("2,500 images in one article", images, False),
    "inline": ("20,000 references to one inline image", one_image_many_times, False),
    "prose-5mib": ("a 5 MiB article of ordinary Markdown", big_prose, False),
    "hostile-5mib": ("a 5 MiB article of nested quotes, lists, divs and <p>", big_hostile, False),
}


def make_case(workdir: Path, name: str) -> Path:
    """The case's repository (made once; `--regenerate` makes it anew)."""
    folder = workdir / name
    done = folder / ".made"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "articles").mkdir(parents=True)
    _, make, per_tag = CASES[name]
    make(folder / "articles")
    (folder / "config.toml").write_text(CONFIG + (PER_TAG if per_tag else ""))
    done.touch()
    return folder


def build(executable: str, case: Path, label: str, timeout: float) -> float | None:
    """One cold build's wall time, or None when it ran past `timeout` (it is stopped)."""
    config = case / f"config-{label}.toml"
    text = (case / "config.toml").read_text()
    config.write_text(
        text.replace('path = "output"', f'path = "output-{label}"').replace(
            'path = ".state"', f'path = ".state-{label}"'
        )
    )
    shutil.rmtree(case / f"output-{label}", ignore_errors=True)
    shutil.rmtree(case / f".state-{label}", ignore_errors=True)
    command = [executable, "-q", "build", "-c", str(config), "--now", NOW]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return None
    wall = time.perf_counter() - started
    if child.returncode not in (0, 4):  # 4: some article problems (a case may have some)
        message = err.decode(errors="replace").strip().splitlines()[-3:]
        print(f"  {label} on {case.name}: exit {child.returncode}: {message}", file=sys.stderr)
    return wall


def shown(times: list[float | None], timeout: float) -> str:
    if any(t is None for t in times):
        return f"> {timeout:.0f} s"
    return f"{statistics.median(t for t in times if t is not None):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="an older `feeds` executable to compare with")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per build")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench-hostile"))
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    candidate = str(Path(sys.executable).with_name("feeds"))
    versions = [("candidate", candidate)]
    if args.baseline:
        versions.insert(0, ("baseline", args.baseline))
    names = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; choose from {sorted(CASES)}")
    header = "| case | " + " | ".join(label for label, _ in versions) + " |"
    rows = [header, "|---|" + "---|" * len(versions)]
    for name in names:
        if args.regenerate:
            shutil.rmtree(args.workdir / name, ignore_errors=True)
        case = make_case(args.workdir, name)
        times: dict[str, list[float | None]] = {label: [] for label, _ in versions}
        for run in range(args.repeat):
            order = versions if run % 2 == 0 else versions[::-1]
            for label, executable in order:
                times[label].append(build(executable, case, label, args.timeout))
        cells = " | ".join(shown(times[label], args.timeout) for label, _ in versions)
        rows.append(f"| {CASES[name][0]} | {cells} |")
        print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
