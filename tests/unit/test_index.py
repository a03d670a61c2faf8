"""The daemon's resident index: after any sequence of edits, renames, deletions, image
replacements, draft flips and embargo lapses, told as a watcher tells them, a build through the
index writes the very files a build without any cache writes (FEEDS_HYPOTHESIS_PROFILE=long for
a deeper run); a rescan repairs what was never told, and logs it."""

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from feeds.build import publish
from feeds.config import Config, load_config
from feeds.index import ResidentIndex

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SECTIONS = ("news", "sport")
CONFIG = """\
[site]
title = "T"
url = "https://news.example.org/"
timezone = "Europe/Berlin"

[repository]
path = "articles"

[output]
path = "{output}"

[state]
path = "{state}"

[[feeds]]
name = "main"
formats = ["rss", "atom", "json"]
limit = 4

[[feeds]]
name = "tags"
per = ["tag"]
formats = ["rss", "json"]
limit = 2
"""


@dataclass
class Repository:
    """A repository in a temporary folder, changed as an editor would, keeping the paths a
    watcher would report."""

    root: Path
    now: datetime = NOW
    touched: set[str] = field(default_factory=set)
    count: int = 0

    @property
    def articles(self) -> Path:
        return self.root / "articles"

    def files(self) -> list[Path]:
        return sorted(
            p for p in self.articles.rglob("*") if p.is_file() and p.suffix in {".md", ".txt"}
        )

    def rel(self, path: Path) -> str:
        return path.relative_to(self.articles).as_posix()

    def write(self, path: Path, fields: dict[str, object], body: str = "The story.") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "---\n" + yaml.safe_dump(fields, allow_unicode=True) + f"---\n{body}\n"
        path.write_text(text, encoding="utf-8")
        self.touched.add(self.rel(path))

    def image(self, section: str, number: int, shade: int) -> None:
        path = self.articles / section / f"pic{number}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")  # saved as editors save: a rename
        Image.new("RGB", (8 + number, 8), (shade, 0, 0)).save(tmp, format="PNG")
        tmp.replace(path)
        self.touched.update({self.rel(path), self.rel(tmp)})

    def pick(self, which: int) -> Path | None:
        files = self.files()
        return files[which % len(files)] if files else None


def fields_of(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    return dict(yaml.safe_load(text.split("---\n")[1]) or {})


# --- operations --------------------------------------------------------------------------

new_article = st.tuples(
    st.just("new"),
    st.sampled_from(SECTIONS),
    st.integers(-48, 12),  # hours from the first `now`: some are embargoed
    st.sampled_from(["a", "b", ""]),
    st.booleans(),  # a draft
    st.sampled_from(["", "pic0.png", "pic1.png", "missing.png"]),
    st.booleans(),  # a page bundle
)
edit = st.tuples(st.just("edit"), st.integers(0, 50), st.text("xyz ", min_size=1, max_size=5))
delete = st.tuples(st.just("delete"), st.integers(0, 50))
rename = st.tuples(st.just("rename"), st.integers(0, 50), st.sampled_from(SECTIONS))
out_and_in = st.tuples(st.just("out_and_in"), st.integers(0, 50), st.booleans())
image = st.tuples(st.just("image"), st.sampled_from(SECTIONS), st.integers(0, 1), st.integers())
draft = st.tuples(st.just("draft"), st.integers(0, 50))
later = st.tuples(st.just("later"), st.integers(1, 8))  # hours: embargoes lapse
retag = st.tuples(st.just("retag"), st.integers(0, 50), st.sampled_from(["a", "b", "c", ""]))
move_folder = st.tuples(st.just("move_folder"), st.sampled_from(SECTIONS), st.booleans())
twin = st.tuples(st.just("twin"), st.integers(0, 50))  # the same slug, so the same URL
retract = st.tuples(st.just("retract"), st.integers(0, 50))
correct = st.tuples(st.just("correct"), st.integers(0, 50), st.integers(-2, 2))  # hours
build = st.tuples(st.just("build"))
operation = st.one_of(
    retract,
    correct,
    new_article,
    edit,
    delete,
    rename,
    out_and_in,
    image,
    draft,
    later,
    retag,
    move_folder,
    twin,
    build,
)


def apply(repo: Repository, op: tuple[object, ...], outside: Path) -> None:
    kind = op[0]
    if kind == "new":
        _, section, hours, tag, is_draft, picture, bundle = op
        repo.count += 1
        number = repo.count
        when = NOW + timedelta(hours=int(hours))  # type: ignore[call-overload]
        fields: dict[str, object] = {"title": f"Story {number}", "date": when.isoformat()}
        if tag:
            fields["tags"] = [tag]
        if is_draft:
            fields["draft"] = True
        if picture:
            fields["image"] = f"../{picture}" if bundle else picture
        name = f"s{number}/index.md" if bundle else f"s{number}.md"
        repo.write(repo.articles / str(section) / name, fields)
    elif kind == "edit" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        fields = fields_of(path)
        fields["title"] = f"{fields.get('title', '')} {op[2]}"
        repo.write(path, fields, body=f"Updated: {op[2]}.")
    elif kind == "delete" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        path.unlink()
        repo.touched.add(repo.rel(path))
    elif kind == "rename" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        if path.name == "index.md":  # a bundle moves as a folder
            path = path.parent
        target = repo.articles / str(op[2]) / f"moved-{repo.count}-{path.name}"
        repo.count += 1
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
        repo.touched.update({repo.rel(path), repo.rel(target)})
    elif kind == "out_and_in" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        away = outside / path.name
        path.rename(away)  # out of the repository
        repo.touched.add(repo.rel(path))
        if op[2]:  # and back under another name
            back = path.with_name(f"back-{repo.count}-{path.name}")
            repo.count += 1
            away.rename(back)
            repo.touched.add(repo.rel(back))
    elif kind == "image":
        repo.image(str(op[1]), int(op[2]), int(op[3]) % 256)  # type: ignore[call-overload]
    elif kind == "draft" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        fields = fields_of(path)
        fields["draft"] = not fields.get("draft", False)
        repo.write(path, fields)
    elif kind == "retag" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        fields = fields_of(path)
        fields["tags"] = [op[2]] if op[2] else []
        repo.write(path, fields)
    elif kind == "retract" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        fields = fields_of(path)
        fields["retracted"] = {"date": repo.now.isoformat(), "reason": "The story was wrong."}
        repo.write(path, fields)
    elif kind == "correct" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        fields = fields_of(path)
        when = repo.now + timedelta(hours=int(op[2]))  # type: ignore[call-overload]
        corrections = list(fields.get("corrections") or [])  # type: ignore[call-overload]
        corrections.append({"date": when.isoformat(), "text": f"Correction {len(corrections)}."})
        fields["corrections"] = corrections
        repo.write(path, fields)
    elif kind == "later":
        repo.now += timedelta(hours=int(op[1]))  # type: ignore[call-overload]
    elif kind == "move_folder":
        folder = repo.articles / str(op[1])
        if folder.is_dir():
            target = repo.articles / f"{op[1]}-{repo.count}"
            repo.count += 1
            before = [repo.rel(p) for p in folder.rglob("*")]
            folder.rename(target)
            if op[2]:  # as inotify tells it: the two folders
                repo.touched.update({repo.rel(folder), repo.rel(target)})
            else:  # as a polling watcher tells it: every file that went or came
                repo.touched.update(before)
                repo.touched.update(repo.rel(p) for p in target.rglob("*"))
    elif kind == "twin" and (path := repo.pick(int(op[1]))):  # type: ignore[call-overload]
        other = next(s for s in SECTIONS if s != repo.rel(path).split("/")[0])
        if path.name == "index.md":
            twin = repo.articles / other / path.parent.name / "index.md"
        else:
            twin = repo.articles / other / path.name
        if not twin.exists():
            fields = fields_of(path)
            fields["title"] = f"Twin of {fields.get('title', '')}"
            fields.pop("image", None)
            repo.write(twin, fields)


def outputs(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


@contextmanager
def two_builds() -> Iterator[tuple[Repository, Config, Config, Path]]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "index.toml").write_text(CONFIG.format(output="out-index", state=".s-index"))
        (root / "cold.toml").write_text(CONFIG.format(output="out-cold", state=".s-cold"))
        repo = Repository(root)
        (root / "outside").mkdir()
        for section in SECTIONS:
            repo.image(section, 0, 10)
            repo.image(section, 1, 20)
        for number, hours in enumerate((-30, -20, -10, 2)):
            fields = {
                "title": f"Start {number}",
                "date": (NOW + timedelta(hours=hours)).isoformat(),
            }
            fields["tags"] = ["a" if number % 2 else "b"]
            repo.write(repo.articles / SECTIONS[number % 2] / f"start{number}.md", fields)
        repo.touched.clear()
        yield repo, load_config(root / "index.toml"), load_config(root / "cold.toml"), root


def build_both(repo: Repository, index: ResidentIndex, hot: Config, cold: Config) -> None:
    index.changed(sorted(repo.touched))
    repo.touched.clear()
    publish(hot, now=repo.now, index=index, allow_empty=True)
    publish(cold, now=repo.now, use_cache=False, allow_empty=True)
    assert outputs(hot.output) == outputs(cold.output)


# Each example builds a dozen times: a quarter of the default profile's examples, all of the
# long one's.
EXAMPLES = settings.default.max_examples // (4 if settings.default.max_examples <= 100 else 1)


@settings(deadline=None, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=10))
def test_a_build_through_the_index_writes_what_a_cold_build_writes(
    operations: list[tuple[object, ...]],
) -> None:
    with two_builds() as (repo, hot, cold, root):
        index = ResidentIndex(hot)
        build_both(repo, index, hot, cold)
        for op in operations:
            if op[0] == "build":
                build_both(repo, index, hot, cold)
            else:
                apply(repo, op, root / "outside")
        build_both(repo, index, hot, cold)


def test_after_the_first_build_only_the_changed_file_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with two_builds() as (repo, hot, cold, root):
        index = ResidentIndex(hot)
        build_both(repo, index, hot, cold)
        read: list[str] = []
        from feeds.sources.files import FileSource  # noqa: PLC0415

        real = FileSource.read_briefs

        def spy(self: FileSource, candidates: list[object]) -> list[object]:
            read.extend(c.rel_path for c in candidates)  # type: ignore[attr-defined]
            return real(self, candidates)  # type: ignore[arg-type]

        monkeypatch.setattr(FileSource, "read_briefs", spy)
        apply(repo, ("edit", 0, "x"), root / "outside")
        build_both(repo, index, hot, cold)
        assert read == ["news/start0.md"]
        assert not index.full


def test_a_rescan_repairs_what_was_never_told_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with two_builds() as (repo, hot, cold, root):
        index = ResidentIndex(hot)
        build_both(repo, index, hot, cold)
        apply(repo, ("new", "news", -1, "a", False, "", False), root / "outside")
        apply(repo, ("delete", 1), root / "outside")
        repo.touched.clear()  # the watcher missed both
        publish(hot, now=repo.now, index=index)
        publish(cold, now=repo.now, use_cache=False)
        assert outputs(hot.output) != outputs(cold.output)  # what missing a change costs
        index.lost_track()
        with caplog.at_level(logging.INFO, logger="feeds.index"):
            build_both(repo, index, hot, cold)
        lines = [r.getMessage() for r in caplog.records if r.name == "feeds.index"]
        assert lines == [
            "rescan: the index had missed 1 new article file(s) (news/s1.md); repaired",
            "rescan: the index had missed 1 removed article file(s) (news/start0.md); repaired",
        ]
        index.lost_track()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="feeds.index"):
            build_both(repo, index, hot, cold)
        assert [r.getMessage() for r in caplog.records] == ["rescan: the index was correct"]


def test_an_unchanged_feed_is_not_rendered_again() -> None:
    with two_builds() as (repo, hot, _cold, root):
        index = ResidentIndex(hot)
        first = publish(hot, now=repo.now, index=index)
        apply(repo, ("edit", 0, "x"), root / "outside")  # news/start0.md, tag b only
        index.changed(sorted(repo.touched))
        second = publish(hot, now=repo.now, index=index)
        same = {f.rel_path for f in first.feeds for g in second.feeds if f is g}
        assert "tag/a/rss.xml" in same
        assert "rss.xml" not in same


def test_releasing_the_index_drops_what_it_holds() -> None:
    with two_builds() as (repo, hot, _cold, _root):
        index = ResidentIndex(hot)
        publish(hot, now=repo.now, index=index)
        assert index.scan_cache is not None and index.scan_cache.items
        index.release()
        assert index.scan_cache is None and index.entries is None and index.full
        shutil.rmtree(hot.output)
        publish(hot, now=repo.now, index=index)  # usable again: a full build
        assert (hot.output / "rss.xml").exists()
