"""Body HTML: Markdown, sanitising, absolute URLs, figures, summaries."""

import dataclasses
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.load.markup import (
    compose_content,
    credit_html,
    derive_summary,
    figure_html,
    related_html,
    render_markdown,
    render_paragraphs,
    sanitise_html,
    story_summary,
)
from feeds.model import Image, Link, Rendition
from feeds.rules import strip_forbidden_chars

BASE = "https://news.example.org/news/ferry/"


def no_local(_src: str) -> str | None:
    return None


def image(url: str = "https://news.example.org/media/a.jpg", **kw: str) -> Image:
    fields = {
        "alt": "Boats in the harbour",
        "caption": "Boats at dawn.",
        "credit": "Mara Lind/Harbour Times",
    }
    fields.update(kw)
    return Image(
        url=url,
        media_type="image/jpeg",
        length=10,
        width=640,
        height=400,
        source=Path("/repo/a.jpg"),
        media_path="a.jpg",
        **fields,
    )


def test_markdown_renders_commonmark_with_tables() -> None:
    html = render_markdown("## Tides\n\n*calm* seas\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h2>Tides</h2>" in html
    assert "<em>calm</em>" in html
    assert "<table>" in html


def test_paragraphs_are_escaped() -> None:
    assert (
        render_paragraphs(["Fish & chips <b>", "Two"])
        == "<p>Fish &amp; chips &lt;b&gt;</p>\n<p>Two</p>\n"
    )


def test_sanitise_removes_scripts_events_and_unsafe_urls() -> None:
    dirty = (
        '<p onclick="steal()">Hi<script>alert(1)</script><style>p{}</style>'
        '<a href="javascript:alert(1)">x</a><img src="data:image/png;base64,AAAA" alt="d">'
        '<iframe src="https://evil.example/"></iframe></p>'
    )
    clean = sanitise_html(dirty, base_url=BASE, resolve=no_local)
    assert "script" not in clean
    assert "alert" not in clean
    assert "onclick" not in clean
    assert "iframe" not in clean
    assert "data:" not in clean
    assert "javascript" not in clean
    assert clean.startswith("<p>Hi")


def test_relative_urls_become_absolute_including_srcset() -> None:
    html = (
        '<a href="/ferries/timetable/">t</a><a href="next/">n</a><a href="#top">top</a>'
        '<img src="pic.jpg" srcset="pic.jpg 1x, /big/pic.jpg 2x" data-src="lazy.jpg" alt="a">'
    )
    clean = sanitise_html(html, base_url=BASE, resolve=no_local)
    assert 'href="https://news.example.org/ferries/timetable/"' in clean
    assert 'href="https://news.example.org/news/ferry/next/"' in clean
    assert 'href="https://news.example.org/news/ferry/#top"' in clean
    assert 'src="https://news.example.org/news/ferry/pic.jpg"' in clean
    assert (
        'srcset="https://news.example.org/news/ferry/pic.jpg 1x, https://news.example.org/big/pic.jpg 2x"'
        in clean
    )
    assert 'data-src="https://news.example.org/news/ferry/lazy.jpg"' in clean


def test_local_files_point_at_their_published_copy() -> None:
    def resolve(src: str) -> str | None:
        return "https://cdn.example.org/media/x/" + src if src == "keeper.png" else None

    clean = sanitise_html('<img src="keeper.png" alt="k">', base_url=BASE, resolve=resolve)
    assert 'src="https://cdn.example.org/media/x/keeper.png"' in clean


def test_figure_has_alt_size_and_caption_with_credit() -> None:
    assert figure_html(image()) == (
        '<figure><img src="https://news.example.org/media/a.jpg" alt="Boats in the harbour" '
        'width="640" height="400"><figcaption>Boats at dawn. — Mara Lind/Harbour Times'
        "</figcaption></figure>\n"
    )


def test_figure_without_caption_or_credit_has_no_figcaption() -> None:
    assert "figcaption" not in figure_html(image(caption="", credit=""))
    assert "<figcaption>Archive</figcaption>" in figure_html(image(caption="", credit="Archive"))


def test_content_starts_with_the_lead_figure_and_ends_with_related() -> None:
    lead = image()
    second = image(url="https://news.example.org/media/b.png", caption="Keeper", credit="Archive")
    html = compose_content(
        "<p>Body</p>",
        base_url=BASE,
        resolve=no_local,
        images=[lead, second],
        related=[Link("Storm", "https://news.example.org/storm/"), Link("Untitled story")],
    )
    assert html.startswith('<figure><img src="https://news.example.org/media/a.jpg"')
    assert html.index("<p>Body</p>") < html.index("media/b.png")
    assert '<li><a href="https://news.example.org/storm/">Storm</a></li>' in html
    assert "<li>Untitled story</li>" in html


def test_an_image_the_body_already_shows_is_not_repeated() -> None:
    second = image(url="https://news.example.org/media/b.png")
    html = compose_content(
        '<p><img src="https://news.example.org/media/b.png" alt="b"></p>',
        base_url=BASE,
        resolve=no_local,
        images=[image(), second],
        related=[],
    )
    assert html.count("media/b.png") == 1


def test_related_html_empty() -> None:
    assert related_html([]) == ""


def test_summary_is_first_paragraph_text() -> None:
    assert derive_summary("<h2>x</h2><p>Fish &amp; <em>chips</em>\n today.</p><p>More</p>") == (
        "Fish & chips today."
    )


def test_summary_is_cut_at_a_word_with_ellipsis() -> None:
    summary = derive_summary("<p>" + "harbour " * 100 + "</p>", limit=30)
    assert summary == "harbour harbour harbour…"


def test_summary_of_empty_body() -> None:
    assert derive_summary("<h2>Only a heading</h2>") == ""


def test_forbidden_xml_characters_are_stripped() -> None:
    assert strip_forbidden_chars("a\x00b\x0bc\x1fd\ufffee\tf\ng") == "abcde\tf\ng"


@given(st.text())
def test_sanitised_html_never_keeps_forbidden_characters(text: str) -> None:
    clean = sanitise_html(text, base_url=BASE, resolve=no_local)
    assert strip_forbidden_chars(clean) == clean
    assert "<script" not in clean.lower()


def test_a_copy_of_the_lead_the_body_shows_alone_is_dropped() -> None:
    lead = image()
    html = compose_content(
        '<p>Text.</p>\n<p><img src="https://news.example.org/media/a.jpg" alt="a"></p>\n<p>More.</p>',
        base_url=BASE,
        resolve=no_local,
        images=[lead],
        related=[],
    )
    assert html.count("media/a.jpg") == 1
    assert html.startswith(figure_html(lead))
    assert "<p>Text.</p>\n<p>More.</p>" in html


def test_a_figure_of_the_lead_written_in_the_body_is_dropped_other_figures_stay() -> None:
    html = compose_content(
        '<figure><img src="https://news.example.org/media/a.jpg"><figcaption>Again</figcaption>'
        "</figure>\n<p>Text.</p>\n"
        '<figure><img src="https://example.net/other.jpg"><figcaption>Other</figcaption></figure>',
        base_url=BASE,
        resolve=no_local,
        images=[image()],
        related=[],
    )
    assert html.count("media/a.jpg") == 1
    assert "Again" not in html
    assert "<figcaption>Other</figcaption>" in html


def test_a_declared_image_the_body_shows_alone_becomes_its_figure_in_place() -> None:
    second = image(url="https://news.example.org/media/b.png?v=1&s=2", caption="Keeper")
    html = compose_content(
        '<p>Before.</p>\n<p><img src="https://news.example.org/media/b.png?v=1&amp;s=2" alt="b">'
        "</p>\n<p>After.</p>",
        base_url=BASE,
        resolve=no_local,
        images=[image(), second],
        related=[],
    )
    assert html.count("media/b.png") == 1
    assert html.index("Before.") < html.index("<figcaption>Keeper") < html.index("After.")


def test_an_image_inside_a_sentence_keeps_its_place_without_a_caption() -> None:
    second = image(url="https://news.example.org/media/b.png", caption="Keeper")
    html = compose_content(
        '<p>See <img src="https://news.example.org/media/b.png" alt="b"> here.</p>',
        base_url=BASE,
        resolve=no_local,
        images=[image(), second],
        related=[],
    )
    assert html.count("media/b.png") == 1
    assert "Keeper" not in html


def test_story_summary_is_the_first_paragraph_when_there_is_one() -> None:
    assert story_summary("<p>Fish today.</p>", [image()]) == "Fish today."


def test_story_summary_of_a_body_without_paragraphs_is_its_text() -> None:
    assert story_summary("<h2>Fares</h2><ul><li>2 euros</li></ul>", []) == "Fares2 euros"


def test_story_summary_of_a_photo_story_is_the_caption_else_the_alt() -> None:
    assert story_summary("", [image()]) == "Boats at dawn."
    assert story_summary("\n", [image(caption="")]) == "Boats in the harbour"
    assert story_summary("", []) == ""


def test_figure_offers_the_thumbnail_and_the_published_size() -> None:
    thumb = Rendition(
        "https://news.example.org/media/a.400w.jpg",
        "a.400w.jpg",
        "image/jpeg",
        5,
        400,
        250,
        Path("/cache/t.jpg"),
    )
    html = figure_html(dataclasses.replace(image(), thumbnail=thumb))
    assert (
        'srcset="https://news.example.org/media/a.400w.jpg 400w, '
        'https://news.example.org/media/a.jpg 640w" sizes="(max-width: 640px) 100vw, 640px"'
    ) in html
    alone = dataclasses.replace(image(), thumbnail=dataclasses.replace(thumb, url=image().url))
    assert "srcset" not in figure_html(alone)  # an image that is its own thumbnail


def test_credit_line_carries_the_notice_linked_to_the_licence_all_escaped() -> None:
    hostile = image(
        caption="<b>Gull</b>",
        credit="Zoë & Co",
        copyright="© 2026 <Nordbild>",
        license='https://example.org/l?a=1&b="2"',
    )
    assert credit_html(hostile) == (
        "&lt;b&gt;Gull&lt;/b&gt; — Zoë &amp; Co · "
        '<a href="https://example.org/l?a=1&amp;b=&quot;2&quot;" rel="license">'
        "© 2026 &lt;Nordbild&gt;</a>"
    )
    assert credit_html(image(caption="", credit="", license="https://example.org/l")) == (
        '<a href="https://example.org/l" rel="license">Licence</a>'
    )
    assert credit_html(image(caption="", credit="", copyright="© X")) == "© X"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "# T",
                "*e*",
                "~~s~~",
                "| a | b |",
                "|---|---|",
                "<div>x</div>",
                "```",
                "- i",
                "é",
                "\n",
            ]
        )
        | st.text(max_size=20),
        max_size=12,
    )
)
def test_markdown_renders_as_cmark_gfm_itself_renders_it(parts: list[str]) -> None:
    # render_markdown drives cmark-gfm step by step to free what cmarkgfm's own function
    # leaks; the HTML must be the very same.
    text = "\n".join(parts)
    expected = cmarkgfm.markdown_to_html_with_extensions(
        text, options=Options.CMARK_OPT_UNSAFE, extensions=["table", "strikethrough"]
    )
    assert render_markdown(text) == expected
