"""The channel's logo and icon (`site.logo`, `site.icon`) at the size each format asks for.

From the logo: the RSS ``<image>`` (fitted within 144 x 400, never enlarged) and the Atom
``<logo>`` (centred on a transparent 2:1 canvas, at most 512 x 256). From the icon (centred on
a transparent square): JSON Feed's ``icon`` (512 x 512), and at 64 x 64 JSON Feed's
``favicon``, the Atom ``<icon>`` and the discovery page's icon. Without a logo, the RSS image
is the icon at 144 x 144. Every size is a PNG, made once per source file's content (the
rendition cache) and published under ``media/_site/``.
"""

from __future__ import annotations

import math
from pathlib import Path

from feeds.load.images import image_size, make_icon, rendition_key
from feeds.load.renditions import RenditionStore, content_digest
from feeds.model import Branding, Channel, Rendition

#: Published branding files live here inside the media folder.
SITE_MEDIA_DIR = "_site"

RSS_IMAGE_BOX = (144, 400)
ATOM_LOGO_BOX = (512, 256)
JSON_ICON = 512
FAVICON = 64


def make_branding(channel: Channel, store: RenditionStore, media_url: str) -> Branding | None:
    """Every size of the channel's logo and icon (None when it has neither).

    Raises:
        ConfigError: a file is not a readable image (named by its configuration key).
    """
    if channel.logo is None and channel.icon is None:
        return None
    rss_image = atom_logo = atom_icon = json_icon = favicon = None
    if channel.logo is not None:
        logo = channel.logo
        rss_image = _made(store, media_url, logo, "rss-logo", RSS_IMAGE_BOX, pad=False)
        width, height = image_size(logo)
        scale = min(ATOM_LOGO_BOX[0] / width, ATOM_LOGO_BOX[1] / height, 1.0)
        fitted = (max(1, round(width * scale)), max(1, round(height * scale)))
        canvas = (
            (fitted[0], max(1, math.ceil(fitted[0] / 2)))
            if fitted[0] >= 2 * fitted[1]
            else (2 * fitted[1], fitted[1])
        )
        atom_logo = _made(store, media_url, logo, "atom-logo", canvas, pad=True)
    if channel.icon is not None:
        icon = channel.icon
        json_icon = _made(store, media_url, icon, "icon", (JSON_ICON, JSON_ICON), pad=True)
        favicon = _made(store, media_url, icon, "icon", (FAVICON, FAVICON), pad=True)
        atom_icon = favicon
        if rss_image is None:
            rss_image = _made(
                store, media_url, icon, "rss-icon", (RSS_IMAGE_BOX[0], RSS_IMAGE_BOX[0]), pad=True
            )
    return Branding(
        rss_image=rss_image,
        atom_logo=atom_logo,
        atom_icon=atom_icon,
        json_icon=json_icon,
        favicon=favicon,
    )


def _made(
    store: RenditionStore,
    media_url: str,
    source: Path,
    what: str,
    size: tuple[int, int],
    *,
    pad: bool,
) -> Rendition:
    """One size of the logo or icon, from the store or made now."""
    data = source.read_bytes()
    digest = content_digest(data)
    role = f"{what}-{size[0]}x{size[1]}-{'pad' if pad else 'fit'}"
    key = rendition_key("branding", role)
    record = store.get(digest, key)
    if record is None:
        key_name = "site.logo" if what.endswith("logo") else "site.icon"
        png, width, height = make_icon(source, size, pad=pad, what=key_name)
        record = store.put(
            digest,
            key,
            {"image": {"type": "image/png", "width": width, "height": height}},
            {"image": (png, ".png")},
        )
    facts = record["files"]["image"]
    name = f"{what}-{facts['width']}x{facts['height']}.png"
    media_path = f"{SITE_MEDIA_DIR}/{name}"
    return Rendition(
        url=media_url + media_path,
        media_path=media_path,
        media_type=facts["type"],
        length=int(facts["length"]),
        width=int(facts["width"]),
        height=int(facts["height"]),
        source=store.path_of(facts["file"]),
    )
