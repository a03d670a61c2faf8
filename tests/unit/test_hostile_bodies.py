"""Hostile article bodies cost time in proportion to their length: nesting is capped before
the sanitiser's HTML5 parser sees it, the summary is found in one pass, and categories are
added in one call. (How long each worst case takes: benchmarks/bench_hostile.py.)"""

import re
from datetime import UTC, datetime
from pathlib import Path

import nh3
import pytest
from feedgen.entry import FeedEntry
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.load.markup import derive_summary, render_markdown, sanitise_html
from feeds.load.nesting import MAX_NESTING, cap_nesting
from feeds.model import Article, Author, Channel, Entry, FeedSpec
from feeds.render.rss_atom import render_feed

VOID = {"area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"}
TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)[^>]*>")


def depth(serialised: str) -> int:
    """How deeply the elements of the sanitiser's output nest (it writes every end tag)."""
    deepest = 0
    open_ = 0
    for match in TAG.finditer(serialised):
        if match.group(2).lower() in VOID:
            continue
        open_ += -1 if match.group(1) else 1
        deepest = max(deepest, open_)
    return deepest


def sanitised(markdown: str) -> str:
    return sanitise_html(render_markdown(markdown), base_url="https://x.org/", resolve=no_local)


def no_local(_src: str) -> str | None:
    return None


# Every element the soups below use survives this cleaning, so its output shows how deeply the
# parser nested them (raw-text elements like <style> are left out: their text is not escaped).
KEPT_NAMES = (
    "div p span b i a li ul ol dd dt dl h1 h2 table tr td th tbody svg g path math mi mtext "
    "foreignobject desc select option optgroup ruby rt rp rb rtc form button em strong pre "
    "blockquote caption colgroup object applet marquee nobr font figure section br img hr col"
)
KEPT = set(KEPT_NAMES.split(" "))


def parsed_depth(html: str) -> int:
    """The depth of the tree the sanitiser's parser builds from `html` (its output, every
    element kept, attributes and comments dropped)."""
    cleaned = nh3.clean(
        html,
        tags=KEPT,
        attributes={},
        generic_attribute_prefixes=set(),
        clean_content_tags={"script", "style"},
        link_rel=None,
    )
    return depth(cleaned)


def test_50000_nested_quotes_are_capped_and_keep_their_text() -> None:
    out = sanitised("> " * 50_000 + "deep\n")
    assert depth(out) == MAX_NESTING
    assert out.count("<blockquote>") == MAX_NESTING
    assert "deep" in out


def test_nested_divs_are_capped_and_their_end_tags_go_with_them() -> None:
    out = sanitised("<div>" * 5_000 + "deep" + "</div>" * 5_000 + "\n\nafter\n")
    assert depth(out) == MAX_NESTING
    assert out.count("<div>") == out.count("</div>") == MAX_NESTING
    assert re.search(r"deep(</div>){100}\s*<p>after</p>", out)  # the rest is not inside


def test_nesting_up_to_the_cap_is_left_exactly_as_it_was() -> None:
    html = "<div>" * MAX_NESTING + "deep" + "</div>" * MAX_NESTING
    assert cap_nesting(html) is html
    one_more = "<div>" + html + "</div>"
    assert cap_nesting(one_more) == html


def test_an_ordinary_article_passes_unchanged() -> None:
    """The same object comes back: nothing the sanitiser sees differs."""
    body = render_markdown(
        "# Title\n\nSome *text* with [a link](https://x.org/ 'a <title>') and `<code>`.\n\n"
        "> A quote\n>\n> - with a list\n>   - nested\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '<figure><img src="a.jpg" alt="x"/><figcaption>cap</figcaption></figure>\n\n'
        '<svg viewBox="0 0 1 1"><path d="M0 0"></path></svg>\n\n<!-- a comment -->\n'
    )
    assert cap_nesting(body) is body


@pytest.mark.parametrize(
    "motif",
    [
        "<div>",
        "<blockquote><p>",
        "<ul><li>",
        "<table><td>",
        # Comments and attributes hide nothing from the parser that the pass does not see:
        "<style><!--</style><div>-->",
        "<style><a title='</style><div>'>",
        "<textarea><!--</textarea><div>-->",
        # Formatting elements closed by something else are opened again by the parser:
        "<p><b c=#></p>",
        "<em c=#><p><b c=#><rtc></mi>",
        # Elements the parser does not open (a cell outside a table, tags in a select) close
        # nothing that it did open:
        "<td><code c=#><applet></ol><dl><rt><span/>",
        "<button></ol><select></rp><i></td><ol/></template><font>",
        # Inside SVG a self-closing tag opens nothing, but an HTML one still does:
        "<svg><div/>",
        "<svg><g/><span/>",
        "<math><mi><div/>",
        "<math></p><applet><li/>",  # "</p>" leaves MathML too
        # Elements the parser closed by rules of its own (an <rb> closes a <dd>):
        "<ruby></xmp><dd></h2><rb><ruby></noscript></>--!></xmp></b><rb/>",
        "<nobr/><button><rb/><ul><col><form><b c=#><font><nobr>",
        # Inside a <style> the parser sees text where the pass sees SVG and a way out of it:
        '</em><rb><style>--><marquee a=<!><br><svg a="x>"></iframe><col/>x</style>',
        # A <script> without its end tag makes the rest text: written-out end tags must not
        # end it early.
        '<script a="<!""><table></textarea></a></rb><blockquote><th>><em c=#>',
        "<div><script><!--<script></script></div><div>--></script>",
    ],
)
def test_every_kind_of_deep_nesting_is_capped_for_the_parser(motif: str) -> None:
    soup = "".join(motif.replace("#", str(i)) for i in range(2_000))
    if "<script" not in motif:  # (a script without its end tag is shallow: all text)
        assert parsed_depth(soup) > 100, "the motif nests deeply without the cap"
    assert parsed_depth(cap_nesting(soup, 8)) <= 2 * 8 + 2


SOUP_TOKENS = st.sampled_from(
    [f"<{name}>" for name in sorted(KEPT)]
    + [f"</{name}>" for name in sorted(KEPT)]
    + [f"<{name}/>" for name in ("div", "p", "g", "path", "svg", "b", "li", "td")]
    + ["<b c=#>", "<i c=#>", "<a c=#>", "<font color=#>", "<style>", "</style>", "<textarea>"]
    + ["<!--", "-->", "<!-->", "--!>", "<!", "<?", "</", "</>", "<![CDATA[", "]]>", ">", '"']
    + ["'", "=", "<x a='", '<x a="', "x", "<", "\n", '<td a="</td><div>">']
)


@settings(deadline=None)
@given(st.lists(SOUP_TOKENS, min_size=1, max_size=12), st.integers(20, 300))
def test_no_tag_soup_nests_deeper_than_about_twice_the_cap(motif: list[str], times: int) -> None:
    """Tables let the parser add a <tbody> and a <tr> per table: at most twice the cap."""
    soup = "".join("".join(motif).replace("#", str(i)) for i in range(times))
    assert parsed_depth(cap_nesting(soup, 8)) <= 2 * 8 + 2


NAMES = st.sampled_from(["div", "p", "span", "b", "em", "ul", "li", "blockquote", "a", "table"])
ATTRIBUTE = st.sampled_from(["", ' title="a < b"', " class=x", " alt='<p>'", ' data-x=">"'])
TEXT = st.sampled_from(["x", " ", "a &lt; b", "<!-- c -->", "<!-- <div> -->", "1 < 2", "<br>"])


@st.composite
def well_nested(draw: st.DrawFn, level: int = 0, in_link: bool = False) -> str:
    """Properly nested HTML, as Markdown bodies hold. (A link inside a link is not: the parser
    moves such elements about, and a body with one may come out otherwise than before.)"""
    name = draw(NAMES.filter(lambda name: not (in_link and name == "a")))
    children = draw(st.lists(st.one_of(TEXT, st.just("")), max_size=3))
    if level < 4:
        children += draw(st.lists(well_nested(level + 1, in_link or name == "a"), max_size=3))
    if name == "table":
        return "<table><tr><td>" + "".join(children) + "</td></tr></table>"
    return f"<{name}{draw(ATTRIBUTE)}>" + "".join(children) + f"</{name}>"


@settings(deadline=None)
@given(st.lists(well_nested(), min_size=1, max_size=4))
def test_html_nested_less_deeply_than_the_cap_sanitises_exactly_as_before(
    parts: list[str],
) -> None:
    html = "".join(parts)
    for clean in (nh3.clean, keep_everything):
        assert clean(cap_nesting(html)) == clean(html)


def keep_everything(html: str) -> str:
    return nh3.clean(
        html,
        tags=KEPT,
        attributes={"*": {"title", "class", "alt", "data-x"}},
        link_rel=None,
    )


def test_a_run_of_40000_paragraph_tags_has_no_summary_and_costs_one_pass() -> None:
    body = render_markdown("<p>" * 40_000 + "text\n")
    assert derive_summary(body) == ""


def test_the_summary_skips_empty_paragraphs_and_caps_a_deep_first_one() -> None:
    assert derive_summary("<p></p><p> </p><p>Hello <b>there</b></p><p>next</p>") == "Hello there"
    deep = "<p>" + "<span>" * 3_000 + "deep text" + "</span>" * 3_000 + "</p>"
    assert derive_summary(deep) == "deep text"


PARAGRAPH_PIECES = st.sampled_from(["<p>", "</p>", "x", " ", "<b>y</b>", "&amp;", "\n", "<p"])


@given(st.lists(PARAGRAPH_PIECES, max_size=30))
def test_the_summary_is_the_one_the_old_regex_found(pieces: list[str]) -> None:
    """The first paragraph with text, as ``re.finditer(r"<p>(.*?)</p>", re.DOTALL)`` gave."""
    import html  # noqa: PLC0415

    body = "".join(pieces)
    expected = ""
    for match in re.finditer(r"<p>(.*?)</p>", body, re.DOTALL):
        text = " ".join(html.unescape(nh3.clean(match.group(1), tags=set())).split())
        if text:
            expected = text
            break
    assert derive_summary(body) == expected


def test_3000_tags_become_3000_categories_added_in_one_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """feedgen rebuilds its category list on every call: one call per tag was quadratic."""
    calls = []
    real = FeedEntry.category

    def counting(self: FeedEntry, *args: object, **kwargs: object) -> object:
        if args or kwargs:
            calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FeedEntry, "category", counting)
    tags = tuple(f"tag {i}" for i in range(3_000))
    when = datetime(2026, 5, 1, tzinfo=UTC)
    article = Article(
        id="urn:uuid:00000000-0000-0000-0000-000000000001",
        source=Path("/repo/a.md"),
        rel_path="a.md",
        title="Tags",
        slug="tags",
        url="https://x.org/tags/",
        published=when,
        updated=when,
        authors=(Author("Jo"),),
        summary="",
        categories=("News", "tag 7"),  # a category that is also a tag is written once
        tags=tags,
        section="news",
        images=(),
        related=(),
        draft=False,
        body_format="markdown",
        body_line=4,
    )
    entry = Entry(article=article, content_html="<p>x</p>", summary="x", images=())
    channel = Channel(
        title="T", url="https://x.org/", description="", language="en", timezone="UTC"
    )
    spec = FeedSpec(name="main", formats=("rss",), limit=5, title="T", description="", path="")
    body = render_feed(channel, spec, "rss", [entry], output_url="https://x.org/").body.decode()
    assert calls == [1]
    written = re.findall(r"<category>([^<]*)</category>", body)
    assert written == ["News", "tag 7", *(t for t in tags if t != "tag 7")]


def test_every_sanitiser_call_sees_capped_nesting_also_for_a_body_without_paragraphs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A body of nested `<div>` has no paragraph: the story's summary is made from the whole
    body, and that call must get the capped body too (it took 15 s for 100,000 of them)."""
    from feeds.load import markup  # noqa: PLC0415

    depths: list[int] = []
    real = markup.nh3.clean

    def spying(html: str, **kwargs: object) -> str:
        depth = deepest = 0
        for tag in re.findall(r"</?div>", html):
            depth += -1 if tag.startswith("</") else 1
            deepest = max(deepest, depth)
        depths.append(deepest)
        return real(html, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(markup.nh3, "clean", spying)
    body = "<div>" * 5000 + "deep text" + "</div>" * 5000
    assert markup.story_summary(body, []) == "deep text"
    assert depths and max(depths) <= MAX_NESTING
