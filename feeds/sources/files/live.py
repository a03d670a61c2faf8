"""A file repository's listing kept current from the paths that changed (the daemon's index).

The walk of `listing.list_repository` is made of one step per folder (`list_folder`); this keeps
each folder's step, so that a change is taken in by doing again only the steps it can have
changed: an article saved in a folder of 15,000 files lists that folder's names and stats that
one file; a folder created, removed or renamed is walked (or dropped) below it. The result is
the listing the whole walk would give now, provided every change was told.
"""

from __future__ import annotations

import bisect
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from feeds.errors import ArticleError, RepositoryError
from feeds.rules import IMAGE_SUFFIXES
from feeds.sources.files.listing import (
    BUNDLE_INDEXES,
    READERS,
    Candidate,
    FolderListing,
    Listing,
    file_candidate,
    list_folder,
    not_utf8,
    suffix_of,
)
from feeds.state.cache import gc_paused

#: More changed paths than this in one folder, and it is listed again as a whole.
MANY = 8

#: More keys added or removed than this, and they are sorted again (rather than inserted).
MANY_KEYS = 256


class LiveListing:
    """The listing of the repository at `root`, updated from changed paths.

    A path is "/"-separated and relative to the repository: an article, an image, any other
    file, or a folder (meaning anything under it).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._top = str(root)
        # Each listed folder's findings (without its candidates), and its candidates by key.
        self._folders: dict[str, FolderListing] = {}
        self._members: dict[str, dict[str, Candidate]] = {}
        self._by_key: dict[str, Candidate] = {}
        self._keys: list[str] | None = []  # sorted; None: to be sorted again
        self._added: set[str] = set()  # keys added or removed since `_keys` was sorted
        self._removed: set[str] = set()
        self._problems: tuple[ArticleError, ...] | None = None
        self._listing: Listing | None = None
        self._dirty: set[str] = set()

    @property
    def candidates(self) -> dict[str, Candidate]:
        """The article files by key (read only)."""
        return self._by_key

    # The `feeds.sources.Listing` protocol, without making the tuple of every candidate.

    @property
    def problems(self) -> tuple[ArticleError, ...]:
        """What the walk reports, by place (the same tuple while it stays the same)."""
        if self._problems is None:
            found = [p for f in self._folders.values() for p in f.problems]
            self._problems = tuple(sorted(found, key=lambda p: (p.path, p.reason)))
        return self._problems

    @property
    def article_count(self) -> int:
        """How many article files there are."""
        return len(self._by_key)

    def fingerprint(self) -> str:
        """As `Listing.fingerprint`."""
        return self.listing().fingerprint()

    def rescan(self) -> Listing:
        """Walk the whole repository again (what a cold build lists).

        Raises:
            RepositoryError: the folder does not exist or cannot be listed.
        """
        if not self.root.is_dir():
            raise RepositoryError(
                f"{self.root}: article repository not found: create the folder or set"
                " repository.path"
            )
        self._folders.clear()
        self._members.clear()
        self._by_key.clear()
        self._keys = None
        self._problems = self._listing = None
        with gc_paused():
            self._walk_into(self._top)
        self._dirty.clear()
        return self.listing()

    def update(self, paths: Iterable[str]) -> set[str]:
        """Take in the paths that changed; the keys of the article files that were added,
        removed or restamped (`Candidate.cache_key`) as a result.

        Raises:
            RepositoryError: the repository itself cannot be listed any more.
        """
        self._dirty = set()
        told = sorted({n for path in paths if (n := _normal(path)) is not None})
        # Many changes in one folder (a folder renamed, a checkout): it is listed once.
        by_folder: dict[str, int] = {}
        for path in told:
            folder = path.rpartition("/")[0]
            by_folder[folder] = by_folder.get(folder, 0) + 1
        listed: set[str] = set()
        for folder, count in by_folder.items():
            if count > MANY and (where := self._path(folder)) in self._folders:
                self._refresh(where, deep=False)
                listed.add(folder)
        for path in told:
            if path.rpartition("/")[0] not in listed:
                self._update_one(path)
            elif (where := self._path(path)) in self._folders:
                self._refresh(where, deep=True)
        dirty, self._dirty = self._dirty, set()
        return dirty

    def _path(self, rel_path: str) -> str:
        return os.path.join(self._top, *rel_path.split("/")) if rel_path else self._top

    def listing(self) -> Listing:
        """The listing as the walk would give it now (made again only after a change)."""
        if self._listing is None:
            keys = self._sorted_keys()
            self._listing = Listing(tuple(map(self._by_key.__getitem__, keys)), self.problems)
        return self._listing

    def _sorted_keys(self) -> list[str]:
        keys = self._keys
        added, removed = self._added, self._removed
        if keys is None or len(added) + len(removed) > MANY_KEYS:
            keys = sorted(self._by_key)
        else:
            for key in removed:
                at = bisect.bisect_left(keys, key)
                if at < len(keys) and keys[at] == key:
                    del keys[at]
            for key in added:
                bisect.insort(keys, key)
        self._keys = keys
        added.clear()
        removed.clear()
        return keys

    # --- taking in one change ------------------------------------------------------------

    def _update_one(self, rel_path: str) -> None:
        if not rel_path:
            self._refresh(self._top, deep=True)
            return
        path = self._path(rel_path)
        name = rel_path.rpartition("/")[2]
        parent = os.path.dirname(path)
        known = parent
        while known not in self._folders and len(known) > len(self._top):
            known = os.path.dirname(known)
        if known not in self._folders:
            known = self._top
        if known != parent or path in self._folders or not self._quick(parent, name):
            self._refresh(known, deep=False)
        if path in self._folders:  # a folder: anything under it may have changed
            self._refresh(path, deep=True)

    def _quick(self, folder: str, name: str) -> bool:
        """Take in a change of the one file `name` of a listed folder that leaves the folder's
        images and bundle state as listed (the usual save), with one `lstat`; False when the
        folder must be listed again as a whole."""
        old = self._folders[folder]
        path = os.path.join(folder, name)
        if old.bundle or path in old.subfolders:
            return False
        if name[0] in "._":
            return True  # the walk never looks at it (an editor's swap file, a temporary one)
        if name in BUNDLE_INDEXES or (not name.isascii() and not_utf8(name)):
            return False
        try:
            info: os.stat_result | None = os.lstat(path)
        except FileNotFoundError:
            info = None
        except OSError:
            return False
        if info is not None and not stat.S_ISREG(info.st_mode):
            return False  # a folder, a link, a pipe: the walk's whole rules
        suffix = suffix_of(name)
        if suffix in IMAGE_SUFFIXES:  # replaced in place, or not: the folder's images change
            stem = name.rpartition(".")[0]
            return (name in old.images.get(stem, ())) == (info is not None)
        if suffix not in READERS:
            return True
        rel_path = path[len(self._top) + 1 :].replace(os.sep, "/")
        if info is None:
            self._put(folder, rel_path, None)
        else:
            self._put(folder, rel_path, file_candidate(self._top, path, info, old.images))
        if any(p.path == rel_path for p in old.problems):
            problems = tuple(p for p in old.problems if p.path != rel_path)
            self._folders[folder] = old._replace(problems=problems)
            self._problems = None
        return True

    def _refresh(self, folder: str, *, deep: bool) -> None:
        """List `folder` again; walk the subfolders that appeared, drop those that went, and
        (`deep`) list the others again too."""
        old = self._folders.get(folder)
        if folder != self._top and not os.path.isdir(folder):
            self._drop(folder)
            return
        new = list_folder(self._top, folder)
        self._set(folder, new)
        before = set(old.subfolders) if old is not None else set()
        for sub in before.difference(new.subfolders):
            self._drop(sub)
        for sub in new.subfolders:
            if sub not in before or sub not in self._folders:
                self._walk_into(sub)
            elif deep:
                self._refresh(sub, deep=True)

    def _walk_into(self, folder: str) -> None:
        stack = [folder]
        while stack:
            here = stack.pop()
            found = list_folder(self._top, here)
            self._set(here, found)
            stack.extend(found.subfolders)

    def _drop(self, folder: str) -> None:
        stack = [folder]
        while stack:
            here = stack.pop()
            old = self._folders.get(here)
            if old is None:
                continue
            self._set(here, None)
            del self._folders[here]
            stack.extend(old.subfolders)

    def _set(self, folder: str, new: FolderListing | None) -> None:
        """Replace one folder's findings (None: the folder is gone)."""
        old = self._folders.get(folder)
        members = self._members.pop(folder, {})
        after = {c.rel_path: c for c in new.candidates} if new is not None else {}
        for key in members.keys() - after.keys():
            self._put(folder, key, None, members)
        for key, candidate in after.items():
            self._put(folder, key, candidate, members)
        if new is not None:
            self._folders[folder] = new._replace(candidates=())
            self._members[folder] = members
        if (old.problems if old is not None else ()) != (new.problems if new else ()):
            self._problems = None

    def _put(
        self,
        folder: str,
        key: str,
        candidate: Candidate | None,
        members: dict[str, Candidate] | None = None,
    ) -> None:
        """Set (or, None, remove) the candidate at `key` of `folder`."""
        if members is None:
            members = self._members[folder]
        known = members.get(key)
        if candidate is None:
            if known is None:
                return
            del members[key]
            if self._by_key.pop(key, None) is not None:
                self._removed.add(key)
                self._added.discard(key)
        else:
            if known == candidate:
                return  # the same: the one held stays
            members[key] = candidate
            if key not in self._by_key:
                self._added.add(key)
                self._removed.discard(key)
            self._by_key[key] = candidate
        self._dirty.add(key)
        self._listing = None


def _normal(rel_path: str) -> str | None:
    """A told path as "a/b/c" ("" for the repository itself); None when it leads outside."""
    parts = [part for part in rel_path.replace(os.sep, "/").split("/") if part and part != "."]
    return None if ".." in parts else "/".join(parts)
