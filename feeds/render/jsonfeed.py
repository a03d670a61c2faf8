"""Serialise entries as a JSON Feed 1.1 document (``feed.json``) from the same model as RSS/Atom."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feeds.model import Author, Channel, Entry, FeedSpec, Image, Paging, RenderedFeed
from feeds.render import EntryRenderError

VERSION = "https://jsonfeed.org/version/1.1"

#: The `_archive` extension object (JSON Feed has no archives of its own): RFC 5005's links
#: and markers, under the names RFC 5005 gives them, described by the RFC itself.
ARCHIVE_EXTENSION = "_archive"
ARCHIVE_ABOUT = "https://www.rfc-editor.org/rfc/rfc5005"


def render_json_feed(
    channel: Channel,
    spec: FeedSpec,
    entries: Sequence[Entry],
    *,
    output_url: str,
    paging: Paging | None = None,
) -> RenderedFeed:
    """Render one JSON Feed 1.1 document.

    Members are written in a fixed order, pretty-printed, UTF-8 without escapes, with a final
    newline; dates come only from the entries, so equal input gives equal bytes.

    Args:
        channel: The site.
        spec: The feed's configuration.
        entries: The items, already in feed order (newest first).
        output_url: Public URL of the output folder (ends with "/").
        paging: RFC 5005 links and markers. An archive document (with a `key`) keeps the
            subscription document's `feed_url` (the feed's identity; a reader subscribing
            there gets the current feed); `next_url` (JSON Feed's "the next items") chains
            the subscription document to the newest archive and each archive to the next
            older one, and the `_archive` extension object carries the RFC 5005 links.

    Returns:
        The serialised document.
    """
    archived = paging is not None and paging.is_archive
    current = output_url + spec.file_for("json")
    rel_path = (
        spec.archive_file("json", paging.key) if paging and archived else spec.file_for("json")
    )
    self_url = output_url + rel_path
    document: dict[str, Any] = {
        "version": VERSION,
        "title": spec.title,
        "home_page_url": channel.url,
        "feed_url": current,
        "description": spec.description or spec.title,
    }
    branding = channel.branding
    if branding is not None and branding.json_icon is not None:
        document["icon"] = branding.json_icon.url
    if branding is not None and branding.favicon is not None:
        document["favicon"] = branding.favicon.url
    document["language"] = channel.language
    if channel.author is not None:
        document["authors"] = [_author(channel.author)]
    if channel.hubs and not archived:
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in channel.hubs]
    if paging is not None:
        if paging.prev_archive:
            document["next_url"] = paging.prev_archive
        extension = _archive_extension(paging)
        if extension:
            document[ARCHIVE_EXTENSION] = extension
    document["items"] = [_checked_item(entry, channel.language) for entry in entries]
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return RenderedFeed(
        spec=spec,
        format="json",
        rel_path=rel_path,
        url=self_url,
        body=text.encode("utf-8"),
        article_ids=tuple(entry.article.id for entry in entries),
        paging=paging,
    )


def _archive_extension(paging: Paging) -> dict[str, Any]:
    links = {
        "current": paging.current,
        "prev_archive": paging.prev_archive,
        "next_archive": paging.next_archive,
    }
    found: dict[str, Any] = {k: v for k, v in links.items() if v}
    if paging.is_archive:
        found = {"archive": True, **found}
    elif paging.complete:
        found = {"complete": True, **found}
    return {"about": ARCHIVE_ABOUT, **found} if found else {}


def _date(moment: datetime) -> str:
    """RFC 3339 with the article's own offset ("Z" for UTC)."""
    text = moment.isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def _author(author: Author) -> dict[str, str]:
    person = {"name": author.name}
    # JSON Feed authors have no e-mail member; the spec allows a mailto: URL instead.
    url = author.uri or (f"mailto:{author.email}" if author.email else "")
    if url:
        person["url"] = url
    return person


def _attachment(image: Image) -> dict[str, Any]:
    attachment: dict[str, Any] = {"url": image.url, "mime_type": image.media_type}
    title = image.caption or image.title or image.alt
    if title:
        attachment["title"] = title
    attachment["size_in_bytes"] = image.length
    return attachment


def _item(entry: Entry, language: str) -> dict[str, Any]:
    article = entry.article
    item: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "content_html": entry.content_html,
    }
    if entry.summary:
        item["summary"] = entry.summary
    if entry.images:
        item["image"] = entry.images[0].url
    item["date_published"] = _date(article.published)
    item["date_modified"] = _date(article.updated)
    if article.authors:
        item["authors"] = [_author(author) for author in article.authors]
    tags = list(dict.fromkeys(article.categories + article.tags))
    if tags:
        item["tags"] = tags
    item["language"] = language
    if entry.images:
        item["attachments"] = [_attachment(image) for image in entry.images]
    return item


def _checked_item(entry: Entry, language: str) -> dict[str, object]:
    try:
        return _item(entry, language)
    except Exception as exc:  # one article's: the build leaves it out
        raise EntryRenderError(entry.article.id, exc) from exc
