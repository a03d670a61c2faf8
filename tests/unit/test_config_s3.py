"""Configuration of an object-storage target and of WebSub: `output.path = "s3://..."`,
`[output.s3]`, `[output.cache_control]` and `[websub]`, every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import CacheControl, ObjectStore, load_config
from feeds.errors import ConfigError, ExitStatus
from feeds.model import FeedSpec
from feeds.render import render_feed
from feeds.validate import validate_feed

MINIMAL = '[site]\ntitle = "Harbour Times"\nurl = "https://news.example.org/"\n'

CONTRACT = (
    MINIMAL
    + """
[output]
path = "s3://newsroom-feeds/news/"
url = "https://feeds.example.org/news/"

[output.s3]
endpoint_url = "http://127.0.0.1:8333"
region = "eu-north-1"

[output.cache_control]
feeds = "public, max-age=300"
media = "public, max-age=86400"
pages = "public, max-age=300"

[websub]
hubs = ["https://pubsubhubbub.appspot.com/"]
"""
)


def write(folder: Path, text: str) -> Path:
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.status is ExitStatus.CONFIG
    return str(caught.value)


def test_the_issue_contract_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, CONTRACT))
    assert config.s3 == ObjectStore(
        bucket="newsroom-feeds",
        prefix="news/",
        endpoint_url="http://127.0.0.1:8333",
        region="eu-north-1",
    )
    assert config.s3.url() == "s3://newsroom-feeds/news/"
    assert config.cache_control == CacheControl()
    assert config.channel.hubs == ("https://pubsubhubbub.appspot.com/",)
    assert config.output_url == "https://feeds.example.org/news/"
    assert config.media_url == "https://feeds.example.org/news/media/"
    # No local output folder: the daemon's lock goes to the state folder.
    assert config.output == config.state_dir == (tmp_path / ".feeds-state").resolve()


def test_defaults_a_bare_bucket_and_a_folder_target(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL + '[output]\npath = "s3://feeds-bucket"\n'))
    assert config.s3 == ObjectStore(bucket="feeds-bucket", prefix="")
    assert config.cache_control == CacheControl(
        feeds="public, max-age=300", media="public, max-age=86400", pages="public, max-age=300"
    )
    assert config.channel.hubs == ()
    prefix = load_config(write(tmp_path, MINIMAL + '[output]\npath = "s3://b.example/a/b"\n'))
    assert prefix.s3 is not None and prefix.s3.prefix == "a/b/"
    local = load_config(write(tmp_path, MINIMAL + '[output]\npath = "public"\n'))
    assert local.s3 is None and local.output == (tmp_path / "public").resolve()


def test_every_problem_is_reported_at_once_with_its_key_path(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """
[output]
path = "s3://Bad_Bucket/.state/"
[output.s3]
endpoint_url = "ftp://storage.example.org"
region = "eu north"
aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
regoin = "x"
[output.cache_control]
media = "public, max-age=31536000, immutable"
feeds = "public, max_age=300"
[websub]
hubs = ["notaurl"]
hub = "x"
"""
    )
    message = load_error(write(tmp_path, text))
    assert "9 problems" in message
    for expected in (
        'output.path: expected "s3://BUCKET/PREFIX/"',
        'may start with "."',
        "output.s3.endpoint_url: expected the storage's http(s) URL",
        "output.s3.region: expected a region name",
        "output.s3.aws_secret_access_key: credentials never go in config.toml",
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE",
        'output.s3.regoin: unknown key (did you mean "region"?)',
        "output.cache_control.media: immutable is refused",
        'output.cache_control.feeds: "max_age=300" is not a Cache-Control directive'
        ' (did you mean "max-age"?)',
        "websub.hubs: expected a list of hub URLs",
        'websub.hub: unknown key (did you mean "hubs"?)',
    ):
        assert expected in message, message
    assert "wJalrXUtnFEMI" not in message  # a secret is never repeated


def test_object_storage_settings_without_an_s3_target_are_a_problem(tmp_path: Path) -> None:
    text = MINIMAL + '[output]\npath = "public"\n[output.s3]\nregion = "x"\n'
    text += '[output.cache_control]\nmedia = "public"\n'
    message = load_error(write(tmp_path, text))
    assert "output.s3: applies only to object storage" in message
    assert "output.cache_control: applies only to object storage" in message


@pytest.mark.parametrize(
    "hubs",
    ['"https://hub.example.org/"', '["https://a.example/", "https://a.example/"]', "[1]"],
)
def test_hubs_must_be_a_list_of_distinct_urls(tmp_path: Path, hubs: str) -> None:
    message = load_error(write(tmp_path, MINIMAL + f"[websub]\nhubs = {hubs}\n"))
    assert message.startswith(f"{tmp_path / 'config.toml'}: websub.hubs: ")


def test_feeds_advertise_their_hubs_only_when_configured(tmp_path: Path) -> None:
    hubs = ["https://hub.example.org/", "https://pubsubhubbub.appspot.com/"]
    text = MINIMAL + "[websub]\nhubs = [" + ", ".join(f'"{h}"' for h in hubs) + "]\n"
    with_hubs = load_config(write(tmp_path, text))
    without = load_config(write(tmp_path, MINIMAL))
    spec = FeedSpec(
        name="main", formats=("rss", "atom", "json"), limit=5, title="T", description="D", path=""
    )
    for fmt in ("rss", "atom", "json"):
        plain = render_feed(without.channel, spec, fmt, [], output_url=without.output_url).body
        body = render_feed(with_hubs.channel, spec, fmt, [], output_url=with_hubs.output_url).body
        assert b"hub" not in plain
        assert validate_feed(body, source=fmt).ok
        for hub in hubs:
            assert hub.encode() in body
        if fmt == "rss":
            # Beside the one self link, in the Atom namespace.
            assert body.count(b"<atom:link") == 3 and body.count(b'rel="self"') == 1
            assert body.index(b'rel="self"') < body.index(b'rel="hub"')
        if fmt == "atom":
            assert body.count(b'rel="hub"') == 2 and body.count(b'rel="self"') == 1
        if fmt == "json":
            assert b'"type": "WebSub"' in body
