"""Output folder: atomic replacement, unchanged files untouched, media published and pruned."""

import os
from pathlib import Path

import pytest

from feeds.errors import OutputError
from feeds.model import Blob, FeedSpec, RenderedFeed
from feeds.publish import Delete, WriteResult
from feeds.publish.folder import FolderTarget
from feeds.publish.plan import plan_changes

SPEC = FeedSpec(name="main", formats=("rss",), limit=5, title="T", description="D", path="")


def blob(path: Path) -> Blob:
    info = path.stat()
    return Blob(info.st_size, info.st_mtime_ns, lambda: path.open("rb"))


def write_output(
    out: Path,
    feeds: list[RenderedFeed],
    media: dict[str, Path],
    documents: list[tuple[str, bytes]] | tuple[()] = (),
    retired: tuple[str, ...] = (),
) -> WriteResult:
    """One publish into the folder `out`: its plan, applied by the folder target."""
    target = FolderTarget(out)
    blobs = {name: blob(path) for name, path in media.items()}
    changes = plan_changes(feeds, blobs, documents, held_media=target.media(), retired=retired)
    return target.apply(changes)


def feed(body: bytes, rel_path: str = "rss.xml") -> RenderedFeed:
    return RenderedFeed(
        spec=SPEC,
        format="rss",
        rel_path=rel_path,
        url="https://x.example/" + rel_path,
        body=body,
        article_ids=(),
    )


def test_writes_files_readable_by_others_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = write_output(out, [feed(b"<rss/>"), feed(b"<feed/>", "news/atom.xml")], {})
    assert result.written == ("rss.xml", "news/atom.xml")
    assert (out / "rss.xml").read_bytes() == b"<rss/>"
    assert (out / "news/atom.xml").read_bytes() == b"<feed/>"
    old_umask = os.umask(0o022)
    os.umask(old_umask)
    assert (out / "rss.xml").stat().st_mode & 0o777 == 0o666 & ~old_umask
    assert sorted(p.name for p in out.rglob("*")) == ["atom.xml", "news", "rss.xml"]


def test_unchanged_file_is_not_rewritten(tmp_path: Path) -> None:
    write_output(tmp_path, [feed(b"<rss/>")], {})
    target = tmp_path / "rss.xml"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    inode = target.stat().st_ino
    result = write_output(tmp_path, [feed(b"<rss/>")], {})
    assert result.written == ()
    assert result.unchanged == ("rss.xml",)
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert target.stat().st_ino == inode


def test_changed_file_is_replaced_by_rename(tmp_path: Path) -> None:
    write_output(tmp_path, [feed(b"<rss>1</rss>")], {})
    target = tmp_path / "rss.xml"
    inode = target.stat().st_ino
    result = write_output(tmp_path, [feed(b"<rss>2</rss>")], {})
    assert result.written == ("rss.xml",)
    assert target.read_bytes() == b"<rss>2</rss>"
    assert target.stat().st_ino != inode  # a new file was renamed over the old one


def test_media_are_copied_kept_and_pruned(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.jpg").write_bytes(b"A" * 10)
    (repo / "b.png").write_bytes(b"B" * 20)
    out = tmp_path / "out"
    first = write_output(out, [], {"news/a.jpg": repo / "a.jpg", "b.png": repo / "b.png"})
    assert first.written == ("media/b.png", "media/news/a.jpg")
    assert (out / "media/news/a.jpg").read_bytes() == b"A" * 10
    second = write_output(out, [], {"news/a.jpg": repo / "a.jpg", "b.png": repo / "b.png"})
    assert second.written == ()
    third = write_output(out, [], {"b.png": repo / "b.png"})
    assert third.removed == ("media/news/a.jpg",)
    assert not (out / "media/news").exists()
    assert (out / "media/b.png").exists()


def test_replaced_image_is_copied_again(tmp_path: Path) -> None:
    source = tmp_path / "a.jpg"
    source.write_bytes(b"old")
    out = tmp_path / "out"
    write_output(out, [], {"a.jpg": source})
    source.write_bytes(b"new!")
    assert write_output(out, [], {"a.jpg": source}).written == ("media/a.jpg",)
    assert (out / "media/a.jpg").read_bytes() == b"new!"


def test_output_that_cannot_be_a_folder_gives_a_located_error(tmp_path: Path) -> None:
    blocker = tmp_path / "news"
    blocker.write_bytes(b"a file where a folder must go")
    with pytest.raises(OutputError) as caught:
        write_output(tmp_path, [feed(b"<rss/>"), feed(b"<feed/>", "news/atom.xml")], {})
    assert str(caught.value).startswith(f"{tmp_path / 'news/atom.xml'}: cannot write: ")
    # rss.xml came first and was replaced: the message says so instead of promising otherwise.
    assert "these were already replaced or removed: rss.xml (each file is whole" in str(
        caught.value
    )
    assert blocker.read_bytes() == b"a file where a folder must go"


def test_write_error_mid_file_keeps_old_file_and_cleans_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_output(tmp_path, [feed(b"<rss>old</rss>")], {})

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OutputError) as caught:
        write_output(tmp_path, [feed(b"<rss>new</rss>")], {})
    assert "No space left on device" in str(caught.value)
    assert str(caught.value).endswith("nothing was replaced: the published files stay")
    assert (tmp_path / "rss.xml").read_bytes() == b"<rss>old</rss>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rss.xml"]


def test_temp_files_left_by_a_killed_build_are_removed_by_the_next(tmp_path: Path) -> None:
    write_output(tmp_path, [feed(b"<rss>1</rss>")], {})
    leftover = tmp_path / ".rss.xml.k3j2h1.tmp"
    leftover.write_bytes(b"<rss>half")
    unrelated = tmp_path / ".other.tmp"
    unrelated.write_bytes(b"not ours")
    write_output(tmp_path, [feed(b"<rss>1</rss>")], {})
    assert not leftover.exists()
    assert unrelated.exists()
    assert (tmp_path / "rss.xml").read_bytes() == b"<rss>1</rss>"


def test_documents_are_written_after_feeds_and_skipped_when_unchanged(tmp_path: Path) -> None:
    documents = [("index.html", b"<!DOCTYPE html>"), ("feeds.opml", b"<opml/>")]
    first = write_output(tmp_path, [feed(b"<rss/>")], {}, documents)
    assert first.written == ("rss.xml", "index.html", "feeds.opml")
    assert (tmp_path / "index.html").read_bytes() == b"<!DOCTYPE html>"
    second = write_output(tmp_path, [feed(b"<rss/>")], {}, [("index.html", b"<p>new</p>")])
    assert second.written == ("index.html",)
    assert second.unchanged == ("rss.xml",)
    assert (tmp_path / "feeds.opml").exists()  # documents are never pruned


def test_published_media_are_readable_even_when_the_source_is_private(tmp_path: Path) -> None:
    source = tmp_path / "private.jpg"
    source.write_bytes(b"jpeg")
    source.chmod(0o600)
    out = tmp_path / "out"
    write_output(out, [], {"private.jpg": source})
    mask = os.umask(0o022)
    os.umask(mask)
    published = out / "media/private.jpg"
    assert published.stat().st_mode & 0o777 == 0o666 & ~mask
    assert published.stat().st_mtime_ns == source.stat().st_mtime_ns


def test_a_symlinked_media_folder_is_refused_and_nothing_behind_it_is_deleted(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "articles"
    elsewhere.mkdir()
    (elsewhere / "story.md").write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "media").symlink_to(elsewhere)
    with pytest.raises(OutputError, match=r"media: is a symbolic link: feeds removes"):
        write_output(out, [feed(b"<rss/>")], {})
    assert (elsewhere / "story.md").read_text(encoding="utf-8") == "precious"
    assert not (out / "rss.xml").exists()


def test_stale_media_behind_a_symlinked_subfolder_are_not_deleted(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.jpg").write_bytes(b"not ours")
    out = tmp_path / "out"
    (out / "media").mkdir(parents=True)
    (out / "media/linked").symlink_to(elsewhere)
    target = FolderTarget(out)
    result = target.apply([Delete("media/linked/keep.jpg")])
    assert result.removed == ()
    assert (elsewhere / "keep.jpg").read_bytes() == b"not ours"
