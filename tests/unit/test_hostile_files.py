"""Files a careless editor or a hostile contributor leaves in a repository: named pipes with an
article's name and names that are not UTF-8. Each is a located problem and skipped; the build
neither hangs nor crashes, and the other articles publish."""

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.build import publish
from feeds.config import load_config
from feeds.sources.files import listing as listing_module
from feeds.sources.files.frontmatter import read_front_matter, read_start
from feeds.sources.files.listing import FolderCache, list_repository

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = """\
[site]
title = "Harbour Times"
url = "https://news.example.org/"
"""


def article(path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: {title}\ndate: 2026-05-01T10:00:00Z\n---\nBody of {title}.\n")
    return path


class Unblocker:
    """Opens named pipes for writing every few seconds while a reader waits on one, so that a
    reader that blocks (the bug) gets going again instead of hanging the test run; `opened`
    tells that it had to."""

    def __init__(self, *fifos: Path, every: float = 3.0) -> None:
        self.opened = False
        self._fifos = fifos
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            for fifo in self._fifos:
                try:  # succeeds only while a reader has the pipe open
                    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    continue
                self.opened = True
                os.close(fd)

    def __enter__(self) -> "Unblocker":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    article(tmp_path / "news/good.md", "Good")
    os.mkfifo(tmp_path / "news/pipe.md")
    os.mkfifo(tmp_path / "news/pipe.txt")
    os.mkfifo(tmp_path / "news/photo.jpg")  # not an article: ignored like any other file
    bundle = tmp_path / "news/piped-bundle"
    bundle.mkdir()
    os.mkfifo(bundle / "index.md")
    article(bundle / "other.md", "Beside the pipe")
    return tmp_path


def test_a_named_pipe_is_never_an_article_but_a_located_problem(repo: Path) -> None:
    listing = list_repository(repo)
    assert [c.rel_path for c in listing.candidates] == [
        "news/good.md",
        # A bundle whose index is a pipe is an ordinary folder, as one whose index is a link.
        "news/piped-bundle/other.md",
    ]
    assert {p.path: p.line for p in listing.problems} == {
        "news/pipe.md": 0,
        "news/pipe.txt": 0,
        "news/piped-bundle/index.md": 0,
    }
    for problem in listing.problems:
        assert "is a named pipe (FIFO), not a regular file, so feeds never opens it" in str(problem)
        assert "replace it with a regular file" in str(problem)


def test_finding_a_file_again_refuses_a_named_pipe(repo: Path) -> None:
    folders = FolderCache(repo)
    assert folders.candidate_for("news/pipe.md") is None
    assert folders.candidate_for("news/piped-bundle/index.md") is None
    assert folders.candidate_for("news/piped-bundle/other.md") is not None
    good = next(c for c in list_repository(repo).candidates if c.rel_path == "news/good.md")
    (repo / "news/good.md").unlink()
    os.mkfifo(repo / "news/good.md")  # replaced by a pipe since the listing
    assert listing_module.restamped(good) is None


def test_reading_a_pipe_swapped_in_after_the_listing_does_not_wait_for_a_writer(
    tmp_path: Path,
) -> None:
    """The reader opens without blocking: a pipe that replaced an article between the listing
    and the read reads as empty, and no writer was needed to get there."""
    fifo = tmp_path / "story.md"
    os.mkfifo(fifo)
    with Unblocker(fifo) as unblocker:
        assert read_start(fifo, 1024, size=10) == b""
        matter = read_front_matter(fifo, path="story.md", size=10)
    assert not unblocker.opened
    assert matter.format == "none"


def test_a_build_with_named_pipes_publishes_the_rest_and_names_each_pipe(repo: Path) -> None:
    site = repo.with_name(f"{repo.name}-site")  # beside the repository, never inside it
    site.mkdir()
    (site / "config.toml").write_text(CONFIG + f'[repository]\npath = "{repo}"\n')
    pipes = ("news/pipe.md", "news/pipe.txt", "news/piped-bundle/index.md")
    with Unblocker(*(repo / pipe for pipe in pipes)) as unblocker:
        result = publish(load_config(site / "config.toml"), now=NOW)
    assert not unblocker.opened, "the build opened a named pipe and waited for a writer"
    assert [p.path for p in result.problems] == [
        "news/pipe.md",
        "news/pipe.txt",
        "news/piped-bundle/index.md",
    ]
    rss = (site / "output/rss.xml").read_text()
    assert "<title>Good</title>" in rss and "<title>Beside the pipe</title>" in rss


def test_names_that_are_not_utf8_are_located_problems_and_skipped(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    article(tmp_path / "news/good.md", "Good")
    article(Path(os.fsdecode(root + b"/news/caf\xe9.md")), "Latin-1 name")
    article(Path(os.fsdecode(root + b"/news/bad\xff/story.md")), "In a Latin-1 folder")
    bundle = tmp_path / "news/wire-bundle"
    article(bundle / "index.txt", "Wire bundle")
    Path(os.fsdecode(os.fsencode(bundle) + b"/ph\xf6to.jpg")).write_bytes(b"not read")
    Path(os.fsdecode(root + b"/news/notes-\xe9.rst")).write_text("not an article: ignored")
    listing = list_repository(tmp_path)
    assert [c.rel_path for c in listing.candidates] == [
        "news/good.md",
        "news/wire-bundle/index.txt",
    ]
    assert listing.candidates[1].images == {}  # the image with the bad name is not offered
    assert [str(p) for p in listing.problems] == [
        f"{name}: the name is not valid UTF-8 (the bytes shown as \\x escapes), and a feed can "
        "only carry UTF-8: rename it, using UTF-8 (feeds skips it until then)"
        for name in ("news/bad\\xff", "news/caf\\xe9.md", "news/wire-bundle/ph\\xf6to.jpg")
    ]
    listing.fingerprint()  # every problem can be encoded (the no-change record hashes them)


def test_a_build_with_a_name_that_is_not_utf8_publishes_the_rest(tmp_path: Path) -> None:
    repo = tmp_path / "articles"
    article(repo / "news/good.md", "Good")
    article(Path(os.fsdecode(os.fsencode(repo) + b"/news/caf\xe9.md")), "Latin-1 name")
    (tmp_path / "config.toml").write_text(CONFIG)
    result = publish(load_config(tmp_path / "config.toml"), now=NOW)
    assert [p.path for p in result.problems] == ["news/caf\\xe9.md"]
    assert "<title>Good</title>" in (tmp_path / "output/rss.xml").read_text()
