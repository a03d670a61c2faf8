"""Who says what about a photo: the article first, then the photo's XMP, then its IIM; IIM
text in every encoding tools write; hostile values ignored with a reason."""

import pytest

from feeds.load.photometa import MAX_FIELD_CHARS, credit_line, decode_iim, merge

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
    ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"'
    ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
    '<rdf:Description rdf:about="" photoshop:Credit="{credit}" xmpRights:WebStatement="{url}">'
    '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{caption}</rdf:li></rdf:Alt>'
    "</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def xmp(caption="XMP caption", credit="XMP credit", url="https://example.org/l") -> bytes:
    return XMP.format(caption=caption, credit=credit, url=url).encode()


IIM = {
    (1, 90): b"\x1b%G",
    (2, 120): "IIM Bildunterschrift für die Möwe".encode(),
    (2, 110): b"IIM credit",
    (2, 80): [b"Anna", "Jörg".encode()],
    (2, 116): "© IIM".encode(),
}


def test_the_article_wins_then_xmp_then_iim():
    words = merge(alt="", caption="", credit="", xmp=xmp(), iim=IIM, language="en")
    assert words.caption == "XMP caption"
    assert words.credit == "Anna and Jörg / XMP credit"  # XMP has no creator: IIM's by-line
    assert words.copyright == "© IIM"  # only IIM has it
    assert words.license == "https://example.org/l"
    article = merge(alt="Alt", caption="Mine", credit="Me", xmp=xmp(), iim=IIM, language="en")
    assert (article.alt, article.caption, article.credit) == ("Alt", "Mine", "Me")
    assert article.copyright == "© IIM"  # the article says nothing about it


def test_only_iim_or_only_xmp_or_neither():
    only_iim = merge(alt="", caption="", credit="", xmp=None, iim=IIM, language="en")
    assert only_iim.caption == "IIM Bildunterschrift für die Möwe"
    assert only_iim.credit == "Anna and Jörg / IIM credit"
    only_xmp = merge(alt="", caption="", credit="", xmp=xmp(), iim=None, language="en")
    assert (only_xmp.caption, only_xmp.credit, only_xmp.copyright) == (
        "XMP caption",
        "XMP credit",
        "",
    )
    nothing = merge(alt="a", caption="c", credit="", xmp=None, iim=None, language="en")
    assert (nothing.alt, nothing.caption, nothing.credit, nothing.problems) == ("a", "c", "", ())


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({(1, 90): b"\x1b%G", (2, 120): "Möwe".encode()}, "Möwe"),
        ({(2, 120): "Möwe".encode()}, "Möwe"),  # undeclared, but valid UTF-8
        ({(2, 120): "Möwe €5".encode("cp1252")}, "Möwe €5"),  # undeclared legacy bytes
        ({(1, 90): b"\x1b%G", (2, 120): b"M\xf6we"}, "M\ufffdwe"),  # declared, yet broken
    ],
)
def test_iim_text_in_every_encoding_tools_write(data, text):
    fields, _ = decode_iim(data)
    assert fields.caption == text


def test_malformed_xmp_is_ignored_with_a_reason_and_iim_still_serves():
    words = merge(alt="", caption="", credit="", xmp=b"<x:xmpmeta><oops", iim=IIM, language="en")
    assert words.caption == "IIM Bildunterschrift für die Möwe"
    assert any("not well-formed" in problem for problem in words.problems)


def test_values_are_cleaned_and_overlong_ones_ignored():
    words = merge(
        alt="",
        caption="",
        credit="",
        xmp=xmp(caption="  A\tgull \n on\r\nthe quay ", credit="x" * (MAX_FIELD_CHARS + 1)),
        iim={(2, 110): b"IIM credit", (2, 116): b"\x07(c)\x00 Nordbild\x1b"},
        language="en",
    )
    assert words.caption == "A gull on the quay"
    assert words.copyright == "(c) Nordbild"  # control characters XML forbids are dropped
    assert words.credit == "IIM credit"  # the overlong XMP credit gave way to IIM's
    assert any("over the limit" in problem for problem in words.problems)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "not a url", "ftp://example.org/x"])
def test_a_licence_that_is_not_a_web_address_is_ignored(url):
    words = merge(alt="", caption="", credit="", xmp=xmp(url=url), iim=None, language="en")
    assert words.license == ""
    assert any("licence URL" in problem for problem in words.problems)


@pytest.mark.parametrize(
    ("creator", "credit", "line"),
    [
        ("Jane Doe", "Agency", "Jane Doe / Agency"),
        ("Jane Doe", "", "Jane Doe"),
        ("", "Agency", "Agency"),
        ("Jane Doe", "Jane Doe/Agency", "Jane Doe/Agency"),
        ("Jane Doe / Agency", "agency", "Jane Doe / Agency"),
    ],
)
def test_credit_line_names_each_once(creator, credit, line):
    assert credit_line(creator, credit) == line
