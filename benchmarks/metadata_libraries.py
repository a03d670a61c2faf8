"""Compare the libraries that could read a photo's IPTC caption: what `feeds` uses (Pillow's
IptcImagePlugin and raw XMP packet, parsed by lxml without entities) against exiv2 (python-exiv2),
pyexiv2 and iptcinfo3, on files whose metadata exiftool wrote.

    python benchmarks/metadata_libraries.py [--count 200]

Needs exiftool (Debian's libimage-exiftool-perl). The other libraries are optional: install
them into a throwaway virtual environment (`pip install exiv2 pyexiv2 iptcinfo3`) to compare;
a missing one is reported as such. Each case runs in a child process, so a library that
crashes the interpreter (a C++ parser on hostile input) is reported, not fatal.

Prints, per library: the time to read the caption of --count JPEGs, and what it returns for
UTF-8 IIM, Latin-1 IIM (undeclared), XMP and IIM disagreeing, malformed XMP, an XMP "billion
laughs" packet and an XMP packet with an external entity.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

READERS = {
    "pillow+lxml (feeds)": """
        import sys
        from pathlib import Path
        from PIL import Image, IptcImagePlugin
        from feeds.load.photometa import merge
        def caption(path):
            with Image.open(path) as im:
                iim = IptcImagePlugin.getiptcinfo(im)
                words = merge(alt="", caption="", credit="", xmp=im.info.get("xmp"), iim=iim,
                              language="en")
            return words.caption
    """,
    "exiv2 (python-exiv2)": """
        import exiv2
        exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.mute)
        def caption(path):
            image = exiv2.ImageFactory.open(str(path))
            image.readMetadata()
            xmp = image.xmpData()
            key = exiv2.XmpKey("Xmp.dc.description")
            found = xmp.findKey(key)
            if found != xmp.end():
                return found.toString()
            iptc = image.iptcData()
            found = iptc.findKey(exiv2.IptcKey("Iptc.Application2.Caption"))
            return found.toString() if found != iptc.end() else ""
    """,
    "pyexiv2": """
        import pyexiv2
        pyexiv2.set_log_level(4)
        def caption(path):
            with pyexiv2.Image(str(path)) as image:
                xmp = image.read_xmp()
                value = xmp.get("Xmp.dc.description")
                if isinstance(value, dict):
                    return value.get('lang="x-default"', "")
                if value:
                    return value
                return image.read_iptc().get("Iptc.Application2.Caption", "")
    """,
    "iptcinfo3 (IIM only)": """
        import logging
        logging.disable(logging.CRITICAL)
        from iptcinfo3 import IPTCInfo
        def caption(path):
            value = IPTCInfo(str(path), force=True)["caption/abstract"]
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else value or ""
    """,
}

CHILD = """
import json, sys, time
{reader}
paths = sys.argv[1:]
started = time.perf_counter()
out = [caption(p) for p in paths]
print(json.dumps({{"seconds": time.perf_counter() - started, "captions": out}}))
"""


def make_files(folder: Path, count: int) -> dict[str, list[Path]]:
    from PIL import Image  # noqa: PLC0415 - only here

    exiftool = shutil.which("exiftool")
    if exiftool is None:
        raise SystemExit("exiftool is missing: apt-get install libimage-exiftool-perl")

    def photo(name: str, *tags: str, charset: str = "utf8") -> Path:
        path = folder / name
        Image.new("RGB", (64, 48), (20, 80, 160)).save(path, quality=80)
        if tags:
            subprocess.run(
                [exiftool, "-q", "-q", "-m", "-overwrite_original", "-charset", f"iptc={charset}",
                 *tags, str(path)],
                check=True,
            )  # fmt: skip
        return path

    def with_xmp(name: str, packet: bytes) -> Path:
        path = folder / name
        Image.new("RGB", (64, 48)).save(path, quality=80, xmp=packet)
        return path

    dc = (
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
        "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
        "xmlns:dc='http://purl.org/dc/elements/1.1/'><rdf:Description rdf:about=''>"
        "<dc:description><rdf:Alt><rdf:li xml:lang='x-default'>{}</rdf:li></rdf:Alt>"
        "</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "ha">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + "]>"
        + dc.format("&i;")
    )
    external = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
        + dc.format("&e;")
    )
    base = photo("base.jpg", "-codedcharacterset=utf8", "-XMP-dc:Description=Möwe am Kai")
    timing = []
    for number in range(count):
        path = folder / f"t{number:04d}.jpg"
        shutil.copy(base, path)
        timing.append(path)
    return {
        "timing": timing,
        "utf-8 IIM": [photo("u.jpg", "-codedcharacterset=utf8", "-IPTC:Caption-Abstract=Möwe")],
        "latin-1 IIM": [photo("l.jpg", "-IPTC:Caption-Abstract=Möwe", charset="latin")],
        "XMP vs IIM": [
            photo("d.jpg", "-XMP-dc:Description=XMP says", "-IPTC:Caption-Abstract=IIM says")
        ],
        "malformed XMP": [with_xmp("m.jpg", b"<x:xmpmeta><rdf:RDF><unclosed>")],
        "billion laughs": [with_xmp("b.jpg", laughs.encode())],
        "external entity": [with_xmp("e.jpg", external.encode())],
    }


def run(reader: str, paths: list[Path]) -> str:
    code = CHILD.format(reader=textwrap.dedent(reader))
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "hung (over 120 s)"
    if done.returncode < 0:
        return f"crashed (signal {-done.returncode})"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"error: {last[:60]}" if "ModuleNotFoundError" not in last else "not installed"
    result = json.loads(done.stdout)
    if len(paths) > 1:
        return f"{1000 * result['seconds'] / len(paths):.2f} ms per file"
    return repr(result["captions"][0])[:40]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = make_files(Path(folder), args.count)
        cases = list(files)
        print("| library | " + " | ".join(cases) + " |")
        print("|---" * (len(cases) + 1) + "|")
        for name, reader in READERS.items():
            cells = [run(reader, files[case]) for case in cases]
            print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
