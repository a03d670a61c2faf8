"""Tests for feeds.validate.report: text, JSON, JUnit and GitHub output of validation reports."""

from __future__ import annotations

import json

from lxml import etree

from feeds.validate import Issue, Severity, ValidationReport
from feeds.validate.report import format_reports

ERR = Issue("rss-date-format", Severity.ERROR, "bad date: fix it", 12, 0, "channel/item[2]/pubDate")
WARN = Issue("rss-guid-missing", Severity.WARNING, "add a guid", 9, 0, "channel/item")
DOC = Issue("xml-not-well-formed", Severity.ERROR, "broken", 3, 7, "")

BAD = ValidationReport("feeds/bad.xml", "rss", (ERR, WARN))
WARNED = ValidationReport("feeds/warned.xml", "rss", (WARN,))
CLEAN = ValidationReport("feeds/clean.xml", "atom", ())


def test_text_one_line_per_issue_and_summary():
    out = format_reports([BAD, WARNED, CLEAN], "text", strict=False)
    assert out.splitlines() == [
        "feeds/bad.xml:12: error rss-date-format: bad date: fix it [channel/item[2]/pubDate]",
        "feeds/bad.xml:9: warning rss-guid-missing: add a guid [channel/item]",
        "feeds/warned.xml:9: warning rss-guid-missing: add a guid [channel/item]",
        "3 feeds checked: 1 error, 2 warnings (1 feed failed)",
    ]


def test_text_with_column_and_no_path():
    out = format_reports([ValidationReport("f.xml", "unknown", (DOC,))], "text", strict=False)
    assert out.splitlines()[0] == "f.xml:3:7: error xml-not-well-formed: broken"
    assert out.splitlines()[1] == "1 feed checked: 1 error, 0 warnings (1 feed failed)"


def test_text_strict_counts_warned_feeds_as_failed():
    out = format_reports([WARNED, CLEAN], "text", strict=True)
    assert out.splitlines()[-1] == "2 feeds checked: 0 errors, 1 warning (1 feed failed, strict)"
    assert format_reports([CLEAN], "text", strict=True) == "1 feed checked: 0 errors, 0 warnings\n"


def test_json_structure():
    doc = json.loads(format_reports([BAD, CLEAN], "json", strict=False))
    assert doc["version"] == 1
    assert doc["strict"] is False
    assert doc["summary"] == {"feeds": 2, "failed": 1, "errors": 1, "warnings": 1, "skipped": 0}
    first = doc["feeds"][0]
    assert first["source"] == "feeds/bad.xml"
    assert first["kind"] == "rss"
    assert first["passed"] is False
    assert first["issues"][0] == {
        "code": "rss-date-format",
        "severity": "error",
        "message": "bad date: fix it",
        "line": 12,
        "column": 0,
        "path": "channel/item[2]/pubDate",
    }
    assert doc["feeds"][1]["passed"] is True
    assert doc["feeds"][1]["issues"] == []


def test_junit_parses_and_counts():
    out = format_reports([BAD, WARNED, CLEAN], "junit", strict=False)
    root = etree.fromstring(out.encode())
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3"
    assert suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "feeds/bad.xml",
        "feeds/warned.xml",
        "feeds/clean.xml",
    ]
    assert [c.find("failure") is not None for c in cases] == [True, False, False]
    failure = cases[0].find("failure")
    assert failure is not None
    assert "rss-date-format" in (failure.text or "")
    assert failure.get("message") == "1 error, 1 warning"
    assert "rss-guid-missing" in (cases[1].findtext("system-out") or "")


def test_junit_strict_fails_warned_feeds():
    root = etree.fromstring(format_reports([WARNED, CLEAN], "junit", strict=True).encode())
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"
    assert suite.findall("testcase")[0].find("failure") is not None


def test_junit_survives_characters_xml_forbids_and_markup():
    nasty = Issue("x", Severity.ERROR, 'a <b> & "c"\x01\x0b', 1, 0, "")
    out = format_reports([ValidationReport("a&b<c>.xml", "rss", (nasty,))], "junit", strict=False)
    root = etree.fromstring(out.encode())
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == "a&b<c>.xml"
    assert 'a <b> & "c"' in (case.findtext("failure") or "")


def test_github_annotations_and_escaping():
    issue = Issue("rss-date-format", Severity.ERROR, "100% wrong,\nreally: yes\r", 4, 2, "")
    report = ValidationReport("dir,with:odd%name.xml", "rss", (issue, WARN))
    lines = format_reports([report], "github", strict=False).splitlines()
    assert lines[0] == (
        "::error file=dir%2Cwith%3Aodd%25name.xml,line=4,col=2,title=rss-date-format"
        "::100%25 wrong,%0Areally: yes%0D"
    )
    assert lines[1] == (
        "::warning file=dir%2Cwith%3Aodd%25name.xml,line=9,title=rss-guid-missing"
        "::add a guid [channel/item]"
    )
    assert lines[2] == "1 feed checked: 1 error, 1 warning (1 feed failed)"


def test_github_omits_unknown_position():
    report = ValidationReport(
        "f.xml", "unknown", (Issue("input-empty", Severity.ERROR, "e", 0, 0, ""),)
    )
    assert format_reports([report], "github", strict=False).splitlines()[0] == (
        "::error file=f.xml,title=input-empty::e"
    )


SKIPPED = ValidationReport("public/sitemap.xml", "unknown", (), skipped="not a feed (<urlset>)")


def test_skipped_files_are_listed_in_every_format_and_pass():
    text = format_reports([CLEAN, SKIPPED], "text", strict=True)
    assert text.splitlines() == [
        "public/sitemap.xml: skipped: not a feed (<urlset>)",
        "1 feed checked: 0 errors, 0 warnings; 1 file skipped",
    ]
    doc = json.loads(format_reports([CLEAN, SKIPPED], "json", strict=True))
    assert doc["summary"] == {"feeds": 1, "failed": 0, "errors": 0, "warnings": 0, "skipped": 1}
    assert doc["feeds"][1]["skipped"] == "not a feed (<urlset>)"
    assert doc["feeds"][1]["passed"] is True
    assert doc["feeds"][0]["skipped"] is None
    suite = etree.fromstring(format_reports([CLEAN, SKIPPED], "junit", strict=True).encode())
    assert suite.find("testsuite").get("skipped") == "1"
    assert suite.find(".//testcase[@name='public/sitemap.xml']/skipped") is not None
    github = format_reports([SKIPPED], "github", strict=True).splitlines()
    assert github[0] == "::notice file=public/sitemap.xml,title=skipped::not a feed (<urlset>)"
