"""Read an image file's facts (sniffed type, byte length, dimensions) into a publishable `Image`."""

from __future__ import annotations

import io
import posixpath
import warnings
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import quote

from feeds.errors import ArticleError
from feeds.model import Image, ImageRef
from feeds.rules import IMAGE_FORMATS as _FORMATS


def check_inside(path: Path, repository: Path, *, article: str, line: int, what: str) -> Path:
    """Resolve `path` (following symlinks) and make sure it stays inside the repository.

    Raises:
        ArticleError: the path, or a symlink on it, leads outside the repository.
    """
    resolved = path.resolve()
    if not resolved.is_relative_to(repository.resolve()):
        raise ArticleError(
            article,
            line,
            f"{what} {path.name!r} leads outside the repository (to {resolved}): "
            "copy the file into the article's folder and refer to it by a relative path",
        )
    return resolved


def read_image(
    ref: ImageRef,
    *,
    repository: Path,
    article: str,
    media_url: str,
    max_bytes: int,
) -> Image:
    """Read one image's header and size; the pixels are not decoded.

    Args:
        ref: The image as the article declares it.
        repository: The repository root; the image must be a file inside it.
        article: The article's path, for messages.
        media_url: Public URL of the media folder (ends with "/").
        max_bytes: Larger files are refused.

    Raises:
        ArticleError: missing, outside the repository, too large, not an image, or a file
            whose suffix does not match its content.
    """
    path = Path(ref.path)
    shown = path.name
    resolved = check_inside(path, repository, article=article, line=ref.line, what="image")
    try:
        size = resolved.stat().st_size
    except FileNotFoundError:
        raise ArticleError(
            article,
            ref.line,
            f"image {shown!r} not found: add the file beside the article or fix the path",
        ) from None
    except OSError as exc:
        raise ArticleError(
            article, ref.line, f"image {shown!r} cannot be read: {exc.strerror}"
        ) from exc
    if not resolved.is_file():
        raise ArticleError(
            article, ref.line, f"image {shown!r} is not a file: point at an image file"
        )
    if size > max_bytes:
        raise ArticleError(
            article,
            ref.line,
            f"image {shown!r} is {size} bytes, over the limit of {max_bytes}: "
            "publish a smaller rendition or raise repository.max_image_bytes",
        )
    media_type, width, height = _sniff(resolved, resolved.suffix, shown, article, ref.line)
    media_path = resolved.relative_to(repository.resolve()).as_posix()
    return Image(
        url=media_url + quote(media_path),
        media_type=media_type,
        length=size,
        width=width,
        height=height,
        source=resolved,
        media_path=media_path,
        alt=ref.alt,
        caption=ref.caption,
        credit=ref.credit,
        title=ref.title,
    )


def image_from_bytes(
    ref: ImageRef,
    data: bytes | None,
    size: int,
    *,
    blob: str,
    article: str,
    media_url: str,
    max_bytes: int,
) -> Image:
    """An image a source keeps as bytes (`ref.path` is its repository path), checked as a file
    is; the pixels are not decoded.

    Args:
        ref: The image as the article declares it.
        data: Its bytes (None when the source found them over `max_bytes`).
        size: Its length.
        blob: What the source opens it by (`Image.source`).
        article: The article's location, for messages.
        media_url: Public URL of the media folder (ends with "/").
        max_bytes: Larger images are refused.

    Raises:
        ArticleError: too large, not an image, or a suffix that does not match its content.
    """
    shown = posixpath.basename(ref.path)
    if data is None or size > max_bytes:
        raise ArticleError(
            article,
            ref.line,
            f"image {shown!r} is {size} bytes, over the limit of {max_bytes}: "
            "publish a smaller rendition or raise repository.max_image_bytes",
        )
    suffix = PurePosixPath(ref.path).suffix
    media_type, width, height = _sniff(io.BytesIO(data), suffix, shown, article, ref.line)
    return Image(
        url=media_url + quote(ref.path),
        media_type=media_type,
        length=size,
        width=width,
        height=height,
        source=Path(blob),
        media_path=ref.path,
        alt=ref.alt,
        caption=ref.caption,
        credit=ref.credit,
        title=ref.title,
    )


def _sniff(
    image: Path | BinaryIO, suffix: str, shown: str, article: str, line: int
) -> tuple[str, int, int]:
    # Imported on first use: a build that reads no new image never needs Pillow.
    from PIL import Image as PILImage  # noqa: PLC0415

    try:
        with warnings.catch_warnings():
            # A huge pixel count is refused below by Pillow's own error, not merely warned about.
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(image) as picture:
                kind = picture.format or ""
                width, height = picture.size
    except (
        OSError,
        ValueError,
        SyntaxError,
        PILImage.DecompressionBombError,
        PILImage.DecompressionBombWarning,
    ) as exc:
        raise ArticleError(
            article,
            line,
            f"image {shown!r} is not a readable JPEG, PNG, WebP, GIF or AVIF file ({exc}): "
            "re-export it from an image editor",
        ) from exc
    if kind not in _FORMATS:
        raise ArticleError(
            article,
            line,
            f"image {shown!r} is a {kind or 'unknown'} file: publish it as JPEG, PNG or WebP",
        )
    media_type, suffixes = _FORMATS[kind]
    if suffix.lower() not in suffixes:
        wanted = sorted(suffixes)[0] if kind != "JPEG" else ".jpg"
        raise ArticleError(
            article,
            line,
            f"image {shown!r} holds {kind} data but its name ends in {suffix or '(nothing)'}: "
            f"rename it to end in {wanted}",
        )
    return media_type, width, height
