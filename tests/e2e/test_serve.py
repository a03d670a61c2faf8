"""`feeds serve` as a subprocess: it builds, prints its URLs, serves, and rebuilds on change."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
URL_LINE = re.compile(r"serving (\S+) at (http://127\.0\.0\.1:\d+/)")


class Served:
    """A running `feeds serve` and everything it has written to the terminal."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.base = ""

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def close(self) -> None:
        """After the process ended: wait until everything it wrote has been read."""
        self._reader.join(timeout=5)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        start = time.monotonic()
        while not check():
            assert self.process.poll() is None, f"feeds serve ended:\n{self.log}"
            assert time.monotonic() - start < timeout, f"timed out: {what}\n{self.log}"
            time.sleep(0.05)

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT / "articles", tmp_path / "articles")
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "branding", tmp_path / "branding")
    return tmp_path


@pytest.fixture
def served(site: Path) -> Iterator[Served]:
    feeds = shutil.which("feeds", path=str(Path(sys.executable).parent))
    assert feeds, "the feeds console script is not installed next to this Python"
    process = subprocess.Popen(
        [feeds, "serve", "--port", "0"],
        cwd=site,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    running = Served(process)
    try:
        running.wait_for(lambda: URL_LINE.search(running.log) is not None, "the URL line")
        match = URL_LINE.search(running.log)
        assert match is not None
        running.base = match.group(2)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_serve_builds_prints_its_urls_and_serves_the_feeds(served: Served, site: Path) -> None:
    base = served.base
    log = served.log
    assert f"serving {site / 'output'} at {base}" in log
    assert re.search(rf"discovery page: +{re.escape(base)}$", log, re.MULTILINE)
    for name in ("rss.xml", "atom.xml", "feed.json"):
        assert f"{base}{name}" in log
    assert f"{base}feeds.opml" in log
    assert "preview server" not in log, "loopback is not announced as exposed"

    status, headers, body = served.get("")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"Harbour Times" in body
    status, headers, body = served.get("rss.xml")
    assert status == 200 and headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert body == (site / "output/rss.xml").read_bytes()
    assert served.get("rss.xml", **{"If-None-Match": headers["ETag"]})[0] == 304
    assert served.get(".feeds.lock")[0] == 404


def test_serve_rebuilds_on_change_and_keeps_the_last_good_files_when_a_rebuild_fails(
    served: Served, site: Path
) -> None:
    _status, headers, body = served.get("rss.xml")
    etag = headers["ETag"]
    assert b"Council backs repairs to the old harbour wall" in body

    # An edit is served about a second after it is saved, under a new ETag.
    article = site / "articles/news/council-vote-harbour-wall.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("Council backs repairs", "Council approves repairs"), "utf-8")
    served.wait_for(
        lambda: b"Council approves repairs" in served.get("rss.xml")[2], "the edit served"
    )
    status, headers, _body = served.get("rss.xml", **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    edited = headers["ETag"]

    # A broken article: the problem is shown and the last good feeds stay served.
    article.write_text(text.replace("date:", "date: [", 1), "utf-8")
    served.wait_for(lambda: "still serving the last good build" in served.log, "the failure")
    assert "news/council-vote-harbour-wall.md" in served.log
    assert served.get("rss.xml", **{"If-None-Match": edited})[0] == 304
    assert b"Council approves repairs" in served.get("rss.xml")[2]

    # A broken configuration: reported, the running one stays.
    config = site / "config.toml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace("limit = 50", "limit = 0"), "utf-8")
    served.wait_for(lambda: "the running configuration stays" in served.log, "config refused")
    assert "feeds[1].limit: expected a whole number" in served.log

    # Both fixed: the next build publishes again.
    config.write_text(good, "utf-8")
    article.write_text(text.replace("Council backs repairs", "Council funds repairs"), "utf-8")
    served.wait_for(lambda: b"Council funds repairs" in served.get("rss.xml")[2], "the fix")

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=10) == 0
    served.close()
    assert served.lines[-1] == "stopped"
