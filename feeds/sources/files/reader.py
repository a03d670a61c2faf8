"""Reading one article file in full: its front matter (or wire text) into an `Article`, and its
body text for rendering."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from feeds.errors import ArticleError
from feeds.model import Article, ImageRef, Site
from feeds.sources.fields import article_from_fields
from feeds.sources.files.frontmatter import (
    decode_utf8,
    read_front_matter,
    read_start,
    split_front_matter,
)
from feeds.sources.files.listing import Candidate, FolderCache, Listing, restamped, stem_of
from feeds.sources.wire import WireDocument, parse_wire


class ArticleReader:
    """Reads the full `Article` of a scanned article again (the scan keeps only its `Brief`).

    Given the build's `listing`, an article in it is found again with one `lstat` and the
    folder facts the scan used; any other by listing its folder.
    """

    def __init__(
        self,
        root: Path,
        site: Site,
        *,
        max_article_bytes: int,
        listing: Listing | None = None,
        listed: Mapping[str, Candidate] | None = None,
    ) -> None:
        self._folders = FolderCache(root)
        self._listing = listing
        self._listed: Mapping[str, Candidate] | None = listed  # the listing's, by key
        self._site = site
        self._zone = ZoneInfo(site.timezone)
        self._max_bytes = max_article_bytes

    def find(self, rel_path: str) -> Candidate:
        """The article file at `rel_path` (inside the repository, "/"-separated) with its
        stamp now; its `cache_key` tells whether an article read from it earlier still holds.

        Raises:
            ArticleError: it is gone, or is no longer an article file.
        """
        if self._listed is None and self._listing is not None:
            self._listed = {c.rel_path: c for c in self._listing.candidates}
        listed = self._listed.get(rel_path) if self._listed is not None else None
        if listed is not None:
            candidate = restamped(listed)
        else:
            candidate = self._folders.candidate_for(rel_path)
        if candidate is None:
            raise ArticleError(rel_path, 0, "disappeared while the feeds were being built")
        return candidate

    def read(self, file: str | Candidate) -> Article:
        """The article at the path `file` (or in the file that `find` found) as it is now.

        Raises:
            ArticleError: it is gone, is no longer an article file, or cannot be read.
        """
        candidate = self.find(file) if isinstance(file, str) else file
        try:
            return read_article(candidate, self._site, self._zone, self._max_bytes)
        except OSError as exc:
            raise ArticleError(candidate.rel_path, 0, f"cannot be read: {exc.strerror}") from exc


def read_article(candidate: Candidate, site: Site, zone: ZoneInfo, max_bytes: int) -> Article:
    """The article in the file `candidate` (the scan keeps its `Brief`, a build reads it again).

    Raises:
        ArticleError: the file is not a valid article.
        OSError: the file cannot be read.
    """
    path = candidate.path
    rel_path = candidate.rel_path
    body_format = candidate.body_format
    wire: WireDocument | None = None
    if body_format == "markdown":
        matter = read_front_matter(path, path=rel_path, size=candidate.size)
    else:
        text = read_text(path, rel_path, max_bytes, size=candidate.size)
        matter = split_front_matter(text, path=rel_path)
        wire = parse_wire(matter.body, path=rel_path, first_line=matter.body_line)
    return article_from_fields(
        matter,
        site=site,
        zone=zone,
        rel_path=rel_path,
        source=path,
        stem=os.path.basename(os.path.dirname(path)) if candidate.bundle else stem_of(path),
        # The bundle's folder, or the file without its suffix ("/"-separated, like rel_path).
        key=posixpath.dirname(rel_path) if candidate.bundle else posixpath.splitext(rel_path)[0],
        body_format=body_format,
        body_line=matter.body_line,
        wire=wire,
        wire_image=None if wire is None else lambda: _wire_image(wire, candidate),
    )


def read_text(path: str | Path, rel_path: str, max_bytes: int, size: int | None = None) -> str:
    try:
        data = read_start(path, max_bytes + 1, size=size)
    except OSError as exc:
        raise ArticleError(rel_path, 0, f"cannot be read: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise ArticleError(
            rel_path,
            0,
            f"is larger than {max_bytes} bytes: split the article, or raise "
            "repository.max_article_bytes if it really is this long",
        )
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ArticleError(
            rel_path, line, "contains a NUL byte, so it is binary, not text: save it as UTF-8 text"
        )
    return decode_utf8(data, path=rel_path)


def _wire_image(wire: WireDocument, candidate: Candidate) -> ImageRef:
    """The wire article's image: a same-stem file beside it, or the bundle's only image."""
    assert wire.image is not None
    path = candidate.path
    stem = stem_of(path)
    if candidate.bundle:
        names = sorted(name for group in candidate.images.values() for name in group)
    else:
        names = list(candidate.images.get(stem, ()))
    if not names:
        where = (
            "in the bundle folder"
            if candidate.bundle
            else f"named {stem}.jpg (or .png, .webp) beside it"
        )
        raise ArticleError(
            candidate.rel_path,
            wire.image.line,
            f"the image block needs an image file: add one {where}",
        )
    return ImageRef(
        path=os.path.join(os.path.dirname(path), names[0]),
        alt=wire.image.alt,
        caption=wire.image.caption,
        credit=wire.image.credit,
        line=wire.image.line,
    )
