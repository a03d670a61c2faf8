"""Tests for feeds.sources.files.listing: the walk, and finding one article file again as the walk would."""

import os
from pathlib import Path

import pytest

from feeds.sources.files import listing as listing_module
from feeds.sources.files.listing import FolderCache, list_repository, suffix_of


def touch(root: Path, rel: str, text: str = "x") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    touch(tmp_path, "top.md")
    touch(tmp_path, "news/a.md")
    touch(tmp_path, "news/b.markdown")
    touch(tmp_path, "news/2026-05-01-wire.txt")
    touch(tmp_path, "news/2026-05-01-wire.jpg")
    touch(tmp_path, "news/2026-05-01-wire.png")
    touch(tmp_path, "news/_partial.md")
    touch(tmp_path, "news/.hidden.md")
    touch(tmp_path, "news/notes.rst")
    touch(tmp_path, "news/deep/er/c.md")
    touch(tmp_path, "bundle/index.md")
    touch(tmp_path, "bundle/other.md")  # a bundle's only article is its index
    touch(tmp_path, "bundle/photo.webp")
    os.symlink(tmp_path / "news/a.md", tmp_path / "news/link.md")
    return tmp_path


def test_walk_finds_article_files_and_reports_symlinks(repo: Path) -> None:
    listing = list_repository(repo)
    assert [c.rel_path for c in listing.candidates] == [
        "bundle/index.md",
        "news/2026-05-01-wire.txt",
        "news/a.md",
        "news/b.markdown",
        "news/deep/er/c.md",
        "top.md",
    ]
    by_path = {c.rel_path: c for c in listing.candidates}
    assert by_path["bundle/index.md"].bundle
    assert by_path["news/2026-05-01-wire.txt"].body_format == "wire"
    assert by_path["news/2026-05-01-wire.txt"].images["2026-05-01-wire"] == (
        "2026-05-01-wire.jpg",
        "2026-05-01-wire.png",
    )
    assert [str(p) for p in listing.problems] == [
        # bundle/ is a top folder, a section: its index.md hides other.md, and says so.
        "bundle/index.md: makes the section bundle/ one page bundle, so the 1 other article"
        " file(s) and folder(s) in it are not published: move it into a folder of its own"
        " (bundle/<name>/index.md), or rename it",
        "news/link.md: is a symbolic link, which feeds never follows: "
        "move the real file into the repository",
    ]


def test_candidate_for_finds_each_file_exactly_as_the_walk_did(repo: Path) -> None:
    folders = FolderCache(repo)
    for candidate in list_repository(repo).candidates:
        assert folders.candidate_for(candidate.rel_path) == candidate


@pytest.mark.parametrize(
    "rel_path",
    [
        "news/gone.md",  # missing
        "news/link.md",  # a symlink
        "news/_partial.md",
        "news/.hidden.md",
        "news/notes.rst",  # not an article suffix
        "news/2026-05-01-wire.jpg",
        "bundle/other.md",  # inside a bundle, but not its index
        "news/deep",  # a folder
        "nowhere/a.md",  # a folder that does not exist
    ],
)
def test_candidate_for_refuses_what_the_walk_would_not_find(repo: Path, rel_path: str) -> None:
    assert FolderCache(repo).candidate_for(rel_path) is None


def test_candidate_for_sees_the_file_as_it_is_now(repo: Path) -> None:
    before = FolderCache(repo).candidate_for("news/a.md")
    touch(repo, "news/a.md", "longer text")
    after = FolderCache(repo).candidate_for("news/a.md")
    assert before is not None and after is not None
    assert before.cache_key != after.cache_key


@pytest.mark.parametrize(
    ("name", "suffix"),
    [
        ("a.md", ".md"),
        ("A.MD", ".md"),
        ("a.b.txt", ".txt"),
        ("a..md", ".md"),
        ("README", ""),
        (".md", ""),
        ("...md", ""),
        ("a.", "."),
    ],
)
def test_suffix_of_agrees_with_splitext(name: str, suffix: str) -> None:
    assert suffix_of(name) == suffix == os.path.splitext(name)[1].lower()


def test_a_file_deleted_while_the_walk_runs_is_simply_not_listed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that goes away between its folder's listing and its stamp (an editor deleting
    or renaming it, a checkout) is left out, not a crash."""
    before = [c.rel_path for c in list_repository(repo).candidates]
    real_scandir = os.scandir

    def scandir_then_delete(path: str) -> object:
        listing = real_scandir(path)
        entries = list(listing)
        listing.close()
        for entry in entries:
            if entry.name == "a.md":
                os.unlink(entry.path)  # gone after its folder was listed
        return _Listed(entries)

    monkeypatch.setattr(listing_module.os, "scandir", scandir_then_delete)
    after = list_repository(repo)
    gone = [rel for rel in before if rel.endswith("/a.md") or rel == "a.md"]
    assert gone, "the fixture has an a.md to delete"
    assert [c.rel_path for c in after.candidates] == [r for r in before if r not in gone]


class _Listed(list[os.DirEntry[str]]):
    """What os.scandir gives, as a context manager over a list made earlier."""

    def __enter__(self) -> "_Listed":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def test_bundle_indexes_follow_the_same_rules_when_found_without_a_listing(
    tmp_path: Path,
) -> None:
    """A folder with a regular `index.md` is found with one stat; one whose `index.md` is a
    symbolic link or a folder is listed as an ordinary folder, as before."""
    touch(tmp_path, "plain/index.md")
    touch(tmp_path, "plain/index.txt")  # index.md comes first
    touch(tmp_path, "plain/notes.md")  # a bundle's only article is its index
    touch(tmp_path, "linked/story.md")
    os.symlink(tmp_path / "plain/index.md", tmp_path / "linked/index.md")
    touch(tmp_path, "odd/index.md/inner.md")  # a folder named index.md
    touch(tmp_path, "odd/story.md")
    touch(tmp_path, "index.md")  # at the top, an ordinary article
    listing = list_repository(tmp_path)
    assert [(c.rel_path, c.bundle) for c in listing.candidates] == [
        ("index.md", False),
        ("linked/story.md", False),
        ("odd/index.md/inner.md", False),
        ("odd/story.md", False),
        ("plain/index.md", True),
    ]
    assert [p.path for p in listing.problems] == ["linked/index.md", "plain/index.md"]
    folders = FolderCache(tmp_path)
    for candidate in listing.candidates:
        assert folders.candidate_for(candidate.rel_path) == candidate
    assert folders.candidate_for("plain/notes.md") is None
    assert folders.candidate_for("linked/index.md") is None


def test_restamped_gives_the_candidate_with_its_stamp_now(repo: Path) -> None:
    listing = list_repository(repo)
    by_path = {c.rel_path: c for c in listing.candidates}
    for candidate in listing.candidates:  # unchanged: the same candidate
        assert listing_module.restamped(candidate) == candidate
    wire = by_path["news/2026-05-01-wire.txt"]
    touch(repo, "news/2026-05-01-wire.txt", "a longer text now")
    again = listing_module.restamped(wire)
    assert again is not None
    assert again.size == len("a longer text now") and again.cache_key != wire.cache_key
    assert again == FolderCache(repo).candidate_for(wire.rel_path)  # as finding it anew
    assert again._replace(cache_key=wire.cache_key, size=wire.size) == wire  # only the stamp
    (repo / "news/a.md").unlink()
    assert listing_module.restamped(by_path["news/a.md"]) is None
    (repo / "top.md").unlink()
    os.symlink(repo / "news/b.markdown", repo / "top.md")
    assert listing_module.restamped(by_path["top.md"]) is None  # a link now: never followed
    (repo / "news/b.markdown").unlink()
    (repo / "news/b.markdown").mkdir()
    assert listing_module.restamped(by_path["news/b.markdown"]) is None
