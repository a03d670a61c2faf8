"""List a repository's article files with their stamps, without reading any of them.

This is the first stage of every build and all that a build which finds nothing changed does
before it stops, so it imports nothing heavy and spends as little as it can per file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Hashable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from feeds.cache import gc_paused
from feeds.errors import ArticleError, RepositoryError
from feeds.images import IMAGE_SUFFIXES
from feeds.models import BodyFormat

#: Suffix of an article file -> how its body is read.
READERS: dict[str, BodyFormat] = {".md": "markdown", ".markdown": "markdown", ".txt": "wire"}
BUNDLE_INDEXES = ("index.md", "index.markdown", "index.txt")


class Candidate(NamedTuple):
    """An article file found by the walk (a named tuple: a large repository has 100,000).

    Attributes:
        path: The file, as the walk found it (the repository folder joined with `rel_path`).
        rel_path: Its path inside the repository, with "/" separators.
        images: The image files of its folder, by stem (one mapping shared by the folder).
        bundle: The file is the index of a page bundle (its folder is the article).
        body_format: How its body is read.
        cache_key: What its scan result depends on: the file's stamp (size, mtime, inode),
            and for wire articles the names of the images beside it.
    """

    path: str
    rel_path: str
    images: Mapping[str, tuple[str, ...]]
    bundle: bool
    body_format: BodyFormat
    cache_key: Hashable


class Listing(NamedTuple):
    """The article files of a repository with their stamps, before any is read."""

    candidates: tuple[Candidate, ...]
    problems: tuple[ArticleError, ...]

    def fingerprint(self) -> str:
        """Changes whenever an article file, or an image a wire article uses, changes."""
        text = "\n".join(f"{c.rel_path}\0{c.cache_key!r}" for c in self.candidates)
        problems = "\n".join(str(problem) for problem in self.problems)
        return hashlib.sha256(f"{text}\n\n{problems}".encode()).hexdigest()


def list_repository(root: Path) -> Listing:
    """Every article file with its stamp, and a problem for each symlink or unlistable folder.

    Raises:
        RepositoryError: the folder does not exist or cannot be listed.
    """
    if not root.is_dir():
        raise RepositoryError(
            f"{root}: article repository not found: create the folder or set repository.path"
        )
    problems: list[ArticleError] = []
    with gc_paused():
        candidates = sorted(_walk(root, problems), key=_by_rel_path)
    problems.sort(key=lambda p: p.path)
    return Listing(tuple(candidates), tuple(problems))


def _by_rel_path(candidate: Candidate) -> str:
    return candidate.rel_path


def _walk(root: Path, problems: list[ArticleError]) -> Iterator[Candidate]:
    """Article files in no particular order; never follows a symlink out of (or within) the
    repository."""
    top = str(root)
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            if folder == top:
                raise RepositoryError(
                    f"{root}: cannot list the repository: {exc.strerror}"
                ) from exc
            problems.append(
                ArticleError(folder[len(top) + 1 :], 0, f"cannot list folder: {exc.strerror}")
            )
            continue
        yield from _in_folder(top, folder, entries, problems, stack)


def _in_folder(
    top: str,
    folder: str,
    entries: list[os.DirEntry[str]],
    problems: list[ArticleError],
    subfolders: list[str],
) -> Iterator[Candidate]:
    """The article files of one folder: its bundle index alone if it is a page bundle. Adds
    its subfolders to `subfolders` and a problem for each symbolic link to `problems`."""
    cut = len(top) + 1
    names = frozenset(e.name for e in entries)
    images = _images_by_stem(names)
    index = _bundle_index(names)
    if index is not None and folder != top:
        found = next(e for e in entries if e.name == index)
        if not found.is_symlink():
            yield _candidate(found, cut, images, bundle=True, suffix=suffix_of(index))
            return
    for item in entries:
        name = item.name
        if name[0] in "._":
            continue
        suffix = suffix_of(name)
        if item.is_symlink():
            if suffix in READERS or item.is_dir():
                problems.append(
                    ArticleError(
                        item.path[cut:],
                        0,
                        "is a symbolic link, which feeds never follows: "
                        "move the real file into the repository",
                    )
                )
        elif item.is_dir(follow_symlinks=False):
            subfolders.append(item.path)
        elif suffix in READERS:
            yield _candidate(item, cut, images, bundle=False, suffix=suffix)


class FolderCache:
    """`candidate_for` one file at a time, listing each folder once (a build reads the
    selected articles again, often many from one large folder)."""

    def __init__(self, root: Path) -> None:
        self._top = str(root)
        self._folders: dict[str, tuple[dict[str, os.DirEntry[str]], _Images, str | None]] = {}

    def candidate_for(self, rel_path: str) -> Candidate | None:
        """The article file at `rel_path` as a walk would find it now, or None when the walk
        would not find it (it is gone, or is no longer an article file)."""
        *parts, name = rel_path.split("/")
        folder = os.path.join(self._top, *parts)
        if folder not in self._folders:
            try:
                with os.scandir(folder) as listing:
                    entries = {e.name: e for e in listing}
            except OSError:
                entries = {}
            names = frozenset(entries)
            self._folders[folder] = (entries, _images_by_stem(names), self._index(folder, names))
        entries, images, index = self._folders[folder]
        item = entries.get(name)
        if item is None or name[0] in "._" or item.is_symlink():
            return None
        suffix = suffix_of(name)
        if index is not None:
            bundle = name == index
            if not bundle:
                return None
        elif suffix not in READERS or item.is_dir(follow_symlinks=False):
            return None
        try:
            return _candidate(
                item, len(self._top) + 1, images, bundle=index is not None, suffix=suffix
            )
        except OSError:
            return None

    def _index(self, folder: str, names: frozenset[str]) -> str | None:
        if folder == self._top:
            return None
        index = _bundle_index(names)
        if index is None or os.path.islink(os.path.join(folder, index)):
            return None
        return index


def _candidate(
    item: os.DirEntry[str],
    cut: int,
    images: Mapping[str, tuple[str, ...]],
    *,
    bundle: bool,
    suffix: str,
) -> Candidate:
    info = item.stat(follow_symlinks=False)
    stamp = (info.st_size, info.st_mtime_ns, info.st_ino)
    body_format = READERS[suffix]
    key: Hashable = stamp
    if body_format == "wire":
        stem = item.name[: -len(suffix)]
        key = (stamp, tuple(images.values()) if bundle else images.get(stem))
    rel_path = item.path[cut:]
    if os.sep != "/":
        rel_path = rel_path.replace(os.sep, "/")
    return Candidate(item.path, rel_path, images, bundle, body_format, key)


def suffix_of(name: str) -> str:
    """A file name's suffix in lower case ("" for none; a leading dot starts no suffix)."""
    stem, dot, suffix = name.rpartition(".")
    return f".{suffix.lower()}" if dot and stem.strip(".") else ""


def stem_of(path: str) -> str:
    """A file's name without its suffix."""
    return os.path.splitext(os.path.basename(path))[0]


def _bundle_index(names: frozenset[str]) -> str | None:
    """The name of the file that makes a folder a page bundle, if it has one."""
    return next((name for name in BUNDLE_INDEXES if name in names), None)


_Images = dict[str, tuple[str, ...]]


def _images_by_stem(names: frozenset[str]) -> _Images:
    """A folder's image files grouped by stem, built once per folder (not once per article)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        if dot and f".{suffix.lower()}" in IMAGE_SUFFIXES:
            groups.setdefault(stem, []).append(name)
    return {stem: tuple(sorted(group)) for stem, group in groups.items()}
