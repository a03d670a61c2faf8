"""WebSub: every changed feed is announced to every hub once, after its new bytes are live (the
hub reads the feed and each of its images at the moment the ping arrives); a failing hub is
recorded and tried again, never failing the build; a local folder target announces too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from project import NOW, copy_articles, local_files, run_feeds, write_config
from servers import FaultProxy, Hub, SeaweedFS, free_port
from test_s3_target import Site, make_site

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def hub2() -> Hub:
    server = Hub()
    yield server  # type: ignore[misc]
    server.close()


def feed_urls(site: Site, rels: set[str]) -> set[str]:
    return feed_urls_of(site.public_url, rels)


def feed_urls_of(public_url: str, rels: set[str]) -> set[str]:
    """The subscription documents among `rels` (archive documents are never announced)."""
    return {
        public_url + rel
        for rel in rels
        if rel.endswith(("rss.xml", "atom.xml", "feed.json")) and "archive" not in rel.split("/")
    }


def test_each_changed_feed_is_announced_once_per_hub_after_its_bytes_are_live(
    tmp_path: Path, weed: SeaweedFS, proxy: FaultProxy, hub: Hub, hub2: Hub
) -> None:
    site = make_site(tmp_path, weed, proxy, hubs=[hub.url, hub2.url])
    done = site.build()
    assert done.returncode == 0, done.stderr
    local = site.build_twin()
    every_feed = feed_urls(site, set(local))
    assert len(every_feed) > 10

    for server in (hub, hub2):
        urls = [p.url for p in server.pings]
        assert len(urls) == len(set(urls)), "announced twice"
        assert set(every_feed) - set(urls) == set() and set(urls) - set(every_feed) == set()
        for ping in server.pings:
            assert ping.form["hub.mode"] == ["publish"]
            assert ping.content_type == FORM
            rel = ping.url[len(site.public_url) :]
            # At the moment of the ping: the new bytes, and every image they name.
            assert ping.body == local[rel], f"{rel} was announced before it was live"
            assert set(ping.media.values()) <= {200}, ping.media
    assert any(ping.media for ping in hub.pings)
    # Each feed advertises the hubs (and its one self link).
    assert f'<atom:link href="{hub.url}" rel="hub"/>'.encode() in local["rss.xml"]
    assert json.loads(local["feed.json"])["hubs"][1] == {"type": "WebSub", "url": hub2.url}

    hub.pings.clear()
    assert site.build().returncode == 0
    assert hub.pings == []  # nothing changed, nothing announced

    for root in (site.root, site.twin):
        article = root / "articles/sport/2026-05-10-regatta.txt"
        article.write_text(
            article.read_text(encoding="utf-8").replace("regatta", "regatta (updated)", 1),
            encoding="utf-8",
        )
    assert site.build().returncode == 0
    after = site.build_twin()
    changed = feed_urls(site, {rel for rel, body in after.items() if local.get(rel) != body})
    assert changed and len(changed) < len(every_feed)
    assert sorted(p.url for p in hub.pings) == sorted(changed)
    for ping in hub.pings:
        assert ping.body == after[ping.url[len(site.public_url) :]]


def test_a_failing_hub_never_fails_the_build_is_recorded_and_tried_again(
    tmp_path: Path, weed: SeaweedFS, proxy: FaultProxy, hub: Hub
) -> None:
    down = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    site = make_site(tmp_path, weed, proxy, hubs=[hub.url, down])
    hub.status = 503
    done = site.build()
    assert done.returncode == 0, done.stderr
    assert "WebSub hub" in done.stderr and "503" in done.stderr and "cannot reach" in done.stderr
    feeds = len(hub.pings)
    assert feeds > 10
    status = json.loads((site.root / ".feeds-state/status.json").read_text(encoding="utf-8"))
    assert status["last_outcome"] == "ok"
    assert len(status["hub_failures"]) == 2 * feeds  # every feed, at each of the two hubs
    shown = run_feeds("status", cwd=site.root, env={})
    assert f"websub:       {2 * feeds} announcement(s) to send again" in shown.stdout

    # The hub is back: the next build (which has nothing else to do) sends what it owes.
    hub.status = 204
    hub.pings.clear()
    again = site.build()
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stderr
    assert len(hub.pings) == feeds
    assert all(ping.body is not None for ping in hub.pings)
    status = json.loads((site.root / ".feeds-state/status.json").read_text(encoding="utf-8"))
    assert len(status["hub_failures"]) == feeds  # only the hub that is still down


def test_a_local_folder_target_announces_too_and_a_preview_never_does(
    tmp_path: Path,
) -> None:
    public = "https://news.example.org/"
    output = tmp_path / "output"

    def read_from_disk(url: str) -> tuple[int, bytes]:
        path = output / url.removeprefix(public)
        return (200, path.read_bytes()) if url.startswith(public) and path.is_file() else (404, b"")

    hub = Hub(read=read_from_disk)
    try:
        copy_articles(tmp_path)
        write_config(tmp_path, output="output", public_url=public, hubs=[hub.url])
        done = run_feeds("build", "--now", NOW, cwd=tmp_path, env={})
        assert done.returncode == 0, done.stderr
        files = local_files(output)
        feeds = feed_urls_of(public, set(files))
        assert sorted(p.url for p in hub.pings) == sorted(feeds)
        for ping in hub.pings:
            assert ping.body == files[ping.url.removeprefix(public)]
            assert set(ping.media.values()) <= {200}

        hub.pings.clear()
        preview = run_feeds(
            "build", "--now", NOW, "--output", str(tmp_path / "p"), cwd=tmp_path, env={}
        )
        assert preview.returncode == 0, preview.stderr
        assert hub.pings == []
        assert local_files(tmp_path / "p") == files  # hub links included: the same bytes
    finally:
        hub.close()
