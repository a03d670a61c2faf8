"""Rendering: a feed's entries become the bytes of its document (RSS 2.0 and Atom 1.0 through
feedgen, JSON Feed 1.1), and the feeds the pages that list them (`render.pages`).

Importing this package is cheap: each renderer is loaded when a feed of its format is first
rendered (a build that finds nothing changed renders nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feeds.model import Channel, Entry, FeedSpec, Format, Paging, RenderedFeed, Tombstone


class EntryRenderError(Exception):
    """One entry could not be rendered: a bug, but that article's (the build leaves it out
    and renders the feeds again without it)."""

    def __init__(self, article_id: str, cause: Exception) -> None:
        super().__init__(f"{article_id}: {type(cause).__name__}: {cause}")
        self.article_id = article_id
        self.cause = cause


def render_feed(
    channel: Channel,
    spec: FeedSpec,
    fmt: Format,
    entries: Sequence[Entry],
    *,
    output_url: str,
    updated_when_empty: datetime | None = None,
    paging: Paging | None = None,
    tombstones: Sequence[Tombstone] = (),
) -> RenderedFeed:
    """Render one feed document of `spec` in the format `fmt`.

    Raises:
        EntryRenderError: an entry could not be rendered.

    Args:
        channel: The site.
        spec: The feed's configuration.
        fmt: Its format.
        entries: Its items, in feed order.
        output_url: Public URL the output is served at (self links).
        updated_when_empty: The feed date of an XML feed without entries (the date it had
            when it last had items); JSON Feed has no feed date.
        paging: RFC 5005: the document's archive links and markers; with a `key` it is
            that archive document of the feed (see `FeedSpec.archive_file`). Archive
            documents are rendered here like the feeds, so whatever a feed's items carry
            reaches its archives too.
        tombstones: Items of this feed that were retracted or deleted: an Atom feed carries
            them as RFC 6721 ``at:deleted-entry`` elements; RSS and JSON Feed have no such
            element (the item just disappears).
    """
    if fmt == "json":
        from feeds.render.jsonfeed import render_json_feed  # noqa: PLC0415 - see module doc

        return render_json_feed(channel, spec, entries, output_url=output_url, paging=paging)
    from feeds.render import rss_atom  # noqa: PLC0415

    return rss_atom.render_feed(
        channel,
        spec,
        fmt,
        entries,
        output_url=output_url,
        updated_when_empty=updated_when_empty,
        paging=paging,
        tombstones=tombstones,
    )
