"""Benchmark building feeds of many articles with large photos: cold, then warm.

    python benchmarks/images.py [--count 1000] [--width 6000] [--height 4000] [--repeat 1]
                                [--workdir /tmp/feeds-bench-images] [--regenerate]

Generates (once, under --workdir) a repository of --count Markdown articles, each with its own
large JPEG (camera-sized by default: 6000 x 4000), and a configuration whose one feed (RSS, Atom
and JSON Feed) carries every article, so every photo is published: as a 2048 px rendition with a
400 px thumbnail. Then it times `feeds -q build` as a subprocess (wall time, CPU time and peak
RSS of the child, from os.wait4) in three scenarios:

- cold: no output, no state: every rendition and thumbnail is made.
- warm, nothing changed: the build finds every input and output as it left them.
- warm, renditions cached: the entry cache is deleted, so every article is read and rendered
  again and every photo read and hashed, but the renditions come from the rendition cache
  (<state>/cache/media/) instead of being made again.

The photos share their pixels (one smooth, noisy picture, so that decoding costs what a real
photo's does) and differ in a JPEG comment, so each has its own content digest and its own
renditions. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

NOW = "2026-06-01T12:00:00+00:00"


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    peak_mb: float


def generate(root: Path, count: int, width: int, height: int) -> None:
    """The repository and configuration (made once; a marker says it is complete)."""
    from PIL import Image, ImageFilter  # noqa: PLC0415 - only when the corpus is made

    marker = root / ".complete"
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    images = root / "articles/news/images"
    images.mkdir(parents=True)
    noise = Image.effect_noise((width // 8, height // 8), 24).resize((width, height))
    gradient = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge(
        "RGB", (gradient, Image.blend(gradient, noise, 0.3), noise.filter(ImageFilter.BLUR))
    )
    base = root / "base.jpg"
    picture.save(base, quality=85)
    data = base.read_bytes()
    for number in range(count):
        comment = f"photo {number:05d}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        (images / f"photo-{number:05d}.jpg").write_bytes(data[:2] + segment + data[2:])
        day = 1 + number % 28
        (root / f"articles/news/story-{number:05d}.md").write_text(
            f"---\ntitle: Story {number}\ndate: 2026-05-{day:02d}T{number % 24:02d}:"
            f"{number % 60:02d}:00+00:00\nimage: images/photo-{number:05d}.jpg\n"
            f"image_alt: Photo {number}\nimage_caption: Caption of photo {number}.\n"
            f"image_credit: Photographer {number % 17}\n---\nThe story of photo {number}.\n",
            encoding="utf-8",
        )
    (root / "config.toml").write_text(
        '[site]\ntitle = "Bench"\nurl = "https://bench.example.org/"\n\n'
        "[repository]\nmax_image_bytes = 104857600\n\n"
        f'[[feeds]]\nname = "main"\nformats = ["rss", "atom", "json"]\nlimit = {count}\n',
        encoding="utf-8",
    )
    marker.touch()


def run_build(root: Path) -> Sample:
    command = [sys.executable, "-m", "feeds", "-q", "build", "-c", str(root / "config.toml")]
    started = time.perf_counter()
    child = subprocess.Popen([*command, "--now", NOW], cwd=root)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"feeds build failed with status {os.waitstatus_to_exitcode(status)}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/feeds-bench-images"))
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    root = args.workdir / f"{args.count}-{args.width}x{args.height}"
    if args.regenerate:
        shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    # In a child process: the builds are forked from this one, and would start with (and
    # report as their peak) the memory that making the corpus took.
    maker = multiprocessing.get_context("fork").Process(
        target=generate, args=(root, args.count, args.width, args.height)
    )
    maker.start()
    maker.join()
    if maker.exitcode != 0:
        raise SystemExit("making the corpus failed")
    photo_bytes = sum(p.stat().st_size for p in (root / "articles/news/images").iterdir())
    ready = time.perf_counter() - started
    print(
        f"corpus: {args.count} articles, {args.count} photos of {args.width} x {args.height}"
        f" ({photo_bytes / 2**20:.0f} MiB) in {root} (ready in {ready:.0f} s)"
    )
    state, output = root / ".feeds-state", root / "output"
    samples: dict[str, list[Sample]] = {"cold": [], "warm": [], "renditions cached": []}
    for _ in range(args.repeat):
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(output, ignore_errors=True)
        samples["cold"].append(run_build(root))
        samples["warm"].append(run_build(root))
        for name in ("entries.pickle", "last-build.json"):
            (state / "cache" / name).unlink(missing_ok=True)
        samples["renditions cached"].append(run_build(root))
    media = list((output / "media").rglob("*.jpg"))
    published = sum(p.stat().st_size for p in media)
    print(
        f"published: {len(media)} files in output/media ({published / 2**20:.0f} MiB);"
        f" {os.cpu_count()} cores"
    )
    print()
    print("| scenario | median wall s | median CPU s | peak MB | per photo ms (wall) |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in samples.items():
        wall = statistics.median(s.wall for s in runs)
        cpu = statistics.median(s.cpu for s in runs)
        peak = max(s.peak_mb for s in runs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {1000 * wall / args.count:.1f} |")


if __name__ == "__main__":
    main()
