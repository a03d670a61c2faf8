"""Image facts: sniffed type, exact length, dimensions, and every way an image can be wrong."""

import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PIL import ImageCms

import feeds.load.images
from feeds.errors import ArticleError
from feeds.load.images import read_image
from feeds.load.renditions import RenditionStore
from feeds.model import ImageRef, MediaSettings

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


# --- embedded metadata, renditions, thumbnails, location --------------------------------------


def publish_one(path: Path, repo: Path, tmp_path: Path, ref: ImageRef | None = None, **media):
    return read_image(
        ref or ImageRef(path=str(path), line=3),
        repository=repo,
        article="news/story.md",
        media_url=MEDIA,
        max_bytes=50_000_000,
        media=MediaSettings(**media),
        store=RenditionStore(tmp_path / "store"),
        language="de",
    )


def photo(path: Path, size=(640, 400), fmt="JPEG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.linear_gradient("L").resize(size).convert("RGB").save(path, fmt, quality=85)
    return path


WORDS = (
    "-XMP-dc:Description=Möwe über dem Kai, früh am Morgen",
    "-XMP-dc:Creator=Zoë Ångström",
    "-XMP-photoshop:Credit=Nordbild",
    "-XMP-dc:Rights=© 2026 Nordbild",
    "-XMP-xmpRights:WebStatement=https://creativecommons.org/licenses/by/4.0/",
    "-XMP-iptcCore:AltTextAccessibility=Eine Möwe im Flug über einem Kai",
)


def test_embedded_words_fill_what_the_article_leaves_empty(tmp_path, exiftool):
    path = exiftool.write(photo(tmp_path / "news/a.jpg"), *WORDS)
    image = publish_one(path, tmp_path, tmp_path)
    assert image.caption == "Möwe über dem Kai, früh am Morgen"
    assert image.credit == "Zoë Ångström / Nordbild"
    assert image.copyright == "© 2026 Nordbild"
    assert image.license == "https://creativecommons.org/licenses/by/4.0/"
    assert image.alt == "Eine Möwe im Flug über einem Kai"
    said = ImageRef(path=str(path), alt="Alt", caption="Cap", credit="Cred", line=3)
    mine = publish_one(path, tmp_path, tmp_path, said)
    assert (mine.alt, mine.caption, mine.credit) == ("Alt", "Cap", "Cred")
    assert mine.copyright == "© 2026 Nordbild"


def test_xmp_and_iim_disagreeing_xmp_wins_field_by_field(tmp_path, exiftool):
    path = exiftool.write(
        photo(tmp_path / "news/a.jpg"),
        "-XMP-dc:Description=XMP: Möwe",
        "-IPTC:Caption-Abstract=IIM: Möwe (alt)",
        "-IPTC:By-line=Jörg Lind",
        "-IPTC:Credit=IIM-Agentur",
        "-XMP-photoshop:Credit=XMP-Agentur",
        "-IPTC:CopyrightNotice=© IIM",
    )
    image = publish_one(path, tmp_path, tmp_path)
    assert image.caption == "XMP: Möwe"
    assert image.credit == "Jörg Lind / XMP-Agentur"  # the by-line only IIM has
    assert image.copyright == "© IIM"


def test_only_iim_in_utf8(tmp_path, exiftool):
    path = exiftool.write(
        photo(tmp_path / "news/a.jpg"),
        "-IPTC:Caption-Abstract=Fähre läuft aus, Ölzeug an Deck",
        "-IPTC:By-line=Søren Ødegård",
        "-IPTC:CopyrightNotice=© 2026 Søren Ødegård",
    )
    image = publish_one(path, tmp_path, tmp_path)
    assert image.caption == "Fähre läuft aus, Ölzeug an Deck"
    assert image.credit == "Søren Ødegård"
    assert image.copyright == "© 2026 Søren Ødegård"


def test_only_iim_in_latin_1(tmp_path, exiftool):
    path = photo(tmp_path / "news/a.jpg")
    subprocess.run(
        [exiftool.program, "-q", "-overwrite_original", "-charset", "iptc=latin",
         "-IPTC:Caption-Abstract=Fähre im Hafen", str(path)],
        check=True,
    )  # fmt: skip
    assert "Fähre".encode("latin-1") in path.read_bytes()
    assert publish_one(path, tmp_path, tmp_path).caption == "Fähre im Hafen"


def test_malformed_xmp_is_ignored_with_a_located_warning(tmp_path, caplog):
    path = photo(tmp_path / "news/a.jpg")
    broken = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><unclosed>"
    with PILImage.open(path) as image:
        image.save(path, "JPEG", xmp=broken)
    image = publish_one(path, tmp_path, tmp_path)
    assert image.caption == ""
    assert "news/story.md: image 'a.jpg': its XMP metadata is not well-formed XML" in caplog.text


def test_a_large_photo_is_published_as_a_rendition_with_a_thumbnail(tmp_path):
    path = photo(tmp_path / "news/big.jpg", (3000, 2000))
    image = publish_one(path, tmp_path, tmp_path)
    assert (image.width, image.height) == (2048, 1365)
    assert image.url == MEDIA + "news/big.jpg"
    assert image.length == image.source.stat().st_size
    assert image.source != path and image.source.is_relative_to(tmp_path / "store")
    with PILImage.open(image.source) as published:
        assert (published.format, published.size) == ("JPEG", (2048, 1365))
    thumb = image.thumbnail
    assert thumb is not None
    assert (thumb.width, thumb.height, thumb.media_type) == (400, 267, "image/jpeg")
    assert thumb.url == MEDIA + "news/big.400w.jpg"
    with PILImage.open(thumb.source) as small:
        assert small.size == (400, 267)


def test_a_tall_photo_is_held_to_the_height_limit(tmp_path):
    image = publish_one(
        photo(tmp_path / "a.jpg", (1000, 5000)), tmp_path, tmp_path, max_height=1500
    )
    assert (image.width, image.height) == (300, 1500)


def test_a_12000_by_8000_photo_is_decoded_small_and_resized(tmp_path):
    path = tmp_path / "news/huge.jpg"
    path.parent.mkdir(parents=True)
    PILImage.new("RGB", (12000, 8000), (30, 90, 160)).save(path, quality=70)
    image = publish_one(path, tmp_path, tmp_path)
    assert (image.width, image.height) == (2048, 1365)
    assert image.thumbnail is not None and image.thumbnail.width == 400


def test_a_small_clean_photo_is_published_byte_for_byte(tmp_path):
    path = photo(tmp_path / "news/small.jpg", (300, 200))
    image = publish_one(path, tmp_path, tmp_path)
    assert image.source == path.resolve()
    assert image.thumbnail is not None and image.thumbnail.url == image.url  # its own thumbnail
    assert image.files() == image.files()[:1]


def test_exif_orientation_is_applied_to_renditions(tmp_path, exiftool):
    path = exiftool.write(photo(tmp_path / "a.jpg", (3000, 2000)), "-Orientation#=6")
    image = publish_one(path, tmp_path, tmp_path)
    assert (image.width, image.height) == (1365, 2048)  # a portrait now
    with PILImage.open(image.source) as published:
        assert published.size == (1365, 2048)
        assert published.getexif().get(0x0112) is None
    small = publish_one(
        exiftool.write(photo(tmp_path / "b.jpg"), "-Orientation#=6"), tmp_path, tmp_path
    )
    assert (small.width, small.height) == (400, 640)  # published as it is: browsers turn it


def test_a_colour_profile_is_converted_to_srgb(tmp_path):
    xyz = ImageCms.createProfile("XYZ")  # any profile that is not sRGB
    path = tmp_path / "wide.jpg"
    PILImage.new("RGB", (3000, 2000), (200, 30, 30)).save(
        path, icc_profile=ImageCms.ImageCmsProfile(xyz).tobytes()
    )
    image = publish_one(path, tmp_path, tmp_path)
    with PILImage.open(image.source) as published:
        assert "icc_profile" not in published.info  # untagged: shown as sRGB
        assert published.getpixel((10, 10)) != (200, 30, 30)  # the colours were converted


def test_renditions_are_deterministic_and_made_once(tmp_path, monkeypatch):
    path = photo(tmp_path / "news/big.jpg", (3000, 2000))
    first = publish_one(path, tmp_path, tmp_path / "one")
    other = publish_one(path, tmp_path, tmp_path / "two")
    assert first.source.read_bytes() == other.source.read_bytes()
    assert first.thumbnail.source.read_bytes() == other.thumbnail.source.read_bytes()
    made = first.source.stat().st_mtime_ns

    def no_second_time(*args, **kwargs):
        raise AssertionError("made again")

    monkeypatch.setattr(feeds.load.images, "_render", no_second_time)
    again = publish_one(path, tmp_path, tmp_path / "one")
    assert again == first
    assert first.source.stat().st_mtime_ns == made


def test_other_settings_make_another_rendition(tmp_path):
    path = photo(tmp_path / "news/big.jpg", (3000, 2000))
    wide = publish_one(path, tmp_path, tmp_path, max_width=2048)
    narrow = publish_one(path, tmp_path, tmp_path, max_width=1200, thumbnail_width=300)
    assert (narrow.width, narrow.thumbnail.width) == (1200, 300)
    assert narrow.source != wide.source and wide.source.exists()


@pytest.mark.parametrize(("name", "fmt"), [("a.jpg", "JPEG"), ("a.png", "PNG"), ("a.webp", "WEBP")])
def test_no_published_file_carries_location(tmp_path, exiftool, name, fmt):
    small = exiftool.write(photo(tmp_path / f"small-{name}", fmt=fmt), *WORDS, *exiftool.GPS_TAGS)
    large = exiftool.write(
        photo(tmp_path / f"large-{name}", (2600, 1000), fmt), *WORDS, *exiftool.GPS_TAGS
    )
    for path in (small, large):
        image = publish_one(path, tmp_path, tmp_path)
        assert image.caption == "Möwe über dem Kai, früh am Morgen"
        for file in image.files():
            assert exiftool.location_tags(file.source) == [], file.source
        tags = exiftool.read(image.source)
        assert tags.get("XMP-dc:Rights") == "© 2026 Nordbild"  # the rights travel with it
        kept = publish_one(path, tmp_path, tmp_path, keep_location=True)
        assert exiftool.location_tags(kept.source)


def test_an_avif_with_location_is_re_encoded_without_it(tmp_path, exiftool):
    path = tmp_path / "a.avif"
    PILImage.linear_gradient("L").convert("RGB").save(path, "AVIF", quality=60)
    exiftool.write(path, "-GPSLatitude=53.5", "-GPSLatitudeRef=N")
    if not exiftool.location_tags(path):
        pytest.skip("this exiftool cannot write GPS into AVIF")
    image = publish_one(path, tmp_path, tmp_path)
    assert image.source != path
    assert exiftool.location_tags(image.source) == []


def test_an_animated_gif_is_published_whole(tmp_path):
    path = tmp_path / "anim.gif"
    frames = [PILImage.new("RGB", (2400, 100), (80 * i, 40, 200 - 60 * i)) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200)
    with PILImage.open(path) as check:
        assert check.n_frames == 3
    image = publish_one(path, tmp_path, tmp_path)
    assert image.source == path.resolve()  # not resized: that would drop the animation
    assert image.thumbnail is not None and image.thumbnail.media_type == "image/png"


def test_undecodable_pixels_are_a_located_problem(tmp_path):
    path = photo(tmp_path / "news/big.jpg", (3000, 2000))
    path.write_bytes(path.read_bytes()[:2000])  # the header reads, the pixels do not
    with pytest.raises(ArticleError) as caught:
        publish_one(path, tmp_path, tmp_path)
    assert str(caught.value).startswith("news/story.md:3: image 'big.jpg' cannot be decoded")


def test_over_the_pixel_limit_is_refused(tmp_path):
    path = tmp_path / "bomb.png"

    # A PNG header announcing 20,000 x 20,000 pixels (400 MP): refused before decoding.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    with pytest.raises(ArticleError, match="not a readable"):
        publish_one(path, tmp_path, tmp_path)
