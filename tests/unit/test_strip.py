"""Location stripped from JPEG, PNG, WebP and GIF files as exiftool writes it: every GPS and
location tag gone, every other tag and every pixel as it was."""

from pathlib import Path

import pytest
from PIL import Image as PILImage

from feeds.load.strip import StripError, strip_gps, strip_location
from feeds.load.xmp import strip_packet

KEPT = (
    "-XMP-dc:Description=Möwe am Kai",
    "-IFD0:Artist=Jörg Lind",
    "-IFD0:Make=Nordkamera",
    "-ExifIFD:DateTimeOriginal=2026:05:01 06:30:00",
)


def picture(path: Path, fmt: str) -> Path:
    image = PILImage.effect_noise((96, 64), 60).convert("RGB")
    if fmt == "GIF":
        image = image.convert("P")
    image.save(path, fmt)
    return path


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.jpg", "JPEG"), ("a.png", "PNG"), ("a.webp", "WEBP"), ("a.gif", "GIF")]
)
def test_location_goes_the_rest_stays(tmp_path, exiftool, name, fmt):
    path = exiftool.write(picture(tmp_path / name, fmt), *KEPT, *exiftool.GPS_TAGS)
    assert exiftool.location_tags(path)  # the test file really has them
    before = exiftool.read(path)
    stripped = strip_location(path.read_bytes(), fmt, strip_packet)
    assert stripped is not None
    out = tmp_path / f"out-{name}"
    out.write_bytes(stripped)
    assert exiftool.location_tags(out) == []
    after = exiftool.read(out)
    assert "ExifTool:Warning" not in after and "ExifTool:Error" not in after
    if fmt != "GIF":  # GIF holds only XMP, and it had location: it is left out whole
        for tag in ("XMP-dc:Description", "IFD0:Artist", "IFD0:Make", "ExifIFD:DateTimeOriginal"):
            if tag in before:
                assert after[tag] == before[tag], tag
    with PILImage.open(path) as original, PILImage.open(out) as published:
        assert published.tobytes() == original.tobytes()  # lossless: the same pixels
    assert strip_location(stripped, fmt, strip_packet) is None


@pytest.mark.parametrize(("name", "fmt"), [("a.jpg", "JPEG"), ("a.png", "PNG"), ("a.webp", "WEBP")])
def test_a_file_without_location_is_left_alone(tmp_path, exiftool, name, fmt):
    path = exiftool.write(picture(tmp_path / name, fmt), *KEPT)
    assert strip_location(path.read_bytes(), fmt, strip_packet) is None


def test_gps_in_a_little_endian_exif_is_unlinked_and_zeroed(tmp_path, exiftool):
    path = exiftool.write(
        picture(tmp_path / "a.jpg", "JPEG"), "-ExifByteOrder=II", "-GPSLatitude=1.5"
    )
    with PILImage.open(path) as image:
        tiff = image.info["exif"][6:]
    assert tiff[:2] == b"II"
    stripped = strip_gps(tiff)
    assert stripped is not None
    assert len(stripped) == len(tiff)  # in place: every other offset stays valid
    assert strip_gps(stripped) is None


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"\xff\xd8\xff\xe1\xff\xff" + b"x" * 10, "JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xffIHDR", "PNG"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8X\xff\xff\x00\x00", "WEBP"),
        (b"GIF89a" + b"\x00" * 7 + b"\x99", "GIF"),
        (b"....", "AVIF"),
    ],
)
def test_structures_it_cannot_follow_are_an_error_not_a_guess(data, fmt):
    with pytest.raises(StripError):
        strip_location(data, fmt, strip_packet)
