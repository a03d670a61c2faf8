"""Article sources: where a build's articles come from, behind one small interface.

A source lists its articles with their stamps (nothing parsed), scans what selection needs into
a `Brief` each, and reads the selected articles in full: the article, its body, its images'
bytes. The file repository (`feeds.sources.files`) is the first source.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from typing import NamedTuple, Protocol, runtime_checkable

from feeds.errors import ArticleError
from feeds.model import Article, Blob, ScanResult
from feeds.state.cache import ScanCache


class Listing(Protocol):
    """What a source holds right now: every article's key with its stamp, nothing parsed."""

    @property
    def problems(self) -> tuple[ArticleError, ...]:
        """Items that are no articles (a symlink, an unlistable folder), each located."""
        ...

    @property
    def article_count(self) -> int:
        """How many articles were listed."""
        ...

    def fingerprint(self) -> str:
        """Changes whenever any listed article (or anything its Brief depends on) changes."""
        ...


class Body(Protocol):
    """An article's body in its source format, and the line it starts on."""

    @property
    def text(self) -> str: ...

    @property
    def first_line(self) -> int: ...


class ArticleSource(Protocol):
    """Where articles come from: a file repository today, a CMS database tomorrow."""

    def describe(self) -> str:
        """The source as a person names it (a folder, a database URL without secrets)."""
        ...

    def list(self) -> Listing:
        """Every article's key with its stamp (the cheap first step of every build).

        Raises:
            RepositoryError: the source cannot be reached or listed.
        """
        ...

    def scan(
        self,
        listing: Listing,
        *,
        cache: ScanCache | None,
        while_waiting: Callable[[], object] | None = None,
    ) -> ScanResult:
        """A `Brief` for every listed article in key order (from `cache` where its stamp is
        unchanged), and a located problem for each one that cannot be read.

        `while_waiting` is work for the caller's process while worker processes read, if any.
        """
        ...

    def locate(self, key: str) -> Hashable:
        """The stamp the article at `key` has now: an article read when it had the same stamp
        is the article it is now.

        Raises:
            ArticleError: it is gone, or no longer an article.
        """
        ...

    def read_article(self, key: str) -> Article:
        """The article at `key`, as it is now (its fields; the body is read by `read_body`).

        Raises:
            ArticleError: it is gone, or it is not a valid article.
        """
        ...

    def read_body(self, article: Article) -> Body:
        """The body of `article` in its source format.

        Raises:
            ArticleError: it cannot be read any more.
        """
        ...

    def open_blob(self, key: str) -> Blob:
        """The bytes of an image the source holds (`Image.source`), with its size and stamp."""
        ...


class StoredImage(NamedTuple):
    """An image that a source keeps as bytes rather than as a file (`ImageStore`).

    Attributes:
        data: Its bytes; None when it is larger than the limit it was asked for.
        size: Its length in bytes.
        blob: What `ArticleSource.open_blob` opens it by (`Image.source`).
    """

    data: bytes | None
    size: int
    blob: str


@runtime_checkable
class ImageStore(Protocol):
    """A source that keeps each article's images as bytes beside it (a database), not as files
    in a folder: the loader reads them through the source."""

    def image_bytes(self, article: Article, path: str, *, max_bytes: int) -> StoredImage | None:
        """The image at the repository path `path` that `article` holds; None when none."""
        ...


class ChangeFeed(Protocol):
    """Tells a resident process what changed in a source, so that only that is read again.

    The file repository's (`feeds.daemon.watch.RepositoryWatch`: inotify, or a stat scan)
    reports repository-relative "/"-separated paths, the reader's ignore rules applied: an
    article file's path is its key; an image or any other file is reported by its path too
    (which articles use it is for the caller to know); a folder that was created, deleted,
    moved in or out or renamed is reported as the folder's path, standing for everything
    under it (both the old and the new path for a rename); "" is the repository itself.
    The PostgreSQL source's LISTEN/NOTIFY (`feeds.sources.postgres`) reports article keys.
    """

    def wait(self, timeout: float) -> Collection[str] | None:
        """Block up to `timeout` seconds for changes: the changed keys (empty: nothing
        changed, or the wait was woken early), or None when the feed lost track (a queue
        overflow, a replaced repository folder) and everything must be scanned again."""
        ...

    def close(self) -> None:
        """Stop watching and release what the feed holds (threads, descriptors)."""
        ...
