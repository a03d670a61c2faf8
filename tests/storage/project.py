"""A copy of the sample project configured for a bucket on the test server (and its twin that
builds into a local folder, to compare bytes with)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
NOW = "2026-11-25T12:00:00+00:00"
_OUTPUT_TABLE = re.compile(r"^\[output\]\n(?:(?!^\[).*\n)*", re.M)


def write_config(
    folder: Path,
    *,
    output: str,
    public_url: str,
    endpoint: str | None = None,
    hubs: list[str] | None = None,
    extra: str = "",
) -> Path:
    """The sample configuration with its `[output]` replaced (and `[websub]` added)."""
    sample = (PROJECT / "config.toml").read_text(encoding="utf-8")
    table = f'[output]\npath = "{output}"\nurl = "{public_url}"\n'
    if endpoint is not None:
        table += f'\n[output.s3]\nendpoint_url = "{endpoint}"\nregion = "us-east-1"\n'
    table += extra + "\n"
    text = _OUTPUT_TABLE.sub(lambda _: table, sample, count=1)
    if hubs is not None:
        text += "\n[websub]\nhubs = [" + ", ".join(f'"{hub}"' for hub in hubs) + "]\n"
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def copy_articles(folder: Path) -> Path:
    """The sample repository, and the branding files its configuration names."""
    for name in ("articles", "branding"):
        if (PROJECT / name).is_dir() and not (folder / name).exists():
            shutil.copytree(PROJECT / name, folder / name)
    return folder / "articles"


def feeds_command() -> str:
    found = shutil.which("feeds", path=str(Path(sys.executable).parent))
    assert found, "the feeds console script is not installed next to this Python"
    return found


def run_feeds(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(
        [feeds_command(), *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def local_files(folder: Path) -> dict[str, bytes]:
    """Every published file of a local build (relative path -> bytes), lock files left out."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }
