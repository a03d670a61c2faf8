"""Selection: which articles the feeds carry, in which order, each once (Briefs in, Briefs out)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from feeds.errors import ArticleError
from feeds.model import Article, Brief, Link, ScanResult


def is_published(article: Brief, now: datetime) -> bool:
    """Drafts, retracted articles and articles dated after `now` (embargoed) are never
    published."""
    return not article.draft and article.retracted is None and article.published <= now


def feed_order(articles: Iterable[Brief]) -> list[Brief]:
    """Newest first; equal dates ordered by id, so that the order is fully specified."""
    by_id = sorted(articles, key=lambda a: a.id)
    return sorted(by_id, key=lambda a: a.published, reverse=True)


def _title_key(title: str) -> str:
    return " ".join(title.casefold().split()).rstrip(".!?")


def title_urls(published: Iterable[Brief]) -> dict[str, str]:
    """The URL of each published headline (with two of the same headline, the last one's)."""
    return {_title_key(article.title): article.url for article in published}


def link_related(article: Article, urls: Mapping[str, str]) -> Article:
    """Give related stories named only by title (wire `Related:` lines) the URL of the
    published article with that headline (`urls` from `title_urls`): a draft or embargoed
    story is never linked."""
    if all(link.url for link in article.related):
        return article
    related = tuple(
        link if link.url else Link(link.title, urls.get(_title_key(link.title), ""))
        for link in article.related
    )
    return replace(article, related=related)


def rule_out_duplicates(scan: ScanResult, now: datetime) -> ScanResult:
    """Keep one article for each id and URL, and report the others: a published one before
    any draft or embargoed one (an unpublished article never displaces a published one), and
    among those the first in key order."""
    problems = list(scan.problems)
    unique = drop_duplicates(list(scan.articles), problems, now)
    if len(unique) == len(scan.articles):
        return scan
    problems.sort(key=lambda p: (p.path, p.line))
    return ScanResult(tuple(unique), tuple(problems))


def drop_duplicates(
    articles: list[Brief], problems: list[ArticleError], now: datetime
) -> list[Brief]:
    """Keep one article (`articles` are in key order) for each id and URL, published ones
    first; report the others in `problems`."""
    if len({a.id for a in articles}) == len({a.url for a in articles}) == len(articles):
        return articles  # the usual case, told at once
    # A stable sort: published articles claim their id and URL first, each group in key order.
    in_order = sorted(articles, key=lambda a: not is_published(a, now))
    kept: list[Brief] = []
    by_id: dict[str, Brief] = {}
    by_url: dict[str, Brief] = {}
    for article in in_order:
        first = by_id.get(article.id)
        if first is not None:
            problems.append(
                ArticleError(
                    article.rel_path,
                    0,
                    f"has the same id {article.id!r} as {first.rel_path}: "
                    "give one of them its own `id` in the front matter",
                )
            )
            continue
        first = by_url.get(article.url)
        if first is not None:
            problems.append(
                ArticleError(
                    article.rel_path,
                    0,
                    f"has the same URL {article.url} as {first.rel_path}: "
                    "give one of them another `slug` (or `url`)",
                )
            )
            continue
        by_id[article.id] = article
        by_url[article.url] = article
        kept.append(article)
    chosen = {id(a) for a in kept}
    return [a for a in articles if id(a) in chosen]
