"""Property: any row a CMS can store in feeds.articles is an article or a problem naming it
(the row as the database hands it over: typed columns, JSON, arrays with NULLs, no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import event, given
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.model import Site
from feeds.sources.postgres import PostgresSource, _Row

SITE = Site(url="https://news.example.org/", timezone="Europe/Berlin")
SOURCE = PostgresSource("postgresql://feeds@127.0.0.1/newsroom", SITE, max_article_bytes=10_000)

text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
).map(lambda moment: moment.astimezone(timezone(timedelta(hours=1))))
names = st.lists(
    st.text("abcxyz-_ .", min_size=1, max_size=8).filter(lambda n: n.strip(". ") == n and n),
    min_size=1,
    max_size=3,
)
keys = st.builds(
    lambda parts, suffix: "/".join(parts) + suffix,
    names,
    st.sampled_from([".md", ".markdown", ".txt", "/index.md", "/index.txt"]),
)
images = st.lists(
    st.tuples(
        st.builds(lambda parts: "/".join(parts) + ".jpg", names),
        st.none() | st.integers(-3, 3),
        text,
        text,
        text,
        text,
    ),
    max_size=3,
)


def dumped(value: object) -> str | None:
    return None if value is None else json.dumps(value)


@given(
    key=keys,
    title=st.none() | text,
    date=st.none() | moments,
    date_text=st.sampled_from([None, "infinity", "-infinity"]),
    updated=st.none() | moments,
    draft=st.booleans(),
    section=st.none() | text,
    slug=st.none() | text,
    url=st.none() | text | st.builds(lambda t: "https://news.example.org/" + t, text),
    article_id=st.none() | text,
    authors=json_values,
    categories=st.none() | st.lists(st.none() | text, max_size=3),
    related=json_values,
    extra=st.dictionaries(text, json_values, max_size=3),
    body=st.text(max_size=200),
    pictures=images,
)
def test_any_row_is_an_article_or_a_problem_naming_its_key(
    key, title, date, date_text, updated, draft, section, slug, url, article_id, authors,
    categories, related, extra, body, pictures,
) -> None:  # fmt: skip
    row = _Row(
        key, 7, title, None if date_text else date, date_text, updated, None, draft, section,
        slug, url, article_id, None, dumped(authors), categories, categories, dumped(related),
        json.dumps(extra), body if key.endswith(".txt") else None,
        len(body.encode()) if key.endswith(".txt") else None,
        json.dumps(pictures) if pictures else None,
    )  # fmt: skip
    try:
        article = SOURCE._article(row)
    except ArticleError as problem:
        assert problem.path == f"postgresql:{key}"
        assert str(problem).startswith(f"postgresql:{key}")
        assert problem.reason
        event("a located problem")
        return
    event("an article")
    brief = article.brief()
    assert brief.rel_path == f"postgresql:{key}"
    assert article.title
    assert article.url.startswith("http")
    assert all(image.path.endswith(".jpg") for image in article.images)
