"""Serialise entries as a JSON Feed 1.1 document (``feed.json``) from the same model as RSS/Atom."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feeds.model import Author, Channel, Entry, FeedSpec, Image, RenderedFeed
from feeds.render import EntryRenderError

VERSION = "https://jsonfeed.org/version/1.1"


def render_json_feed(
    channel: Channel, spec: FeedSpec, entries: Sequence[Entry], *, output_url: str
) -> RenderedFeed:
    """Render one JSON Feed 1.1 document.

    Members are written in a fixed order, pretty-printed, UTF-8 without escapes, with a final
    newline; dates come only from the entries, so equal input gives equal bytes.

    Args:
        channel: The site.
        spec: The feed's configuration.
        entries: The items, already in feed order (newest first).
        output_url: Public URL of the output folder (ends with "/").

    Returns:
        The serialised document.
    """
    rel_path = spec.file_for("json")
    self_url = output_url + rel_path
    document: dict[str, Any] = {
        "version": VERSION,
        "title": spec.title,
        "home_page_url": channel.url,
        "feed_url": self_url,
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
    if channel.hubs:
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in channel.hubs]
    document["items"] = [_checked_item(entry, channel.language) for entry in entries]
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return RenderedFeed(
        spec=spec,
        format="json",
        rel_path=rel_path,
        url=self_url,
        body=text.encode("utf-8"),
        article_ids=tuple(entry.article.id for entry in entries),
    )


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
