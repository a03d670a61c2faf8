"""XMP packets: the IPTC fields read from every form XMP allows, hostile packets refused
without resolving anything, and location stripped from every place it can hide."""

import time

import pytest
from PIL import Image as PILImage

from feeds.load.xmp import MAX_XMP_BYTES, XmpError, has_location, read_xmp, strip_packet

HEAD = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
    ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
    ' xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"'
    ' xmlns:exif="http://ns.adobe.com/exif/1.0/"'
    ' xmlns:tiff="http://ns.adobe.com/tiff/1.0/"'
    ' xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"'
    ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
)
TAIL = "</rdf:RDF></x:xmpmeta>"


def packet(body: str) -> bytes:
    return f"<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>{HEAD}{body}{TAIL}<?xpacket end='w'?>".encode()


def test_reads_every_field_from_element_and_attribute_forms():
    xmp = packet(
        '<rdf:Description rdf:about="" photoshop:Credit="Nordbild"'
        ' xmpRights:WebStatement="https://creativecommons.org/licenses/by/4.0/">'
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Möwe am Kai</rdf:li>'
        "</rdf:Alt></dc:description>"
        "<dc:creator><rdf:Seq><rdf:li>Jörg Lind</rdf:li><rdf:li>Ana Paz</rdf:li>"
        "<rdf:li>Li Wei</rdf:li></rdf:Seq></dc:creator>"
        '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© 2026 Nordbild</rdf:li></rdf:Alt>'
        "</dc:rights>"
        '<Iptc4xmpCore:AltTextAccessibility><rdf:Alt><rdf:li xml:lang="x-default">A gull'
        "</rdf:li></rdf:Alt></Iptc4xmpCore:AltTextAccessibility>"
        "</rdf:Description>"
    )
    fields = read_xmp(xmp)
    assert fields.caption == "Möwe am Kai"
    assert fields.credit == "Nordbild"
    assert fields.creator == "Jörg Lind, Ana Paz and Li Wei"
    assert fields.copyright == "© 2026 Nordbild"
    assert fields.license == "https://creativecommons.org/licenses/by/4.0/"
    assert fields.alt == "A gull"


def test_chooses_the_site_language_then_x_default():
    xmp = packet(
        '<rdf:Description rdf:about=""><dc:description><rdf:Alt>'
        '<rdf:li xml:lang="x-default">A gull on the quay</rdf:li>'
        '<rdf:li xml:lang="de-DE">Eine Möwe am Kai</rdf:li>'
        "</rdf:Alt></dc:description></rdf:Description>"
    )
    assert read_xmp(xmp, "de").caption == "Eine Möwe am Kai"
    assert read_xmp(xmp, "de-AT").caption == "Eine Möwe am Kai"
    assert read_xmp(xmp, "en").caption == "A gull on the quay"
    assert read_xmp(xmp, "fr").caption == "A gull on the quay"


def test_a_resource_uri_is_a_value():
    xmp = packet(
        '<rdf:Description rdf:about=""><xmpRights:WebStatement'
        ' rdf:resource="https://example.org/licence"/></rdf:Description>'
    )
    assert read_xmp(xmp).license == "https://example.org/licence"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<x:xmpmeta><rdf:RDF>", "not well-formed"),
        (b"\x00\x00\x00", "empty"),
        ("<x>Möwe</x>".encode("latin-1"), "not well-formed"),
        (b"<x>" + b" " * MAX_XMP_BYTES + b"</x>", "over the limit"),
    ],
)
def test_malformed_packets_are_refused_with_a_reason(data, reason):
    with pytest.raises(XmpError, match=reason):
        read_xmp(data)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "hahahahahahahahahaha">'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
    )
    + b']><x:xmpmeta xmlns:x="adobe:ns:meta/">&j;</x:xmpmeta>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">'
    b'<!ENTITY remote SYSTEM "http://127.0.0.1:9/x">]>'
    + HEAD.encode()
    + b'<rdf:Description rdf:about=""><photoshop:Credit>&secret;&remote;</photoshop:Credit>'
    b"</rdf:Description>" + TAIL.encode()
)


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "external"])
def test_entity_tricks_are_refused_quickly_and_resolve_nothing(data):
    started = time.monotonic()
    with pytest.raises(XmpError, match="DTD"):
        read_xmp(data)
    # Stripping cannot prove such a packet free of location: it is left out.
    assert strip_packet(data) == b""
    assert time.monotonic() - started < 5  # expanded, the first would be 10^9 "ha"s


def test_strips_every_gps_property_and_location_created_and_keeps_the_rest():
    xmp = packet(
        '<rdf:Description rdf:about="" exif:GPSLatitude="53,32.77N" exif:GPSLongitude="9,57.97E"'
        ' photoshop:Credit="Nordbild">'
        "<exif:GPSAltitude>12/1</exif:GPSAltitude>"
        "<Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<Iptc4xmpExt:City>Hamburg</Iptc4xmpExt:City></rdf:li></rdf:Bag>"
        "</Iptc4xmpExt:LocationCreated>"
        "<Iptc4xmpExt:LocationShown><rdf:Bag><rdf:li rdf:parseType='Resource'>"
        "<Iptc4xmpExt:City>Hamburg</Iptc4xmpExt:City>"
        "<Iptc4xmpExt:GPSLatitude>53,32.77N</Iptc4xmpExt:GPSLatitude></rdf:li></rdf:Bag>"
        "</Iptc4xmpExt:LocationShown>"
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Möwe</rdf:li></rdf:Alt>'
        "</dc:description></rdf:Description>"
    )
    assert has_location(xmp)
    stripped = strip_packet(xmp)
    assert stripped is not None
    text = stripped.decode()
    assert "GPS" not in text
    assert "LocationCreated" not in text
    assert "LocationShown" in text  # what the photo shows is no secret; where it was taken is
    assert text.startswith("<?xpacket begin=") and text.endswith("<?xpacket end='w'?>")
    assert read_xmp(stripped).caption == "Möwe"
    assert read_xmp(stripped).credit == "Nordbild"
    assert not has_location(stripped)
    assert strip_packet(stripped) is None


def test_pixel_facts_are_removed_for_a_rendition_only_when_asked():
    xmp = packet('<rdf:Description rdf:about="" tiff:Orientation="6" tiff:ImageWidth="6000"/>')
    assert strip_packet(xmp) is None
    stripped = strip_packet(xmp, location=False, pixel_facts=True)
    assert stripped is not None
    assert b"Orientation" not in stripped
    assert b"ImageWidth" not in stripped


def test_reads_the_packet_exiftool_writes(tmp_path, exiftool):
    path = tmp_path / "a.jpg"
    PILImage.new("RGB", (8, 8)).save(path)
    exiftool.write(
        path,
        "-XMP-dc:Description=Hafenkante im Frühnebel",
        "-XMP-dc:Creator=Zoë Ångström",
        "-XMP-photoshop:Credit=Nordbild",
        "-XMP-dc:Rights=© 2026 Nordbild",
        "-XMP-xmpRights:WebStatement=https://example.org/rights",
        "-XMP-iptcCore:AltTextAccessibility=Kräne im Nebel",
    )
    with PILImage.open(path) as picture:
        fields = read_xmp(picture.info["xmp"])
    assert fields.caption == "Hafenkante im Frühnebel"
    assert fields.creator == "Zoë Ångström"
    assert fields.credit == "Nordbild"
    assert fields.copyright == "© 2026 Nordbild"
    assert fields.license == "https://example.org/rights"
    assert fields.alt == "Kräne im Nebel"
