"""`feeds build` into a bucket of a real S3-compatible server (SeaweedFS on 127.0.0.1): every
object a local build writes, byte for byte, with its headers; nothing sent again that the
bucket holds; a second host publishes the same; `validate`, `status` and `--output` work."""

from __future__ import annotations

import itertools
import json
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from project import NOW, copy_articles, feeds_command, local_files, run_feeds, write_config
from servers import FaultProxy, SeaweedFS, credentials_env

BUCKET = "feeds"
_numbers = itertools.count(1)

# What each kind of object is served with (the defaults of [output.cache_control]).
TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
    "feeds.opml": "text/x-opml; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


def expected_type(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return TYPES.get(name) or TYPES["." + name.rsplit(".", 1)[-1]]


def kind_of(rel: str) -> str:
    if rel.startswith("media/"):
        return "media"
    return "page" if rel in ("index.html", "feeds.opml") else "feed"


def expected_cache_control(rel: str) -> str:
    return "public, max-age=86400" if rel.startswith("media/") else "public, max-age=300"


@dataclass
class Site:
    """A project publishing to a bucket through the proxy, and its local twin."""

    root: Path
    twin: Path
    prefix: str
    weed: SeaweedFS
    proxy: FaultProxy
    bucket: str = BUCKET

    @property
    def public_url(self) -> str:
        return f"{self.weed.endpoint}/{self.bucket}/{self.prefix}"

    def build(
        self, *args: str, cwd: Path | None = None, env_extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**credentials_env(), **(env_extra or {})}
        return run_feeds("build", "--now", NOW, *args, cwd=cwd or self.root, env=env)

    def build_twin(self) -> dict[str, bytes]:
        # A preview into its folder: the same bytes, and never an announcement to a hub.
        output = str(self.twin / "output")
        done = run_feeds("build", "--now", NOW, "--output", output, cwd=self.twin, env={})
        assert done.returncode == 0, done.stderr
        return local_files(self.twin / "output")

    def objects(self) -> dict[str, str]:
        """Key under the prefix -> ETag, of everything in the bucket."""
        client = self.weed.client()
        listing = client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)
        return {o["Key"][len(self.prefix) :]: o["ETag"] for o in listing.get("Contents", [])}

    def get(self, rel: str) -> dict[str, object]:
        response = self.weed.client().get_object(Bucket=self.bucket, Key=self.prefix + rel)
        return {**response, "Body": response["Body"].read()}

    def content_puts(self) -> list[str]:
        """Objects uploaded through the proxy, relative to the prefix, the state left out."""
        start = f"/{self.bucket}/{self.prefix}"
        return [
            p[len(start) :]
            for p in self.proxy.puts()
            if p.startswith(start) and not p.startswith(f"{start}.feeds/")
        ]

    def state_puts(self) -> list[str]:
        start = f"/{self.bucket}/{self.prefix}.feeds/"
        return [p[len(start) :] for p in self.proxy.puts() if p.startswith(start)]


def make_site(tmp_path: Path, weed: SeaweedFS, proxy: FaultProxy, **config: object) -> Site:
    """A project of its own under a prefix of its own (SeaweedFS gives each bucket volumes of
    its own, so the tests share one bucket)."""
    prefix = f"site-{next(_numbers)}/"
    client = weed.client()
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET)
    root, twin = tmp_path / "project", tmp_path / "twin"
    root.mkdir()
    twin.mkdir()
    copy_articles(root)
    copy_articles(twin)
    public_url = f"{weed.endpoint}/{BUCKET}/{prefix}"
    write_config(
        root,
        output=f"s3://{BUCKET}/{prefix}",
        public_url=public_url,
        endpoint=proxy.endpoint,
        **config,  # type: ignore[arg-type]
    )
    write_config(twin, output="output", public_url=public_url, **config)  # type: ignore[arg-type]
    return Site(root, twin, prefix, weed, proxy)


@pytest.fixture
def site(tmp_path: Path, weed: SeaweedFS, proxy: FaultProxy) -> Site:
    return make_site(tmp_path, weed, proxy)


def test_a_build_publishes_every_file_of_a_local_build_byte_for_byte_with_its_headers(
    site: Site,
) -> None:
    done = site.build()
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    local = site.build_twin()

    objects = site.objects()
    published = {rel for rel in objects if not rel.startswith(".feeds/")}
    assert published == set(local)
    assert {"rss.xml", "sport/atom.xml", "feed.json", "index.html", "feeds.opml"} <= published
    assert any(rel.startswith("media/") for rel in published)
    for rel in sorted(published):
        response = site.get(rel)
        assert response["Body"] == local[rel], f"{rel} differs from the local build"
        assert response["ContentType"] == expected_type(rel), rel
        assert response["CacheControl"] == expected_cache_control(rel), rel
        assert "immutable" not in str(response["CacheControl"])
    # Each object sent once, in the plan's order: every image before any feed, every feed
    # before the pages that list them.
    puts = site.content_puts()
    assert sorted(puts) == sorted(published)
    kinds = [kind_of(rel) for rel in puts]
    assert kinds == sorted(kinds, key=["media", "feed", "page"].index)
    # What decides what is published lives with the target; the lease is gone.
    assert {
        ".feeds/manifest.json",
        ".feeds/published-ids.json",
        ".feeds/published-feeds.json",
    } <= set(objects)
    assert ".feeds/lock" not in objects


def test_a_second_build_sends_nothing_and_a_second_host_publishes_the_same(
    site: Site, tmp_path: Path
) -> None:
    built = site.build()
    assert built.returncode == 0, built.stderr
    before = site.objects()

    site.proxy.reset()
    again = site.build()
    assert again.returncode == 0, again.stderr
    assert "nothing changed" in again.stderr
    assert site.proxy.puts() == []  # not even the lease: it is taken at the first write
    assert [seen.method for seen in site.proxy.seen] == ["GET"]  # one listing

    # Another host: its own checkout (other file times) and no local state at all.
    other = tmp_path / "other-host"
    other.mkdir()
    for name in ("articles", "branding"):
        shutil.copytree(site.root / name, other / name, copy_function=shutil.copy)
    shutil.copy(site.root / "config.toml", other / "config.toml")
    site.proxy.reset()
    done = site.build(cwd=other)
    assert done.returncode == 0, done.stderr
    assert site.proxy.puts() == []
    assert site.objects() == before


def test_an_edit_uploads_exactly_what_a_local_build_rewrites(site: Site) -> None:
    built = site.build()
    assert built.returncode == 0, built.stderr
    local_before = site.build_twin()
    for root in (site.root, site.twin):
        article = root / "articles/sport/2026-05-10-regatta.txt"
        article.write_text(
            article.read_text(encoding="utf-8").replace("regatta", "regatta (updated)", 1),
            encoding="utf-8",
        )
    site.proxy.reset()
    done = site.build()
    assert done.returncode == 0, done.stderr
    local_after = site.build_twin()

    rewritten = {rel for rel, body in local_after.items() if local_before.get(rel) != body}
    assert rewritten, "the edit changed no file: the test edits the wrong thing"
    assert sorted(site.content_puts()) == sorted(rewritten)
    assert len(rewritten) < len(local_after) / 3  # a few feeds and the pages, not the set
    for rel in rewritten:
        assert site.get(rel)["Body"] == local_after[rel]


def test_a_lost_or_stale_manifest_never_leaves_wrong_content(site: Site) -> None:
    built = site.build()
    assert built.returncode == 0, built.stderr
    local = site.build_twin()
    client = site.weed.client()

    # Lost: every object is compared with its own checksum; nothing is sent again.
    client.delete_object(Bucket=site.bucket, Key=f"{site.prefix}.feeds/manifest.json")
    site.proxy.reset()
    built = site.build()
    assert built.returncode == 0, built.stderr
    assert site.content_puts() == []
    assert "manifest.json" in site.state_puts()

    # Stale: objects replaced or removed behind the manifest's back are sent again.
    client.put_object(Bucket=site.bucket, Key=f"{site.prefix}rss.xml", Body=b"<rss>wrong</rss>")
    client.delete_object(Bucket=site.bucket, Key=f"{site.prefix}sport/atom.xml")
    manifest = json.loads(site.get(".feeds/manifest.json")["Body"])  # type: ignore[arg-type]
    manifest["objects"]["feed.json"]["sha256"] = "0" * 64  # a record that lies
    client.put_object(
        Bucket=site.bucket,
        Key=f"{site.prefix}.feeds/manifest.json",
        Body=json.dumps(manifest).encode(),
    )
    site.proxy.reset()
    done = site.build()
    assert done.returncode == 0, done.stderr
    assert sorted(site.content_puts()) == ["feed.json", "rss.xml", "sport/atom.xml"]
    for rel in ("rss.xml", "sport/atom.xml", "feed.json"):
        response = site.get(rel)
        assert response["Body"] == local[rel]
        assert response["ContentType"] == expected_type(rel)


def test_validate_reads_the_feeds_back_from_the_bucket_and_status_reports(site: Site) -> None:
    env = credentials_env()
    missing = run_feeds("validate", cwd=site.root, env=env)
    assert missing.returncode == 2
    assert "not built yet" in missing.stderr
    built = site.build()
    assert built.returncode == 0, built.stderr

    done = run_feeds("validate", "--format", "json", cwd=site.root, env=env)
    assert done.returncode == 0, done.stderr
    sources = {report["source"] for report in json.loads(done.stdout)["feeds"]}
    assert f"s3://{site.bucket}/{site.prefix}rss.xml" in sources
    assert f"s3://{site.bucket}/{site.prefix}author/mara-lind/atom.xml" in sources  # a `per` feed
    feeds = [r for r in site.objects() if not r.startswith(".feeds/") and kind_of(r) == "feed"]
    assert len(sources) == len(feeds)

    client = site.weed.client()
    client.put_object(
        Bucket=site.bucket, Key=f"{site.prefix}sport/rss.xml", Body=b"<rss version='2.0'/>"
    )
    broken = run_feeds("validate", cwd=site.root, env=env)
    assert broken.returncode == 5
    assert f"s3://{site.bucket}/{site.prefix}sport/rss.xml" in broken.stdout

    status = run_feeds("status", cwd=site.root, env=env)
    assert status.returncode == 0, status.stderr
    assert "last run:" in status.stdout and "(ok)" in status.stdout


def test_output_dir_previews_into_a_local_folder_and_leaves_the_bucket_alone(
    site: Site, tmp_path: Path
) -> None:
    preview = tmp_path / "preview"
    site.proxy.reset()
    done = site.build("--output", str(preview))
    assert done.returncode == 0, done.stderr
    assert site.proxy.seen == []
    assert site.objects() == {}
    assert local_files(preview) == site.build_twin()


def test_a_local_build_never_imports_the_s3_client(tmp_path: Path) -> None:
    copy_articles(tmp_path)
    write_config(tmp_path, output="output", public_url="https://news.example.org/")
    code = (
        "import sys; from feeds.cli import main;"
        f" status = main(['--quiet', 'build', '--now', '{NOW}']);"
        " print(status, 'botocore' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.stdout.split() == ["0", "False"], done.stderr


def test_the_daemon_publishes_to_the_bucket_and_stops_cleanly(site: Site) -> None:
    daemon = subprocess.Popen(
        [feeds_command(), "run"],
        cwd=site.root,
        env={"PATH": "/usr/bin:/bin", "HOME": str(site.root), **credentials_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while "index.html" not in site.objects() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "rss.xml" in site.objects()
        running = run_feeds("status", "--json", cwd=site.root, env={})
        assert json.loads(running.stdout)["daemon_running"] is True
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    assert f"output s3://{BUCKET}/{site.prefix} at {site.proxy.endpoint}" in err
    assert "Traceback" not in err
    assert ".feeds/lock" not in site.objects()
