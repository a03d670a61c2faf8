"""Images with Pillow (the only module that imports it): facts and embedded metadata, web-size
renditions, thumbnails, location stripping and the channel's logo and icon sizes."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from feeds.atomic import replace_file
from feeds.errors import ArticleError, ConfigError
from feeds.load.photometa import IimData, merge
from feeds.load.renditions import (
    RenditionStore,
    content_digest,
    derived_path,
    settings_key,
    temporary_store,
)
from feeds.load.strip import StripError, strip_location
from feeds.load.xmp import MAX_XMP_BYTES, has_location, strip_packet
from feeds.model import Image, ImageRef, MediaSettings, Rendition
from feeds.rules import IMAGE_FORMATS as _FORMATS
from feeds.stopping import NEVER, Cancellation

if TYPE_CHECKING:
    from PIL.Image import Image as Picture
    from PIL.ImageFile import ImageFile

log = logging.getLogger(__name__)

#: Larger images are refused: decoding one takes gigabytes (a 150-megapixel medium-format
#: frame still fits; Pillow's own default would refuse a 12,000 x 8,000 one).
MAX_PIXELS = 160_000_000

#: Bump when renditions of the same source and settings would come out differently.
RENDITION_FORMAT = 1

#: Formats whose metadata `feeds.load.strip` edits without re-encoding.
_LOSSLESS_STRIP = frozenset({"JPEG", "PNG", "WEBP", "GIF"})


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


def image_from_bytes(
    ref: ImageRef,
    data: bytes | None,
    size: int,
    *,
    article: str,
    media_url: str,
    max_bytes: int,
    media: MediaSettings | None = None,
    store: RenditionStore | None = None,
    language: str = "en",
) -> Image:
    """An image a source keeps as bytes (a database; `ref.path` is its repository path),
    read as `read_image` reads a file: the bytes are kept under that path in the store's
    folder (rewritten only when they change), so that its facts, words, renditions and
    thumbnails, its media path and its URL are those a file build gives the same bytes.

    Args:
        ref: The image as the article declares it.
        data: Its bytes (None when the source found them over `max_bytes`).
        size: Its length.
        article: The article's location, for messages.
        media_url: Public URL of the media folder (ends with "/").
        max_bytes: Larger images are refused.
        media: How images are published.
        store: Where renditions (and these bytes) are kept (default: a temporary folder).
        language: The site's language.

    Raises:
        ArticleError: too large, not an image, or a suffix that does not match its content.
    """
    shown = PurePosixPath(ref.path).name
    if data is None or size > max_bytes:
        raise ArticleError(
            article,
            ref.line,
            f"image {shown!r} is {size} bytes, over the limit of {max_bytes}: "
            "publish a smaller rendition or raise repository.max_image_bytes",
        )
    store = store or temporary_store()
    folder = store.folder / STORED_DIR
    path = folder / ref.path
    try:
        if not path.is_file() or path.read_bytes() != data:
            replace_file(path, data)
    except OSError as exc:
        raise ArticleError(
            article, ref.line, f"image {shown!r} cannot be kept for rendering: {exc.strerror}"
        ) from exc
    image = read_image(
        replace(ref, path=str(path)),
        repository=folder,
        article=article,
        media_url=media_url,
        max_bytes=max_bytes,
        media=media,
        store=store,
        language=language,
    )
    # Its bytes are published from the kept copy, not opened through the source.
    return replace(image, original=None)


#: Folder of the rendition store where images a source keeps as bytes are kept as files.
STORED_DIR = "stored"


def read_image(
    ref: ImageRef,
    *,
    repository: Path,
    article: str,
    media_url: str,
    max_bytes: int,
    media: MediaSettings | None = None,
    store: RenditionStore | None = None,
    language: str = "en",
) -> Image:
    """Read one image: its facts, its embedded words, and the files to publish for it.

    The file is published as it is when it fits `media` and carries no location metadata;
    otherwise as a rendition (resized, or with the location removed). Its thumbnail is made
    when it is wider than the thumbnail width. Made files come from `store` when they were
    made before from the same bytes and settings.

    Args:
        ref: The image as the article declares it.
        repository: The repository root; the image must be a file inside it.
        article: The article's path, for messages.
        media_url: Public URL of the media folder (ends with "/").
        max_bytes: Larger files are refused.
        media: How images are published (default: the defaults of ``[media]``).
        store: Where renditions are kept (default: a temporary folder).
        language: The site's language (chooses among translations of embedded captions).

    Raises:
        ArticleError: missing, outside the repository, too large, not an image, a file
            whose suffix does not match its content, or pixels that cannot be decoded.
    """
    media = media or MediaSettings()
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
    facts = _sniff(resolved, shown, article, ref.line)
    words = merge(
        alt=ref.alt,
        caption=ref.caption,
        credit=ref.credit,
        xmp=facts.xmp,
        iim=facts.iim,
        language=language,
    )
    for problem in (*facts.problems, *words.problems):
        log.warning("%s: image %r: %s", article, shown, problem)
    media_path = resolved.relative_to(repository.resolve()).as_posix()
    main, thumbnail = _published(
        resolved,
        facts=facts,
        media_path=media_path,
        media_url=media_url,
        media=media,
        store=store or temporary_store(),
        shown=shown,
        article=article,
        line=ref.line,
    )
    return Image(
        url=main.url,
        media_type=main.media_type,
        length=main.length,
        width=main.width,
        height=main.height,
        source=main.source,
        media_path=main.media_path,
        alt=words.alt,
        caption=words.caption,
        credit=words.credit,
        title=ref.title,
        copyright=words.copyright,
        license=words.license,
        thumbnail=thumbnail,
        original=resolved,
    )


@dataclass(frozen=True, slots=True)
class _Facts:
    """What opening the file told (no pixels decoded).

    Attributes:
        width, height: As displayed (EXIF orientation applied).
        orientation: The EXIF orientation (1 = upright).
        gps: The EXIF has a GPS IFD.
        problems: What was wrong with its metadata, for warnings.
    """

    kind: str
    media_type: str
    width: int
    height: int
    orientation: int
    frames: int
    xmp: bytes | None
    iim: IimData | None
    gps: bool
    problems: tuple[str, ...]


# Pillow is imported where it is used (`from PIL import Image as pil`): a build that reads
# no new image never needs it.


class _TooManyPixelsError(ValueError):
    """An image over `MAX_PIXELS`."""


@contextlib.contextmanager
def _open(source: Path | io.BytesIO) -> Iterator[ImageFile]:
    """Open an image (its header only) within this program's pixel limit.

    Pillow's own limit is a warning that only process-wide warning filters turn into an
    error, which threads making renditions at once cannot share: the limit is checked here.

    Raises:
        OSError, ValueError, SyntaxError: not an image Pillow reads, or over the limit.
    """
    from PIL import Image as pil  # noqa: PLC0415, N813

    pil.MAX_IMAGE_PIXELS = None
    with pil.open(source) as picture:
        width, height = picture.size
        if width * height > MAX_PIXELS:
            raise _TooManyPixelsError(
                f"{width} x {height} pixels, over the limit of {MAX_PIXELS:,}: decoding it "
                "would take gigabytes"
            )
        yield picture


def _sniff(path: Path, shown: str, article: str, line: int) -> _Facts:
    problems: list[str] = []
    try:
        with _open(path) as picture:
            kind = picture.format or ""
            width, height = picture.size
            frames = int(getattr(picture, "n_frames", 1) or 1)
            orientation, gps = _exif_facts(picture, problems)
            xmp = _xmp_of(picture, problems)
            iim = _iim_of(picture, problems)
    except (OSError, ValueError, SyntaxError) as exc:
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
    if path.suffix.lower() not in suffixes:
        wanted = sorted(suffixes)[0] if kind != "JPEG" else ".jpg"
        raise ArticleError(
            article,
            line,
            f"image {shown!r} holds {kind} data but its name ends in {path.suffix or '(nothing)'}: "
            f"rename it to end in {wanted}",
        )
    if orientation in _SWAPS_AXES:
        width, height = height, width
    return _Facts(
        kind, media_type, width, height, orientation, frames, xmp, iim, gps, tuple(problems)
    )


# EXIF orientations that turn the picture a quarter, so its displayed width is its height.
_SWAPS_AXES = frozenset({5, 6, 7, 8})


def _exif_facts(picture: Picture, problems: list[str]) -> tuple[int, bool]:
    """The EXIF orientation and whether a GPS IFD is there (1, False without EXIF)."""
    try:
        exif = picture.getexif()
        orientation = exif.get(0x0112, 1)
        gps = 0x8825 in exif
    except Exception as exc:
        problems.append(f"its EXIF metadata cannot be read ({exc}); it is ignored")
        return 1, False
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = 1
    return orientation, gps


def _xmp_of(picture: Picture, problems: list[str]) -> bytes | None:
    packet = picture.info.get("xmp")
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if not isinstance(packet, bytes) or not packet:
        return None
    if len(packet) > MAX_XMP_BYTES:
        problems.append(
            f"its XMP metadata is {len(packet)} bytes, over the limit of {MAX_XMP_BYTES}; "
            "it is ignored"
        )
        return None
    return packet


def _iim_of(picture: ImageFile, problems: list[str]) -> IimData | None:
    from PIL import IptcImagePlugin  # noqa: PLC0415

    try:
        found = IptcImagePlugin.getiptcinfo(picture)
    except Exception as exc:
        problems.append(f"its IPTC IIM metadata cannot be read ({exc}); it is ignored")
        return None
    return found or None


def _published(
    path: Path,
    *,
    facts: _Facts,
    media_path: str,
    media_url: str,
    media: MediaSettings,
    store: RenditionStore,
    shown: str,
    article: str,
    line: int,
) -> tuple[Rendition, Rendition]:
    """The published image and its thumbnail, made now or taken from the store."""
    try:
        record = _record(path, facts, media, store)
    except (OSError, ValueError, SyntaxError) as exc:
        raise ArticleError(
            article,
            line,
            f"image {shown!r} cannot be decoded ({exc}): re-export it from an image editor",
        ) from exc
    files = record["files"]
    main = _rendition(files["main"], path, media_path, media_url, store)
    thumb_facts = files["thumb"]
    if thumb_facts is None:
        return main, main
    thumb_path = derived_path(
        media_path,
        f"{thumb_facts['width']}w",
        thumb_facts["suffix"],
        taken=path.with_name(
            derived_path(path.name, f"{thumb_facts['width']}w", thumb_facts["suffix"])
        ),
    )
    return main, _rendition(thumb_facts, path, thumb_path, media_url, store)


#: The digest of each file read so far, by its stamp (path, size, mtime, inode): a file read
#: to make its renditions in `prefetch` is not read and hashed again when its article is.
_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def _record(
    path: Path, facts: _Facts, media: MediaSettings, store: RenditionStore
) -> dict[str, Any]:
    """The store's record of the files published for `path`, made now if needed.

    Raises:
        OSError, ValueError, SyntaxError: the file cannot be read or its pixels decoded.
    """
    info = path.stat()
    stamp = (str(path), info.st_size, info.st_mtime_ns, info.st_ino)
    key = rendition_key(
        media.max_width,
        media.max_height,
        media.thumbnail_width,
        media.quality,
        media.keep_location,
    )
    digest = _DIGESTS.get(stamp)
    if digest is not None:
        record = store.get(digest, key)
        if record is not None:
            return record
    data = path.read_bytes()
    if len(_DIGESTS) > 100_000:  # a daemon running for months: forget, rather than grow
        _DIGESTS.clear()
    digest = _DIGESTS[stamp] = content_digest(data)
    record = store.get(digest, key)
    if record is None:
        record = _make(
            data, path=path, facts=facts, media=media, store=store, digest=digest, key=key
        )
    return record


def prefetch(
    paths: Iterable[str],
    *,
    media: MediaSettings,
    store: RenditionStore,
    max_bytes: int,
    workers: int,
    stop: Cancellation = NEVER,
) -> int:
    """Make the renditions of these images now, `workers` at a time, so that reading their
    articles finds them made: a cold build of many large photos uses every core (Pillow lets
    go of the interpreter lock while it decodes, resizes and encodes).

    A file that cannot be used is skipped: reading its article reports it, with its line.

    Returns:
        How many images were ready (made now or already in the store).

    Raises:
        BuildStopped: `stop` was requested (the images begun are finished: each is a fraction
            of a second; those not begun are not).
    """
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - only cold builds

    def one(name: str) -> bool:
        if stop.requested:
            return False
        try:
            path = Path(name).resolve()
            if not path.is_file() or path.stat().st_size > max_bytes:
                return False
            _record(path, _sniff(path, path.name, "", 0), media, store)
        except (ArticleError, OSError, ValueError, SyntaxError):
            return False
        return True

    todo = list(dict.fromkeys(paths))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        ready = sum(pool.map(one, todo))
    stop.check("making the renditions of the images")
    return ready


def rendition_key(*settings: object) -> str:
    """The store key of files made with these settings by this code and this Pillow."""
    import PIL  # noqa: PLC0415

    return settings_key(RENDITION_FORMAT, PIL.__version__, *settings)


def _rendition(
    facts: dict[str, Any], original: Path, media_path: str, media_url: str, store: RenditionStore
) -> Rendition:
    source = store.path_of(facts["file"]) if facts.get("file") else original
    return Rendition(
        url=media_url + quote(media_path),
        media_path=media_path,
        media_type=facts["type"],
        length=int(facts["length"]),
        width=int(facts["width"]),
        height=int(facts["height"]),
        source=source,
    )


def fit(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """The size within the box, keeping the aspect ratio; never larger than it was."""
    scale = min(max_width / width, max_height / height, 1.0)
    if scale >= 1.0:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _make(
    data: bytes,
    *,
    path: Path,
    facts: _Facts,
    media: MediaSettings,
    store: RenditionStore,
    digest: str,
    key: str,
) -> dict[str, Any]:
    """Make the published image and thumbnail of one source and keep them in the store."""
    width, height = facts.width, facts.height
    animated = facts.frames > 1
    box = fit(width, height, media.max_width, media.max_height)
    resize = box != (width, height) and not animated
    stripped: bytes | None = None
    reencode = False
    if not media.keep_location:
        if facts.kind in _LOSSLESS_STRIP:
            try:
                stripped = strip_location(data, facts.kind, strip_packet)
            except StripError as exc:
                log.info("%s: %s; re-encoding it to remove its location", path, exc)
                reencode = True
        else:
            reencode = facts.gps or (facts.xmp is not None and has_location(facts.xmp))
    want_thumb = width > media.thumbnail_width
    made: dict[str, tuple[bytes, str]] = {}
    main: dict[str, Any] = {"type": facts.media_type, "width": width, "height": height}
    thumb: dict[str, Any] | None = None
    main_box = box if resize else (width, height) if reencode else None
    if stripped is not None and main_box is None:
        made["main"] = (stripped, path.suffix)
    elif main_box is None:
        main["length"] = len(data)
    thumb_width = media.thumbnail_width if want_thumb else None
    if main_box is not None or thumb_width is not None:
        encoded_main, encoded_thumb = _render(
            data, facts, main_box, thumb_width, media.quality, keep_location=media.keep_location
        )
        if encoded_main is not None:
            body, w, h = encoded_main
            made["main"] = (body, path.suffix)
            main.update(width=w, height=h)
        if encoded_thumb is not None:
            body, w, h = encoded_thumb
            kind = _THUMBNAIL_FORMAT.get(facts.kind, facts.kind)
            suffix = path.suffix if kind == facts.kind else _SUFFIX[kind]
            made["thumb"] = (body, suffix)
            thumb = {"type": _FORMATS[kind][0], "width": w, "height": h, "suffix": suffix}
    return store.put(digest, key, {"main": main, "thumb": thumb}, made)


#: Thumbnails of GIFs are PNG: a quantised GIF thumbnail looks poor and weighs more.
_THUMBNAIL_FORMAT = {"GIF": "PNG"}
_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "AVIF": ".avif"}
_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
              6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip

Encoded = tuple[bytes, int, int]


def _render(
    data: bytes,
    facts: _Facts,
    main_box: tuple[int, int] | None,
    thumb_width: int | None,
    quality: int,
    *,
    keep_location: bool,
) -> tuple[Encoded | None, Encoded | None]:
    """Decode once and encode the web-size copy (`main_box`) and the thumbnail from it:
    upright (EXIF orientation applied), in sRGB, the XMP kept without location and pixel
    facts, no EXIF; the same input and settings always give the same bytes."""
    with _open(io.BytesIO(data)) as picture:
        if main_box is not None:
            target = main_box
        else:
            target = fit(facts.width, facts.height, thumb_width or facts.width, facts.height)
        if facts.orientation in _SWAPS_AXES:
            target = (target[1], target[0])
        if picture.format == "JPEG" and picture.mode in ("RGB", "L", "CMYK"):
            # libjpeg decodes at 1/2, 1/4 or 1/8 scale, still at least `target`: a
            # 12,000 x 8,000 original costs what a 3,000 x 2,000 one does.
            picture.draft(picture.mode, target)
        picture.load()
        # A palette PNG (a chart, a drawing) stays one: true colour would weigh ten times more.
        palette = picture.mode in ("P", "PA") and facts.kind in ("PNG", "GIF")
        frame = _upright(_srgb(picture), facts.orientation)
        xmp = picture.info.get("xmp")
    main = None
    base = frame
    if main_box is not None:
        base = _resized(frame, main_box)
        xmp_kept = _rendition_xmp(xmp, keep_location)
        main = _encode(base, facts.kind, quality, xmp_kept, palette=palette)
    thumb = None
    if thumb_width is not None:
        size = fit(base.width, base.height, thumb_width, base.height)
        kind = _THUMBNAIL_FORMAT.get(facts.kind, facts.kind)
        thumb = _encode(_resized(base, size), kind, quality, None, palette=palette)
    return main, thumb


def _rendition_xmp(packet: object, keep_location: bool) -> bytes | None:
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if not isinstance(packet, bytes) or not packet or len(packet) > MAX_XMP_BYTES:
        return None
    rewritten = strip_packet(packet, location=not keep_location, pixel_facts=True)
    if rewritten is None:
        return packet
    return rewritten or None


def _srgb(picture: Picture) -> Picture:
    """The pixels in sRGB, in a mode every encoder takes (profile converted, then dropped:
    untagged images are shown as sRGB, and a generated profile would carry today's date)."""
    from PIL import ImageCms  # noqa: PLC0415

    image = picture
    if image.mode in ("P", "PA", "1", "I", "I;16", "I;16B", "I;16L", "F"):
        transparent = "transparency" in image.info or image.mode == "PA"
        image = image.convert("RGBA" if transparent else "RGB")
    profile = picture.info.get("icc_profile")
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            if "srgb" not in (ImageCms.getProfileDescription(source) or "").lower():
                mode = "RGBA" if image.mode in ("RGBA", "LA") else "RGB"
                if image.mode == "LA":
                    image = image.convert("RGBA")
                converted = ImageCms.profileToProfile(
                    image, source, ImageCms.createProfile("sRGB"), outputMode=mode
                )
                if converted is not None:
                    image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
            log.info("colour profile ignored (%s)", exc)
    if image.mode == "CMYK":
        image = image.convert("RGB")
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    image.info.pop("icc_profile", None)
    return image


def _upright(image: Picture, orientation: int) -> Picture:
    if orientation not in _TRANSPOSE:
        return image
    from PIL import Image as pil  # noqa: PLC0415, N813

    return image.transpose(getattr(pil.Transpose, _TRANSPOSE[orientation]))


def _resized(image: Picture, size: tuple[int, int]) -> Picture:
    if image.size == size:
        return image
    from PIL import Image as pil  # noqa: PLC0415, N813

    return image.resize(size, pil.Resampling.LANCZOS, reducing_gap=2.0)


def _encode(
    image: Picture, kind: str, quality: int, xmp: bytes | None, *, palette: bool = False
) -> Encoded:
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if palette and kind == "PNG":
        method = 2 if image.mode == "RGBA" else 0  # fast octree: the one that keeps alpha
        image = image.quantize(256, method=method)
    if kind == "JPEG":
        if image.mode not in ("L", "RGB"):
            image = _flatten(image)
        options = {"quality": quality, "optimize": True, "progressive": True, "subsampling": 2}
        if xmp and len(xmp) <= 65000:
            options["xmp"] = xmp
    elif kind == "PNG":
        options = {"optimize": False, "compress_level": 9}
        if xmp:
            from PIL import PngImagePlugin  # noqa: PLC0415

            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8", "replace"))
            options["pnginfo"] = info
    elif kind == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode else "RGB")
        options = {"quality": quality, "method": 4}
        if xmp:
            options["xmp"] = xmp
    elif kind == "AVIF":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode else "RGB")
        options = {"quality": quality, "max_threads": 1}
        if xmp:
            options["xmp"] = xmp
    elif kind == "GIF":
        image = image.convert("RGB").quantize(256)
    image.save(out, kind, **options)
    return out.getvalue(), image.width, image.height


def _flatten(image: Picture) -> Picture:
    """Transparent pixels on white (JPEG has no alpha)."""
    from PIL import Image as pil  # noqa: PLC0415, N813

    rgba = image.convert("RGBA")
    background = pil.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    result: Picture = background
    return result


def make_icon(path: Path, size: tuple[int, int], *, pad: bool, what: str) -> tuple[bytes, int, int]:
    """A PNG of the image at `path` for the channel's branding.

    Args:
        size: The box to fit in (`pad` False: the image keeps its aspect ratio within it,
            never enlarged) or the exact size (`pad` True: scaled to fit, enlarged if needed,
            centred on a transparent canvas of that size).
        what: The configuration key, for messages.

    Returns:
        The PNG bytes, its width and height.

    Raises:
        ConfigError: the file is not an image Pillow can read.
    """
    from PIL import Image as pil  # noqa: PLC0415, N813

    try:
        with _open(path) as picture:
            picture.load()
            orientation, _ = _exif_facts(picture, [])
            image = _upright(_srgb(picture), orientation).convert("RGBA")
    except (OSError, ValueError, SyntaxError) as exc:
        raise ConfigError(
            f"{what}: {path} is not a readable PNG, JPEG, WebP or GIF image ({exc}): "
            "point it at an image file"
        ) from exc
    if pad:
        scale = min(size[0] / image.width, size[1] / image.height)
        inner = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        canvas = pil.new("RGBA", size, (0, 0, 0, 0))
        scaled = image.resize(inner, pil.Resampling.LANCZOS)
        canvas.paste(scaled, ((size[0] - inner[0]) // 2, (size[1] - inner[1]) // 2))
        image = canvas
    else:
        image = _resized(image, fit(image.width, image.height, *size))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=9)
    return out.getvalue(), image.width, image.height


def image_size(path: Path) -> tuple[int, int]:
    """The width and height of an image file as displayed (for the logo's 2:1 canvas)."""
    with _open(path) as picture:
        width, height = picture.size
        orientation, _ = _exif_facts(picture, [])
    return (height, width) if orientation in _SWAPS_AXES else (width, height)
