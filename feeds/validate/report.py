"""Format validation reports for people and machines: text, JSON, JUnit XML, GitHub annotations."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Final, Literal

from feeds.rules import XML_FORBIDDEN_CHARS
from feeds.validate import Issue, ValidationReport

ReportFormat = Literal["text", "json", "junit", "github"]

#: Version of the JSON document's structure; bumped on any incompatible change.
JSON_SCHEMA_VERSION: Final = 1

# Lone surrogates too: a report is text that must encode, whatever the input held.
_XML_FORBIDDEN = re.compile(f"[{XML_FORBIDDEN_CHARS}\ud800-\udfff]")


def format_reports(reports: Sequence[ValidationReport], fmt: ReportFormat, *, strict: bool) -> str:
    """Render reports in one output format.

    Args:
        reports: One per feed, in the order they were checked.
        fmt: ``text`` (one line per issue and a summary), ``json``, ``junit`` or ``github``.
        strict: Whether warnings fail a feed (affects verdicts and JUnit failures).

    Returns:
        The complete output, ending with a newline.
    """
    if fmt == "json":
        return _json(reports, strict=strict)
    if fmt == "junit":
        return _junit(reports, strict=strict)
    if fmt == "github":
        return _github(reports, strict=strict)
    return _text(reports, strict=strict)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(reports: Sequence[ValidationReport], *, strict: bool) -> str:
    """``2 feeds checked: 1 error, 3 warnings (1 feed failed); 1 file skipped``."""
    checked = [r for r in reports if not r.skipped]
    errors = sum(len(r.errors) for r in checked)
    warnings = sum(len(r.warnings) for r in checked)
    failed = sum(not r.passed(strict=strict) for r in checked)
    line = (
        f"{_plural(len(checked), 'feed')} checked: {_plural(errors, 'error')}, "
        f"{_plural(warnings, 'warning')}"
    )
    if failed:
        line += f" ({_plural(failed, 'feed')} failed{', strict' if strict else ''})"
    skipped = len(reports) - len(checked)
    if skipped:
        line += f"; {_plural(skipped, 'file')} skipped"
    return line


def _location(source: str, issue: Issue) -> str:
    if not issue.line:
        return source
    return f"{source}:{issue.line}:{issue.column}" if issue.column else f"{source}:{issue.line}"


def _text(reports: Sequence[ValidationReport], *, strict: bool) -> str:
    lines = []
    for report in reports:
        if report.skipped:
            lines.append(f"{report.source}: skipped: {report.skipped}")
        for issue in report.issues:
            path = f" [{issue.path}]" if issue.path else ""
            lines.append(
                f"{_location(report.source, issue)}: {issue.severity} {issue.code}: "
                f"{issue.message}{path}"
            )
    lines.append(summary_line(reports, strict=strict))
    return "\n".join(lines) + "\n"


def _json(reports: Sequence[ValidationReport], *, strict: bool) -> str:
    document = {
        "version": JSON_SCHEMA_VERSION,
        "strict": strict,
        "summary": {
            "feeds": sum(not r.skipped for r in reports),
            "failed": sum(not r.passed(strict=strict) for r in reports),
            "errors": sum(len(r.errors) for r in reports),
            "warnings": sum(len(r.warnings) for r in reports),
            "skipped": sum(bool(r.skipped) for r in reports),
        },
        "feeds": [
            {
                "source": r.source,
                "kind": r.kind,
                "skipped": r.skipped or None,
                "passed": r.passed(strict=strict),
                "errors": len(r.errors),
                "warnings": len(r.warnings),
                "issues": [
                    {
                        "code": i.code,
                        "severity": str(i.severity),
                        "message": i.message,
                        "line": i.line,
                        "column": i.column,
                        "path": i.path,
                    }
                    for i in r.issues
                ],
            }
            for r in reports
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _xml_text(value: str) -> str:
    return _XML_FORBIDDEN.sub("\ufffd", value)


def _junit(reports: Sequence[ValidationReport], *, strict: bool) -> str:
    failures = sum(not r.passed(strict=strict) for r in reports)
    suite = ET.Element(
        "testsuite",
        {
            "name": "feeds validate",
            "tests": str(len(reports)),
            "failures": str(failures),
            "errors": "0",
            "skipped": str(sum(bool(r.skipped) for r in reports)),
        },
    )
    for report in reports:
        case = ET.SubElement(
            suite, "testcase", {"classname": "feeds.validate", "name": _xml_text(report.source)}
        )
        if report.skipped:
            ET.SubElement(case, "skipped", {"message": _xml_text(report.skipped)})
            continue
        details = "\n".join(
            f"{_location(report.source, i)}: {i.severity} {i.code}: {i.message}"
            + (f" [{i.path}]" if i.path else "")
            for i in report.issues
        )
        if not report.passed(strict=strict):
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": _xml_text(
                        f"{_plural(len(report.errors), 'error')}, "
                        f"{_plural(len(report.warnings), 'warning')}"
                    ),
                    "type": "invalid-feed",
                },
            )
            failure.text = _xml_text(details)
        elif details:
            ET.SubElement(case, "system-out").text = _xml_text(details)
    root = ET.Element("testsuites", {"tests": str(len(reports)), "failures": str(failures)})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _github(reports: Sequence[ValidationReport], *, strict: bool) -> str:
    lines = []
    for report in reports:
        if report.skipped:
            lines.append(
                f"::notice file={_escape_property(report.source)},title=skipped::"
                f"{_escape_data(report.skipped)}"
            )
        for issue in report.issues:
            props = [f"file={_escape_property(report.source)}"]
            if issue.line:
                props.append(f"line={issue.line}")
            if issue.column:
                props.append(f"col={issue.column}")
            props.append(f"title={_escape_property(issue.code)}")
            path = f" [{issue.path}]" if issue.path else ""
            level = "error" if issue.severity == "error" else "warning"
            lines.append(f"::{level} {','.join(props)}::{_escape_data(issue.message + path)}")
    lines.append(summary_line(reports, strict=strict))
    return "\n".join(lines) + "\n"
