"""The installed `feeds` command on a copy of the sample repository, read back as readers would."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from lxml import etree

PROJECT = Path(__file__).resolve().parents[2]
NOW = "2026-11-25T12:00:00+00:00"
NS = {"atom": "http://www.w3.org/2005/Atom", "media": "http://search.yahoo.com/mrss/"}
# Sample articles that carry images: headline -> (number of images, lead image file in articles/).
WITH_IMAGES = {
    "Skerra Point lighthouse shines again after two-year restoration": 2,
}


def feeds_command() -> str:
    found = shutil.which("feeds", path=str(Path(sys.executable).parent))
    assert found, "the feeds console script is not installed next to this Python"
    return found


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [feeds_command(), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT / "articles", tmp_path / "articles")
    shutil.copy(PROJECT / "config.toml", tmp_path / "config.toml")
    shutil.copytree(PROJECT / "branding", tmp_path / "branding")
    return tmp_path


def test_build_writes_feeds_that_readers_parse_with_images_captions_and_credits(
    project: Path,
) -> None:
    done = run("build", "--now", NOW, cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    out = project / "output"

    rss = feedparser.parse((out / "rss.xml").read_bytes())
    atom = feedparser.parse((out / "atom.xml").read_bytes())
    assert (rss.bozo, rss.version) == (0, "rss20")
    assert (atom.bozo, atom.version) == (0, "atom10")
    assert len(rss.entries) == len(atom.entries) == 8
    titles = [e.title for e in rss.entries]
    assert "Harbour office plans a new visitor pontoon" not in titles  # the draft
    assert "Maritime museum opens its new herring gallery" not in " ".join(titles)  # embargoed

    rss_tree = etree.parse(str(out / "rss.xml"))
    atom_tree = etree.parse(str(out / "atom.xml"))
    for item in rss_tree.iterfind("channel/item"):
        media = item.findall("media:content", NS)
        enclosures = item.findall("enclosure")
        content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
        if not media:
            assert enclosures == []
            continue
        # Exactly one RSS enclosure: the lead image, with its true length and sniffed type.
        (enclosure,) = enclosures
        assert enclosure.get("url") == media[0].get("url")
        published = out / "media" / enclosure.get("url").split("/media/", 1)[1]
        assert int(enclosure.get("length")) == published.stat().st_size
        assert enclosure.get("type") in {"image/jpeg", "image/png", "image/webp"}
        for element in media:
            assert element.findtext("media:description", namespaces=NS)
            assert element.findtext("media:credit", namespaces=NS)
        assert content.startswith('<figure><img src="' + enclosure.get("url"))
        caption = media[0].findtext("media:description", namespaces=NS)
        credit = media[0].findtext("media:credit", namespaces=NS)
        # The credit line may go on with the copyright notice (linked to the licence).
        assert f"<figcaption>{caption} — {credit}" in content

        guid = item.findtext("guid")
        (entry,) = atom_tree.xpath("//atom:entry[atom:id=$id]", namespaces=NS, id=guid)
        links = entry.findall("atom:link[@rel='enclosure']", NS)
        assert [link.get("href") for link in links] == [m.get("url") for m in media]
        assert [link.get("title") for link in links] == [
            m.findtext("media:description", namespaces=NS) for m in media
        ]
        if item.findtext("title") in WITH_IMAGES:
            assert len(media) == WITH_IMAGES[item.findtext("title")]


def test_wire_article_reaches_readers_without_wire_artefacts(project: Path) -> None:
    assert run("build", "--now", NOW, cwd=project).returncode == 0
    parsed = feedparser.parse((project / "output/atom.xml").read_bytes())
    regatta = next(e for e in parsed.entries if "regatta" in e.link)
    body = regatta.content[0].value
    assert regatta.author == "Sofia Rask"
    for artefact in ("Read Next:", "Story Continues", "can be reached at"):
        assert artefact not in body
    assert "<h2>Related</h2>" in body


def test_second_build_leaves_every_file_byte_identical_with_unchanged_mtimes(project: Path) -> None:
    assert run("build", "--now", NOW, cwd=project).returncode == 0
    out = project / "output"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    again = run("build", "--now", NOW, cwd=project)
    assert again.returncode == 0
    assert "0 written" in again.stderr
    assert {
        p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()
    } == before


def test_python_dash_m_feeds_and_the_validator_agree_the_build_is_clean(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "feeds", "build", "-c", str(project / "config.toml"), "--now", NOW],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    check = run("validate", "--strict", str(project / "output"), cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr


def test_bad_article_is_named_with_its_line_and_the_rest_publish(project: Path) -> None:
    (project / "articles/news/broken.md").write_text(
        "---\ntitle: Broken\ndate: soon\n---\nx\n", encoding="utf-8"
    )
    done = run("build", "--now", NOW, cwd=project)
    assert done.returncode == 4
    assert "news/broken.md:3: date: 'soon' is not a date and time" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(feedparser.parse((project / "output/rss.xml").read_bytes()).entries) == 8


def test_bad_config_exits_3_with_the_key_path_and_no_traceback(project: Path) -> None:
    config = project / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("limit = 50", 'limit = "fifty"'),
        encoding="utf-8",
    )
    done = run("build", cwd=project)
    assert done.returncode == 3
    assert "feeds[1].limit" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / "output").exists()


def test_usage_error_exits_2(project: Path) -> None:
    done = run("build", "--now", "yesterday", cwd=project)
    assert done.returncode == 2
    assert "--now" in done.stderr


def test_what_the_command_prints_to_a_pipe_arrives_before_it_exits(project: Path) -> None:
    """The command leaves without the interpreter's teardown: what it printed is flushed,
    a short report (which would sit in the buffer) and a long one alike."""
    assert run("build", "--now", NOW, cwd=project).returncode == 0
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    short = run("validate", "output/rss.xml", cwd=project, env=buffered)
    assert short.returncode == 0, short.stderr
    assert short.stdout.endswith("1 feed checked: 0 errors, 0 warnings\n")
    many = [str(path) for path in sorted((project / "output").rglob("*.xml"))] * 40
    long = run("validate", "--format", "json", *many, cwd=project, env=buffered)
    assert long.returncode == 0, long.stderr
    assert len(long.stdout) > 64 * 1024  # more than a pipe holds
    assert json.loads(long.stdout)


def test_a_reader_that_stops_early_ends_the_command_quietly(project: Path) -> None:
    """`feeds validate ... | head`: the closed pipe ends the command as it ends `cat`, with
    the status of SIGPIPE and nothing on stderr (no traceback, no "internal error")."""
    assert run("build", "--now", NOW, cwd=project).returncode == 0
    many = [str(path) for path in sorted((project / "output").rglob("*.xml"))] * 40
    # Output buffered, as Python has it by default (unbuffered, Python itself drops what a
    # closed pipe refuses without a word).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with subprocess.Popen(
        [feeds_command(), "validate", "--format", "json", *many],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(100)
        proc.stdout.close()  # like `| head`
        stderr = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert stderr == ""
    assert code == 141


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_head_on_a_long_text_report_ends_with_the_status_of_sigpipe(
    tmp_path: Path, unbuffered: str
) -> None:
    """`feeds validate public/ | head -1`: the reader leaving after the first line must give
    141, not 5. One large write to a pipe whose reader leaves part-way loses the rest without
    an error (always so with PYTHONUNBUFFERED=1, as many CI images set it); the report is
    written in pieces a pipe takes whole."""
    invalid = PROJECT / "tests/data/validate/invalid/rss-date-iso.xml"
    for number in range(2500):
        shutil.copy(invalid, tmp_path / f"feed{number:04}.xml")
    done = subprocess.run(
        [
            "bash",
            "-c",
            f'"{feeds_command()}" validate "{tmp_path}" | head -1; '
            'echo "status ${PIPESTATUS[0]}"',
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
            **({"PYTHONUNBUFFERED": "1"} if unbuffered else {}),
        },
    )
    first, status = done.stdout.splitlines()
    assert "error rss-date-format" in first
    assert status == "status 141"
    assert done.stderr == ""
