"""Tests for feeds.sources.wire: the plain-text wire format and its artefacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.errors import ArticleError
from feeds.model import Author, Link
from feeds.sources.wire import MAX_HEADLINE_CHARS, WireDocument, WireImage, parse_wire

DATA = Path(__file__).parent.parent / "data" / "wire"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def parse(text: str, first_line: int = 1) -> WireDocument:
    return parse_wire(text, path="articles/a.txt", first_line=first_line)


def error(text: str, first_line: int = 1) -> str:
    with pytest.raises(ArticleError) as caught:
        parse(text, first_line)
    return str(caught.value)


HARBOUR_PARAGRAPHS = (
    "Portwen's harbour council postponed a vote on Tuesday over a plan to deepen the main "
    "channel, saying it needed more time to study the costs.",
    "The proposal would let larger cargo ships dock at the town's east quay for the first time "
    "since the 1990s.",
    "Council chair Edda Morrow said members wanted an independent survey of the seabed before "
    "committing public money.",
    '"We are not against the plan, but we will not sign a blank cheque," Morrow said. "The '
    'fishing fleet has to know what this means for them before anyone starts digging."',
    "Local fishermen have warned that months of dredging could drive fish away from the bay "
    "during the spring season.",
    "A new vote is expected in April.",
)


class TestSampleShape:
    def test_fixture_has_no_final_newline(self):
        assert not read("harbour-dredging.txt").endswith("\n")

    def test_headline(self):
        doc = parse(read("harbour-dredging.txt"))
        assert doc.headline == "Council Delays Vote on Harbour Dredging Plan"
        assert doc.headline_line == 1

    def test_image_block(self):
        doc = parse(read("harbour-dredging.txt"))
        assert doc.image == WireImage(
            alt="Dredger moored at the east quay.",
            caption="A dredging barge waits beside the east quay in Portwen, Feb. 12, 2024.",
            credit="Mara Quill/Coastal Ledger",
            line=3,
        )

    def test_byline_without_email(self):
        doc = parse(read("harbour-dredging.txt"))
        assert doc.byline == Author(
            name="Tomas Brennick",
            email="",
            uri="https://twitter.com/tbrennick",
            handle="tbrennick",
        )

    def test_related_links_in_document_order(self):
        doc = parse(read("harbour-dredging.txt"))
        assert doc.related == (
            Link("Ferry Timetable Cut as Crew Shortage Drags On", ""),
            Link("Fish Prices Climb After Storm Keeps Boats in Port", ""),
        )

    def test_body_keeps_every_paragraph_in_order_and_no_artefact(self):
        doc = parse(read("harbour-dredging.txt"))
        assert doc.paragraphs == HARBOUR_PARAGRAPHS
        body = "\n".join(doc.paragraphs)
        for artefact in ("Read Next", "Related", "Story Continues", "can be reached", "--"):
            assert artefact not in body

    def test_crlf_gives_the_same_document(self):
        text = read("harbour-dredging.txt")
        assert parse(text.replace("\n", "\r\n")) == parse(text)

    def test_final_newline_makes_no_difference(self):
        text = read("harbour-dredging.txt")
        assert parse(text + "\n") == parse(text)

    def test_lines_are_counted_from_first_line(self):
        doc = parse(read("harbour-dredging.txt"), first_line=6)
        assert doc.headline_line == 6
        assert doc.image is not None
        assert doc.image.line == 8

    def test_leading_blank_lines_before_the_headline(self):
        doc = parse("\n\n" + read("harbour-dredging.txt"), first_line=5)
        assert doc.headline_line == 7
        assert doc.paragraphs == HARBOUR_PARAGRAPHS


class TestVariants:
    def test_byline_with_email_and_x(self):
        doc = parse(read("with-email.txt"))
        assert doc.byline == Author(
            name="Ilse Varga",
            email="ilse.varga@example.org",
            uri="https://twitter.com/ilsevarga",
            handle="ilsevarga",
        )
        assert doc.paragraphs == (
            "The Cape Orrin lighthouse opened its doors again on Saturday after two years of "
            "repairs to its lantern room.",
            "Volunteers guided the first groups up the 112 steps.",
        )

    def test_byline_with_email_and_no_twitter(self):
        doc = parse(read("no-image.txt"))
        assert doc.byline == Author(name="Noor Haddad", email="noor.haddad@example.org")

    @pytest.mark.parametrize(
        ("trailer", "author"),
        [
            (
                "\u2014 Ana Ruiz can be reached at ana@example.org. Follow her on Twitter @anar.",
                Author("Ana Ruiz", "ana@example.org", "https://twitter.com/anar", "anar"),
            ),
            (
                "--Ana Ruiz can be reached at ana@example.org Follow them on X @ana_r",
                Author("Ana Ruiz", "ana@example.org", "https://twitter.com/ana_r", "ana_r"),
            ),
            ("-- Ana Ruiz can be reached at", Author("Ana Ruiz")),
            ("-- Ana Ruiz.", Author("Ana Ruiz")),
        ],
    )
    def test_byline_shapes(self, trailer, author):
        doc = parse(f"Headline\n\nOne paragraph.\n\n{trailer}")
        assert doc.byline == author
        assert doc.paragraphs == ("One paragraph.",)

    def test_dash_paragraph_that_is_not_a_trailer_stays_in_the_body(self):
        text = "Headline\n\nOne paragraph.\n\n-- and then the tide turned, as it always does."
        doc = parse(text)
        assert doc.byline is None
        assert doc.paragraphs == (
            "One paragraph.",
            "-- and then the tide turned, as it always does.",
        )

    def test_only_the_first_trailer_is_the_byline(self):
        doc = parse("Headline\n\nText.\n\n-- Ana Ruiz\n\n-- Ben Ode")
        assert doc.byline == Author("Ana Ruiz")
        assert doc.paragraphs == ("Text.", "-- Ben Ode")

    def test_without_image_block(self):
        doc = parse(read("no-image.txt"))
        assert doc.image is None
        assert doc.paragraphs == (
            "The town library will stay open until 8 p.m. on Saturdays. "
            "The change starts next month, the library board said.",
            "Staff numbers will not change, the board added, because volunteers will cover the "
            "extra hours.",
        )

    def test_one_line_first_paragraph_is_body(self):
        doc = parse("Headline\n\nA short first paragraph (really).\n\nMore.")
        assert doc.image is None
        assert doc.paragraphs == ("A short first paragraph (really).", "More.")

    def test_three_line_block_is_body(self):
        doc = parse("Headline\n\nOne\ntwo\nthree (Ana Ruiz/Ledger)\n\nMore.")
        assert doc.image is None
        assert doc.paragraphs == ("One two three (Ana Ruiz/Ledger)", "More.")

    def test_wrapped_sentence_ending_in_parenthesis_is_body(self):
        doc = parse("Headline\n\nThe mayor spoke (for the\nthird time this year)\n\nMore.")
        assert doc.image is None
        assert doc.paragraphs[0] == "The mayor spoke (for the third time this year)"

    def test_credit_with_nested_parentheses(self):
        doc = parse("Headline\n\nAlt.\nCaption text. (Ana Ruiz (AP)/Ledger)\n\nBody.")
        assert doc.image == WireImage("Alt.", "Caption text.", "Ana Ruiz (AP)/Ledger", 3)

    def test_image_block_with_no_body_after_it_is_an_error(self):
        assert error("Headline\n\nAlt.\nCaption. (Ana Ruiz/Ledger)\n") == (
            "articles/a.txt:1: no body paragraphs after the headline: write the story below "
            "it, paragraphs separated by blank lines"
        )

    def test_multi_line_paragraphs_are_joined_with_one_space(self):
        doc = parse(read("multiline.txt"))
        assert doc.paragraphs == (
            "Forecasters issued a storm warning for the northern coast on Thursday, advising "
            "small boats to stay in port until the weekend.",
            "Gusts of up to 90 kilometres an hour are expected overnight, the weather office said.",
        )

    def test_a_block_of_related_lines_gives_one_link_per_line(self):
        doc = parse(read("multiline.txt"))
        assert doc.related == (
            Link("Coastal Road Closed by Landslip"),
            Link("Harbour Wall Repairs Finished Early"),
        )

    def test_wrapped_related_title_is_one_link(self):
        doc = parse("Headline\n\nBody.\n\nRelated: A Title That\nWraps Over Two Lines")
        assert doc.related == (Link("A Title That Wraps Over Two Lines"),)

    def test_related_with_urls(self):
        doc = parse(read("related-urls.txt"))
        assert doc.related == (
            Link("Bus Routes Change for Summer", "https://news.example.org/bus-routes"),
            Link("Town Hall Clock Restored", "https://news.example.org/clock"),
            Link("Bakery Wins Regional Prize", "https://news.example.org/bakery"),
            Link("Parking Fees Frozen for Another Year", ""),
        )
        assert doc.paragraphs == ("Work on the market square finished a week ahead of schedule.",)

    def test_related_with_only_a_url(self):
        doc = parse("Headline\n\nBody.\n\nrelated: https://news.example.org/x")
        assert doc.related == (Link("https://news.example.org/x", "https://news.example.org/x"),)

    @pytest.mark.parametrize("marker", ["Story Continues", "STORY CONTINUES   ", "story continues"])
    def test_story_continues_is_dropped(self, marker):
        doc = parse(f"Headline\n\nBody.\n\n{marker}\n\nEnd.")
        assert doc.paragraphs == ("Body.", "End.")

    def test_missing_blank_line_after_headline(self):
        doc = parse("Headline\nFirst paragraph.\n\nSecond.")
        assert doc.headline == "Headline"
        assert doc.paragraphs == ("First paragraph.", "Second.")

    def test_bom_is_ignored(self):
        assert parse("\ufeffHeadline\n\nBody.").headline == "Headline"


class TestErrors:
    @pytest.mark.parametrize("text", ["", "\n\n", "   \n \t \n"])
    def test_no_headline(self, text):
        assert error(text, first_line=4) == (
            "articles/a.txt:4: no headline: the first line of a wire article is its headline"
        )

    def test_headline_too_long(self):
        text = "x" * (MAX_HEADLINE_CHARS + 1) + "\n\nBody."
        assert error(text, first_line=3) == (
            "articles/a.txt:3: headline is 301 characters long (at most 300): this looks like a "
            "paragraph; put the headline alone on the first line, followed by a blank line"
        )

    def test_headline_of_exactly_the_limit_is_fine(self):
        assert parse("x" * MAX_HEADLINE_CHARS + "\n\nBody.").headline == "x" * 300

    @pytest.mark.parametrize(
        "text", ["Headline", "Headline\n\nStory Continues", "Headline\n\nRelated: A\n\n-- Ana Ruiz"]
    )
    def test_no_body(self, text):
        assert error(text, first_line=2) == (
            "articles/a.txt:2: no body paragraphs after the headline: write the story below "
            "it, paragraphs separated by blank lines"
        )

    def test_caption_credit_without_opening_parenthesis(self):
        text = "Headline\n\nAlt text.\nCaption text. Ana Ruiz/Ledger)\n\nBody."
        assert error(text) == (
            "articles/a.txt:4: image caption ends with ')' but the credit has no matching '(': "
            "end the caption with the credit in parentheses, e.g. (Jane Doe/Harbour Times)"
        )

    def test_caption_credit_never_closed(self):
        text = "Headline\n\nAlt text.\nCaption text. (Ana Ruiz/Ledger\n\nBody."
        assert error(text, first_line=10) == (
            "articles/a.txt:13: image caption has a '(' that is never closed: end the caption "
            "with the credit in parentheses, e.g. (Jane Doe/Harbour Times)"
        )

    def test_empty_credit(self):
        text = "Headline\n\nAlt text.\nCaption text. ( )\n\nBody."
        assert error(text) == (
            "articles/a.txt:4: image credit '()' is empty: name the photographer inside the "
            "parentheses, e.g. (Jane Doe/Harbour Times)"
        )


# --- property: arbitrary text never crashes, and no body text is lost -------------------------

_WORDS = st.sampled_from(
    [
        "Tide",
        "boats",
        "(",
        ")",
        "(Ana Ruiz/Ledger)",
        "--",
        "\u2014",
        "Related:",
        "Read Next:",
        "read next :",
        "Story Continues",
        "can be reached at",
        "ana@example.org.",
        "Follow her on X @ana.",
        "https://example.org/x",
        "<https://example.org/y>",
        "\t",
        "\r",
        "\ufeff",
        "x" * 150,
    ]
)
_LINE = st.one_of(
    st.lists(_WORDS, max_size=6).map(" ".join),
    st.text(max_size=40),
    st.just(""),
)
_TEXT = st.lists(_LINE, max_size=14).map("\n".join)
_LINE_END = st.sampled_from(["\n", "\r\n"])


def _is_artefact(paragraph: str, first_line: str) -> bool:
    """What the parser may lift out (the byline only if it parses as one)."""
    lowered = "".join(first_line.lower().split())
    return (
        lowered.startswith(("related:", "readnext:"))
        or paragraph.casefold() == "story continues"
        or paragraph.startswith(("--", "\u2013", "\u2014"))
    )


def _input_blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n"):
        if raw.strip():
            current.append(raw.strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


@given(_TEXT, _LINE_END)
def test_property_parse_or_article_error_and_nothing_lost(text, line_end):
    text = text.replace("\n", line_end)
    try:
        doc = parse(text)
    except ArticleError:
        return
    blocks = _input_blocks(text)
    headline_block = blocks[0]
    assert doc.headline == headline_block[0]
    rest = ([headline_block[1:]] if len(headline_block) > 1 else []) + blocks[1:]
    if doc.image is not None:
        alt, caption = rest[0]
        assert alt == doc.image.alt
        assert caption.startswith(doc.image.caption)
        assert caption.endswith(")")
        assert doc.image.credit in caption[len(doc.image.caption) :]
        rest = rest[1:]
    expected = [" ".join(block) for block in rest if not _is_artefact(" ".join(block), block[0])]
    # Every non-artefact paragraph survives, in order (a subsequence of the output).
    remaining = iter(doc.paragraphs)
    for paragraph in expected:
        assert any(paragraph == got for got in remaining), (paragraph, doc.paragraphs)
