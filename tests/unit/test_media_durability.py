"""Media are durable before any feed that names them, with one sync for all new ones (an
`fsync` per file took a minute for the 2,500 images of one article)."""

import os
from pathlib import Path

import pytest
from PIL import Image as PILImage

from feeds import atomic
from feeds.model import Blob, FeedSpec, RenderedFeed
from feeds.publish import folder as folder_module
from feeds.publish.folder import FolderTarget
from feeds.publish.plan import plan_changes

SPEC = FeedSpec(name="main", formats=("rss",), limit=5, title="T", description="D", path="")


def images(source: Path, count: int) -> dict[str, Blob]:
    source.mkdir(parents=True, exist_ok=True)
    blobs = {}
    for i in range(count):
        path = source / f"photo-{i:04}.png"
        PILImage.new("RGB", (2, 2), (i % 256, 0, 0)).save(path)
        info = path.stat()
        blobs[path.name] = Blob(info.st_size, info.st_mtime_ns, lambda p=path: p.open("rb"))
    return blobs


def feed(body: bytes) -> RenderedFeed:
    return RenderedFeed(
        spec=SPEC, format="rss", rel_path="rss.xml", url="https://x.org/rss.xml", body=body,
        article_ids=("a",),
    )  # fmt: skip


class Journal:
    """What reached the disk, in order: each `fsync` (of what file) and each sync of all."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, out: Path) -> None:
        self.events: list[tuple[str, object]] = []
        real_fsync = os.fsync
        real_sync = atomic.sync_files

        def fsync(fd: int) -> None:
            self.events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
            real_fsync(fd)

        def sync_files(paths: list[Path]) -> None:
            media = sorted(p.name for p in (out / "media").iterdir()) if paths else []
            feed = (out / "rss.xml").read_bytes() if (out / "rss.xml").exists() else None
            self.events.append(("sync", (len(paths), media, feed)))
            real_sync(paths)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(folder_module, "sync_files", sync_files)

    def fsynced(self) -> list[str]:
        return [Path(str(what)).name for kind, what in self.events if kind == "fsync"]

    def syncs(self) -> list[object]:
        return [what for kind, what in self.events if kind == "sync" and what[0]]  # type: ignore[index]


def publish(out: Path, blobs: dict[str, Blob], body: bytes) -> None:
    target = FolderTarget(out)
    changes = plan_changes([feed(body)], blobs, [], held_media=target.media(), retired=())
    target.apply(changes)


def test_new_media_are_synced_once_and_before_the_feed_that_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    blobs = images(tmp_path / "src", 300)
    journal = Journal(monkeypatch, out)
    publish(out, blobs, b"<rss>new</rss>")
    # One sync for the 300 new images, when all of them are in place and the feed is not yet.
    assert journal.syncs() == [(300, sorted(blobs), None)]
    assert [name for name in journal.fsynced() if name.startswith(".photo")] == []
    assert (out / "rss.xml").read_bytes() == b"<rss>new</rss>"
    # The feed itself is synced before it replaces the old one, after the images.
    kinds = [kind for kind, _ in journal.events]
    assert kinds.index("sync") < kinds.index("fsync")
    for name, blob in blobs.items():
        with blob.open() as source:
            assert (out / "media" / name).read_bytes() == source.read()


def test_a_replaced_image_that_published_feeds_name_is_synced_before_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old feed names it: its new bytes must be durable before they take its name."""
    out = tmp_path / "out"
    blobs = images(tmp_path / "src", 3)
    publish(out, blobs, b"<rss>old</rss>")
    source = tmp_path / "src/photo-0001.png"
    PILImage.new("RGB", (3, 3), (9, 9, 9)).save(source)
    os.utime(source, ns=(1, 1))
    blobs["photo-0001.png"] = Blob(source.stat().st_size, 1, lambda: source.open("rb"))
    journal = Journal(monkeypatch, out)
    publish(out, blobs, b"<rss>new</rss>")
    assert journal.syncs() == []  # nothing new
    synced_photos = [name for name in journal.fsynced() if "photo" in name]
    assert len(synced_photos) == 1  # its temp file, before the rename
    assert synced_photos[0].startswith(".photo-0001.png.")
    assert (out / "media/photo-0001.png").read_bytes() == source.read_bytes()


def test_sync_files_makes_new_files_durable_without_an_fsync_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    paths = []
    for i in range(50):
        path = tmp_path / f"f{i}"
        atomic.replace_file(path, b"x", sync=False)
        paths.append(path)
    atomic.sync_files(paths)
    if atomic._syncfs is not None:  # Linux: one syncfs for all
        assert calls == []
    else:  # each file and its folder
        assert len(calls) == len(paths) + 1
