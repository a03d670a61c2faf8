"""The order of a publish: media, then feeds, then pages, then what is no longer published."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from feeds.model import Blob, RenderedFeed
from feeds.publish import MEDIA_DIR, Change, Delete, Put


def plan_changes(
    feeds: Sequence[RenderedFeed],
    media: Mapping[str, Blob],
    pages: Sequence[tuple[str, bytes]],
    *,
    held_media: Iterable[str],
    retired: Sequence[str],
    media_types: Mapping[str, str] | None = None,
    keep_media: Iterable[str] = (),
) -> list[Change]:
    """Every change of one publish, in the order a target must apply them.

    Media come first, so that a feed never names an image that is not there yet; then the
    feeds; then the pages that list them; media that no published feed uses any more and
    retired feeds are removed last, once nothing published points at them.

    Args:
        feeds: Validated feed documents.
        media: Media path (relative to the media folder) -> its bytes at the source.
        pages: Other documents (path relative to the target; bytes): the discovery page, OPML.
        held_media: The media the target holds now (paths under `MEDIA_DIR/`).
        retired: Feed files earlier builds published that no configured feed produces now.
        media_types: Media path -> the type sniffed from its bytes (object storage sends it).
        keep_media: Media paths (relative to the media folder) to leave as they are: those
            of the archive documents this publish leaves as they are.
    """
    types = media_types or {}
    changes: list[Change] = [
        Put(f"{MEDIA_DIR}/{path}", blob, "media", types.get(path, ""))
        for path, blob in sorted(media.items())
    ]
    changes.extend(Put(feed.rel_path, feed.body, "feed") for feed in feeds)
    changes.extend(Put(path, body, "page") for path, body in pages)
    keep = {f"{MEDIA_DIR}/{path}" for path in (*media, *keep_media)}
    changes.extend(Delete(path) for path in sorted(set(held_media) - keep))
    changes.extend(Delete(path) for path in retired)
    return changes
