"""srcset by the HTML grammar: commas inside URLs, descriptors, and what browsers drop."""

import pytest

from feeds.load.markup import sanitise_html
from feeds.load.srcset import Candidate, format_srcset, parse_srcset

CDN = "https://res.cloudinary.com/demo/image/upload/w_600,h_400,c_crop/sample.jpg"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{CDN} 2x", [Candidate(CDN, ("2x",))]),
        (
            f"small.jpg 400w, {CDN} 600w,large.jpg 1200w",
            [
                Candidate("small.jpg", ("400w",)),
                Candidate(CDN, ("600w",)),
                Candidate("large.jpg", ("1200w",)),
            ],
        ),
        ("a.jpg, b.jpg 2x", [Candidate("a.jpg"), Candidate("b.jpg", ("2x",))]),
        ("a.jpg,b.jpg 2x", [Candidate("a.jpg,b.jpg", ("2x",))]),  # no space: one URL
        ("  a.jpg  1.5x  ,  ,, b.jpg ", [Candidate("a.jpg", ("1.5x",)), Candidate("b.jpg")]),
        ("a.jpg 100w 50h", [Candidate("a.jpg", ("100w", "50h"))]),
        ("", []),
    ],
)
def test_parses_like_a_browser(value, expected):
    assert parse_srcset(value) == expected


@pytest.mark.parametrize(
    "value",
    ["a.jpg 2x 400w", "a.jpg 400w 500w", "a.jpg 50h", "a.jpg big", "a.jpg 0x", "a.jpg 0w"],
)
def test_candidates_browsers_reject_are_dropped(value):
    assert parse_srcset(f"{value}, ok.jpg 1x") == [Candidate("ok.jpg", ("1x",))]


def test_parentheses_keep_their_commas():
    assert parse_srcset("a.jpg foo(1,2), b.jpg 2x")[-1] == Candidate("b.jpg", ("2x",))


def test_format_reads_back():
    candidates = [Candidate(CDN, ("2x",)), Candidate("a,b.jpg"), Candidate("c.jpg", ("1x",))]
    assert parse_srcset(format_srcset(candidates)) == candidates


def test_sanitising_keeps_cdn_urls_with_commas_whole():
    body = f'<img src="x.jpg" srcset="{CDN} 2x, /img/b.jpg 1x">'
    clean = sanitise_html(body, base_url="https://news.example.org/a/", resolve=lambda _: None)
    assert f'srcset="{CDN} 2x, https://news.example.org/img/b.jpg 1x"' in clean
