"""Remove location metadata from JPEG, PNG, WebP and GIF files without touching their pixels.

Each format keeps its metadata in its own container blocks (JPEG segments, PNG chunks, RIFF
chunks, GIF extension blocks); only those blocks are rewritten and the compressed image data
is copied byte for byte. In EXIF the GPS IFD is unlinked and overwritten with zeros in place,
so every other offset (maker notes included) stays valid; Pillow's EXIF writer would instead
re-encode every tag (non-ASCII text becomes "?") and drop what it does not know.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

#: Rewrites an XMP packet: None keeps it, b"" drops it, other bytes replace it.
XmpRewriter = Callable[[bytes], bytes | None]

_GPS_IFD = 0x8825
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_JPEG_XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"
_JPEG_EXIF = b"Exif\x00\x00"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
# ImageMagick's hex-encoded copies of EXIF/XMP in PNG text chunks: opaque, so never published.
_PNG_RAW_PROFILES = (b"Raw profile type exif", b"Raw profile type APP1", b"Raw profile type xmp")
_GIF_XMP_APPLICATION = b"XMP DataXMP"
#: The most an XMP packet may inflate to from a compressed PNG chunk.
_MAX_INFLATED = 1024 * 1024


class StripError(Exception):
    """The file's structure cannot be followed; it must be re-encoded instead."""


def strip_gps(tiff: bytes) -> bytes | None:
    """EXIF (a TIFF structure) without its GPS IFD, or None when it has none.

    Raises:
        StripError: the structure is malformed.
    """
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        raise StripError("EXIF without a TIFF header")
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd0)
        entries = [tiff[ifd0 + 2 + 12 * i : ifd0 + 14 + 12 * i] for i in range(count)]
        (next_ifd,) = struct.unpack_from(order + "I", tiff, ifd0 + 2 + 12 * count)
    except struct.error:
        raise StripError("EXIF IFD0 runs past the end") from None
    if any(len(entry) != 12 for entry in entries):
        raise StripError("EXIF IFD0 runs past the end")
    gps = [e for e in entries if struct.unpack_from(order + "H", e)[0] == _GPS_IFD]
    if not gps:
        return None
    out = bytearray(tiff)
    kept = [e for e in entries if e not in gps]
    block = (
        struct.pack(order + "H", len(kept)) + b"".join(kept) + struct.pack(order + "I", next_ifd)
    )
    end = ifd0 + 2 + 12 * count + 4
    out[ifd0:end] = block + bytes(end - ifd0 - len(block))
    for entry in gps:
        (offset,) = struct.unpack_from(order + "I", entry, 8)
        _zero_ifd(out, offset, order)
    return bytes(out)


def _zero_ifd(data: bytearray, offset: int, order: str) -> None:
    """Overwrite an IFD and the values it points to with zeros (its space stays allocated)."""
    try:
        (count,) = struct.unpack_from(order + "H", data, offset)
    except struct.error:
        return  # a dangling pointer: nothing there to leak
    for i in range(count):
        start = offset + 2 + 12 * i
        if start + 12 > len(data):
            break
        kind, number, value = struct.unpack_from(order + "HII", data, start + 2)
        size = _TYPE_SIZES.get(kind, 1) * number
        if size > 4 and value < len(data):
            stop = min(len(data), value + size)
            data[value:stop] = bytes(stop - value)
    stop = min(len(data), offset + 2 + 12 * count + 4)
    data[offset:stop] = bytes(stop - offset)


def strip_location(data: bytes, kind: str, rewrite_xmp: XmpRewriter) -> bytes | None:
    """The file without location metadata, or None when it carries none.

    Args:
        data: The whole file.
        kind: Pillow's format name: "JPEG", "PNG", "WEBP" or "GIF".
        rewrite_xmp: What to do with each XMP packet.

    Raises:
        StripError: another format, or a structure that cannot be followed.
    """
    strippers = {"JPEG": _jpeg, "PNG": _png, "WEBP": _webp, "GIF": _gif}
    if kind not in strippers:
        raise StripError(f"no lossless way to edit {kind} metadata")
    try:
        return strippers[kind](data, rewrite_xmp)
    except (struct.error, IndexError, ValueError, zlib.error) as exc:
        raise StripError(f"malformed {kind} structure ({exc})") from exc


def _jpeg(data: bytes, rewrite_xmp: XmpRewriter) -> bytes | None:
    if data[:2] != b"\xff\xd8":
        raise StripError("no JPEG start marker")
    parts: list[bytes] = [data[:2]]
    changed = False
    pos = 2
    while True:
        if data[pos] != 0xFF:
            raise StripError(f"no JPEG marker at byte {pos}")
        while data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos + 1]
        if marker in {0xD8, 0x01} or 0xD0 <= marker <= 0xD7:
            parts.append(data[pos : pos + 2])
            pos += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end: the rest is image data
            parts.append(data[pos:])
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2 or pos + 2 + length > len(data):
            raise StripError(f"JPEG segment at byte {pos} runs past the end")
        payload = data[pos + 4 : pos + 2 + length]
        segment = data[pos : pos + 2 + length]
        if marker == 0xE1 and payload.startswith(_JPEG_EXIF):
            tiff = strip_gps(payload[len(_JPEG_EXIF) :])
            if tiff is not None:
                segment = _jpeg_segment(0xE1, _JPEG_EXIF + tiff)
                changed = True
        elif marker == 0xE1 and payload.startswith(_JPEG_XMP):
            packet = rewrite_xmp(payload[len(_JPEG_XMP) :])
            if packet is not None:
                body = _JPEG_XMP + packet
                segment = _jpeg_segment(0xE1, body) if packet and len(body) <= 65533 else b""
                changed = True
        elif marker == 0xE1 and payload.startswith(_JPEG_XMP_EXTENSION):
            # Extended XMP holds overflow properties (depth maps, edit history, possibly the
            # location) in pieces that cannot be checked one by one: it is never published.
            segment = b""
            changed = True
        parts.append(segment)
        pos += 2 + length
    return b"".join(parts) if changed else None


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise StripError("a JPEG segment cannot hold this much")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _png(data: bytes, rewrite_xmp: XmpRewriter) -> bytes | None:
    if not data.startswith(_PNG_SIGNATURE):
        raise StripError("no PNG signature")
    parts: list[bytes] = [_PNG_SIGNATURE]
    changed = False
    pos = len(_PNG_SIGNATURE)
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            raise StripError(f"PNG chunk at byte {pos} runs past the end")
        body = data[pos + 8 : pos + 8 + length]
        chunk = data[pos:end]
        if kind == b"eXIf":
            tiff = strip_gps(body)
            if tiff is not None:
                chunk, changed = _png_chunk(kind, tiff), True
        elif kind in (b"tEXt", b"zTXt", b"iTXt"):
            keyword = body.split(b"\x00", 1)[0]
            if keyword in _PNG_RAW_PROFILES:
                chunk, changed = b"", True
            elif kind == b"iTXt" and keyword == _PNG_XMP_KEYWORD:
                replaced = _png_xmp(body, rewrite_xmp)
                if replaced is not None:
                    chunk, changed = replaced, True
        parts.append(chunk)
        pos = end
        if kind == b"IEND":
            parts.append(data[pos:])
            break
    return b"".join(parts) if changed else None


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _png_xmp(body: bytes, rewrite_xmp: XmpRewriter) -> bytes | None:
    keyword, rest = body.split(b"\x00", 1)
    compressed, method = rest[0], rest[1]
    language, rest = rest[2:].split(b"\x00", 1)
    translated, text = rest.split(b"\x00", 1)
    if compressed:
        if method != 0:
            return b""  # an unknown compression: cannot be checked, so not published
        inflater = zlib.decompressobj()
        text = inflater.decompress(text, _MAX_INFLATED)
        if inflater.unconsumed_tail:
            return b""
    packet = rewrite_xmp(text)
    if packet is None:
        return None
    if not packet:
        return b""
    head = keyword + b"\x00\x00\x00" + language + b"\x00" + translated + b"\x00"
    return _png_chunk(b"iTXt", head + packet)


def _webp(data: bytes, rewrite_xmp: XmpRewriter) -> bytes | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise StripError("no RIFF WEBP header")
    chunks: list[tuple[bytes, bytes]] = []
    changed = False
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = data[pos + 8 : pos + 8 + size]
        if len(body) != size:
            raise StripError(f"RIFF chunk {kind!r} runs past the end")
        pos += 8 + size + (size & 1)
        if kind == b"EXIF":
            header = _JPEG_EXIF if body.startswith(_JPEG_EXIF) else b""
            tiff = strip_gps(body[len(header) :])
            if tiff is not None:
                body, changed = header + tiff, True
        elif kind == b"XMP ":
            packet = rewrite_xmp(body)
            if packet is not None:
                changed = True
                if not packet:
                    chunks = [(k, _without_xmp_flag(b) if k == b"VP8X" else b) for k, b in chunks]
                    continue
                body = packet
        chunks.append((kind, body))
    if not changed:
        return None
    out = b"".join(
        kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")
        for kind, body in chunks
    )
    return b"RIFF" + struct.pack("<I", 4 + len(out)) + b"WEBP" + out


def _without_xmp_flag(vp8x: bytes) -> bytes:
    return bytes((vp8x[0] & ~0x04,)) + vp8x[1:]


def _gif(data: bytes, rewrite_xmp: XmpRewriter) -> bytes | None:
    if data[:3] != b"GIF":
        raise StripError("no GIF header")
    pos = 13
    flags = data[10]
    if flags & 0x80:
        pos += 3 * (2 ** ((flags & 0x07) + 1))
    parts: list[bytes] = [data[:pos]]
    changed = False
    while pos < len(data):
        introducer = data[pos]
        if introducer == 0x3B:  # trailer
            parts.append(data[pos:])
            break
        start = pos
        if introducer == 0x21:  # extension: label, then sub-blocks
            label = data[pos + 1]
            pos += 2
            application = b""
            if label == 0xFF and data[pos] == 11:
                application = data[pos + 1 : pos + 12]
            data_start = pos + 12 if application else pos
            pos = _skip_sub_blocks(data, pos)
            if application == _GIF_XMP_APPLICATION:
                # The packet is stored raw, then a 257-byte "magic trailer" and a terminator
                # that make it read as sub-blocks.
                packet = data[data_start : pos - 258]
                if rewrite_xmp(packet) is not None:
                    changed = True
                    continue  # location in it: the whole extension is left out
        elif introducer == 0x2C:  # image: descriptor, local colour table, LZW size, sub-blocks
            local = data[pos + 9]
            pos += 10
            if local & 0x80:
                pos += 3 * (2 ** ((local & 0x07) + 1))
            pos = _skip_sub_blocks(data, pos + 1)
        else:
            raise StripError(f"unknown GIF block 0x{introducer:02x} at byte {pos}")
        parts.append(data[start:pos])
    return b"".join(parts) if changed else None


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    while True:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
        if pos > len(data):
            raise StripError("GIF data runs past the end")
