"""Tests for feeds.validate: the corpus, each rule family, the XML layer and robustness."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from feeds.validate import CODES, Limits, Severity, ValidationReport, validate_feed
from feeds.validate.base import check_rfc822, check_rfc3339
from feeds.validate.json_feed import JSON_CODES

DATA = Path(__file__).resolve().parent.parent / "data" / "validate"
VALID = sorted((DATA / "valid").glob("*.xml"))
EXPECTED: dict[str, list[str]] = json.loads((DATA / "invalid" / "expected.json").read_text())


def codes(report: ValidationReport) -> set[str]:
    return {issue.code for issue in report.issues}


# --- corpus -------------------------------------------------------------------------


def test_corpus_is_complete():
    assert len(VALID) >= 9
    on_disk = {p.name for p in (DATA / "invalid").iterdir() if p.name != "expected.json"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_feeds_have_no_issues(path):
    report = validate_feed(path.read_bytes(), source=path.name)
    assert report.issues == ()
    assert report.ok
    assert report.passed(strict=True)
    assert report.kind in {"rss", "atom"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_feed_reports_exactly_its_defect(name):
    report = validate_feed((DATA / "invalid" / name).read_bytes(), source=name)
    assert codes(report) == set(EXPECTED[name])
    for issue in report.issues:
        assert issue.severity is CODES[issue.code][0]
        assert len(issue.message) > 20


# --- report object --------------------------------------------------------------------


def test_report_properties_and_without():
    data = (DATA / "invalid" / "rss-two-enclosures.xml").read_bytes()
    report = validate_feed(data, source="x.xml")
    assert report.errors == ()
    assert [i.code for i in report.warnings] == ["rss-enclosure-multiple"]
    assert report.ok
    assert report.passed(strict=False)
    assert not report.passed(strict=True)
    cleaned = report.without({"rss-enclosure-multiple"})
    assert cleaned.issues == ()
    assert cleaned.passed(strict=True)
    assert cleaned.source == "x.xml"


def test_issue_location_line_and_path():
    report = validate_feed((DATA / "invalid" / "rss-enclosure-no-length.xml").read_bytes())
    (issue,) = report.issues
    assert issue.line == 17
    assert issue.path == "channel/item/enclosure/@length"
    assert "length" in issue.message


def test_item_index_appears_in_path():
    data = (DATA / "valid" / "hugo-rss.xml").read_bytes()
    data = data.replace(b"<guid>https://lighthouse.example/posts/fog-season/</guid>", b"")
    report = validate_feed(data)
    assert [(i.code, i.path) for i in report.issues] == [("rss-guid-missing", "channel/item[2]")]


def test_parse_error_has_line_and_column():
    report = validate_feed(b"<rss version='2.0'>\n<channel>\n<title>x</titl>\n</channel></rss>")
    (issue,) = report.issues
    assert issue.code == "xml-not-well-formed"
    assert issue.line == 3
    assert issue.column > 0
    assert issue.path == ""


def test_undeclared_media_prefix_names_the_namespace():
    data = b'<rss version="2.0"><channel><item><media:content url="https://a.example/x.jpg"/>'
    data += b"</item></channel></rss>"
    (issue,) = validate_feed(data).issues
    assert issue.code == "xml-undeclared-prefix"
    assert 'xmlns:media="http://search.yahoo.com/mrss/"' in issue.message


def test_near_miss_names_the_correct_uri():
    report = validate_feed((DATA / "invalid" / "ns-media-without-slash.xml").read_bytes())
    (issue,) = report.issues
    assert '"http://search.yahoo.com/mrss/"' in issue.message


# --- RSS dates, following the W3C Feed Validation Service -------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Tue, 05 Mar 2024 14:30:00 +0000", ""),
        ("Tue, 05 Mar 2024 14:30:00 GMT", ""),
        ("Tue, 05 Mar 2024 14:30:00 EST", ""),
        ("05 Mar 2024 14:30 +0100", ""),
        ("Tue, 5 Mar 2024 14:30:00 Z", ""),
        ("Tue, 05 Mar 2024 14:30:00 UTC", "rss-date-format"),
        ("Tue, 05 Mar 2024 14:30:00 CET", "rss-date-format"),
        ("2024-03-05T14:30:00Z", "rss-date-format"),
        ("Tue, 05 March 2024 14:30:00 +0000", "rss-date-format"),
        ("Tue, 32 Mar 2024 14:30:00 +0000", "rss-date-format"),
        ("", "rss-date-format"),
        ("Mon, 05 Mar 2024 14:30:00 +0000", "rss-date-weekday"),
        ("Tue, 05 Mar 24 14:30:00 +0000", "rss-date-two-digit-year"),
        ("Tue, 05 Mar 2024 14:30:00", "rss-date-problematic"),
        ("tue, 05 mar 2024 14:30:00 gmt", "rss-date-problematic"),
    ],
)
def test_rfc822_dates(value, code):
    assert check_rfc822(value).code == code


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-03-05T14:30:00Z", True),
        ("2024-03-05T14:30:00.123+01:00", True),
        ("2024-03-05T14:30:00-05:30", True),
        ("2024-03-05t14:30:00Z", False),
        ("2024-03-05T14:30:00", False),
        ("2024-03-05", False),
        ("2024-02-30T14:30:00Z", False),
        ("2024-03-05T25:30:00Z", False),
        ("2024-03-05T14:30:00+0100", False),
    ],
)
def test_rfc3339_dates(value, valid):
    assert (check_rfc3339(value) == "") is valid


# --- smaller rules not in the corpus ---------------------------------------------------

RSS_MIN = (
    b'<rss version="{v}" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>'
    b"<link>https://a.example/</link><description>d</description>"
    b'<atom:link rel="self" href="https://a.example/rss"/>{c}</channel></rss>'
)


def rss(channel: bytes = b"", version: bytes = b"2.0") -> bytes:
    return RSS_MIN.replace(b"{v}", version).replace(b"{c}", channel)


def test_minimal_rss_is_valid():
    assert validate_feed(rss()).issues == ()


def test_rss_091_is_accepted_and_other_versions_warned():
    assert validate_feed(rss(version=b"0.91")).issues == ()
    assert codes(validate_feed(rss(version=b"3.0"))) == {"rss-version"}


def test_guid_permalink_true_with_url_is_fine_and_tag_uri_is_not():
    ok = b'<item><title>x</title><guid isPermaLink="true">https://a.example/1</guid></item>'
    bad = b"<item><title>x</title><guid>tag:a.example,2024:1</guid></item>"
    assert validate_feed(rss(ok)).issues == ()
    assert codes(validate_feed(rss(bad))) == {"rss-guid-not-url"}


def test_author_with_email_is_fine():
    item = b"<item><title>x</title><guid>https://a.example/1</guid>"
    item += b"<author>jo@a.example (Jo)</author></item>"
    assert validate_feed(rss(item)).issues == ()


def test_relative_fragment_links_are_not_reported():
    item = b"<item><title>x</title><guid>https://a.example/1</guid><description>"
    item += b'&lt;a href="#fn1"&gt;1&lt;/a&gt; &lt;a href="mailto:jo@a.example"&gt;m&lt;/a&gt;'
    item += b"</description></item>"
    assert validate_feed(rss(item)).issues == ()


def test_atom_content_src_without_type_is_a_warning():
    feed = (DATA / "valid" / "atom-xhtml.xml").read_bytes()
    feed = feed.replace(b'type="text/plain" src=', b"src=")
    assert codes(validate_feed(feed)) == {"atom-content-src-missing-type"}


def test_atom_entry_document_is_checked():
    entry = (
        b'<entry xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b"<id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>"
        b"<updated>2024-01-01T00:00:00Z</updated>"
        b'<link href="https://a.example/1"/></entry>'
    )
    report = validate_feed(entry)
    assert report.kind == "atom"
    assert codes(report) == {"atom-missing-author"}


def test_atom_link_href_with_space_is_invalid():
    feed = (DATA / "valid" / "atom-xhtml.xml").read_bytes()
    feed = feed.replace(b'href="meldungen/wartung"', b'href="meldungen/war tung"', 1)
    feed = feed.replace(b'href="https://bergbahn.example/meldungen/wartung"', b'href="a b"')
    assert codes(validate_feed(feed)) == {"atom-iri-invalid"}


def test_rss_10_is_checked_in_full_and_rss_090_reported_as_unsupported():
    rdf = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><channel/></rdf:RDF>'
    )
    report = validate_feed(rdf)
    assert report.kind == "rss"
    assert codes(report) == {"rss-missing-attribute", "rss-missing-element"}
    assert validate_feed((DATA / "valid" / "rss1.xml").read_bytes()).issues == ()
    rss090 = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>t</title>'
        b"<link>https://a.example/</link><description>d</description></channel></rdf:RDF>"
    )
    report = validate_feed(rss090)
    assert report.ok
    assert codes(report) == {"feed-format-unsupported"}


# --- limits and hostile input ------------------------------------------------------------


def test_size_limit_is_enforced_before_parsing():
    report = validate_feed(rss(), limits=Limits(max_bytes=100))
    assert codes(report) == {"input-too-large"}
    assert report.kind == "unknown"


def test_depth_limit():
    deep = rss(b"<item><title>x</title><guid>https://a.example/</guid></item>")
    assert validate_feed(deep, limits=Limits(max_depth=3)).issues != ()
    assert codes(validate_feed(deep, limits=Limits(max_depth=3))) == {"xml-too-deep"}
    assert validate_feed(deep, limits=Limits(max_depth=4)).issues == ()


def test_libxml_depth_limit_is_reported_as_too_deep():
    data = b"<rss>" + b"<a>" * 300 + b"</a>" * 300 + b"</rss>"
    assert codes(validate_feed(data)) == {"xml-too-deep"}


def test_billion_laughs_is_refused_without_expansion():
    bomb = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
    for level in range(1, 10):
        prev = f"&e{level - 1};" if level > 1 else "&a;"
        bomb += f'<!ENTITY e{level} "{prev * 10}">'.encode()
    bomb += b']><rss version="2.0"><channel><title>&e9;</title></channel></rss>'
    report = validate_feed(bomb)
    assert codes(report) == {"xml-doctype-entity"}


def test_external_entity_is_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        f'<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&x;</title></channel></rss>'
    ).encode()
    report = validate_feed(data)
    assert codes(report) == {"xml-doctype-entity"}
    assert all("TOP-SECRET" not in i.message for i in report.issues)


def entity_doc(declarations: str, body: str = "") -> bytes:
    channel = f"<description>{body or 'd'}</description>".encode()
    return f"<!DOCTYPE rss [{declarations}]>\n".encode() + rss().replace(
        b"<description>d</description>", channel, 1
    )


def test_internal_entities_are_expanded_and_checked_like_any_text():
    # The expansion is what the rules see: a relative URL inside the entity is found.
    data = entity_doc(
        '<!ENTITY copy "&#169;"><!ENTITY town "Harbour &copy;">'
        "<!ENTITY link \"&lt;a href='/x'&gt;x&lt;/a&gt;\">",
        "&town; &link;",
    )
    item = b"<item><title>x</title><guid>https://a.example/1</guid><description>&link;"
    item += b"</description></item>"
    data = data.replace(b"</channel>", item + b"</channel>")
    assert [i.code for i in validate_feed(data).issues] == ["rss-relative-url-in-content"]
    assert validate_feed(entity_doc('<!ENTITY town "Harbour">', "&town;")).issues == ()


@pytest.mark.parametrize(
    ("declarations", "body", "why"),
    [
        ('<!ENTITY % p "x">', "", "parameter entity"),
        ("".join(f'<!ENTITY e{n} "{n}">' for n in range(1001)), "", "1001 entities"),
        ('<!ENTITY big "' + "x" * 10_001 + '">', "&big;", "more than 10000 characters"),
        # libxml2 finds these two first, as it parses the declarations:
        ('<!ENTITY a "&b;"><!ENTITY b "&a;">', "&a;", "refers to itself|loop"),
        ('<!ENTITY nine "' + "x" * 9000 + '">', "&nine;" * 300, "in all|bomb"),
        ('<!ENTITY x PUBLIC "-//X//EN" "http://a.example/x.ent">', "&x;", "external entity"),
    ],
)
def test_entities_past_the_limits_are_refused_before_expansion(declarations, body, why):
    report = validate_feed(entity_doc(declarations, body))
    assert codes(report) == {"xml-doctype-entity"}
    assert re.search(why, report.issues[0].message)


def test_an_entity_bomb_in_an_attribute_is_caught():
    bomb = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY e{n} "{(f"&e{n - 1};" if n > 1 else "&a;") * 10}">' for n in range(1, 10)
    )
    data = entity_doc(bomb).replace(b'<rss version="2.0"', b'<rss version="&e9;"')
    assert codes(validate_feed(data)) == {"xml-doctype-entity"}


def test_utf16_without_bom_gives_one_encoding_hint():
    text = rss().decode()
    for codec in ("utf-16-le", "utf-16-be"):
        report = validate_feed(text.encode(codec))
        assert [i.code for i in report.issues] == ["xml-encoding-no-bom"]
        declared = '<?xml version="1.0" encoding="UTF-16"?>' + text
        assert validate_feed(declared.encode(codec)).issues == ()  # XML 1.0 F.1 can tell


def test_a_single_text_node_over_10_mb_is_well_formed():
    item = b"<item><title>x</title><guid>https://a.example/1</guid><description>"
    item += b"long " * 2_200_000 + b"</description></item>"
    report = validate_feed(rss(item))
    assert report.issues == ()


def test_the_feed_namespace_itself_must_be_written_exactly():
    # The W3C test suite's atom/1.2/wrong-namespace-case.xml: InvalidNamespace, an error.
    feed = (DATA / "valid" / "atom-xhtml.xml").read_bytes()
    wrong = feed.replace(
        b'xmlns="http://www.w3.org/2005/Atom"', b'xmlns="http://www.w3.org/2005/atom"'
    )
    assert codes(validate_feed(wrong)) == {"ns-near-miss"}


def test_known_namespaces_match_whatever_their_case_and_are_checked():
    feed = rss().replace(
        b'xmlns:atom="http://www.w3.org/2005/Atom"', b'xmlns:atom="HTTP://WWW.W3.ORG/2005/ATOM"'
    )
    assert validate_feed(feed).issues == ()
    bad = feed.replace(b'rel="self" href="https://a.example/rss"', b'rel="self"')
    assert [i.code for i in validate_feed(bad).issues] == ["atom-link-missing-href"]
    wide = ("\ufeff" + bad.decode()).encode("utf-16-le")
    assert [i.code for i in validate_feed(wide).issues] == ["atom-link-missing-href"]


def test_folders_skip_xml_that_is_no_feed():
    sitemap = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>'
    report = validate_feed(sitemap, feeds_only=True)
    assert report.skipped == "not a feed (the root element is <urlset>)"
    assert report.issues == ()
    assert report.passed(strict=True)
    assert codes(validate_feed(sitemap)) == {"feed-unknown-root"}
    atom03 = (DATA / "invalid" / "atom-0.3.xml").read_bytes()
    assert codes(validate_feed(atom03, feeds_only=True)) == {"feed-unknown-root"}
    assert codes(validate_feed(b"<urlset>", feeds_only=True)) == {"xml-not-well-formed"}


def test_plain_doctype_without_entities_is_accepted():
    data = rss().replace(b"<rss", b'<!DOCTYPE rss SYSTEM "http://my.netscape.com/rss.dtd">\n<rss')
    assert validate_feed(data).issues == ()


# --- property tests: never raise, always a report ---------------------------------------

CORPUS = [p.read_bytes() for p in VALID]


def assert_sane(report: ValidationReport) -> None:
    assert isinstance(report, ValidationReport)
    assert report.kind in {"rss", "atom", "json", "unknown"}
    assert "validator-internal-error" not in codes(report)
    for issue in report.issues:
        assert issue.code in (JSON_CODES if report.kind == "json" else CODES)
        assert isinstance(issue.severity, Severity)
        assert issue.line >= 0
        assert issue.column >= 0


@given(st.binary(max_size=2048))
def test_random_bytes_never_raise(data):
    assert_sane(validate_feed(data))


@given(
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
)
def test_byte_flips_never_raise(doc, flips):
    buf = bytearray(doc)
    for position, value in flips:
        buf[position % len(buf)] = value
    assert_sane(validate_feed(bytes(buf)))


@given(st.sampled_from(CORPUS), st.integers(min_value=0))
def test_truncation_never_raises_and_is_an_error(doc, cut):
    cut = cut % len(doc)
    report = validate_feed(doc[:cut])
    assert_sane(report)
    if doc[cut:].strip(b" \r\n\x00"):  # something more than trailing whitespace was cut
        assert not report.ok


@given(st.sampled_from(CORPUS), st.lists(st.integers(min_value=0), min_size=1, max_size=4))
def test_element_deletion_never_raises(doc, picks):
    root = etree.fromstring(doc)
    for pick in picks:
        elements = [el for el in root.iter() if el.getparent() is not None]
        if not elements:
            break
        victim = elements[pick % len(elements)]
        parent = victim.getparent()
        assert parent is not None
        parent.remove(victim)
    assert_sane(validate_feed(etree.tostring(root, xml_declaration=True, encoding="utf-8")))


@given(st.sampled_from(CORPUS), st.integers(min_value=0))
def test_namespace_case_changes_never_raise_and_keep_valid_feeds_valid(doc, seed):
    # Change the case of one declared namespace URI: extension vocabularies still match
    # (no error); the feed's own namespace must be exact (an error, never a crash).
    declarations = re.findall(rb'xmlns(?::[\w.-]+)?="([^"]+)"', doc)
    if not declarations:
        return
    uri = declarations[seed % len(declarations)]
    changed = doc.replace(b'="' + uri + b'"', b'="' + uri.swapcase() + b'"')
    report = validate_feed(changed)
    assert_sane(report)
    root_ns = etree.QName(etree.fromstring(doc)).namespace or ""
    own = {root_ns, "http://purl.org/rss/1.0/" if root_ns.endswith("rdf-syntax-ns#") else ""}
    if uri.decode() not in own:  # an extension vocabulary: judged exactly as before
        assert report.issues == validate_feed(doc).issues
