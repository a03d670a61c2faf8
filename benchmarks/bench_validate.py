"""Time `validate_feed` on generated valid RSS and Atom feeds of about 1, 2 and 4 MB.

Run: .venv/bin/python benchmarks/bench_validate.py [--repeat N] [--baseline DIR]
Prints the median milliseconds per size and the time per MB (should stay roughly flat).

With ``--baseline DIR`` (a folder holding another version's ``feeds`` package, e.g.
``git archive <rev> feeds | tar -x -C DIR``) both versions are timed side by side in the
same run: each in its own worker process, in alternating rounds, so that a busy machine
slows both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PARAGRAPH = (
    "<p>The harbour master reported calm water and a light westerly breeze; the ferry "
    'left on time. <a href="https://bench.example/notes/{n}">Read the log</a> '
    '<img src="https://bench.example/media/{n}.jpg" alt="Quay at dawn"></p>'
)


def _rss_item(n: int, when: datetime) -> str:
    body = "".join(PARAGRAPH.format(n=n) for _ in range(6))
    return (
        f"<item><title>Log entry {n}</title><link>https://bench.example/notes/{n}</link>"
        f"<description>Entry {n} of the harbour log.</description>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        f"<dc:creator>Ada Quay</dc:creator>"
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f'<guid isPermaLink="false">bench-{n}</guid>'
        f'<enclosure url="https://bench.example/media/{n}.jpg" length="12345" type="image/jpeg"/>'
        f'<media:content url="https://bench.example/media/{n}.jpg" type="image/jpeg" '
        f'fileSize="12345" medium="image" width="1200" height="800">'
        f'<media:description type="plain">Quay at dawn</media:description>'
        f'<media:credit role="photographer" scheme="urn:ebu">A. Quay</media:credit>'
        f"</media:content></item>"
    )


def _atom_entry(n: int, when: datetime) -> str:
    body = "".join(PARAGRAPH.format(n=n) for _ in range(6))
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"<entry><title>Log entry {n}</title><id>tag:bench.example,2024:{n}</id>"
        f"<updated>{stamp}</updated><published>{stamp}</published>"
        f'<link rel="alternate" type="text/html" href="https://bench.example/notes/{n}"/>'
        f'<link rel="enclosure" type="image/jpeg" length="12345" '
        f'href="https://bench.example/media/{n}.jpg"/>'
        f"<summary>Entry {n} of the harbour log.</summary>"
        f'<content type="html"><![CDATA[{body}]]></content></entry>'
    )


def make_feed(kind: str, target_bytes: int) -> bytes:
    """A valid feed of about `target_bytes`."""
    start = datetime(2024, 3, 1, tzinfo=UTC)
    parts: list[str] = []
    size = 0
    n = 0
    while size < target_bytes:
        when = start - timedelta(hours=n)
        part = _rss_item(n, when) if kind == "rss" else _atom_entry(n, when)
        parts.append(part)
        size += len(part)
        n += 1
    if kind == "rss":
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            "<title>Bench</title><link>https://bench.example/</link>"
            "<description>Benchmark feed</description>"
            '<atom:link rel="self" href="https://bench.example/rss.xml" '
            'type="application/rss+xml"/>'
        )
        return (head + "".join(parts) + "</channel></rss>").encode()
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Bench</title><id>tag:bench.example,2024:feed</id>"
        "<updated>2024-03-01T00:00:00Z</updated><author><name>Ada Quay</name></author>"
        '<link rel="self" href="https://bench.example/atom.xml"/>'
    )
    return (head + "".join(parts) + "</feed>").encode()


def _worker(package_dir: str, feed_file: str, repeat: int) -> None:
    """Print the wall-clock and CPU timings (ms) of `repeat` validations by the package in
    `package_dir`."""
    sys.path.insert(0, package_dir)
    import feeds.validate  # noqa: PLC0415

    if not Path(feeds.validate.__file__).resolve().is_relative_to(Path(package_dir).resolve()):
        raise SystemExit(f"imported {feeds.validate.__file__}, not the one in {package_dir}")
    validate = feeds.validate.validate_feed

    data = Path(feed_file).read_bytes()
    validate(data)  # warm up: imports, compiled patterns
    timings = []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        validate(data)
        timings.append(((time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000))
    print(json.dumps(timings))


def _time_in_worker(package_dir: Path, feed_file: Path, repeat: int) -> list[tuple[float, float]]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(package_dir), str(feed_file), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [(float(wall), float(cpu)) for wall, cpu in json.loads(done.stdout)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="folder holding another version's feeds/")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (--baseline)")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], args.worker[1], int(args.worker[2]))
        return
    if args.baseline:
        _compare(args.baseline, args.repeat, args.rounds)
        return
    # Imported here: a --worker must put its own package first on the path.
    from feeds.validate import validate_feed  # noqa: PLC0415

    print(f"{'feed':<6}{'size':>10}{'items':>8}{'median ms':>12}{'ms/MB':>9}")
    for kind in ("rss", "atom"):
        for megabytes in (1, 2, 4):
            data = make_feed(kind, megabytes * 1024 * 1024)
            report = validate_feed(data)
            if report.issues:
                raise SystemExit(f"generated {kind} feed is not clean: {report.issues[:3]}")
            timings = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                validate_feed(data)
                timings.append((time.perf_counter() - began) * 1000)
            median = statistics.median(timings)
            items = data.count(b"<item>") + data.count(b"<entry>")
            size_mb = len(data) / 1024 / 1024
            print(f"{kind:<6}{size_mb:>8.2f}MB{items:>8}{median:>12.1f}{median / size_mb:>9.1f}")


def _compare(baseline: Path, repeat: int, rounds: int) -> None:
    from feeds.validate import validate_feed  # noqa: PLC0415

    current = Path(__file__).resolve().parent.parent
    print(
        "median wall-clock ms per validation (fastest), median CPU ms (steadier on a shared "
        "machine); ratios of the medians"
    )
    print(
        f"{'feed':<6}{'size':>8}{'baseline wall':>16}{'cpu':>7}{'cpu/MB':>8}"
        f"{'this wall':>16}{'cpu':>7}{'cpu/MB':>8}{'wall x':>8}{'cpu x':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("rss", "atom"):
            for megabytes in (1, 2, 4):
                data = make_feed(kind, megabytes * 1024 * 1024)
                if validate_feed(data).issues:
                    raise SystemExit(f"generated {kind} feed is not clean")
                feed_file = Path(tmp) / f"{kind}-{megabytes}.xml"
                feed_file.write_bytes(data)
                base: list[tuple[float, float]] = []
                this: list[tuple[float, float]] = []
                for number in range(rounds):
                    order = [(baseline, base), (current, this)]
                    for package, timings in order if number % 2 == 0 else reversed(order):
                        timings.extend(_time_in_worker(package, feed_file, repeat))
                size_mb = len(data) / 1024 / 1024
                columns = []
                for runs in (base, this):
                    wall = [w for w, _ in runs]
                    cpu = statistics.median(c for _, c in runs)
                    columns.append((statistics.median(wall), min(wall), cpu))
                (bw, bf, bc), (tw, tf, tc) = columns
                print(
                    f"{kind:<6}{size_mb:>6.2f}MB{f'{bw:.1f} ({bf:.1f})':>16}{bc:>7.1f}"
                    f"{bc / size_mb:>8.1f}{f'{tw:.1f} ({tf:.1f})':>16}{tc:>7.1f}"
                    f"{tc / size_mb:>8.1f}{tw / bw:>8.2f}{tc / bc:>7.2f}"
                )


if __name__ == "__main__":
    main()
