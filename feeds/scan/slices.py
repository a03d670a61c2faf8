"""Feed slices: filter the published articles per feed, and expand `per` into one feed per value."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from feeds.errors import ArticleError
from feeds.model import Brief, FeedSpec, SliceKey
from feeds.rules import MEDIA_DIR, path_slug, slugify

log = logging.getLogger(__name__)

# How many articles a collision message names per spelling before it says "and N more".
_NAMED_ARTICLES = 3


@dataclass(frozen=True, slots=True)
class Expansion:
    """The concrete feeds of a build, and the slices that could not be made.

    Attributes:
        feeds: Configured feeds without `per` in their configured order, then the feeds each
            `per` template makes, by field and slug.
        problems: One per value that cannot have a feed of its own (its slug is empty, is
            shared with another spelling, or its files are already another feed's).
    """

    feeds: tuple[FeedSpec, ...]
    problems: tuple[ArticleError, ...]


def values_of(article: Brief, key: SliceKey) -> tuple[str, ...]:
    """The article's values of one slice field (its categories, tags, author names, section)."""
    if key == "category":
        return article.categories
    if key == "tag":
        return article.tags
    if key == "author":
        return article.authors
    return (article.section,) if article.section else ()


def filters_of(spec: FeedSpec) -> dict[SliceKey, tuple[str, ...]]:
    """The feed's non-empty filters by field."""
    every: dict[SliceKey, tuple[str, ...]] = {
        "section": spec.sections,
        "category": spec.categories,
        "tag": spec.tags,
        "author": spec.authors,
    }
    return {key: wanted for key, wanted in every.items() if wanted}


def value_key(value: str) -> str:
    """What two values must share to be "the same": their slug (or, without one, the text)."""
    return slugify(value) or value.strip().casefold()


@functools.lru_cache(maxsize=4096)
def _value_keys(values: tuple[str, ...]) -> frozenset[str]:
    """The keys of an article's values of one field, made once per distinct set of values:
    each per-value feed asks again (an article with 3,000 tags and a feed per tag asked 9
    million times)."""
    return frozenset(value_key(value) for value in values)


def release_value_keys() -> None:
    """Forget the value keys made so far (the daemon's index is released)."""
    _value_keys.cache_clear()


def matches(article: Brief, spec: FeedSpec) -> bool:
    """Whether the article passes every filter of the feed (AND across fields, OR within one)."""
    for key, wanted in filters_of(spec).items():
        have = _value_keys(values_of(article, key))
        if not have.intersection(value_key(value) for value in wanted):
            return False
    return True


def select_articles(candidates: Iterable[Brief], spec: FeedSpec) -> list[Brief]:
    """The candidates the feed's filters keep, in the candidates' order."""
    if not filters_of(spec):  # a feed of everything (the usual main feed): no test per article
        return list(candidates)
    return [article for article in candidates if matches(article, spec)]


def expand_feeds(specs: Sequence[FeedSpec], candidates: Sequence[Brief]) -> Expansion:
    """Replace each `per` template by one concrete feed per distinct value.

    Values come only from `candidates` (the published articles), so a draft or an embargoed
    article never announces its tags. A value whose slug is empty, or that shares its slug with
    another spelling ("Harbour Wall" and "harbour-wall"), or whose files another feed writes,
    gets no feed: that is reported as a problem naming the articles, and the rest publish.

    Args:
        specs: The configured feeds.
        candidates: The published articles in feed order.

    Returns:
        The concrete feeds and the problems.
    """
    static = [spec for spec in specs if not spec.per]
    taken = {spec.file_for(fmt): spec.name for spec in static for fmt in spec.formats}
    made: list[FeedSpec] = []
    problems: list[ArticleError] = []
    for template in specs:
        if not template.per:
            continue
        chosen = select_articles(candidates, template)
        for key in template.per:
            for slug, spellings in _values_by_slug(chosen, template, key).items():
                problem = _unusable(template, key, slug, spellings)
                if problem is not None:
                    problems.append(problem)
                    continue
                ((value, sources),) = spellings.items()
                spec = _concrete(template, key, slug, value)
                if spec.path.split("/", 1)[0] == MEDIA_DIR:
                    problems.append(
                        ArticleError(
                            sources[0],
                            0,
                            f'{key} "{value}" would give feed "{template.name}" the folder'
                            f" {spec.path}/, inside {MEDIA_DIR}/ where images are published:"
                            f' change the feed\'s path (feed "{template.name}" skips this {key})',
                        )
                    )
                    continue
                clash = next(
                    (taken[file] for file in map(spec.file_for, spec.formats) if file in taken),
                    None,
                )
                if clash is not None:
                    problems.append(
                        ArticleError(
                            sources[0],
                            0,
                            f'{key} "{value}" would give feed "{template.name}" the folder'
                            f' {spec.path}/, where feed "{clash}" already writes: change the'
                            f' path of one of them (feed "{template.name}" skips this {key})',
                        )
                    )
                    continue
                taken.update((spec.file_for(fmt), spec.name) for fmt in spec.formats)
                made.append(spec)
    log.debug("%d feed(s) from %d template(s)", len(made), len(specs) - len(static))
    return Expansion((*static, *made), tuple(problems))


def _values_by_slug(
    articles: Sequence[Brief], template: FeedSpec, key: SliceKey
) -> dict[str, dict[str, list[str]]]:
    """slug -> spelling -> articles (repository paths), sorted by slug then spelling.

    When the template also filters on `key`, only the values it keeps count: a feed per
    author of ``authors = ["A", "B"]`` makes feeds for A and B, not for their co-authors.
    """
    wanted = {value_key(value) for value in filters_of(template).get(key, ())}
    found: dict[str, dict[str, list[str]]] = {}
    for article in articles:
        for value in dict.fromkeys(values_of(article, key)):
            if wanted and value_key(value) not in wanted:
                continue
            slug = path_slug(slugify(value))
            found.setdefault(slug, {}).setdefault(value, []).append(article.rel_path)
    return {
        slug: {spelling: sorted(found[slug][spelling]) for spelling in sorted(found[slug])}
        for slug in sorted(found)
    }


def _unusable(
    template: FeedSpec, key: SliceKey, slug: str, spellings: dict[str, list[str]]
) -> ArticleError | None:
    first_source = next(iter(spellings.values()))[0]
    if not slug:
        value = next(iter(spellings))
        return ArticleError(
            first_source,
            0,
            f'{key} "{value}" has no ASCII letters or digits to make a URL slug, so feed'
            f' "{template.name}" makes no feed for it: add a transliterated {key}',
        )
    if len(spellings) == 1:
        return None
    named = " and ".join(
        f'"{spelling}" ({_name_articles(sources)})' for spelling, sources in spellings.items()
    )
    return ArticleError(
        first_source,
        0,
        f'{key}s {named} {"both" if len(spellings) == 2 else "all"} make the URL slug "{slug}",'
        f' so feed "{template.name}" makes no'
        f" feed for them: spell the {key} the same way in every article",
    )


def _name_articles(sources: Sequence[str]) -> str:
    shown = ", ".join(sources[:_NAMED_ARTICLES])
    more = len(sources) - _NAMED_ARTICLES
    return f"{shown} and {more} more" if more > 0 else shown


def _concrete(template: FeedSpec, key: SliceKey, slug: str, value: str) -> FeedSpec:
    def fill(text: str) -> str:
        return text.replace("{per}", key).replace("{slug}", slug).replace("{value}", value)

    concrete = replace(
        template,
        name=f"{template.name}-{key}-{slug}",
        title=fill(template.title),
        description=fill(template.description),
        path=fill(template.path),
        per=(),
        group=template.name,
    )
    if key == "section":
        return replace(concrete, sections=(value,))
    if key == "category":
        return replace(concrete, categories=(value,))
    if key == "tag":
        return replace(concrete, tags=(value,))
    return replace(concrete, authors=(value,))
