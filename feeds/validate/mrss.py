"""Media RSS 1.5.1 beyond the basics: placement, repeats, attributes and every value's form.

`feeds.validate.media` checks the URLs, numbers and enumerations of media:content and its
kin; this module adds the rest of the specification as the W3C Feed Validation Service
reads it: where each element may stand, no second media:title/description/copyright in
one scope, credit roles, hashes, ratings, restrictions, media:text, NPT times, language
tags, MIME types and the attributes each element defines.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from lxml import etree

from feeds.rules import MEDIA_NS
from feeds.validate.base import Collector, is_mime_type, text_of
from feeds.validate.scope import Scope
from feeds.validate.values import is_language, is_npt, plain_attributes, uri_problem

_OPTIONAL: Final = frozenset(
    """title description keywords thumbnail category hash player credit copyright text
    restriction rating adult community comments embed responses backLinks status price
    license subTitle peerLink location rights scenes""".split()  # noqa: SIM905
)
# Elements that belong inside one other Media RSS element only.
_INSIDE: Final = {
    "comment": "comments",
    "response": "responses",
    "backLink": "backLinks",
    "param": "embed",
    "scene": "scenes",
    "sceneTitle": "scene",
    "sceneDescription": "scene",
    "sceneStartTime": "scene",
    "sceneEndTime": "scene",
    "starRating": "community",
    "statistics": "community",
    "tags": "community",
}
_ONCE: Final = frozenset({"title", "description", "copyright"})
_CONTAINERS: Final = frozenset({"content", "group", "player"})
_MEDIA: Final = f"{{{MEDIA_NS}}}"
_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    name: frozenset(attrs.split())
    for name, attrs in {
        "content": "url fileSize type medium isDefault expression bitrate framerate "
        "samplingrate channels duration height width lang",
        "thumbnail": "url height width time",
        "player": "url height width",
        "title": "type",
        "description": "type",
        "text": "type lang start end",
        "credit": "role scheme",
        "category": "scheme label",
        "copyright": "url",
        "hash": "algo",
        "rating": "scheme",
        "restriction": "relationship type",
        "embed": "url height width",
        "param": "name",
        "license": "type href",
        "peerLink": "type href",
        "subTitle": "type lang href",
        "location": "description start end",
        "price": "type info price currency",
        "status": "state reason",
        "rights": "status",
        "starRating": "average count min max",
        "statistics": "views favorites",
    }.items()
}
# European Broadcasting Union role codes, as the W3C validator lists them, and the
# specification's own examples (it names "vocalist").
_EBU_ROLES: Final = frozenset(
    role.strip()
    for role in """actor|adaptor|anchor person|animal trainer|animator|announcer|armourer|art
    director|artist/performer|assistant camera|assistant chief lighting technician|assistant
    director|assistant producer|assistant visual editor|author|broadcast assistant|broadcast
    journalist|camera operator|carpenter|casting|causeur|chief lighting technician|choir|
    choreographer|clapper loader|commentary or commentator|commissioning broadcaster|
    composer|computer programmer|conductor|consultant|continuity checker|correspondent|
    costume designer|dancer|dialogue coach|director|director of photography|distribution
    company|draughtsman|dresser|dubber|editor/producer|editor|ensemble|executive producer|
    expert|fight director|floor manager|focus puller|foley artist|foley editor|foley mixer|
    graphic assistant|graphic designer|greensman|grip|hairdresser|illustrator|interviewed
    guest|interviewer|key character|key grip|key talents|leadman|librettist|lighting
    director|lighting technician|location manager|lyricist|make up artist|manufacturer|
    matte artist|music arranger|music group|musician|news reader|orchestra|participant|
    photographer|post|producer|production assistant|production company|production
    department|production manager|production secretary|programme production researcher|
    property manager|publishing company|puppeteer|pyrotechnician|reporter|rigger|runner|
    scenario|scenic operative|script supervisor|second assistant camera|second assistant
    director|second unit director|set designer|set dresser|sign language|singer|sound
    designer|sound mixer|sound recordist|special effects|stunts|subtitles|technical
    director|term|translation|transportation manager|treatment/programme proposal|vision
    mixer|visual editor|visual effects|wardrobe|witness|artist|performer|treatment|treatment
    proposal|programme proposal|vocalist""".replace("\n    ", " ").split("|")
) - {""}
_RATINGS: Final = {
    "urn:simple": frozenset({"adult", "nonadult"}),
    "urn:mpaa": frozenset({"g", "m", "nc-17", "pg", "pg-13", "r", "x"}),
    "urn:v-chip": frozenset(
        "14+ 18+ c c8 g pg tv-14 tv-g tv-ma tv-pg tv-y tv-y7 tv-y7-fv".split()  # noqa: SIM905
    ),
}
_ICRA_CODE = r"(?:[nsvlocx]z [01]|(?:n[a-c]|s[a-f]|v[a-j]|l[a-c]|o[a-h]|c[a-b]|x[a-e]) 1)"
_ICRA = re.compile(rf"r \({_ICRA_CODE}(?: {_ICRA_CODE})*\)")
_HASH_LENGTHS: Final = {"md5": 32, "sha-1": 40}
# ISO 3166-1 alpha-2, with the withdrawn codes still found in feeds (AN, CS, YU, TP).
_COUNTRIES: Final = frozenset(
    """AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CS CU CV CW CX CY CZ DE
    DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH
    KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN
    MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH
    PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR
    SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TP TR TT TV TW TZ UA UG UM US UY UZ VA
    VC VE VG VI VN VU WF WS YE YT YU ZA ZM ZW""".split()  # noqa: SIM905
)
_RESTRICTION_TYPES: Final = ("country", "uri", "sharing")


def check_media_rss(scope: Scope, out: Collector) -> None:
    """Check every Media RSS element of the document against Media RSS 1.5.1."""
    if not scope.uses(MEDIA_NS):
        return
    items = {id(item) for item in scope.items}
    channel = id(scope.channel) if scope.channel is not None else None
    # Keyed on the parent itself: that keeps its proxy alive, so the next getparent() of a
    # sibling returns the same object (an id() of a freed proxy would be reused).
    seen: Counter[tuple[etree._Element, str]] = Counter()
    skip = len(_MEDIA)
    for el in scope.root.iter(f"{_MEDIA}*"):
        local = el.tag[skip:]
        parent = el.getparent()
        if parent is None:
            continue
        parent_id = id(parent)
        # Directly in an item, or a media:content/group in one: the usual places, allowed
        # for every element but the sub-elements of media:community, media:embed ….
        if parent_id in items:
            if local in _INSIDE:
                _misplaced(el, local, "an item", out)
        elif parent_id == channel:
            if local in ("content", "group") or local in _INSIDE:
                _misplaced(el, local, "the channel", out)
        else:
            _placement(el, local, parent, out)
        if local in _ONCE:
            key = (parent, local)
            seen[key] += 1
            if seen[key] == 2:
                out.add(
                    "media-duplicate-element",
                    el,
                    f"<media:{local}> may appear only once here: keep one (another "
                    "rendition's belongs inside its media:content)",
                )
        keys = el.keys()
        if keys and not _ATTRIBUTES.get(local, frozenset()).issuperset(keys):
            _attributes(el, local, out)
        if local in _CONTAINERS:
            _loose_text(el, out)
        check = _VALUE_CHECKS.get(local)
        if check is not None:
            check(el, out)


def _misplaced(el: etree._Element, local: str, here: str, out: Collector) -> None:
    where = (
        f"inside media:{_INSIDE[local]}" if local in _INSIDE else
        "in an item or a media:group" if local == "content" else "in an item"
    )  # fmt: skip
    out.add(
        "media-misplaced",
        el,
        f"<media:{local}> does not belong in {here}: Media RSS allows it only {where}",
    )


def _placement(el: etree._Element, local: str, parent: etree._Element, out: Collector) -> None:
    """An element whose parent is neither an item nor the channel."""
    tag = parent.tag
    if not isinstance(tag, str) or not tag.startswith(_MEDIA):
        return  # inside another vocabulary's element: not Media RSS's to judge
    inside = tag[len(_MEDIA) :]
    if local == "content":
        wrong = inside != "group"
    elif local == "group":
        wrong = True
    elif local in _INSIDE:
        wrong = inside != _INSIDE[local]
    else:
        wrong = local in _OPTIONAL and inside not in ("content", "group")
    if wrong:
        _misplaced(el, local, f"media:{inside}", out)


def _attributes(el: etree._Element, local: str, out: Collector) -> None:
    allowed = _ATTRIBUTES.get(local, frozenset())
    for name in plain_attributes(el):
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            out.add(
                "media-unknown-attribute",
                el,
                f'media:{local} has no attribute "{name}" (it has: {known}): check the '
                "spelling (attribute names are case-sensitive) or remove it",
                attr=name,
            )


def _loose_text(el: etree._Element, out: Collector) -> None:
    stray = (el.text or "").strip() or next(
        (tail.strip() for child in el if (tail := child.tail) and tail.strip()), ""
    )
    if stray:
        out.add(
            "media-unexpected-text",
            el,
            f'text "{stray[:40]}" directly inside media:{etree.QName(el).localname}: it '
            "holds only elements; put a caption in media:description",
        )


def _content(el: etree._Element, out: Collector) -> None:
    kind = el.get("type")
    if kind and not is_mime_type(kind):
        out.add(
            "media-mime-type",
            el,
            f'type="{kind}" is not a MIME type: use e.g. "image/jpeg" or "video/mp4"',
            attr="type",
        )
    _lang(el, out)


def _lang(el: etree._Element, out: Collector) -> None:
    lang = el.get("lang")
    if lang and not is_language(lang):
        out.add(
            "media-lang",
            el,
            f'lang="{lang}" is not a language tag: use an ISO 639 code such as "en" or "de-CH"',
            attr="lang",
        )


def _credit(el: etree._Element, out: Collector) -> None:
    role = el.get("role")
    scheme = el.get("scheme") or "urn:ebu"
    if not role:
        return
    if role != role.lower():
        problem = "must be lower case"
    elif scheme == "urn:ebu" and role not in _EBU_ROLES:
        problem = 'is not one of the EBU roles (the default scheme "urn:ebu")'
    else:
        return
    out.add(
        "media-credit-role",
        el,
        f'role="{role}" {problem}: use e.g. "photographer", "author" or "director", or name '
        "your own vocabulary in scheme",
        attr="role",
    )


def _hash(el: etree._Element, out: Collector) -> None:
    algo = el.get("algo") or "md5"
    value = text_of(el).strip()
    if algo not in _HASH_LENGTHS:
        out.add(
            "media-hash",
            el,
            f'algo="{algo}" must be "md5" (the default) or "sha-1"',
            attr="algo",
        )
        return
    length = _HASH_LENGTHS[algo]
    if len(value) != length or not re.fullmatch(r"[0-9A-Fa-f]+", value):
        out.add(
            "media-hash",
            el,
            f'an {algo} hash is {length} hexadecimal digits; "{value[:50]}" is not',
        )


def _rating(el: etree._Element, out: Collector) -> None:
    scheme = el.get("scheme") or "urn:simple"
    value = text_of(el).strip()
    allowed = _RATINGS.get(scheme)
    if allowed is not None:
        if value not in allowed:
            out.add(
                "media-rating",
                el,
                f'"{value}" is not a {scheme} rating: use one of {", ".join(sorted(allowed))}',
            )
    elif scheme == "urn:icra":
        if not _ICRA.fullmatch(value):
            out.add(
                "media-rating",
                el,
                f'"{value}" is not an ICRA label such as "r (cz 1 lz 1 nz 1 oz 1 vz 1)"',
            )
    elif uri_problem(scheme):
        out.add(
            "media-url-invalid",
            el,
            f'scheme="{scheme}" {uri_problem(scheme)}: a rating scheme is a URI such as '
            '"urn:simple"',
            attr="scheme",
        )


def _restriction(el: etree._Element, out: Collector) -> None:
    relationship = el.get("relationship")
    if relationship not in ("allow", "deny"):
        shown = f'relationship="{relationship}"' if relationship is not None else "none"
        out.add(
            "media-restriction",
            el,
            f'media:restriction needs relationship="allow" or "deny" ({shown} given)',
            attr="relationship",
        )
    kind = el.get("type")
    values = text_of(el).split()
    if kind is not None and kind not in _RESTRICTION_TYPES:
        out.add(
            "media-restriction",
            el,
            f'type="{kind}" must be "country", "uri" or "sharing"',
            attr="type",
        )
        return
    if values in (["all"], ["none"]):
        return
    if kind is None:
        if values:
            out.add(
                "media-restriction",
                el,
                f'"{" ".join(values)[:60]}" needs a type ("country" or "uri"); without one '
                'only "all" or "none" are allowed',
            )
    elif kind == "country":
        bad = [code for code in values if code.upper() not in _COUNTRIES]
        if bad:
            out.add(
                "media-restriction",
                el,
                f'"{bad[0]}" is not an ISO 3166 country code: list codes such as "us ca gb" '
                "separated by spaces",
            )
    elif kind == "uri":
        bad = [uri for uri in values if uri_problem(uri)]
        if bad:
            out.add(
                "media-restriction",
                el,
                f'"{bad[0]}" {uri_problem(bad[0])}: list absolute URIs separated by spaces',
            )


def _text(el: etree._Element, out: Collector) -> None:
    kind = el.get("type")
    if kind is not None and kind not in ("plain", "html"):
        out.add(
            "media-text-type",
            el,
            f'media:text type="{kind}" must be "plain" or "html"',
            attr="type",
        )
    for attr in ("start", "end"):
        _npt(el, attr, out)
    _lang(el, out)


def _npt(el: etree._Element, attr: str, out: Collector) -> None:
    value = el.get(attr)
    if value and not is_npt(value):
        out.add(
            "media-npt-time",
            el,
            f'{attr}="{value}" is not a Normal Play Time: write seconds ("12.5"), '
            '"h:mm:ss.f" ("0:01:02.5") or "now"',
            attr=attr,
        )


def _thumbnail(el: etree._Element, out: Collector) -> None:
    _npt(el, "time", out)


def _uri_attribute(el: etree._Element, attr: str, what: str, out: Collector) -> None:
    value = el.get(attr)
    if value and uri_problem(value):
        out.add(
            "media-url-invalid",
            el,
            f'{attr}="{value}" {uri_problem(value)}: {what} is an absolute URI',
            attr=attr,
        )


def _category(el: etree._Element, out: Collector) -> None:
    _uri_attribute(el, "scheme", "a category scheme", out)


def _copyright(el: etree._Element, out: Collector) -> None:
    _uri_attribute(el, "url", "the copyright notice's address", out)


def _subtitle(el: etree._Element, out: Collector) -> None:
    _lang(el, out)
    if el.get("type") and not is_mime_type(el.get("type") or ""):
        out.add(
            "media-mime-type",
            el,
            f'type="{el.get("type")}" is not a MIME type: use e.g. "application/smil"',
            attr="type",
        )


_VALUE_CHECKS: Final = {
    "content": _content,
    "credit": _credit,
    "hash": _hash,
    "rating": _rating,
    "restriction": _restriction,
    "text": _text,
    "thumbnail": _thumbnail,
    "category": _category,
    "copyright": _copyright,
    "subTitle": _subtitle,
}
