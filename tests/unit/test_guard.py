"""A confirmed target: each change waits for the confirmation, and a refusal stops the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.errors import FeedsError
from feeds.publish import Delete, Put
from feeds.publish.folder import FolderTarget
from feeds.publish.guard import ConfirmedTarget


class Refused(FeedsError):
    pass


def test_each_change_is_confirmed_first_and_a_refusal_leaves_the_rest_unpublished(
    tmp_path: Path,
) -> None:
    (tmp_path / "old.xml").write_text("old", encoding="utf-8")
    asked: list[int] = []

    def confirm() -> None:
        asked.append(len(asked))
        if len(asked) == 3:
            raise Refused("no longer the leader")

    target = ConfirmedTarget(FolderTarget(tmp_path), confirm)
    changes = [
        Put("media/a.jpg", b"jpeg", "media"),
        Put("rss.xml", b"<rss/>", "feed"),
        Put("index.html", b"<html/>", "page"),
        Delete("old.xml"),
    ]
    with pytest.raises(Refused):
        target.apply(changes)
    assert asked == [0, 1, 2]
    assert (tmp_path / "media/a.jpg").read_bytes() == b"jpeg"
    assert (tmp_path / "rss.xml").read_bytes() == b"<rss/>"
    assert not (tmp_path / "index.html").exists()
    assert (tmp_path / "old.xml").exists()


def test_a_confirmed_publish_reports_what_it_wrote(tmp_path: Path) -> None:
    target = ConfirmedTarget(FolderTarget(tmp_path), lambda: None)
    first = target.apply([Put("rss.xml", b"<rss/>", "feed")])
    again = target.apply([Put("rss.xml", b"<rss/>", "feed")])
    assert (first.written, again.unchanged) == (("rss.xml",), ("rss.xml",))
    assert target.describe() == str(tmp_path)
