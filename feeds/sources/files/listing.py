"""List a repository's article files with their stamps, without reading any of them.

This is the first stage of every build and all that a build which finds nothing changed does
before it stops, so it imports nothing heavy and spends as little as it can per file.
"""

from __future__ import annotations

import hashlib
import operator
import os
import stat
from collections.abc import Hashable, Iterable, Iterator, Mapping, Set
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from feeds.errors import ArticleError, RepositoryError
from feeds.model import BodyFormat
from feeds.rules import IMAGE_SUFFIXES, file_stamp
from feeds.state.cache import gc_paused
from feeds.stopping import NEVER, Cancellation

#: Suffix of an article file -> how its body is read.
READERS: dict[str, BodyFormat] = {".md": "markdown", ".markdown": "markdown", ".txt": "wire"}
BUNDLE_INDEXES = ("index.md", "index.markdown", "index.txt")


class Candidate(NamedTuple):
    """An article file found by the walk (a named tuple: a large repository has 100,000).

    Attributes:
        path: The file, as the walk found it (the repository folder joined with `rel_path`).
        rel_path: Its path inside the repository, with "/" separators.
        images: The image files of its folder, by stem (one mapping shared by the folder),
            which a wire article's image block uses; empty for the index of a Markdown
            bundle (found without listing its folder: it names its images itself).
        bundle: The file is the index of a page bundle (its folder is the article).
        body_format: How its body is read.
        cache_key: What its scan result depends on: the file's stamp (size, mtime, inode),
            and for wire articles the names of the images beside it.
        size: The file's size in bytes when it was listed.
    """

    path: str
    rel_path: str
    images: Mapping[str, tuple[str, ...]]
    bundle: bool
    body_format: BodyFormat
    cache_key: Hashable
    size: int


class Listing(NamedTuple):
    """The article files of a repository with their stamps, before any is read."""

    candidates: tuple[Candidate, ...]
    problems: tuple[ArticleError, ...]

    @property
    def article_count(self) -> int:
        """How many article files were found."""
        return len(self.candidates)

    def fingerprint(self) -> str:
        """Changes whenever an article file, or an image a wire article uses, changes."""
        text = "\n".join(f"{c.rel_path}\0{c.cache_key!r}" for c in self.candidates)
        problems = "\n".join(str(problem) for problem in self.problems)
        return hashlib.sha256(f"{text}\n\n{problems}".encode()).hexdigest()


def list_repository(root: Path, *, stop: Cancellation = NEVER) -> Listing:
    """Every article file with its stamp, and a problem for each symlink, unlistable folder,
    article name on something that is not a regular file (a named pipe is never opened), and
    name that is not UTF-8 (each is skipped).

    Raises:
        RepositoryError: the folder does not exist or cannot be listed.
        BuildStopped: `stop` was requested during the walk (checked at every folder).
    """
    if not root.is_dir():
        raise RepositoryError(
            f"{root}: article repository not found: create the folder or set repository.path"
        )
    problems: list[ArticleError] = []
    with gc_paused():
        candidates = sorted(_walk(root, problems, stop), key=_REL_PATH)
    problems.sort(key=lambda p: p.path)
    return Listing(tuple(candidates), tuple(problems))


_REL_PATH = operator.itemgetter(1)  # Candidate.rel_path, read in C when sorting


def _walk(root: Path, problems: list[ArticleError], stop: Cancellation) -> Iterator[Candidate]:
    """Article files in no particular order; never follows a symlink out of (or within) the
    repository."""
    top = str(root)
    stack = [top]
    while stack:
        stop.check("listing the repository")
        found = list_folder(top, stack.pop())
        problems.extend(found.problems)
        stack.extend(found.subfolders)
        yield from found.candidates


class FolderListing(NamedTuple):
    """What the walk finds in one folder (not below it).

    Attributes:
        candidates: Its article files (a page bundle: its index only).
        problems: The problems the walk reports for its entries.
        subfolders: The folders the walk goes on into (absolute paths).
        images: Its image files by stem (what its wire articles' stamps depend on).
        bundle: The folder is a page bundle.
    """

    candidates: tuple[Candidate, ...]
    problems: tuple[ArticleError, ...]
    subfolders: tuple[str, ...]
    images: Mapping[str, tuple[str, ...]]
    bundle: bool


def list_folder(top: str, folder: str) -> FolderListing:
    """One step of the walk: the folder `folder` of the repository `top`, without its
    subfolders (which it names).

    Raises:
        RepositoryError: `folder` is the repository itself and cannot be listed.
    """
    problems: list[ArticleError] = []
    bundle = _markdown_bundle(top, folder)
    if bundle is not None:
        if os.path.dirname(folder) == top:  # a section: an index.md dropped in by mistake?
            _check_section_bundle(folder, bundle, problems)
        # All the folder holds for feeds: no need to list it.
        return FolderListing((bundle,), tuple(problems), (), _NO_IMAGES, True)
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError as exc:
        if folder == top:
            raise RepositoryError(f"{top}: cannot list the repository: {exc.strerror}") from exc
        problems.append(
            ArticleError(folder[len(top) + 1 :], 0, f"cannot list folder: {exc.strerror}")
        )
        return FolderListing((), tuple(problems), (), _NO_IMAGES, False)
    subfolders: list[str] = []
    described = _folder(top, folder, entries)
    candidates = tuple(_in_folder(top, described, entries, problems, subfolders))
    return FolderListing(
        candidates,
        tuple(problems),
        tuple(subfolders),
        described.images,
        described.bundle is not None,
    )


def file_candidate(
    top: str, path: str, info: os.stat_result, images: Mapping[str, tuple[str, ...]]
) -> Candidate:
    """The candidate the walk makes of the regular article file `path` (of a folder that is
    no page bundle, whose images are `images`), from its `lstat`."""
    name = os.path.basename(path)
    suffix = suffix_of(name)
    stamp = file_stamp(info)
    body_format = READERS[suffix]
    key = _cache_key(stamp, body_format, images, False, name[: -len(suffix)])
    rel_path = path[len(top) + 1 :].replace(os.sep, "/")
    return Candidate(path, rel_path, images, False, body_format, key, stamp[0])


def _check_section_bundle(folder: str, bundle: Candidate, problems: list[ArticleError]) -> None:
    """A top folder is a section; an ``index.md`` in it makes the whole section one page
    bundle, and every other story in it silently vanishes. (Deeper bundles are not listed:
    a repository of bundles has a folder per article.)"""
    try:
        with os.scandir(folder) as listing:
            others = sum(
                1
                for entry in listing
                if entry.name != _MARKDOWN_INDEX
                and not entry.name.startswith((".", "_"))
                and (entry.is_dir(follow_symlinks=False) or suffix_of(entry.name) in READERS)
            )
    except OSError:
        return
    if others:
        section = bundle.rel_path.rsplit("/", 1)[0]
        problems.append(
            ArticleError(
                bundle.rel_path,
                0,
                f"makes the section {section}/ one page bundle, so the {others} other article"
                f" file(s) and folder(s) in it are not published: move it into a folder of its"
                f" own ({section}/<name>/index.md), or rename it",
            )
        )


class _Folder(NamedTuple):
    """What one folder's listing says about each file in it.

    Attributes:
        images: Its image files, by stem.
        bundle: Its bundle index when the folder is a page bundle (then the only article).
    """

    path: str
    images: _Images
    bundle: os.DirEntry[str] | None


def _folder(top: str, folder: str, entries: list[os.DirEntry[str]]) -> _Folder:
    names = {e.name for e in entries}
    return _Folder(folder, _images_by_stem(names), _bundle_index(top, folder, entries, names))


def _in_folder(
    top: str,
    folder: _Folder,
    entries: Iterable[os.DirEntry[str]],
    problems: list[ArticleError],
    subfolders: list[str],
) -> Iterator[Candidate]:
    """The article files among `entries` (all or some of `folder`'s): in a page bundle only
    its index. Adds subfolders to `subfolders` and a problem for each symbolic link, each
    article name that is not a regular file and each name that is not UTF-8 to `problems`."""
    cut = len(top) + 1
    if folder.bundle is not None:
        index = folder.bundle.name
        if any(item.name == index for item in entries):
            found = _stamped(folder.bundle, cut, folder.images, True, suffix_of(index), problems)
            if found is not None:
                yield found
        for item in entries:  # its images, which the index may use
            name = item.name
            if not name.isascii() and not_utf8(name) and suffix_of(name) in IMAGE_SUFFIXES:
                problems.append(_not_utf8_problem(item.path[cut:]))
        return
    for item in entries:
        name = item.name
        if name[0] in "._":
            continue
        suffix = suffix_of(name)
        if not name.isascii() and not_utf8(name):  # isascii is O(1): most names pay nothing
            if suffix in READERS or suffix in IMAGE_SUFFIXES or item.is_dir():
                problems.append(_not_utf8_problem(item.path[cut:]))
            continue
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
            found = _stamped(item, cut, folder.images, False, suffix, problems)
            if found is not None:
                yield found


def _stamped(  # noqa: PLR0917 - the walk's inner loop: no keyword overhead
    item: os.DirEntry[str],
    cut: int,
    images: Mapping[str, tuple[str, ...]],
    bundle: bool,
    suffix: str,
    problems: list[ArticleError],
) -> Candidate | None:
    """The candidate for an article file, or None when it went away since its folder was
    listed (a file deleted or renamed while the walk runs is simply not there)."""
    try:
        return _candidate(item, cut, images, bundle=bundle, suffix=suffix)
    except FileNotFoundError:
        return None
    except _NotAFileError as exc:
        problems.append(
            ArticleError(
                item.path[cut:],
                0,
                f"is {exc.kind}, not a regular file, so feeds never opens it (reading it could "
                "wait forever): replace it with a regular file, or rename it so that it does "
                "not end in .md, .markdown or .txt",
            )
        )
        return None
    except OSError as exc:
        problems.append(ArticleError(item.path[cut:], 0, f"cannot be read: {exc.strerror}"))
        return None


class FolderCache:
    """`candidate_for` one file at a time, listing each folder once (a build reads the
    selected articles again, often many from one large folder)."""

    def __init__(self, root: Path) -> None:
        self._top = str(root)
        self._folders: dict[str, tuple[_Folder, dict[str, os.DirEntry[str]]]] = {}

    def candidate_for(self, rel_path: str) -> Candidate | None:
        """The article file at `rel_path` as a walk would find it now, or None when the walk
        would not find it (it is gone, or is no longer an article file)."""
        *parts, name = rel_path.split("/")
        path = os.path.join(self._top, *parts)
        if name == _MARKDOWN_INDEX and (bundle := _markdown_bundle(self._top, path)):
            return bundle
        if path not in self._folders:
            try:
                with os.scandir(path) as listing:
                    entries = list(listing)
            except OSError:
                entries = []
            folder = _folder(self._top, path, entries)
            self._folders[path] = (folder, {e.name: e for e in entries})
        folder, by_name = self._folders[path]
        item = by_name.get(name)
        if item is None:
            return None
        try:  # the same rules as the walk, for this one file
            return next(_in_folder(self._top, folder, [item], [], []), None)
        except OSError:
            return None


_MARKDOWN_INDEX = BUNDLE_INDEXES[0]
_NO_IMAGES: Mapping[str, tuple[str, ...]] = MappingProxyType({})


def _markdown_bundle(top: str, folder: str) -> Candidate | None:
    """The index of a Markdown page bundle, found with one `lstat` and without listing the
    folder: a folder (below the top) that holds a regular file `index.md` is a bundle whose
    only article that is (it comes first in `BUNDLE_INDEXES`), and a Markdown article needs
    nothing else of its folder (it names its images itself). Listing a folder costs four
    system calls, and a repository of bundles has a folder per article."""
    if folder == top:
        return None
    path = os.path.join(folder, _MARKDOWN_INDEX)
    try:
        info = os.lstat(path)
    except OSError:
        return None  # no such file (or not one to read): the folder is listed as usual
    if not stat.S_ISREG(info.st_mode):
        return None  # a symbolic link (reported by the listing) or a folder
    stamp = file_stamp(info)
    rel_path = path[len(top) + 1 :].replace(os.sep, "/")
    return Candidate(path, rel_path, _NO_IMAGES, True, READERS[".md"], stamp, info.st_size)


def _candidate(
    item: os.DirEntry[str],
    cut: int,
    images: Mapping[str, tuple[str, ...]],
    *,
    bundle: bool,
    suffix: str,
) -> Candidate:
    info = item.stat(follow_symlinks=False)
    if not _S_ISREG(info.st_mode):
        raise _NotAFileError(info.st_mode)
    stamp = file_stamp(info)
    body_format = READERS[suffix]
    key = _cache_key(stamp, body_format, images, bundle, item.name[: -len(suffix)])
    path = item.path
    rel_path = path[cut:] if os.sep == "/" else path[cut:].replace(os.sep, "/")
    # Not Candidate(...): that runs the named tuple's __new__, a Python function, and a
    # listing makes 100,000 of these.
    return _new_tuple(Candidate, (path, rel_path, images, bundle, body_format, key, stamp[0]))


_new_tuple = tuple.__new__
_S_ISREG = stat.S_ISREG


class _NotAFileError(Exception):
    """An article's name on something that is not a regular file: a named pipe (opening one
    waits for a writer, for ever), a device or a socket."""

    def __init__(self, mode: int) -> None:
        super().__init__(mode)
        if stat.S_ISFIFO(mode):
            self.kind = "a named pipe (FIFO)"
        elif stat.S_ISSOCK(mode):
            self.kind = "a socket"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            self.kind = "a device"
        else:
            self.kind = "not a file"


def not_utf8(name: str) -> bool:
    """The name (as `os` decodes it, with surrogate escapes) holds bytes that are not UTF-8."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown_name(path: str) -> str:
    """A path fit to print: bytes that are not UTF-8 shown as \\xNN escapes."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _not_utf8_problem(rel_path: str) -> ArticleError:
    return ArticleError(
        shown_name(rel_path),
        0,
        "the name is not valid UTF-8 (the bytes shown as \\x escapes), and a feed can only "
        "carry UTF-8: rename it, using UTF-8 (feeds skips it until then)",
    )


def _cache_key(
    stamp: tuple[int, int, int],
    body_format: BodyFormat,
    images: Mapping[str, tuple[str, ...]],
    bundle: bool,
    stem: str,
) -> Hashable:
    """What a scan result depends on (see `Candidate.cache_key`)."""
    if body_format != "wire":
        return stamp
    return (stamp, tuple(images.values()) if bundle else images.get(stem))


def restamped(candidate: Candidate) -> Candidate | None:
    """The candidate with its file's stamp as it is now, or None when the file is gone or no
    longer a regular file. What the listing saw in its folder (its images, whether it is a
    bundle) stays as listed: one build keeps to one listing of the repository, and this costs
    one `lstat`, where finding the file anew lists its whole folder."""
    try:
        info = os.lstat(candidate.path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    stamp = file_stamp(info)
    name = os.path.basename(candidate.path)
    stem = name[: -len(suffix_of(name))]
    key = _cache_key(stamp, candidate.body_format, candidate.images, candidate.bundle, stem)
    return candidate._replace(cache_key=key, size=info.st_size)


def suffix_of(name: str) -> str:
    """A file name's suffix in lower case ("" for none; a leading dot starts no suffix)."""
    stem, dot, suffix = name.rpartition(".")
    return f".{suffix.lower()}" if dot and stem.strip(".") else ""


def stem_of(path: str) -> str:
    """A file's name without its suffix."""
    return os.path.splitext(os.path.basename(path))[0]


def _bundle_index(
    top: str, folder: str, entries: list[os.DirEntry[str]], names: Set[str]
) -> os.DirEntry[str] | None:
    """The file that makes a folder (below the top) a page bundle, if it has one: the first
    of `BUNDLE_INDEXES` that is not a folder. None when that one is not a regular file (a
    symbolic link, a named pipe: the walk reports it, and the folder is an ordinary one)."""
    if folder == top or names.isdisjoint(BUNDLE_INDEXES):
        return None
    by_name = {e.name: e for e in entries if e.name in BUNDLE_INDEXES}
    for name in BUNDLE_INDEXES:
        entry = by_name.get(name)
        if entry is None or entry.is_dir(follow_symlinks=False):
            continue
        # A symbolic link, or a named pipe, device or socket (never opened: reading a pipe
        # waits for ever) makes no bundle: the walk reports it.
        return entry if entry.is_file(follow_symlinks=False) else None
    return None


_Images = dict[str, tuple[str, ...]]


def _images_by_stem(names: Iterable[str]) -> _Images:
    """A folder's image files grouped by stem, built once per folder (not once per article)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        stem, dot, suffix = name.rpartition(".")
        if dot and suffix.lower() in _IMAGE_EXTENSIONS and (name.isascii() or not not_utf8(name)):
            groups.setdefault(stem, []).append(name)
    return {stem: tuple(sorted(group)) for stem, group in groups.items()}


_IMAGE_EXTENSIONS = frozenset(suffix.removeprefix(".") for suffix in IMAGE_SUFFIXES)
