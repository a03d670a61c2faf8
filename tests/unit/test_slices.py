"""Tests for feeds.scan.slices: filter semantics, `per` expansion, slugs, collisions, clashes."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from feeds.model import Article, Author, Brief, FeedSpec
from feeds.scan.slices import expand_feeds, matches, select_articles

BASE = FeedSpec(name="f", formats=("rss",), limit=10, title="T", description="D", path="f")


def make(
    name: str,
    *,
    categories: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    authors: tuple[str, ...] = (),
    section: str = "news",
    day: int = 1,
) -> Brief:
    moment = datetime(2026, 5, day, tzinfo=UTC)
    article = Article(
        id=f"id-{name}",
        source=Path(f"/repo/{section}/{name}.md"),
        rel_path=f"{section}/{name}.md",
        title=name,
        slug=name,
        url=f"https://example.org/{name}/",
        published=moment,
        updated=moment,
        authors=tuple(Author(a) for a in authors),
        summary="",
        categories=categories,
        tags=tags,
        section=section,
        images=(),
        related=(),
        draft=False,
        body_format="markdown",
        body_line=3,
    )
    return article.brief()  # what selection sees


A = make("a", categories=("Harbour",), tags=("ferry",), authors=("Mara Lind",), day=3)
B = make("b", categories=("Council",), tags=("budget",), authors=("Jonas Aalto",), day=2)
C = make("c", categories=("Harbour", "Council"), tags=(), authors=("Mara Lind", "Tomas Berg"))
S = make("s", categories=("Swimming",), section="sport", day=4)
ALL = [S, A, B, C]


def names(articles: list[Brief]) -> list[str]:
    return [a.title for a in articles]


def test_no_filter_keeps_every_article_in_order():
    assert names(select_articles(ALL, BASE)) == ["s", "a", "b", "c"]


def test_values_within_one_filter_are_alternatives():
    spec = replace(BASE, categories=("Swimming", "Council"))
    assert names(select_articles(ALL, spec)) == ["s", "b", "c"]


def test_filters_on_different_fields_must_all_match():
    spec = replace(BASE, categories=("Harbour",), authors=("Tomas Berg",))
    assert names(select_articles(ALL, spec)) == ["c"]
    spec = replace(BASE, sections=("news",), tags=("ferry", "budget"))
    assert names(select_articles(ALL, spec)) == ["a", "b"]


def test_values_match_by_slug_ignoring_case_and_punctuation():
    assert matches(A, replace(BASE, categories=("harbour",)))
    assert matches(A, replace(BASE, authors=("mara-lind",)))
    assert not matches(A, replace(BASE, authors=("Mara",)))
    assert matches(S, replace(BASE, sections=("Sport",)))


def test_a_filter_nothing_matches_selects_nothing():
    assert select_articles(ALL, replace(BASE, tags=("lighthouse",))) == []


def test_per_makes_one_feed_per_value_with_filled_path_and_title():
    template = replace(
        BASE, name="cats", per=("category",), path="{per}/{slug}", title="X: {value}"
    )
    result = expand_feeds([BASE, template], ALL)
    assert result.problems == ()
    assert [(s.name, s.path, s.title, s.categories, s.group) for s in result.feeds] == [
        ("f", "f", "T", (), ""),
        ("cats-category-council", "category/council", "X: Council", ("Council",), "cats"),
        ("cats-category-harbour", "category/harbour", "X: Harbour", ("Harbour",), "cats"),
        ("cats-category-swimming", "category/swimming", "X: Swimming", ("Swimming",), "cats"),
    ]
    assert all(spec.per == () for spec in result.feeds)


def test_per_takes_values_only_from_the_articles_the_template_selects():
    template = replace(BASE, name="sport", sections=("sport",), per=("category",), path="s/{slug}")
    assert [s.path for s in expand_feeds([template], ALL).feeds] == ["s/swimming"]


def test_per_with_a_filter_on_the_same_field_keeps_only_the_filtered_values():
    template = replace(BASE, name="who", authors=("Mara Lind",), per=("author",), path="a/{slug}")
    (spec,) = expand_feeds([template], ALL).feeds
    assert spec.authors == ("Mara Lind",)
    assert names(select_articles(ALL, spec)) == ["a", "c"]


def test_several_fields_make_several_sets():
    template = replace(BASE, name="by", per=("tag", "author"), path="{per}/{slug}")
    paths = [s.path for s in expand_feeds([template], ALL).feeds]
    assert paths == [
        "tag/budget",
        "tag/ferry",
        "author/jonas-aalto",
        "author/mara-lind",
        "author/tomas-berg",
    ]


def test_every_slice_is_the_selection_filtered_by_its_value():
    template = replace(BASE, name="cats", per=("category",), path="c/{slug}")
    for spec in expand_feeds([template], ALL).feeds:
        (value,) = spec.categories
        assert select_articles(ALL, spec) == [a for a in ALL if value in a.categories]


def test_two_spellings_with_one_slug_are_a_problem_and_get_no_feed():
    d = make("d", tags=("Ferry",))
    e = make("e", tags=("Ferry",))
    template = replace(BASE, name="tags", per=("tag",), path="tag/{slug}")
    result = expand_feeds([template], [A, B, d, e])
    assert [s.path for s in result.feeds] == ["tag/budget"]
    (problem,) = result.problems
    assert str(problem) == (
        'news/d.md: tags "Ferry" (news/d.md, news/e.md) and "ferry" (news/a.md) both make the'
        ' URL slug "ferry", so feed "tags" makes no feed for them: spell the tag the same way'
        " in every article"
    )


def test_a_value_without_a_slug_is_a_problem():
    d = make("d", tags=("東京",))
    template = replace(BASE, name="tags", per=("tag",), path="tag/{slug}")
    result = expand_feeds([template], [d])
    assert result.feeds == ()
    assert [str(p) for p in result.problems] == [
        'news/d.md: tag "東京" has no ASCII letters or digits to make a URL slug, so feed "tags"'
        " makes no feed for it: add a transliterated tag"
    ]


def test_a_slice_whose_files_another_feed_writes_is_a_problem():
    static = replace(BASE, name="ferry", path="tag/ferry")
    template = replace(BASE, name="tags", per=("tag",), path="tag/{slug}")
    result = expand_feeds([static, template], [A, B])
    assert [s.path for s in result.feeds] == ["tag/ferry", "tag/budget"]
    assert [str(p) for p in result.problems] == [
        'news/a.md: tag "ferry" would give feed "tags" the folder tag/ferry/, where feed "ferry"'
        ' already writes: change the path of one of them (feed "tags" skips this tag)'
    ]


def test_no_published_values_make_no_feeds():
    template = replace(BASE, name="tags", per=("tag",), path="tag/{slug}")
    assert expand_feeds([template], []) == expand_feeds([], [])
