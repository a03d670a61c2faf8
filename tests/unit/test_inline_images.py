"""Images the body shows: each distinct one is read once per article, and a problem with one
names the line of the article file that shows it."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image as PILImage

import feeds.load as load_module
from feeds.build import publish
from feeds.config import load_config

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = '[site]\ntitle = "Harbour Times"\nurl = "https://news.example.org/"\n'
FRONT = "---\ntitle: {title}\ndate: 2026-05-01T10:00:00Z\n---\n"  # the body starts on line 5


def site(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "config.toml").write_text(CONFIG)
    for rel, text in files.items():
        path = tmp_path / "articles" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_an_image_shown_20000_times_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "".join(
        f"Line {i} ![a pixel](pixel.png) and ![again](./pixel.png)\n\n" for i in range(20_000)
    )
    root = site(tmp_path, {"news/pixels.md": FRONT.format(title="Pixels") + body})
    PILImage.new("RGB", (2, 2)).save(root / "articles/news/pixel.png")
    reads: list[str] = []
    real = load_module.read_image

    def counting(ref: object, **kwargs: object) -> object:
        reads.append(str(ref.path))  # type: ignore[attr-defined]
        return real(ref, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load_module, "read_image", counting)
    result = publish(load_config(root / "config.toml"), now=NOW)
    assert result.problems == ()
    assert reads == [str(root / "articles/news/pixel.png")]
    rss = (root / "output/rss.xml").read_text()
    assert rss.count("https://news.example.org/media/news/pixel.png") == 40_000


def test_a_missing_body_image_is_reported_at_its_line(tmp_path: Path) -> None:
    body = "First paragraph.\n\nSecond, with a [link](https://x.org/).\n\n![Harbour](gone.png)\n"
    root = site(
        tmp_path,
        {
            "news/missing.md": FRONT.format(title="Missing") + body,
            "news/fine.md": FRONT.format(title="Fine") + "Body.\n",
        },
    )
    result = publish(load_config(root / "config.toml"), now=NOW)
    assert [(p.path, p.line) for p in result.problems] == [("news/missing.md", 9)]
    assert str(result.problems[0]).startswith("news/missing.md:9: the body shows the image")


def test_a_body_image_that_is_no_image_is_reported_at_its_line(tmp_path: Path) -> None:
    body = 'Text.\n\n<img src="fake.png" alt="x">\n'
    root = site(tmp_path, {"news/fake.md": FRONT.format(title="Fake") + body})
    (root / "articles/news/fake.png").write_text("not a PNG")
    result = publish(load_config(root / "config.toml"), now=NOW)
    assert [(p.path, p.line) for p in result.problems] == [("news/fake.md", 7)]
    assert "is not a readable JPEG, PNG" in str(result.problems[0])
