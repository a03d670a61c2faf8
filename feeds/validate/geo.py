"""Geographic positions in feeds: W3C Basic Geo, ICBM, GeoURL and GeoRSS Simple.

A latitude is a decimal number from -90 to 90, a longitude from -180 to 180 (WGS84). GeoRSS
Simple writes "lat long" pairs separated by spaces; the W3C Feed Validation Service warns
about commas between them, and so does this.
"""

from __future__ import annotations

import re
from typing import Final

from lxml import etree

from feeds.validate.base import KNOWN_NAMESPACES, Collector, children, element_name, text_of
from feeds.validate.ext import Term, check_vocabulary
from feeds.validate.scope import Placed, Scope
from feeds.validate.values import decimal_in, is_decimal, is_integer

GEO_NS: Final = KNOWN_NAMESPACES["geo"]
ICBM_NS: Final = KNOWN_NAMESPACES["icbm"]
GEOURL_NS: Final = KNOWN_NAMESPACES["geourl"]
GEORSS_NS: Final = KNOWN_NAMESPACES["georss"]

_ANYWHERE: Final = Term()
_GEO: Final = dict.fromkeys(("Point", "lat", "long", "alt", "lat_long", "location"), _ANYWHERE)
_ICBM: Final = dict.fromkeys(("latitude", "longitude"), _ANYWHERE)
_GEORSS: Final = dict.fromkeys(
    """point line polygon box circle where featureTypeTag relationshipTag featureName elev
    floor radius""".split(),  # noqa: SIM905
    _ANYWHERE,
)
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_POSITIONS = re.compile(rf"{_NUMBER}(?:[\s,]+{_NUMBER})*")


def check_positions(scope: Scope, out: Collector) -> None:
    """Check every position of the channel and of each item."""
    for entry in check_vocabulary(scope, out, GEO_NS, _GEO):
        _geo(entry.element, entry.local, out)
    for namespace in (ICBM_NS, GEOURL_NS):
        for entry in check_vocabulary(scope, out, namespace, _ICBM):
            _angle(entry.element, 90 if entry.local == "latitude" else 180, out)
    for entry in check_vocabulary(scope, out, GEORSS_NS, _GEORSS):
        _georss(entry, out)


def _geo(el: etree._Element, local: str, out: Collector) -> None:
    if local == "lat":
        _angle(el, 90, out)
    elif local == "long":
        _angle(el, 180, out)
    elif local == "alt":
        _decimal(el, out)
    elif local == "Point":
        present = set()
        for child in children(el):
            if child.tag == f"{{{GEO_NS}}}lat":
                present.add("lat")
                _angle(child, 90, out)
            elif child.tag == f"{{{GEO_NS}}}long":
                present.add("long")
                _angle(child, 180, out)
        for missing in sorted({"lat", "long"} - present):
            out.add(
                "geo-coordinate",
                el,
                f"<geo:Point> needs a <geo:{missing}>: a point has both latitude and longitude",
            )


def _angle(el: etree._Element, limit: int, out: Collector) -> None:
    value = text_of(el).strip()
    if not decimal_in(value, -limit, limit):
        what = "latitude" if limit == 90 else "longitude"
        out.add(
            "geo-coordinate",
            el,
            f'<{element_name(el)}> "{value}" must be a {what}: a decimal number from '
            f"-{limit} to {limit} (degrees, WGS84)",
        )


def _decimal(el: etree._Element, out: Collector) -> None:
    value = text_of(el).strip()
    if not is_decimal(value):
        out.add("ext-number", el, f'<{element_name(el)}> "{value}" must be a decimal number')


def _georss(entry: Placed, out: Collector) -> None:
    el, local = entry.element, entry.local
    value = text_of(el).strip()
    if local in ("elev", "radius"):
        _decimal(el, out)
        return
    if local == "floor":
        if not is_integer(value):
            out.add("ext-number", el, f'<georss:floor> "{value}" must be a whole number')
        return
    shapes = {"point": (1, 1), "line": (2, 0), "polygon": (4, 0), "box": (2, 2)}
    if local == "circle":  # "lat long radius"
        parts = value.split()
        numbers = parts[:2]
        wellformed = len(parts) == 3 and all(is_decimal(n) for n in parts)
        wanted = "one pair and a radius"
    elif local in shapes:
        least, most = shapes[local]
        numbers = value.replace(",", " ").split()
        count = len(numbers) // 2
        wellformed = (
            bool(_POSITIONS.fullmatch(value))
            and len(numbers) % 2 == 0
            and least <= count
            and (not most or count <= most)
        )
        wanted = {1: "one pair", 2: "two pairs"}[most] if most else f"at least {least} pairs"
    else:
        return
    if not wellformed:
        out.add(
            "geo-coordinate",
            el,
            f'<georss:{local}> "{value}" must be {wanted} of "latitude longitude" decimal '
            "numbers separated by spaces",
        )
        return
    for index in range(0, len(numbers), 2):
        lat, lon = numbers[index], numbers[index + 1]
        if not (decimal_in(lat, -90, 90) and decimal_in(lon, -180, 180)):
            out.add(
                "geo-coordinate",
                el,
                f'<georss:{local}> holds "{lat} {lon}", which is no position: latitude '
                "first (-90 to 90), then longitude (-180 to 180)",
            )
            return
    if "," in value:
        out.add(
            "geo-coordinate-comma",
            el,
            f'<georss:{local}> "{value}" separates numbers with commas: GeoRSS Simple uses '
            'spaces only ("45.256 -71.92")',
        )
