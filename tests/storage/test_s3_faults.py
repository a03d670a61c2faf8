"""Faults of object storage, on a real server: one writer at a time (the lease), 503s and dropped
connections retried, the server stopped during an upload, a missing bucket, wrong or missing
credentials: clear errors with their exit status, never a traceback, never a broken moment."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from project import NOW, copy_articles, run_feeds, write_config
from servers import SECRET_KEY, FaultProxy, SeaweedFS, credentials_env, fetch, free_port, media_urls
from test_s3_target import BUCKET, Site, make_site

from feeds.errors import LockedError
from feeds.publish import Put
from feeds.publish.s3 import S3Target


@pytest.fixture
def site(tmp_path: Path, weed: SeaweedFS, proxy: FaultProxy) -> Site:
    return make_site(tmp_path, weed, proxy)


def fast_env(**extra: str) -> dict[str, str]:
    """Credentials, and two attempts per request instead of five (the backoff stays short)."""
    return {**credentials_env(), "AWS_MAX_ATTEMPTS": "2", **extra}


def assert_clean_failure(done: subprocess.CompletedProcess[str], status: int, *words: str) -> None:
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "internal error" not in done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


# --- the lease -----------------------------------------------------------------------------

HOLDER = """
import sys, time
from feeds.errors import LockedError
from feeds.publish import Put
from feeds.publish.s3 import S3Target
from feeds.publish import Put
from feeds.publish.s3 import S3Target

bucket, prefix, endpoint, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
target = S3Target(bucket, prefix, endpoint_url=endpoint, region="us-east-1",
                  cache_control={"feed": "no-cache", "media": "no-cache", "page": "no-cache"},
                  lease_seconds=5)
with target.lease(wait=0):
    target.apply([Put("early.xml", b"<early/>", "page")])  # the lease is taken at a first write
    print("held", flush=True)
    time.sleep(seconds)
    try:
        target.apply([Put("late.xml", b"<late/>", "page")])
        print("wrote", flush=True)
    except LockedError as exc:
        print("refused:", exc, flush=True)
"""


def test_one_writer_at_a_time_and_a_frozen_holder_is_taken_over_and_then_refused(
    site: Site,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, BUCKET, site.prefix, site.weed.endpoint, "14"],
        env={**os.environ, **credentials_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        # Alive and renewing: a second writer waits, then gives up (exit 8).
        time.sleep(6)  # longer than the lease's lifetime: only renewals keep it
        refused = site.build("--wait", "1")
        assert_clean_failure(refused, 8, "is publishing here", ".feeds/lock", "gave up after 1 s")
        assert {rel for rel in site.objects() if not rel.startswith(".feeds/")} == {"early.xml"}

        # Frozen (as a suspended host is): its lease lapses and the next writer takes it over.
        os.kill(holder.pid, signal.SIGSTOP)
        started = time.monotonic()
        taken = site.build("--wait", "20")
        assert taken.returncode == 0, taken.stderr
        assert "took over the lease" in taken.stderr
        assert time.monotonic() - started >= 4  # not before the lease's 5 s lapsed
    finally:
        os.kill(holder.pid, signal.SIGCONT)
    # Woken, the old holder sees that its lease may be gone and writes nothing.
    out, err = holder.communicate(timeout=30)
    assert "refused:" in out and "lost the lease" in out, out + err
    assert "late.xml" not in site.objects()
    assert ".feeds/lock" not in site.objects()  # the new holder released it


# --- passing faults ------------------------------------------------------------------------


def test_503_for_a_while_and_dropped_uploads_are_retried_and_the_build_completes(
    site: Site,
) -> None:
    site.proxy.faults.unavailable = 3  # the lease, then the listing, are answered 503
    site.proxy.faults.drop_uploads = 2  # two uploads lose their connection half-way
    done = site.build()
    assert done.returncode == 0, done.stderr
    statuses = [seen.status for seen in site.proxy.seen]
    assert statuses.count(503) == 3
    assert statuses.count(0) == 2  # the dropped ones
    local = site.build_twin()
    assert {rel for rel in site.objects() if not rel.startswith(".feeds/")} == set(local)
    for rel, body in local.items():
        assert site.get(rel)["Body"] == body, rel


def new_jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_the_server_stopped_during_an_upload_leaves_valid_feeds_and_the_next_build_heals(
    tmp_path: Path,
) -> None:
    weed = SeaweedFS(tmp_path / "weed")
    weed.start()
    proxy = FaultProxy(weed.port)
    try:
        site = make_site(tmp_path, weed, proxy)
        first = site.build()
        assert first.returncode == 0, first.stderr
        # The photographer sends a better picture under the same name, and the story changes.
        for root in (site.root, site.twin):
            image = root / "articles/culture/lighthouse-restored/lighthouse.jpg"
            image.write_bytes(new_jpeg((200, 30, 30)))
        proxy.reset()
        proxy.faults.before_upload = (1, lambda: weed.stop(kill=True))
        failed = site.build(env_extra=fast_env())
        assert_clean_failure(failed, 6, "cannot upload", f"s3://{BUCKET}/{site.prefix}media/")
        assert "lighthouse.jpg" in failed.stderr or "media/" in failed.stderr

        weed.start()
        # What readers see now is the last complete publish: every feed's media is there.
        objects = site.objects()
        for rel in objects:
            if rel.endswith(("rss.xml", "atom.xml", "feed.json")):
                for url in media_urls(site.get(rel)["Body"]):  # type: ignore[arg-type]
                    assert fetch(url)[0] == 200, (rel, url)
        healed = site.build()
        assert healed.returncode == 0, healed.stderr
        local = site.build_twin()
        assert {rel for rel in site.objects() if not rel.startswith(".feeds/")} == set(local)
        for rel, body in local.items():
            assert site.get(rel)["Body"] == body, rel
    finally:
        proxy.close()
        weed.stop()


def test_storage_out_of_reach_is_a_clear_error_and_is_recorded(tmp_path: Path) -> None:
    copy_articles(tmp_path)
    nothing = f"http://127.0.0.1:{free_port()}"
    write_config(
        tmp_path, output="s3://feeds/news/", public_url="https://x.example.org/", endpoint=nothing
    )
    done = run_feeds("build", "--now", NOW, cwd=tmp_path, env=fast_env())
    assert_clean_failure(done, 6, "s3://feeds/news/: cannot list", nothing, "reachable")
    status = json.loads((tmp_path / ".feeds-state/status.json").read_text(encoding="utf-8"))
    assert status["last_outcome"] == "failed"


# --- setup problems: exit status 10 --------------------------------------------------------


def test_a_missing_bucket_is_its_own_error(site: Site, tmp_path: Path) -> None:
    config = (site.root / "config.toml").read_text(encoding="utf-8")
    (site.root / "config.toml").write_text(
        config.replace(f"s3://{BUCKET}/", "s3://no-such-bucket/"), encoding="utf-8"
    )
    done = site.build()
    assert_clean_failure(done, 10, "s3://no-such-bucket/", "the bucket does not exist")
    assert "create it" in done.stderr
    status = run_feeds("status", cwd=site.root, env={})
    assert "FAILED" in status.stdout and "does not exist" in status.stdout


@pytest.mark.parametrize(
    "env",
    [
        {"AWS_SECRET_ACCESS_KEY": "wrong-" + SECRET_KEY},
        {"AWS_ACCESS_KEY_ID": "NOSUCHKEY", "AWS_SECRET_ACCESS_KEY": "wrong-" + SECRET_KEY},
    ],
    ids=["wrong-secret", "unknown-key"],
)
def test_wrong_credentials_are_their_own_error_and_never_shown(
    site: Site, env: dict[str, str]
) -> None:
    done = site.build(env_extra=env)
    assert_clean_failure(done, 10, "refused the credentials", "AWS_ACCESS_KEY_ID")
    recorded = (site.root / ".feeds-state/status.json").read_text(encoding="utf-8")
    for secret in ("wrong-" + SECRET_KEY, SECRET_KEY):
        assert secret not in done.stderr + done.stdout + recorded
    assert site.objects() == {}


def test_no_credentials_at_all(site: Site) -> None:
    env = {
        "AWS_EC2_METADATA_DISABLED": "true",  # never ask an instance-metadata address
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
    }
    done = run_feeds("build", "--now", NOW, cwd=site.root, env=env)
    assert_clean_failure(done, 10, "no credentials found", "AWS_PROFILE")


def test_a_build_that_another_writer_overtook_while_it_rendered_writes_nothing(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in credentials_env().items():
        monkeypatch.setenv(name, value)
    target = S3Target(
        BUCKET,
        site.prefix,
        endpoint_url=site.weed.endpoint,
        region="us-east-1",
        cache_control={"feed": "no-cache", "media": "no-cache", "page": "no-cache"},
    )
    with target.lease(wait=5):
        assert target.media() == []  # what this build read: an empty prefix
        # Meanwhile another host publishes (it held the lease, and has let it go).
        site.weed.client().put_object(Bucket=BUCKET, Key=f"{site.prefix}rss.xml", Body=b"<rss/>")
        with pytest.raises(LockedError, match="another writer published here while"):
            target.apply([Put("rss.xml", b"<rss>older</rss>", "feed")])
    assert site.get("rss.xml")["Body"] == b"<rss/>"
    assert ".feeds/lock" not in site.objects()
