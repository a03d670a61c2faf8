"""The command line in-process: exit statuses, messages, report formats, the error boundary."""

import io
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from feeds import cli
from feeds.cli import main

PROJECT = Path(__file__).resolve().parents[2]
VALID = PROJECT / "tests/data/validate/valid"
INVALID = PROJECT / "tests/data/validate/invalid"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_validate_valid_feeds_exits_0() -> None:
    status, out, _ = run("validate", str(VALID))
    assert status == 0
    count = len(list(VALID.glob("*.xml")))
    assert count >= 9
    assert out.endswith(f"{count} feeds checked: 0 errors, 0 warnings\n")


def test_a_folder_skips_xml_that_is_no_feed_but_a_named_file_is_checked(tmp_path: Path) -> None:
    shutil.copy(VALID / "hugo-rss.xml", tmp_path / "index.xml")
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>')
    status, out, _ = run("validate", "--strict", str(tmp_path))
    assert status == 0
    assert out.splitlines() == [
        f"{sitemap}: skipped: not a feed (the root element is <urlset>)",
        "1 feed checked: 0 errors, 0 warnings; 1 file skipped",
    ]
    status, out, _ = run("validate", str(sitemap))
    assert status == 5
    assert "error feed-unknown-root" in out
    (tmp_path / "index.xml").unlink()
    status, _, err = run("validate", str(tmp_path))
    assert status == 2
    assert "no feeds found" in err


def test_validate_invalid_feed_exits_5_with_located_message() -> None:
    status, out, _ = run("validate", str(INVALID / "atom-id-relative.xml"))
    assert status == 5
    assert f"{INVALID / 'atom-id-relative.xml'}:12: error atom-id-not-absolute:" in out


def test_ignore_silences_a_rule() -> None:
    status, _, _ = run(
        "validate", "--ignore", "atom-id-not-absolute", str(INVALID / "atom-id-relative.xml")
    )
    assert status == 0


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://x.example/</link><description>D</description>"
        "<item><title>A</title></item></channel></rss>",
        encoding="utf-8",
    )
    assert run("validate", str(feed))[0] == 0
    status, out, _ = run("validate", "--strict", str(feed))
    assert status == 5
    assert "warning rss-guid-missing" in out


def test_junit_report_is_well_formed(tmp_path: Path) -> None:
    status, out, _ = run(
        "validate",
        "--format",
        "junit",
        str(VALID / "hugo-rss.xml"),
        str(INVALID / "atom-id-relative.xml"),
    )
    assert status == 5
    suite = etree.fromstring(out.encode())
    testcases = suite.findall(".//testcase")
    assert len(testcases) == 2
    assert len(suite.findall(".//testcase/failure")) == 1


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    status, out, err = run("validate", str(tmp_path / "nope.xml"))
    assert status == 2
    assert out == ""
    assert str(tmp_path / "nope.xml") in err
    assert "Traceback" not in err


def test_validate_without_arguments_needs_a_build_first(tmp_path: Path) -> None:
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "branding", tmp_path / "branding")
    status, _, err = run("validate", "-c", str(tmp_path / "config.toml"))
    assert status == 2
    assert "not built yet: run `feeds build -c" in err


def test_build_then_validate_the_configured_feeds(tmp_path: Path) -> None:
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "branding", tmp_path / "branding")
    shutil.copytree(PROJECT / "articles", tmp_path / "articles")
    config = str(tmp_path / "config.toml")
    status, _, err = run("build", "-c", config, "--now", "2026-11-25T12:00:00Z")
    assert status == 0, err
    assert "8 of 11 article(s) published (1 draft(s), 1 retracted, 1 embargoed" in err
    assert run("validate", "--strict", "-c", config)[0] == 0


def test_quiet_build_prints_nothing_when_all_is_well(tmp_path: Path) -> None:
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "branding", tmp_path / "branding")
    shutil.copytree(PROJECT / "articles", tmp_path / "articles")
    status, out, err = run("-q", "build", "-c", str(tmp_path / "config.toml"))
    assert (status, out, err) == (0, "", "")


def test_missing_config_exits_3(tmp_path: Path) -> None:
    status, _, err = run("build", "-c", str(tmp_path / "config.toml"))
    assert status == 3
    assert err.startswith(f"feeds: error: {tmp_path / 'config.toml'}: configuration file not found")


def test_unknown_command_is_a_usage_error() -> None:
    status, _, err = run("publish")
    assert status == 2
    assert "invalid choice: 'publish'" in err


def test_internal_error_is_short_and_points_at_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "load_config", explode)
    status, _, err = run("build", "-c", str(tmp_path / "config.toml"))
    assert status == 1
    assert (
        err == "feeds: internal error: RuntimeError: boom\n(rerun with --traceback and report it)\n"
    )
    with pytest.raises(RuntimeError, match="boom"):
        main(["--traceback", "build", "-c", str(tmp_path / "config.toml")])


def test_preview_with_output_leaves_the_published_feeds_and_state_alone(tmp_path: Path) -> None:
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "branding", tmp_path / "branding")
    shutil.copytree(PROJECT / "articles", tmp_path / "articles")
    config = str(tmp_path / "config.toml")
    assert run("build", "-c", config, "--now", "2026-11-25T12:00:00Z")[0] == 0
    published = {p: p.read_bytes() for p in (tmp_path / "output").rglob("*") if p.is_file()}
    state = {p: p.read_bytes() for p in (tmp_path / ".feeds-state").rglob("*") if p.is_file()}
    preview = tmp_path / "preview"
    status, _, err = run(
        "build", "-c", config, "--now", "2027-12-01T00:00:00Z", "--output", str(preview)
    )
    assert status == 0, err
    assert "Maritime museum opens" in (preview / "rss.xml").read_text(encoding="utf-8")
    assert (tmp_path / "preview.feeds-state").is_dir()
    assert {p: p.read_bytes() for p in (tmp_path / "output").rglob("*") if p.is_file()} == published
    assert {
        p: p.read_bytes() for p in (tmp_path / ".feeds-state").rglob("*") if p.is_file()
    } == state


def test_unknown_ignore_code_is_a_usage_error() -> None:
    status, _, err = run("validate", "--ignore", "rss-guid-mising", str(VALID))
    assert status == 2
    assert (
        "--ignore rss-guid-mising: no rule has this code (did you mean 'rss-guid-missing'?)" in err
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "--wait", "-5"],
        ["build", "--wait", "nan"],
        ["validate", "--max-bytes", "-1", "x.xml"],
        ["validate", "--timeout", "inf", "x.xml"],
        ["validate", "--timeout", "1e300", "x.xml"],
        ["validate", "--timeout", "0", "x.xml"],
        ["validate", "http://[::1"],
        ["validate", "http://exa mple.com/feed.xml"],
    ],
)
def test_bad_option_values_are_usage_errors(argv: list[str]) -> None:
    status, _, err = run(*argv)
    assert status == 2
    assert "Traceback" not in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("ci", "quiet", "shown"), [(None, False, True), ("true", False, False), (None, True, False)]
)
def test_progress_is_shown_only_on_a_terminal_outside_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str | None, quiet: bool, shown: bool
) -> None:
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "branding", tmp_path / "branding")
    shutil.copytree(PROJECT / "articles", tmp_path / "articles")
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    err = Terminal()
    argv = ["-q"] if quiet else []
    status = main(
        [*argv, "build", "-c", str(tmp_path / "config.toml")], stdout=io.StringIO(), stderr=err
    )
    assert status == 0
    assert ("found 11 article files" in err.getvalue()) is shown
    # (how many: the sample's archives grow with the clock this build runs at)
    assert bool(re.search(r"rendered \d+ feed files; validating", err.getvalue())) is shown
