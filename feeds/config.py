"""Read `config.toml` into one typed, frozen `Config`, reporting every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from feeds.models import Channel, FeedSpec


@dataclass(frozen=True, slots=True)
class Config:
    """The whole, validated configuration.

    Attributes:
        source: The configuration file.
        repository: The article repository folder (absolute).
        output: The output folder (absolute).
        output_url: Public URL at which the output folder is served (ends with "/").
        media_url: Public URL of the published media folder (ends with "/").
        permalink: Pattern for article URLs relative to the site URL, e.g. "{slug}/".
        max_image_bytes: Images larger than this are an article error.
    """

    source: Path
    channel: Channel
    repository: Path
    output: Path
    output_url: str
    media_url: str
    permalink: str
    feeds: tuple[FeedSpec, ...]
    max_image_bytes: int = 20 * 1024 * 1024


def load_config(path: Path) -> Config:
    """Read and validate a configuration file.

    Raises:
        ConfigError: the file is missing or unreadable, is not TOML, or has problems; the
            message lists every problem with its key path.
    """
    raise NotImplementedError
