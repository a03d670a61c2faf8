"""Tests for `feeds.config.load_config`: the typed result, defaults and every error message."""

from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.config import Config, Schedule, load_config
from feeds.errors import ConfigError, ExitStatus
from feeds.model import Author, Channel, FeedSpec, MediaSettings

DATA = Path(__file__).resolve().parent.parent / "data" / "config"

MINIMAL = '[site]\ntitle = "Harbour Times"\nurl = "https://news.example.org/"\n'


def load_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.status is ExitStatus.CONFIG
    return str(caught.value)


def write(folder: Path, text: str, name: str = "config.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- what a good file loads to ----------------------------------------------------------------


def test_full_example_loads_to_the_expected_config():
    path = DATA / "full.toml"
    assert load_config(path) == Config(
        source=path,
        channel=Channel(
            title="Harbour Times",
            url="https://news.example.org/",
            description="News from the harbour",
            language="en-GB",
            timezone="Europe/Berlin",
            author=Author(
                name="Newsroom",
                email="desk@news.example.org",
                uri="https://news.example.org/about/",
            ),
            copyright="© 2026 Harbour Times",
        ),
        repository=DATA / "stories",
        output=DATA / "public" / "feeds",
        output_url="https://feeds.example.org/harbour/",
        media_url="https://cdn.example.org/media/",
        permalink="{section}/{year}/{month}/{day}/{slug}/",
        feeds=(
            FeedSpec(
                name="main",
                formats=("rss", "atom"),
                limit=50,
                title="Harbour Times",
                description="News from the harbour",
                path="",
            ),
            FeedSpec(
                name="sport",
                formats=("atom",),
                limit=20,
                title="Harbour Times: sport",
                description="Results and reports",
                path="sport",
            ),
            FeedSpec(
                name="culture",
                formats=("rss",),
                limit=10000,
                title="Harbour Culture",
                description="News from the harbour",
                path="arts/culture",
            ),
        ),
        max_image_bytes=5000000,
        schedule=Schedule(every_seconds=900),
    )


def test_minimal_config_gets_every_default():
    path = DATA / "minimal.toml"
    assert load_config(path) == Config(
        source=path,
        channel=Channel(
            title="Harbour Times",
            url="https://news.example.org/",
            description="Harbour Times",
            language="en",
            timezone="UTC",
            author=Author(name="Harbour Times"),
            copyright="",
        ),
        repository=DATA / "articles",
        output=DATA / "output",
        output_url="https://news.example.org/",
        media_url="https://news.example.org/media/",
        permalink="{slug}/",
        feeds=(
            FeedSpec(
                name="main",
                formats=("rss", "atom"),
                limit=50,
                title="Harbour Times",
                description="Harbour Times",
                path="",
            ),
        ),
        max_image_bytes=20 * 1024 * 1024,
    )


def test_relative_paths_resolve_against_the_config_folder_not_the_working_directory(
    tmp_path, monkeypatch
):
    site = tmp_path / "site"
    site.mkdir()
    write(site, MINIMAL + '[repository]\npath = "../common/articles"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    config = load_config(Path("../site/config.toml"))

    assert config.repository == tmp_path.resolve() / "common" / "articles"
    assert config.output == tmp_path.resolve() / "site" / "output"
    assert config.repository.is_absolute()
    assert config.output.is_absolute()


def test_absolute_paths_are_kept(tmp_path):
    target = tmp_path.resolve() / "srv" / "public"
    path = write(tmp_path, MINIMAL + f"[output]\npath = {json.dumps(str(target))}\n")
    assert load_config(path).output == target


def test_urls_are_normalised_to_end_with_a_slash():
    config = load_config(DATA / "url_normalisation.toml")
    assert config.channel.url == "https://news.example.org/harbour/"
    assert config.output_url == "https://feeds.example.org/"
    # The media URL defaults to a folder of the (normalised) output URL, not of the site URL.
    assert config.media_url == "https://feeds.example.org/media/"


def test_feed_defaults_follow_the_site(tmp_path):
    path = write(
        tmp_path,
        MINIMAL + '[[feeds]]\nname = "main"\n\n[[feeds]]\nname = "sport"\n',
    )
    first, second = load_config(path).feeds
    assert (first.title, first.description, first.path) == ("Harbour Times", "Harbour Times", "")
    assert (second.title, second.description, second.path) == (
        "Harbour Times: sport",
        "Harbour Times",
        "sport",
    )
    assert first.formats == second.formats == ("rss", "atom")
    assert first.limit == second.limit == 50


def test_feeds_sharing_a_path_with_different_formats_are_fine(tmp_path):
    path = write(
        tmp_path,
        MINIMAL + '[[feeds]]\nname = "main"\nformats = ["rss"]\n\n'
        '[[feeds]]\nname = "atom-only"\nformats = ["atom"]\npath = ""\n',
    )
    assert [spec.file_for(fmt) for spec in load_config(path).feeds for fmt in spec.formats] == [
        "rss.xml",
        "atom.xml",
    ]


def test_schedule_problems_are_reported_with_every_other_problem_in_one_pass(tmp_path):
    text = MINIMAL.replace('title = "Harbour Times"', "title = 3")
    path = write(tmp_path, text + '[schedule]\nanything = ["goes", 1]\nevery = "often"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "site.title" in message
    assert (
        "schedule.anything: unknown key (known keys: every, at, watch, watch_method, rescan)"
        in message
    )
    assert 'schedule.every: expected an interval such as "30s"' in message


def test_the_schedule_is_left_out_of_the_configuration_a_build_depends_on(tmp_path):
    """The inputs digest is made from the repr: a new schedule must not force a rebuild."""
    every = load_config(write(tmp_path, MINIMAL + '[schedule]\nevery = "30s"\n'))
    daily = load_config(write(tmp_path, MINIMAL + '[schedule]\nat = ["06:00"]\n'))
    assert every.schedule != daily.schedule
    assert repr(every) == repr(daily)


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_config(path).channel.title == "Harbour Times"


@pytest.mark.parametrize(
    "language", ["en", "de", "en-GB", "pt-BR", "zh-Hant", "zh-Hant-TW", "es-419", "haw"]
)
def test_common_language_tags_are_accepted(tmp_path, language):
    path = write(tmp_path, MINIMAL + f'language = "{language}"\n')
    assert load_config(path).channel.language == language


# --- problems: all at once, each with its key path ---------------------------------------------


def test_several_problems_are_reported_together_in_one_message():
    path = DATA / "three_problems.toml"
    assert load_error(path) == (
        f"{path}: 3 problems:\n"
        '  site.url: expected an absolute http(s) URL such as "https://news.example.org/",'
        ' got "news.example.org"\n'
        '  feeds[2].limit: expected a whole number from 1 to 10000, got "fifty"\n'
        '  feeds[1].formt: unknown key (did you mean "formats"?)'
    )


def test_unknown_keys_suggest_the_closest_known_key():
    path = DATA / "typos.toml"
    assert load_error(path) == (
        f"{path}: 4 problems:\n"
        '  ouput: unknown key (did you mean "output"?)\n'
        '  site.langauge: unknown key (did you mean "language"?)\n'
        "  site.colour: unknown key (known keys: title, url, description, language, timezone,"
        " permalink, copyright, logo, icon, author)\n"
        '  feeds[1].formt: unknown key (did you mean "formats"?)'
    )


def test_missing_site_reports_the_required_keys():
    path = DATA / "missing_site.toml"
    assert load_error(path) == (
        f"{path}: 2 problems:\n"
        '  site.title: missing: add it, e.g. title = "Harbour Times"\n'
        '  site.url: missing: add it, e.g. url = "https://news.example.org/"'
    )


def test_boolean_is_not_accepted_as_an_integer():
    path = DATA / "bool_limit.toml"
    assert load_error(path) == (
        f"{path}: feeds[1].limit: expected a whole number from 1 to 10000, got true"
    )


def test_bad_timezone_suggests_the_closest_zone():
    path = DATA / "bad_timezone.toml"
    assert load_error(path) == (
        f"{path}: site.timezone: expected an IANA time zone name such as"
        ' "Europe/Berlin" or "UTC", got "Europe/Berln" (did you mean "Europe/Berlin"?)'
    )


@pytest.mark.parametrize(
    ("timezone", "meant"),
    [
        ("new york", "America/New_York"),
        ("Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
    ],
)
def test_timezone_suggestion_finds_city_names_and_case_slips(tmp_path, timezone, meant):
    path = write(tmp_path, MINIMAL + f'timezone = "{timezone}"\n')
    assert load_error(path).endswith(f'got "{timezone}" (did you mean "{meant}"?)')


def test_bad_language_tag_is_rejected_with_the_fix():
    path = DATA / "bad_language.toml"
    assert load_error(path) == (
        f'{path}: site.language: expected a language tag such as "en", "en-GB" or "pt-BR",'
        ' got "en_GB" (write "en-GB")'
    )


def test_unknown_permalink_placeholder_is_rejected():
    path = DATA / "unknown_placeholder.toml"
    assert load_error(path) == (
        f"{path}: site.permalink: unknown placeholder {{yaer}} (did you mean {{year}}?):"
        " use {slug}, {year}, {month}, {day} or {section}"
    )


def test_duplicate_feed_names_are_reported_once():
    path = DATA / "duplicate_feed_names.toml"
    # Not also a path clash: the duplicate's default path would only repeat the same mistake.
    assert load_error(path) == (
        f'{path}: feeds[3].name: "sport" is already the name of feeds[2]: give each feed its own'
        " name"
    )


def test_feeds_writing_the_same_file_are_reported():
    path = DATA / "feed_path_collision.toml"
    assert load_error(path) == (
        f'{path}: feeds[2].path: "sport" (the default: the feed\'s name) clashes with feeds[1]:'
        " both would write sport/rss.xml; give each feed its own path"
    )


# One problem per case: (TOML appended to or replacing the minimal config, expected message).
SINGLE_PROBLEMS = [
    (
        MINIMAL.replace('"Harbour Times"', '""'),
        'site.title: expected a non-empty string, got ""',
    ),
    (
        MINIMAL.replace('"Harbour Times"', "2026-03-02"),
        "site.title: expected a string, got the TOML date 2026-03-02"
        " (put it in quotes to make it a string)",
    ),
    (
        MINIMAL.replace('"Harbour Times"', "2026-03-02T08:00:00Z"),
        "site.title: expected a string, got the TOML date-time 2026-03-02T08:00:00+00:00"
        " (put it in quotes to make it a string)",
    ),
    (
        MINIMAL.replace("https://news.example.org/", "https://news.example.org/?page=1"),
        'site.url: expected a URL without "?query" or "#fragment",'
        ' got "https://news.example.org/?page=1"',
    ),
    (
        MINIMAL.replace("https://news.example.org/", "ftp://news.example.org/"),
        'site.url: expected an absolute http(s) URL such as "https://news.example.org/",'
        ' got "ftp://news.example.org/"',
    ),
    (
        MINIMAL + "description = 42\n",
        "site.description: expected a string, got 42",
    ),
    (
        MINIMAL + 'timezone = "Europe"\n',
        'site.timezone: expected an IANA time zone name such as "Europe/Berlin" or "UTC",'
        ' got "Europe"',
    ),
    (
        MINIMAL + 'permalink = "{slug/"\n',
        'site.permalink: expected a pattern with balanced braces (write "{{" or "}}" for a'
        ' literal brace), got "{slug/"',
    ),
    (
        MINIMAL + 'permalink = "{slug!r}/"\n',
        "site.permalink: placeholder {slug} takes no format or conversion: write {slug}",
    ),
    (
        MINIMAL + 'permalink = ""\n',
        'site.permalink: expected a pattern such as "{slug}/" or "{year}/{month}/{slug}/", got ""',
    ),
    (
        MINIMAL + '[site.author]\nemail = "desk@news.example.org"\n',
        'site.author.name: missing: add it, e.g. name = "Newsroom"',
    ),
    (
        MINIMAL + '[site.author]\nname = "Desk"\nemail = "desk"\n',
        'site.author.email: expected an e-mail address such as "desk@news.example.org", got "desk"',
    ),
    (
        MINIMAL + '[site.author]\nname = "Desk"\nuri = "/about/"\n',
        'site.author.uri: expected an absolute URL such as "https://news.example.org/about/",'
        ' got "/about/"',
    ),
    (
        'site = "Harbour Times"\n',
        'site: expected a table ([site]), got "Harbour Times"',
    ),
    (
        MINIMAL + '"my key" = 1\n',
        'site."my key": unknown key (known keys: title, url, description, language, timezone,'
        " permalink, copyright, logo, icon, author)",
    ),
    (
        MINIMAL + '[repository]\npath = ""\n',
        'repository.path: expected a folder path such as "articles", got ""',
    ),
    (
        MINIMAL + "[repository]\nmax_image_bytes = 0\n",
        "repository.max_image_bytes: expected a positive whole number of bytes such as"
        " 20971520, got 0",
    ),
    (
        MINIMAL + '[output]\nmedia_url = "cdn.example.org/media/"\n',
        'output.media_url: expected an absolute http(s) URL such as "https://news.example.org/",'
        ' got "cdn.example.org/media/"',
    ),
    (
        "feeds = []\n" + MINIMAL,
        "feeds: expected an array of tables ([[feeds]]), got an empty array"
        ' (remove it to publish the one default feed "main")',
    ),
    (
        MINIMAL + '[feeds]\nname = "main"\n',
        "feeds: expected an array of tables, got a table: write [[feeds]], not [feeds]",
    ),
    (
        'feeds = ["main"]\n' + MINIMAL,
        'feeds[1]: expected a table ([[feeds]]), got "main"',
    ),
    (
        MINIMAL + "[[feeds]]\nlimit = 5\n",
        'feeds[1].name: missing: add it, e.g. name = "sport"',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "Sport News"\n',
        'feeds[1].name: expected a lowercase name of a-z, 0-9 and "-" such as "sport",'
        ' got "Sport News"',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\nformats = []\n',
        'feeds[1].formats: expected a list of "rss", "atom" and/or "json", each once, such as'
        ' ["rss", "atom", "json"], got an empty array',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\nformats = ["rss", "jsonfeed"]\n',
        'feeds[1].formats: expected a list of "rss", "atom" and/or "json", each once, such as'
        ' ["rss", "atom", "json"], got ["rss", "jsonfeed"]',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\nformats = ["rss", "rss"]\n',
        'feeds[1].formats: expected a list of "rss", "atom" and/or "json", each once, such as'
        ' ["rss", "atom", "json"], got ["rss", "rss"]',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\nformats = [["rss"]]\n',
        'feeds[1].formats: expected a list of "rss", "atom" and/or "json", each once, such as'
        ' ["rss", "atom", "json"], got [["rss"]]',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\nlimit = 0\n',
        "feeds[1].limit: expected a whole number from 1 to 10000, got 0",
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\nlimit = 10001\n',
        "feeds[1].limit: expected a whole number from 1 to 10000, got 10001",
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\nlimit = 50.0\n',
        "feeds[1].limit: expected a whole number from 1 to 10000, got 50.0",
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\ntitle = ""\n',
        'feeds[1].title: expected a non-empty string, got ""',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\npath = "../sport"\n',
        'feeds[1].path: expected a relative folder such as "sport" (no leading "/", no ".."),'
        ' got "../sport"',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\npath = "/sport"\n',
        'feeds[1].path: expected a relative folder such as "sport" (no leading "/", no ".."),'
        ' got "/sport"',
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\n\n[[feeds]]\nname = "media"\n',
        'feeds[2].path: "media" (the default: the feed\'s name) is inside "media/", where'
        " images are published: choose another path",
    ),
    (
        MINIMAL + '[[feeds]]\nname = "main"\npath = "./media/x/"\n',
        'feeds[1].path: "media/x" is inside "media/", where images are published:'
        " choose another path",
    ),
    (
        "schedule = 15\n" + MINIMAL,
        "schedule: expected a table ([schedule]), got 15",
    ),
]


@pytest.mark.parametrize(("text", "problem"), SINGLE_PROBLEMS)
def test_single_problem_is_reported_on_one_line(tmp_path, text, problem):
    path = write(tmp_path, text)
    assert load_error(path) == f"{path}: {problem}"


def test_explicit_path_clash_names_the_top_folder(tmp_path):
    path = write(
        tmp_path,
        MINIMAL + '[[feeds]]\nname = "main"\n\n[[feeds]]\nname = "all"\npath = "."\n',
    )
    assert load_error(path) == (
        f'{path}: feeds[2].path: "" (the top of the output folder) clashes with feeds[1]:'
        " both would write rss.xml; give each feed its own path"
    )


def test_invalid_formats_do_not_also_report_a_path_clash(tmp_path):
    path = write(
        tmp_path,
        MINIMAL + '[[feeds]]\nname = "main"\n\n[[feeds]]\nname = "b"\npath = ""\nformats = "rss"\n',
    )
    assert load_error(path) == (
        f'{path}: feeds[2].formats: expected a list of "rss", "atom" and/or "json", each once, such as'
        ' ["rss", "atom", "json"], got "rss"'
    )


def test_feed_path_is_normalised(tmp_path):
    path = write(tmp_path, MINIMAL + '[[feeds]]\nname = "main"\npath = "./news//sport/"\n')
    assert load_config(path).feeds[0].path == "news/sport"


# --- files that cannot be read as TOML ----------------------------------------------------------


def test_missing_file_says_how_to_fix_it(tmp_path):
    path = tmp_path / "config.toml"
    assert load_error(path) == (
        f"{path}: configuration file not found: create it (see config.toml in the project"
        " for an example) or pass -c PATH"
    )


def test_folder_instead_of_file_is_reported(tmp_path):
    assert load_error(tmp_path) == (
        f"{tmp_path}: cannot read the configuration file: Is a directory"
    )


def test_toml_syntax_error_gives_line_and_column():
    path = DATA / "syntax_error.toml"
    assert load_error(path) == f"{path}:3:7: invalid TOML: Invalid value"


def test_toml_error_at_end_of_document_gives_the_last_position(tmp_path):
    path = write(tmp_path, '[site]\nformats = ["rss"')
    assert load_error(path) == f"{path}:2:17: invalid TOML: Unclosed array"


def test_file_that_is_not_utf8_gives_line_and_column():
    path = DATA / "not_utf8.toml"
    assert load_error(path) == (
        f"{path}:2:13: invalid TOML: not UTF-8 text (byte 0xe9): save the file as UTF-8"
    )


def test_position_of_a_bad_byte_ignores_the_byte_order_mark(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'\xef\xbb\xbf[site]\ntitle = "Caf\xe9"\n')
    assert load_error(path) == (
        f"{path}:2:13: invalid TOML: not UTF-8 text (byte 0xe9): save the file as UTF-8"
    )


def test_source_is_the_path_as_given(tmp_path):
    shutil.copy(DATA / "minimal.toml", tmp_path / "config.toml")
    path = tmp_path / "config.toml"
    assert load_config(path).source == path


# --- robustness: any document gives a Config or a ConfigError, nothing else ---------------------

SCALARS = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["https://news.example.org", "en-GB", "Europe/Berlin", "{slug}/", "rss"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(),
    st.dates(),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


# Mostly good values for the known keys, so that some documents load and the defaults and
# cross-feed checks run too; arbitrary values now and then.
GOOD: dict[str, st.SearchStrategy[object]] = {
    "title": st.sampled_from(["Harbour Times", "Hafenblatt"]),
    "url": st.sampled_from(["https://news.example.org", "http://example.org/harbour/"]),
    "description": st.text(max_size=5),
    "language": st.sampled_from(["en", "pt-BR"]),
    "timezone": st.sampled_from(["UTC", "Europe/Berlin"]),
    "permalink": st.sampled_from(["{slug}/", "{section}/{year}/{slug}"]),
    "path": st.sampled_from(["", "a", "b/c"]),
    "max_image_bytes": st.integers(min_value=1, max_value=10**9),
    "media_url": st.just("https://cdn.example.org/m"),
    "name": st.from_regex(r"[a-z0-9][a-z0-9-]{0,3}", fullmatch=True),
    "formats": st.sampled_from([["rss"], ["atom"], ["rss", "atom"]]),
    "limit": st.integers(min_value=1, max_value=10000),
}


def value_for(key: str) -> st.SearchStrategy[object]:
    # About one value in ten is arbitrary: enough to fail often, rare enough to pass often.
    return st.integers(0, 9).flatmap(lambda roll: VALUES if roll == 0 else GOOD[key])


def table_of(required: list[str], optional: list[str]) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {key: value_for(key) for key in required},
        optional={key: value_for(key) for key in optional},
    )


DOCUMENTS = st.fixed_dictionaries(
    {"site": table_of(["title", "url"], ["description", "language", "timezone", "permalink"])},
    optional={
        "repository": table_of([], ["path", "max_image_bytes"]),
        "output": table_of([], ["path", "url", "media_url"]),
        "feeds": st.lists(
            table_of(["name"], ["formats", "limit", "title", "description", "path"]), max_size=3
        ),
    },
)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # JSON string escapes are valid TOML, except that TOML also wants DEL escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return str(value)


def toml_document(document: dict[str, object]) -> str:
    # Top-level values first: after a [table] header they would belong to that table.
    lines = [
        f"{key} = {toml_value(value)}"
        for key, value in document.items()
        if key not in ("site", "repository", "output", "feeds")
    ]
    for name in ("site", "repository", "output"):
        table = document.get(name)
        if isinstance(table, dict):
            lines.append(f"[{name}]")
            lines.extend(f"{key} = {toml_value(value)}" for key, value in table.items())
    feeds = document.get("feeds", [])
    assert isinstance(feeds, list)
    for feed in feeds:
        lines.append("[[feeds]]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in feed.items())
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(document=DOCUMENTS)
def test_any_document_loads_or_raises_config_error(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("config") / "config.toml"
    path.write_text(toml_document(document), encoding="utf-8")
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert str(exc).startswith(f"{path}: ")
    else:
        assert config.channel.url.endswith("/")
        assert config.output_url.endswith("/")
        assert config.media_url.endswith("/")
        assert config.feeds


def test_filters_and_per_are_read_with_their_defaults(tmp_path):
    path = write(
        tmp_path,
        MINIMAL
        + '[[feeds]]\nname = "main"\nformats = ["rss", "atom", "json"]\n'
        + '[[feeds]]\nname = "sport"\nsections = ["sport"]\ntags = [" sailing ", "swim"]\n'
        + '[[feeds]]\nname = "who"\nper = "author"\n'
        + '[[feeds]]\nname = "topics"\nper = ["category", "tag"]\npath = "t/{per}/{slug}"\n'
        + 'title = "On {value}"\n',
    )
    main, sport, who, topics = load_config(path).feeds
    assert main.formats == ("rss", "atom", "json")
    assert (sport.sections, sport.tags, sport.categories, sport.per) == (
        ("sport",),
        ("sailing", "swim"),
        (),
        (),
    )
    assert (who.per, who.path, who.title, who.formats) == (
        ("author",),
        "{per}/{slug}",
        "Harbour Times: {value}",
        ("rss", "atom"),
    )
    assert (topics.per, topics.path, topics.title) == (
        ("category", "tag"),
        "t/{per}/{slug}",
        "On {value}",
    )


@pytest.mark.parametrize(
    ("feed", "problem"),
    [
        (
            'per = "tag"\npath = "tags"\n',
            'feeds[1].path: needs {slug}, or every value would write the same files: e.g. "tag/{slug}"',
        ),
        (
            'per = ["tag", "author"]\npath = "x/{slug}"\n',
            "feeds[1].path: needs {per} as well, as the feed makes one set for each of tag, author:"
            ' e.g. path = "{per}/{slug}"',
        ),
        (
            'per = "tag"\npath = "{section}/{slug}"\n',
            'feeds[1].path: unknown placeholder {section}: use {slug} and {per}, e.g. "{per}/{slug}"',
        ),
        (
            'per = "tags"\n',
            'feeds[1].per: expected one or more of "category", "tag", "author" and "section", each'
            ' once, such as ["category", "tag"], got "tags"',
        ),
        (
            "tags = []\n",
            'feeds[1].tags: expected a non-empty list of names such as ["Harbour", "Council"],'
            " got an empty array",
        ),
        (
            'authors = "Mara Lind"\n',
            'feeds[1].authors: expected a non-empty list of names such as ["Harbour", "Council"],'
            ' got "Mara Lind"',
        ),
        (
            'per = "tag"\npath = "media/{slug}"\n',
            'feeds[1].path: "media/{slug}" is inside "media/", where images are published:'
            " choose another path",
        ),
    ],
)
def test_slice_problems_are_reported_with_their_key(tmp_path, feed, problem):
    path = write(tmp_path, MINIMAL + '[[feeds]]\nname = "x"\n' + feed)
    assert load_error(path) == f"{path}: {problem}"


def test_two_per_feeds_for_the_same_field_and_path_clash(tmp_path):
    path = write(
        tmp_path,
        MINIMAL
        + '[[feeds]]\nname = "main"\n'
        + '[[feeds]]\nname = "a"\nper = "tag"\n'
        + '[[feeds]]\nname = "b"\nper = ["author", "tag"]\n',
    )
    assert load_error(path) == (
        f'{path}: feeds[3].path: "{{per}}/{{slug}}" (the default with "per") clashes with'
        " feeds[2]: both would write tag/{slug}/rss.xml; give each feed its own path"
    )


def test_control_characters_in_text_are_refused_with_the_key_path(tmp_path):
    path = write(
        tmp_path, '[site]\ntitle = "Harbour\\u0001 Times"\nurl = "https://news.example.org/"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: site.title: contains the control character 0x0001, which feeds cannot "
        "publish: remove it"
    )


# --- [media], site.logo and site.icon ----------------------------------------------------------


def test_media_defaults_and_values(tmp_path):
    assert load_config(write(tmp_path, MINIMAL)).media == MediaSettings()
    text = MINIMAL + (
        "[media]\nmax_width = 1600\nmax_height = 1200\nthumbnail_width = 320\nquality = 75\n"
        "keep_location = true\n"
    )
    assert load_config(write(tmp_path, text)).media == MediaSettings(1600, 1200, 320, 75, True)
    narrow = load_config(write(tmp_path, MINIMAL + "[media]\nmax_width = 300\n")).media
    assert narrow.thumbnail_width == 300  # the default thumbnail never exceeds max_width


def test_every_media_and_branding_problem_is_reported_at_once(tmp_path):
    (tmp_path / "logo.svg").write_text("<svg/>", encoding="utf-8")
    text = MINIMAL.replace(
        "[site]\n", '[site]\nlogo = "logo.svg"\nicon = "branding/missing.png"\n'
    ) + (
        '[media]\nmax_width = 8\nmax_height = "big"\nthumbnail_width = 20000\nquality = 100\n'
        'keep_location = "no"\nmax_widht = 2\n'
    )
    path = write(tmp_path, text)
    assert load_error(path) == (
        f"{path}: 8 problems:\n"
        '  site.logo: "logo.svg" is not a PNG, JPEG, WebP or GIF file name: point it at one\n'
        f'  site.icon: "branding/missing.png" not found (looked for {tmp_path}/branding/missing.png):'
        " add the file or fix the path; it is relative to the configuration file\n"
        "  media.max_width: expected a number of pixels from 16 to 16384, got 8\n"
        '  media.max_height: expected a number of pixels from 16 to 16384, got "big"\n'
        "  media.thumbnail_width: expected a number of pixels from 16 to 16384, got 20000\n"
        "  media.quality: expected an encoder quality from 1 to 95 (82 is a good web default),"
        " got 100\n"
        '  media.keep_location: expected true or false, got "no"\n'
        '  media.max_widht: unknown key (did you mean "max_width"?)'
    )


def test_a_thumbnail_wider_than_the_published_image_is_a_problem(tmp_path):
    path = write(tmp_path, MINIMAL + "[media]\nmax_width = 800\nthumbnail_width = 900\n")
    assert load_error(path) == (
        f"{path}: media.thumbnail_width: 900 is wider than max_width (800): a thumbnail must be"
        " smaller than the published image"
    )


def test_logo_and_icon_resolve_against_the_configuration_folder(tmp_path):
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand/logo.png").write_bytes(b"not checked here")
    (tmp_path / "brand/icon.png").write_bytes(b"")
    text = MINIMAL.replace("[site]\n", '[site]\nlogo = "brand/logo.png"\nicon = "brand/icon.png"\n')
    channel = load_config(write(tmp_path, text)).channel
    assert channel.logo == tmp_path / "brand/logo.png"
    assert channel.icon == tmp_path / "brand/icon.png"


@pytest.mark.parametrize(
    ("written", "seconds"), [('"2h"', 7200), ("600", 600), ('"90m"', 5400), (None, 3600)]
)
def test_the_rescan_interval_is_read_as_an_interval_or_seconds(
    tmp_path: Path, written: str | None, seconds: int
) -> None:
    line = f"rescan = {written}\n" if written else ""
    (tmp_path / "config.toml").write_text(MINIMAL + f"\n[schedule]\n{line}", encoding="utf-8")
    assert load_config(tmp_path / "config.toml").schedule.rescan_seconds == seconds


@pytest.mark.parametrize("written", ['"10s"', "0", '"30d"', "true", '"often"'])
def test_a_rescan_interval_out_of_range_is_a_located_error(tmp_path: Path, written: str) -> None:
    (tmp_path / "config.toml").write_text(
        MINIMAL + f"\n[schedule]\nrescan = {written}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"schedule\.rescan: expected"):
        load_config(tmp_path / "config.toml")
