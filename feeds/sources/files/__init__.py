"""The file repository: a folder of Markdown, page bundles and wire text, as an `ArticleSource`.

Listing imports nothing heavy (it is all a build that finds nothing changed does); the readers
(PyYAML, tomli) are imported when an article is first read.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from feeds.errors import ArticleError
from feeds.model import Article, Blob, Brief, ScanResult, Site
from feeds.sources import Listing as AnyListing
from feeds.sources.files.listing import Candidate, Listing, list_repository
from feeds.state.cache import ScanCache
from feeds.stopping import NEVER, Cancellation

if TYPE_CHECKING:
    from feeds.model import Site
    from feeds.sources.files.reader import ArticleReader


class FileBody(NamedTuple):
    """An article file's body, after its front matter."""

    text: str
    first_line: int


class FileSource:
    """Articles in a folder (`repository.path`); keys are paths inside it, "/"-separated.

    `stop` is the cancellation of the build the source serves: listing and scanning give up
    (`BuildStopped`) when it is requested.
    """

    def __init__(
        self, root: Path, site: Site, *, max_article_bytes: int, stop: Cancellation = NEVER
    ) -> None:
        self.root = root
        self._stop = stop
        self._site = site
        self._max_bytes = max_article_bytes
        self._listing: Listing | None = None
        self._by_key: Mapping[str, Candidate] | None = None
        self._reader: ArticleReader | None = None
        self._located: dict[str, Candidate] = {}

    def describe(self) -> str:
        return str(self.root)

    def list(self) -> Listing:
        self._listing = list_repository(self.root, stop=self._stop)
        self._by_key = None
        self._reader = None
        return self._listing

    def take_listing(self, listing: Listing | None, by_key: Mapping[str, Candidate]) -> None:
        """Use the candidates `by_key` (and their `listing`, when made) as `list()` would
        give them now: the daemon's index keeps them current."""
        self._listing = listing
        self._by_key = by_key
        self._reader = None
        self._located.clear()

    def read_briefs(self, candidates: Sequence[Candidate]) -> builtins.list[Brief | ArticleError]:
        """The scan results of these listed article files, in order (read in this process)."""
        from feeds.sources.files.scan import read_chunk  # noqa: PLC0415 - see module doc

        return read_chunk(list(candidates), self._site, self._max_bytes)

    def scan(
        self,
        listing: AnyListing,
        *,
        cache: ScanCache | None,
        while_waiting: Callable[[], object] | None = None,
    ) -> ScanResult:
        from feeds.sources.files.scan import scan_repository  # noqa: PLC0415 - see module doc

        assert isinstance(listing, Listing), "a listing of this source"

        return scan_repository(
            self.root,
            self._site,
            max_article_bytes=self._max_bytes,
            cache=cache,
            workers=len(os.sched_getaffinity(0)),
            listing=listing,
            while_waiting=while_waiting,
            stop=self._stop,
        )

    def _articles(self) -> ArticleReader:
        if self._reader is None:
            from feeds.sources.files.reader import ArticleReader  # noqa: PLC0415

            self._reader = ArticleReader(
                self.root,
                self._site,
                max_article_bytes=self._max_bytes,
                listing=self._listing,
                listed=self._by_key,
            )
        return self._reader

    def locate(self, key: str) -> Hashable:
        found = self._articles().find(key)
        self._located[key] = found
        return found.cache_key

    def read_article(self, key: str) -> Article:
        found = self._located.pop(key, None)
        return self._articles().read(found if found is not None else key)

    def read_body(self, article: Article) -> FileBody:
        from feeds.sources.files.frontmatter import split_front_matter  # noqa: PLC0415
        from feeds.sources.files.reader import read_text  # noqa: PLC0415

        text = read_text(article.source, article.rel_path, self._max_bytes)
        matter = split_front_matter(text, path=article.rel_path)
        return FileBody(matter.body, matter.body_line)

    def open_blob(self, key: str) -> Blob:
        info = os.stat(key)
        return Blob(info.st_size, info.st_mtime_ns, lambda: Path(key).open("rb"))
