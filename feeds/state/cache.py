"""The build cache between runs: scanned articles and rendered entries, keyed on file stamps.

The cache lives in ``<state>/cache/`` and is safe to delete at any time: a missing, corrupt or
foreign cache file (another program version or settings) is reported once and rebuilt. An
entry is reused only when every file it was made from still has the same stamp (size,
modification time and inode), so a cache never serves stale content.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import itertools
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Hashable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Generic, NamedTuple, TypeVar

from feeds import __version__
from feeds.atomic import replace_file
from feeds.model import Article, Entry
from feeds.rules import Stamp as FileStamp
from feeds.rules import file_stamp

log = logging.getLogger(__name__)

#: Bump when the cached types or their meaning change.
CACHE_FORMAT = 6

#: Items pickled together, sharing one memo (see `_Store._dump`).
CHUNK = 2000

#: The cache's folder inside the state folder.
CACHE_DIR = "cache"

#: (size, mtime_ns, inode) of a file, or None when it does not exist.
Stamp = FileStamp | None

V = TypeVar("V")


@functools.cache
def code_digest() -> str:
    """A digest of this package's source: any code change invalidates every cached result."""
    digest = hashlib.sha256()
    package = Path(__file__).parent.parent  # feeds/, with every subpackage
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects that form no cycles.

    Loading or scanning 100,000 articles allocates millions of objects; the collector would
    walk them again and again (two thirds of the cache's load time) and find nothing to free.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_json(path: Path) -> dict[str, Any] | None:
    """A small JSON record of ours, or None when missing or unreadable (it is then rebuilt)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save_json(path: Path, data: object) -> None:
    """Write a small JSON record atomically, and not at all when it is unchanged (so its stamp
    stays); a failure is logged: it only costs work or a warning next time."""
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    try:
        replace_file(path, text.encode("utf-8"))
    except OSError as exc:
        log.warning("%s: cannot save: %s", path, exc.strerror)


def stamp_of(path: str | Path) -> Stamp:
    """The stamp of a file now (None when missing or unreadable)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return file_stamp(info)


class _Store(Generic[V]):
    """A dict persisted as a pickle, valid only for one program version and settings key.

    A build that changes a few entries of a large cache writes only those to a small delta
    file beside the base file; the base is rewritten (and the delta dropped) once the delta
    grows past a twentieth of the cache. Every entry is checked against its files' stamps on
    use, so even a delta left behind by a crash can only cost a re-read, never stale output.
    """

    def __init__(self, path: Path, settings: Hashable) -> None:
        self.path = path
        self.delta_path = path.with_suffix(".delta" + path.suffix)
        self._key = (CACHE_FORMAT, __version__, code_digest(), settings)
        self._changed: dict[str, V] = {}
        self._dropped: set[str] = set()
        self._has_base = False
        self.items: dict[str, V] = self._load()
        self._dirty = False
        # Chunks that arrived pickled (`adopt`), written as they are while none of their
        # items has changed since. They wait in an unnamed temporary file (a large repository's
        # are tens of MB), as (offset, length); name -> index, and the changed indexes.
        self._spool: BinaryIO | None = None
        self._pickled: list[tuple[int, int]] = []
        self._pickled_at: dict[str, int] = {}
        self._spoiled: set[int] = set()

    def _read(self, path: Path) -> tuple[dict[str, V], object] | None:
        try:
            with path.open("rb") as stream, gc_paused():
                if pickle.load(stream) != self._key:  # noqa: S301 - our own file, our folder
                    log.info("%s: made by another version or settings; rebuilding it", path)
                    return None
                items: dict[str, V] = {}
                while (chunk := pickle.load(stream)) is not None:  # noqa: S301
                    items.update(chunk)
                extra = pickle.load(stream)  # noqa: S301
        except FileNotFoundError:
            return None
        except Exception as exc:  # any corruption: unpickling can raise almost anything
            log.warning("%s: unreadable build cache (%s); rebuilding it", path, exc)
            return None
        return items, extra

    def _load(self) -> dict[str, V]:
        base = self._read(self.path)
        if base is None:
            return {}
        items = base[0]
        self._has_base = True
        delta = self._read(self.delta_path)
        if delta is not None and isinstance(dropped := delta[1], set):
            self._changed, self._dropped = delta[0], dropped
            items.update(self._changed)
            for name in self._dropped:
                items.pop(name, None)
        return items

    def put(self, name: str, value: V) -> None:
        self.items[name] = value
        self._changed[name] = value
        self._dropped.discard(name)
        self._dirty = True
        self._spoil(name)

    def forget(self, name: str) -> None:
        """Drop one item (its file is gone)."""
        if self.items.pop(name, None) is not None:
            self._changed.pop(name, None)
            self._dropped.add(name)
            self._dirty = True
            self._spoil(name)

    def adopt(self, chunk: bytes) -> dict[str, V]:
        """Put the items of a chunk that another process pickled (as `_dump` pickles one):
        they are loaded here, and saved without pickling them again."""
        items: dict[str, V] = pickle.loads(chunk)  # noqa: S301 - from our own worker
        for name in items.keys() & self._pickled_at.keys():
            self._spoil(name)
        self.items.update(items)
        self._changed.update(items)
        self._dropped.difference_update(items)
        self._dirty = True
        try:
            if self._spool is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._spool = tempfile.TemporaryFile(dir=self.path.parent)  # noqa: SIM115 - until save
            offset = self._spool.seek(0, os.SEEK_END)
            self._spool.write(chunk)
        except OSError:
            return items  # then saved the ordinary way (or not at all, with a warning)
        index = len(self._pickled)
        self._pickled.append((offset, len(chunk)))
        self._pickled_at.update(dict.fromkeys(items, index))
        return items

    def _spoil(self, name: str) -> None:
        index = self._pickled_at.get(name)
        if index is not None:
            self._spoiled.add(index)

    def keep_only(self, names: Iterable[str]) -> None:
        wanted = set(names)
        for name in [n for n in self.items if n not in wanted]:
            del self.items[name]
            self._changed.pop(name, None)
            self._dropped.add(name)
            self._dirty = True
            self._spoil(name)

    def save(self) -> None:
        """Write what changed (atomically; a failure only costs speed next time)."""
        if not self._dirty:
            return
        small = len(self._changed) + len(self._dropped) <= max(256, len(self.items) // 20)
        try:
            if self._has_base and small:
                self._dump(self.delta_path, self._changed, self._dropped)
            else:
                self._dump(self.path, self.items, pickled=self._usable_chunks())
                self.delta_path.unlink(missing_ok=True)
                self._has_base = True
                self._changed, self._dropped = {}, set()
        except OSError as exc:
            log.warning("%s: cannot save the build cache: %s", self.path, exc.strerror)
            return
        finally:
            if self._spool is not None:
                self._spool.close()  # an unnamed file: closing it frees it
            self._spool, self._pickled, self._pickled_at, self._spoiled = None, [], {}, set()
        self._dirty = False

    def _usable_chunks(self) -> dict[int, tuple[int, int]]:
        return {i: at for i, at in enumerate(self._pickled) if i not in self._spoiled}

    def _dump(
        self,
        path: Path,
        items: dict[str, V],
        extra: object = None,
        *,
        pickled: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        """The file: the key, the items in chunks of `CHUNK` (one pickle each), None, `extra`.

        Each chunk is pickled with its own memo: within a chunk, what its values share (a
        class, a time zone, a byline) is stored and loaded once, and the memo of a 100,000
        article cache never has to be held at once. Chunks in `pickled` (see `adopt`) are
        written as they are, the items they hold are not pickled again.
        """
        pickled = pickled or {}
        names = [n for n in items if self._pickled_at.get(n, -1) not in pickled]

        def dump(stream: BinaryIO) -> None:
            chunks = (
                {name: items[name] for name in names[start : start + CHUNK]}
                for start in range(0, len(names), CHUNK)
            )
            _write_pickle(stream, self._key)
            for offset, length in pickled.values():
                assert self._spool is not None  # there are chunks only when spooled
                self._spool.seek(offset)
                stream.write(self._spool.read(length))
            for part in itertools.chain(chunks, (None, extra)):
                _write_pickle(stream, part)

        replace_file(path, dump)


def _write_pickle(stream: BinaryIO, value: object) -> None:
    # A pickler per value: each is a whole pickle with its own memo, loaded on its own.
    pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(value)


def pickle_chunk(items: dict[str, object]) -> bytes:
    """A chunk of cache items, pickled as `_Store` saves it (for `adopt`)."""
    return pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)


class ScanCache(_Store[tuple[Hashable, object]]):
    """Scan results (a `Brief` or the `ArticleError` it gave) by article path and stamp."""

    def __init__(self, folder: Path, settings: Hashable) -> None:
        super().__init__(folder / "scan.pickle", settings)

    def get(self, rel_path: str, stamp: Hashable) -> object | None:
        """The cached result for this file if its stamp is unchanged."""
        found = self.items.get(rel_path)
        if found is None or found[0] != stamp:
            return None
        return found[1]

    def remember(self, rel_path: str, stamp: Hashable, result: object) -> None:
        """Store a fresh result."""
        self.put(rel_path, (stamp, result))


class CachedEntry(NamedTuple):
    """A rendered entry and what it was made from.

    Attributes:
        source: The article file's path and `Candidate.cache_key` when it was read.
        read: The article as read from that file, before its related links were completed
            from other articles' titles (None: the same as `entry.article`).
        stamps: Every file the entry was made from, with its stamp then.
    """

    source: tuple[str, Hashable]
    read: Article | None
    stamps: tuple[tuple[str, Stamp], ...]
    entry: Entry


class EntryCache(_Store[CachedEntry]):
    """Rendered entries by article id, valid while the article and every file it used are."""

    def __init__(self, folder: Path, settings: Hashable) -> None:
        super().__init__(folder / "entries.pickle", settings)

    def article(self, article_id: str, rel_path: str, cache_key: Hashable) -> Article | None:
        """The article as read before from the file `rel_path`, if the file's `cache_key`
        (its stamp and what the listing saw beside it) is unchanged: reading the file again
        would give the same article."""
        found = self.items.get(article_id)
        if found is None or found.source != (rel_path, cache_key):
            return None
        return found.entry.article if found.read is None else found.read

    def get(
        self, article: Article, article_id: str, source: tuple[str, Hashable] | None = None
    ) -> Entry | None:
        """The cached entry if the article's metadata and all its files are unchanged (and,
        given `source`, the article's path and stamp: a source whose articles are no files,
        such as a database, stamps an article's images with it)."""
        found = self.items.get(article_id)
        if found is None or found.entry.article != article:
            return None
        if source is not None and found.source != source:
            return None
        if any(stamp_of(path) != stamp for path, stamp in found.stamps):
            return None
        return found.entry

    def remember(
        self, entry: Entry, files: Iterable[str], *, source: tuple[str, Hashable], read: Article
    ) -> None:
        """Store a fresh entry with the stamps of the files it was made from, and the article
        as read from `source` (its path and cache key)."""
        stamps = tuple((path, stamp_of(path)) for path in sorted(set(files)))
        read_here = None if read == entry.article else read
        self.put(entry.article.id, CachedEntry(source, read_here, stamps, entry))


class ArchiveRecord(NamedTuple):
    """What an archive document was made from, for a later build to leave it alone.

    Attributes:
        digest: Of everything the document's bytes depend on but the files in `depends`:
            the program and configuration, the period, its neighbours, and each article's
            id, path and stamp.
        depends: Every file its entries were made from (images), with its stamp then.
        output: The stamp of the published file right after it was written (a folder
            target; None where the target has no file stamps).
        items: How many items it holds; `updated`: its feed date (ISO 8601).
        media: The media paths its items show (kept published while it is).
    """

    digest: str
    depends: tuple[tuple[str, Stamp], ...]
    output: Stamp
    items: int
    updated: str
    media: tuple[str, ...]


class ArchiveCache:
    """The archive documents published before, by path: a closed archive whose inputs are
    unchanged is neither loaded, rendered, validated nor written again (a 100,000 article
    feed's archives would otherwise be rendered at every build). Safe to delete: the next
    build renders every archive and writes only those whose bytes differ."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "archives.json"
        self.records: dict[str, ArchiveRecord] = {}
        data = load_json(self.path)
        if data is None or data.get("key") != [CACHE_FORMAT, __version__, code_digest()]:
            return
        try:
            for rel, item in data["archives"].items():
                depends = tuple((path, _stamp(stamp)) for path, stamp in item["depends"])
                self.records[rel] = ArchiveRecord(
                    item["digest"],
                    depends,
                    _stamp(item["output"]),
                    int(item["items"]),
                    item["updated"],
                    tuple(item["media"]),
                )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("%s: unreadable archive record (%s); rebuilding it", self.path, exc)
            self.records = {}

    def unchanged(self, rel_path: str, digest: str, output: Path | None) -> ArchiveRecord | None:
        """The record of an archive made from the same inputs, whose files (and published
        file, given `output`) still have their stamps; None when it must be made again."""
        found = self.records.get(rel_path)
        if found is None or found.digest != digest:
            return None
        if output is not None and stamp_of(output) != found.output:
            return None
        if any(stamp_of(path) != stamp for path, stamp in found.depends):
            return None
        return found

    def save(self, records: dict[str, ArchiveRecord]) -> None:
        """Replace the records by those of the archives this build published or kept."""
        if records == self.records and self.path.exists():
            return  # not even serialised: a large feed's records are megabytes
        self.records = records
        save_json(
            self.path,
            {
                "key": [CACHE_FORMAT, __version__, code_digest()],
                "archives": {rel: record._asdict() for rel, record in sorted(records.items())},
            },
        )


def _stamp(value: object) -> Stamp:
    if value is None:
        return None
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) for v in value):
        return (value[0], value[1], value[2])
    raise ValueError(f"not a stamp: {value!r}")
