"""Image facts: sniffed type, exact length, dimensions, and every way an image can be wrong."""

from pathlib import Path

import pytest
from PIL import Image as PILImage

from feeds.errors import ArticleError
from feeds.load.images import read_image
from feeds.model import ImageRef

MEDIA = "https://news.example.org/media/"


def save(path: Path, fmt: str, size: tuple[int, int] = (32, 20)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", size, (20, 80, 160)).save(path, fmt)
    return path


def read(path: Path, repo: Path, max_bytes: int = 10_000_000):
    return read_image(
        ImageRef(path=str(path), alt="Alt", caption="Cap", credit="Cred", line=7),
        repository=repo,
        article="news/story.md",
        media_url=MEDIA,
        max_bytes=max_bytes,
    )


@pytest.mark.parametrize(
    ("name", "fmt", "media_type"),
    [
        ("a.jpg", "JPEG", "image/jpeg"),
        ("b.png", "PNG", "image/png"),
        ("c.webp", "WEBP", "image/webp"),
    ],
)
def test_reads_type_length_and_size(tmp_path: Path, name: str, fmt: str, media_type: str) -> None:
    path = save(tmp_path / "news" / name, fmt)
    image = read(path, tmp_path)
    assert image.media_type == media_type
    assert image.length == path.stat().st_size
    assert (image.width, image.height) == (32, 20)
    assert image.media_path == f"news/{name}"
    assert image.url == f"{MEDIA}news/{name}"
    assert (image.alt, image.caption, image.credit) == ("Alt", "Cap", "Cred")


def test_url_is_percent_encoded(tmp_path: Path) -> None:
    image = read(save(tmp_path / "Hafen Bild.png", "PNG"), tmp_path)
    assert image.url == MEDIA + "Hafen%20Bild.png"


def test_missing_image(tmp_path: Path) -> None:
    with pytest.raises(ArticleError) as caught:
        read(tmp_path / "gone.jpg", tmp_path)
    assert str(caught.value) == (
        "news/story.md:7: image 'gone.jpg' not found: add the file beside the article or fix the path"
    )


def test_extension_that_lies_about_the_type(tmp_path: Path) -> None:
    path = save(tmp_path / "photo.png", "JPEG")
    with pytest.raises(ArticleError) as caught:
        read(path, tmp_path)
    assert str(caught.value) == (
        "news/story.md:7: image 'photo.png' holds JPEG data but its name ends in .png: "
        "rename it to end in .jpg"
    )


def test_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("not a picture")
    with pytest.raises(ArticleError) as caught:
        read(path, tmp_path)
    assert str(caught.value).startswith("news/story.md:7: image 'notes.jpg' is not a readable JPEG")


def test_too_large(tmp_path: Path) -> None:
    path = save(tmp_path / "big.png", "PNG")
    with pytest.raises(ArticleError) as caught:
        read(path, tmp_path, max_bytes=10)
    size = path.stat().st_size
    assert str(caught.value) == (
        f"news/story.md:7: image 'big.png' is {size} bytes, over the limit of 10: "
        "publish a smaller rendition or raise repository.max_image_bytes"
    )


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = save(tmp_path / "secret.png", "PNG")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.png").symlink_to(outside)
    with pytest.raises(ArticleError) as caught:
        read(repo / "link.png", repo)
    assert str(caught.value).startswith(
        "news/story.md:7: image 'link.png' leads outside the repository"
    )


def test_folder_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(ArticleError, match="is not a file"):
        read(tmp_path / "dir.png", tmp_path)
