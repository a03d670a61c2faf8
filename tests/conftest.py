"""Shared test set-up: hypothesis profiles (FEEDS_HYPOTHESIS_PROFILE=long for deeper runs), and
the `exiftool` fixture that writes and reads image metadata with the reference tool."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("FEEDS_HYPOTHESIS_PROFILE", "default"))


class ExifTool:
    """Write and read image metadata with exiftool (Debian's libimage-exiftool-perl), so the
    metadata the tests use is what real tools write, and what they read is what real tools
    find."""

    #: GPS and location tags of every kind a camera or agency writes.
    GPS_TAGS = (
        "-GPSLatitude=53.5461",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=9.9661",
        "-GPSLongitudeRef=E",
        "-XMP-exif:GPSLatitude=53.5461N",
        "-XMP-exif:GPSLongitude=9.9661E",
        "-XMP-iptcExt:LocationCreatedCity=Hamburg",
        "-XMP-iptcExt:LocationCreatedSublocation=Landungsbrücken",
    )

    def __init__(self, program: str) -> None:
        self.program = program

    def write(self, path: Path, *tags: str) -> Path:
        """Write tags (``-XMP-dc:Description=...``) into `path` in place, IIM in UTF-8."""
        subprocess.run(
            [self.program, "-q", "-q", "-m", "-overwrite_original", "-charset", "iptc=utf8",
             "-codedcharacterset=utf8", *tags, str(path)],
            check=True,
        )  # fmt: skip
        return path

    def read(self, path: Path) -> dict[str, object]:
        """Every tag exiftool finds, as ``{"Group1:Name": value}``."""
        done = subprocess.run(
            [self.program, "-j", "-a", "-G1", "-n", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        return dict(json.loads(done.stdout)[0])

    def location_tags(self, path: Path) -> list[str]:
        """The tags of `path` that say where the photo was taken."""
        return sorted(
            name for name in self.read(path) if "gps" in name.lower() or "location" in name.lower()
        )


@pytest.fixture(scope="session")
def exiftool() -> ExifTool:
    program = shutil.which("exiftool")
    if program is None:
        pytest.fail("exiftool is missing: apt-get install libimage-exiftool-perl")
    return ExifTool(program)
