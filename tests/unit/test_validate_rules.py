"""One defect per feed, for every rule family the W3C Feed Validation Service checks.

Each case takes a minimal valid feed, adds or changes one thing and asserts the exact set
of codes. The valid feeds that exercise the same elements (tests/data/validate/valid/:
podcasts, RSS 1.0, extensions, Media RSS in full, Atom in full) must report nothing; the
corpus test in test_validate.py checks them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.validate import CODES, validate_feed
from feeds.validate.base import KNOWN_NAMESPACES

DATA = Path(__file__).resolve().parent.parent / "data" / "validate"
_DECLARED = " ".join(
    f'xmlns:{prefix}="{uri}"'
    for prefix, uri in KNOWN_NAMESPACES.items()
    if prefix not in ("xhtml", "rss1")
)


_FH_CURRENT = '<atom:link rel="current" href="https://a.example/rss"/>'
_FH_PREV = '<atom:link rel="prev-archive" href="https://a.example/2023.rss"/>'
_FH_A_CURRENT = '<link rel="current" href="https://a.example/atom"/>'
_FH_A_PREV = '<link rel="prev-archive" href="https://a.example/2023.atom"/>'


def rss(channel: str = "", item: str = "", *, head: str = "", items: str = "") -> bytes:
    """A valid RSS 2.0 feed with one item, plus the given channel and item children."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}\n<rss version="2.0" {_DECLARED}>'
        "<channel><title>T</title><link>https://a.example/</link><description>D</description>"
        '<atom:link rel="self" type="application/rss+xml" href="https://a.example/rss"/>'
        f"{channel}<item><title>I</title><guid>https://a.example/1</guid>{item}</item>"
        f"{items}</channel></rss>"
    ).encode()


def atom(feed: str = "", entry: str = "", *, content: str = "") -> bytes:
    """A valid Atom feed with one entry, plus the given feed and entry children."""
    body = content or "<content>c</content>"
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f"{_DECLARED.replace('xmlns:atom=', 'xmlns:a=')}><title>T</title>"
        "<id>tag:a.example,2024:feed</id><updated>2024-03-05T14:30:00Z</updated>"
        '<link rel="self" href="https://a.example/atom"/><author><name>A</name></author>'
        f"{feed}<entry><title>E</title><id>tag:a.example,2024:1</id>"
        f"<updated>2024-03-05T14:30:00Z</updated>"
        f'<link href="https://a.example/1"/>{body}{entry}</entry></feed>'
    ).encode()


def rss1(channel: str = "", item: str = "", *, top: str = "") -> bytes:
    """A valid RSS 1.0 feed with one item."""
    return (
        '<?xml version="1.0"?>\n<rdf:RDF xmlns="http://purl.org/rss/1.0/" '
        f"{_DECLARED.replace('xmlns:rss1=', 'xmlns:r1=')}>"
        '<channel rdf:about="https://a.example/rdf"><title>T</title>'
        "<link>https://a.example/</link><description>D</description>"
        '<items><rdf:Seq><rdf:li rdf:resource="https://a.example/1"/></rdf:Seq></items>'
        f'{channel}</channel><item rdf:about="https://a.example/1"><title>I</title>'
        f"<link>https://a.example/1</link>{item}</item>{top}</rdf:RDF>"
    ).encode()


def podcast(channel: str = "", item: str = "") -> bytes:
    """A valid podcast: an RSS 2.0 feed with the channel elements Apple asks for."""
    return rss(
        "<language>en</language><itunes:explicit>false</itunes:explicit>"
        '<itunes:category text="Technology"/><itunes:owner><itunes:name>O</itunes:name>'
        f"<itunes:email>o@a.example</itunes:email></itunes:owner>{channel}",
        '<enclosure url="https://a.example/1.mp3" length="1" type="audio/mpeg"/>' + item,
    )


def test_the_templates_are_valid():
    for doc in (rss(), atom(), rss1(), podcast()):
        assert validate_feed(doc).issues == ()


CASES: list[tuple[str, bytes, set[str]]] = [
    # --- whitespace around URIs and dates (RFC 4287) ---------------------------------------
    (
        "ws-entry-id",
        atom(entry="").replace(
            b"<id>tag:a.example,2024:1</id>", b"<id> tag:a.example,2024:1\n</id>"
        ),
        {"atom-whitespace"},
    ),
    (
        "ws-updated",
        atom().replace(
            b"<updated>2024-03-05T14:30:00Z</updated><link",
            b"<updated>\n  2024-03-05T14:30:00Z\n</updated><link",
        ),
        {"atom-whitespace"},
    ),
    (
        "ws-published",
        atom(entry="<published> 2024-03-05T14:30:00Z</published>"),
        {"atom-whitespace"},
    ),
    ("ws-icon", atom("<icon> https://a.example/i.png</icon>"), {"atom-whitespace"}),
    ("ws-logo", atom("<logo>https://a.example/l.png </logo>"), {"atom-whitespace"}),
    (
        "ws-uri",
        atom("<contributor><name>C</name><uri> https://a.example/c</uri></contributor>"),
        {"atom-whitespace"},
    ),
    (
        "ws-href",
        atom(entry='<link rel="related" href=" https://a.example/r"/>'),
        {"atom-whitespace"},
    ),
    (
        "ws-scheme",
        atom(entry='<category term="t" scheme="https://a.example/s "/>'),
        {"atom-whitespace"},
    ),
    (
        "ws-src",
        atom(content='<content type="text/html" src=" https://a.example/c"/><summary>s</summary>'),
        {"atom-whitespace"},
    ),
    (
        "ws-generator-uri",
        atom('<generator uri="https://a.example/g ">G</generator>'),
        {"atom-whitespace"},
    ),
    (
        "ws-xml-base",
        atom(entry='<category term="t" xml:base=" https://a.example/"/>'),
        {"xml-base-invalid"},
    ),
    (
        "ws-atom-link-in-rss",
        rss('<atom:link rel="hub" href="https://hub.example/ "/>'),
        {"atom-whitespace"},
    ),
    # --- uniqueness --------------------------------------------------------------------------
    (
        "dup-atom-id",
        atom(feed="").replace(
            b"</feed>",
            b'<entry><title>E2</title><id>tag:a.example,2024:1</id><updated>2024-03-06T00:00:00Z</updated><link href="https://a.example/2"/><content>c</content></entry></feed>',
        ),
        {"atom-id-duplicate"},
    ),
    (
        "dup-atom-id-written-differently",
        atom().replace(
            b"</feed>",
            b'<entry><title>E2</title><id><![CDATA[tag:a.example,2024:]]>&#49;</id><updated>2024-03-06T00:00:00Z</updated><link href="https://a.example/2"/><content>c</content></entry></feed>',
        ),
        {"atom-id-duplicate"},
    ),
    (
        "dup-guid",
        rss(items="<item><title>J</title><guid>https://a.example/1</guid></item>"),
        {"rss-guid-duplicate"},
    ),
    (
        "dup-guid-cdata-charref",
        rss(
            "",
            "",
            items='<item><title>J</title><guid isPermaLink="false"><![CDATA[x-]]>&#49;</guid></item><item><title>K</title><guid isPermaLink="false">x-1</guid></item>',
        ),
        {"rss-guid-duplicate"},
    ),
    # --- order and placement -----------------------------------------------------------------
    (
        "misplaced-metadata",
        atom().replace(b"</feed>", b"<rights>r</rights></feed>"),
        {"atom-misplaced-metadata"},
    ),
    ("generator-child", atom("<generator>G<b>x</b></generator>"), {"atom-text-markup"}),
    (
        "id-child",
        atom().replace(b"<id>tag:a.example,2024:1</id>", b"<id>tag:a.example,2024:1<x/></id>"),
        {"atom-text-markup"},
    ),
    (
        "trackback-in-channel",
        rss("<trackback:ping>https://a.example/tb</trackback:ping>"),
        {"ext-misplaced-element"},
    ),
    (
        "trackback-in-feed",
        atom("<trackback:ping>https://a.example/tb</trackback:ping>"),
        {"ext-misplaced-element"},
    ),
    ("app-draft-in-entry", atom(entry="<app:draft>yes</app:draft>"), {"ext-misplaced-element"}),
    ("app-unknown", atom(entry="<app:foo/>"), {"ext-unknown-element"}),
    ("app-edited-bad", atom(entry="<app:edited>yesterday</app:edited>"), {"ext-value"}),
    ("sy-in-item", rss("", "<sy:updatePeriod>daily</sy:updatePeriod>"), {"ext-misplaced-element"}),
    ("fh-in-item", rss("", "<fh:complete/>"), {"ext-misplaced-element"}),
    (
        "content-encoded-in-channel",
        rss("<content:encoded>x</content:encoded>"),
        {"ext-misplaced-element"},
    ),
    ("text-in-channel", rss("stray words"), {"rss-unexpected-text"}),
    ("text-in-item", rss("", "stray"), {"rss-unexpected-text"}),
    ("text-in-skipdays", rss("<skipDays>x<day>Monday</day></skipDays>"), {"rss-unexpected-text"}),
    ("text-in-skiphours", rss("<skipHours><hour>1</hour>x</skipHours>"), {"rss-unexpected-text"}),
    (
        "text-in-textinput",
        rss(
            "<textInput>x<title>t</title><description>d</description><name>q</name><link>https://a.example/s</link></textInput>"
        ),
        {"rss-unexpected-text"},
    ),
    (
        "text-in-enclosure",
        rss(
            "",
            '<enclosure url="https://a.example/a.mp3" length="1" type="audio/mpeg">x</enclosure>',
        ),
        {"rss-unexpected-text"},
    ),
    (
        "text-in-person",
        atom("<contributor>loose<name>C</name></contributor>"),
        {"atom-unexpected-text"},
    ),
    (
        "text-in-source",
        atom(entry="<source>loose<id>tag:a.example,2024:s</id></source>"),
        {"atom-unexpected-text"},
    ),
    ("text-in-entry", atom(entry="loose"), {"atom-unexpected-text"}),
    (
        "text-in-category",
        atom(entry='<category term="t">words</category>'),
        {"atom-unexpected-text"},
    ),
    (
        "text-in-link",
        atom(entry='<link rel="related" href="https://a.example/r">words</link>'),
        {"atom-link-not-empty"},
    ),
    # --- Atom content models -----------------------------------------------------------------
    (
        "content-multipart",
        atom(content='<content type="multipart/alternative">x</content><summary>s</summary>'),
        {"atom-content-composite"},
    ),
    (
        "content-message",
        atom(content='<content type="message/rfc822">x</content><summary>s</summary>'),
        {"atom-content-composite"},
    ),
    (
        "content-not-base64",
        atom(content='<content type="image/png">this is not base64!</content><summary>s</summary>'),
        {"atom-content-base64"},
    ),
    (
        "content-xml-mixed",
        atom(content='<content type="application/xml"><a xmlns="urn:x"/>tail text</content>'),
        {"atom-content-mixed"},
    ),
    (
        "content-xhtml-no-ns",
        atom(
            content='<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p xmlns="">x</p></div></content>'
        ),
        {"atom-xhtml-namespace"},
    ),
    (
        "content-xhtml-atom-ns",
        atom(
            content='<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><a:title>x</a:title></div></content>'
        ),
        {"atom-xhtml-namespace"},
    ),
    (
        "title-xhtml-no-ns",
        atom().replace(
            b"<title>E</title>",
            b'<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><b xmlns="">E</b></div></title>',
        ),
        {"atom-xhtml-namespace"},
    ),
    (
        "text-type-mime",
        atom().replace(b"<title>E</title>", b'<title type="text/plain">E</title>'),
        {"atom-text-type"},
    ),
    # --- IRIs ----------------------------------------------------------------------------------
    (
        "category-scheme-relative",
        atom(entry='<category term="t" scheme="/tags/"/>'),
        {"atom-iri-invalid"},
    ),
    (
        "cc-license",
        rss("<creativeCommons:license>not a uri</creativeCommons:license>"),
        {"ext-uri-invalid"},
    ),
    ("cc-rdf-license", rss('<cc:license rdf:resource="/license"/>'), {"ext-uri-invalid"}),
    (
        "trackback-about",
        rss("", "<trackback:about>/relative</trackback:about>"),
        {"ext-uri-invalid"},
    ),
    ("trackback-ping", atom(entry="<trackback:ping>ping me</trackback:ping>"), {"ext-uri-invalid"}),
    ("wfw-comment", rss("", "<wfw:comment>/comment?p=1</wfw:comment>"), {"ext-uri-invalid"}),
    (
        "wfw-comment-rss",
        rss("", "<wfw:commentRss>https://a.example/ü</wfw:commentRss>"),
        {"ext-uri-invalid"},
    ),
    (
        "rss-link-non-ascii",
        rss().replace(
            b"<link>https://a.example/</link>", "<link>https://a.example/café</link>".encode()
        ),
        {"rss-url-invalid"},
    ),
    (
        "rss-enclosure-non-ascii",
        rss("", '<enclosure url="https://a.example/é.mp3" length="1" type="audio/mpeg"/>'),
        {"rss-url-invalid"},
    ),
    (
        "rss-permalink-non-ascii",
        rss().replace(
            b"<guid>https://a.example/1</guid>", "<guid>https://a.example/ü</guid>".encode()
        ),
        {"rss-guid-not-url"},
    ),
    (
        "uuid",
        atom().replace(b"<id>tag:a.example,2024:1</id>", b"<id>urn:uuid:not-a-uuid</id>"),
        {"urn-uuid-invalid"},
    ),
    # --- RSS 2.0 details -----------------------------------------------------------------------
    ("author-name-only", rss("", "<author>Jo Smith</author>"), {"rss-contact-not-email"}),
    (
        "editor-name-only",
        rss("<managingEditor>The editors</managingEditor>"),
        {"rss-contact-not-email"},
    ),
    ("webmaster-format", rss("<webMaster>web@a.example</webMaster>"), {"rss-contact-format"}),
    (
        "author-angle-form",
        rss("", "<author>Jo Smith &lt;jo@a.example&gt;</author>"),
        {"rss-contact-format"},
    ),
    (
        "cloud-port-zero",
        rss(
            '<cloud domain="a.example" port="0" path="/RPC2" registerProcedure="p" protocol="soap"/>'
        ),
        {"rss-cloud"},
    ),
    (
        "image-width-zero",
        rss(
            "<image><url>https://a.example/l.png</url><title>T</title><link>https://a.example/</link><width>0</width></image>"
        ),
        {"rss-image-size"},
    ),
    (
        "image-height-over",
        rss(
            "<image><url>https://a.example/l.png</url><title>T</title><link>https://a.example/</link><height>401</height></image>"
        ),
        {"rss-image-size"},
    ),
    ("skipdays-empty", rss("<skipDays></skipDays>"), {"rss-missing-element"}),
    ("skiphours-empty", rss("<skipHours/>"), {"rss-missing-element"}),
    ("skiphours-25", rss("<skipHours><hour>24</hour></skipHours>"), {"rss-skip-hours"}),
    (
        "textinput-name",
        rss(
            "<textInput><title>t</title><description>d</description><name>my field</name><link>https://a.example/s</link></textInput>"
        ),
        {"rss-textinput-name"},
    ),
    (
        "ispermalink-case",
        rss().replace(b"<guid>", b'<guid ispermalink="false">'),
        {"rss-unknown-attribute"},
    ),
    (
        "unknown-rss-attribute",
        rss().replace(b"<title>I</title>", b'<title lang="en">I</title>'),
        {"rss-unknown-attribute"},
    ),
    (
        "html-in-description",
        rss("", "<description><p>Hello</p></description>"),
        {"rss-markup-in-text"},
    ),
    ("element-in-category", rss("", "<category><b>News</b></category>"), {"rss-markup-in-text"}),
    (
        "element-in-title",
        rss().replace(b"<title>T</title>", b"<title>T<br/></title>"),
        {"rss-markup-in-text"},
    ),
    # --- Atom attributes and blank values ------------------------------------------------------
    (
        "generator-url",
        atom('<generator url="https://a.example/g">G</generator>'),
        {"atom-unknown-attribute"},
    ),
    (
        "link-unknown-attribute",
        atom(entry='<link rel="related" href="https://a.example/r" target="_blank"/>'),
        {"atom-unknown-attribute"},
    ),
    (
        "title-type-blank",
        atom().replace(b"<title>E</title>", b'<title type="">E</title>'),
        {"atom-attribute-blank"},
    ),
    (
        "link-rel-blank",
        atom(entry='<link rel="" href="https://a.example/x"/>'),
        {"atom-attribute-blank", "atom-link-alternate-duplicate"},
    ),
    # --- Dublin Core ---------------------------------------------------------------------------
    ("dc-date", rss("", "<dc:date>Tue, 05 Mar 2024 14:30:00 GMT</dc:date>"), {"dc-date-format"}),
    ("dc-date-impossible", rss("<dc:date>2024-02-30</dc:date>"), {"dc-date-format"}),
    (
        "dcterms-modified",
        atom("<dcterms:modified>2024-03-05 14:30</dcterms:modified>"),
        {"dc-date-format"},
    ),
    ("dc-language-blank", rss("<dc:language> </dc:language>"), {"dc-language"}),
    ("dc-language-bad", rss("<dc:language>english</dc:language>"), {"dc-language"}),
    ("dc-author", rss("", "<dc:author>Jo</dc:author>"), {"ext-unknown-element"}),
    (
        "dc-title-twice",
        rss("<dc:title>a</dc:title><dc:title>b</dc:title>"),
        {"ext-duplicate-element"},
    ),
    (
        "dc-date-twice-in-channel",
        rss("<dc:date>2024-01-01</dc:date><dc:date>2024-01-02</dc:date>"),
        {"ext-duplicate-element"},
    ),
    ("dcterms-extent", rss("", "<dcterms:extent>big</dcterms:extent>"), {"ext-number"}),
    # --- other extensions ----------------------------------------------------------------------
    ("slash-hit-parade", rss("", "<slash:hit_parade>12, nine</slash:hit_parade>"), {"ext-number"}),
    ("slash-comments", rss("", "<slash:comments>many</slash:comments>"), {"ext-number"}),
    ("slash-unknown", rss("", "<slash:likes>3</slash:likes>"), {"ext-unknown-element"}),
    ("sy-period", rss("<sy:updatePeriod>fortnightly</sy:updatePeriod>"), {"ext-value"}),
    ("sy-frequency", rss("<sy:updateFrequency>0</sy:updateFrequency>"), {"ext-number"}),
    ("sy-base", rss("<sy:updateBase>2024/01/01</sy:updateBase>"), {"ext-value"}),
    (
        "opensearch-unknown",
        rss("<opensearch:totalresults>3</opensearch:totalresults>"),
        {"ext-unknown-element"},
    ),
    (
        "opensearch-in-item",
        rss("", "<opensearch:totalResults>3</opensearch:totalResults>"),
        {"ext-misplaced-element"},
    ),
    (
        "opensearch-number",
        atom("<opensearch:itemsPerPage>ten</opensearch:itemsPerPage>"),
        {"ext-number"},
    ),
    ("thr-total", atom(entry="<thr:total>-1</thr:total>"), {"ext-number"}),
    (
        "wfw-twice",
        rss(
            "",
            "<wfw:commentRss>https://a.example/c</wfw:commentRss><wfw:commentRss>https://a.example/d</wfw:commentRss>",
        ),
        {"ext-duplicate-element"},
    ),
    # --- positions -----------------------------------------------------------------------------
    ("geo-lat-range", rss("", "<geo:lat>91</geo:lat>"), {"geo-coordinate"}),
    ("geo-long-text", rss("", "<geo:long>east</geo:long>"), {"geo-coordinate"}),
    (
        "geo-point-missing-long",
        rss("", "<geo:Point><geo:lat>1</geo:lat></geo:Point>"),
        {"geo-coordinate"},
    ),
    ("icbm-longitude", rss("<icbm:longitude>-181</icbm:longitude>"), {"geo-coordinate"}),
    ("geourl-latitude", rss("<geourl:latitude>lat</geourl:latitude>"), {"geo-coordinate"}),
    ("georss-point-range", atom(entry="<georss:point>100 20</georss:point>"), {"geo-coordinate"}),
    ("georss-point-one", rss("", "<georss:point>45.2</georss:point>"), {"geo-coordinate"}),
    ("georss-line-odd", rss("", "<georss:line>45 1 46</georss:line>"), {"geo-coordinate"}),
    ("georss-box-three", rss("", "<georss:box>1 2 3 4 5 6</georss:box>"), {"geo-coordinate"}),
    (
        "georss-comma",
        rss("", "<georss:point>45.256,-71.92</georss:point>"),
        {"geo-coordinate-comma"},
    ),
    ("georss-unknown", rss("", "<georss:centre>1 2</georss:centre>"), {"ext-unknown-element"}),
    ("georss-elev", rss("", "<georss:elev>high</georss:elev>"), {"ext-number"}),
    # --- Media RSS 1.5.1 -----------------------------------------------------------------------
    (
        "media-title-twice",
        rss("", "<media:title>a</media:title><media:title>b</media:title>"),
        {"media-duplicate-element"},
    ),
    (
        "media-description-twice-in-content",
        rss(
            "",
            '<media:content url="https://a.example/p.jpg"><media:description>a</media:description><media:description>b</media:description></media:content>',
        ),
        {"media-duplicate-element"},
    ),
    (
        "media-copyright-twice",
        rss("<media:copyright>a</media:copyright><media:copyright>b</media:copyright>"),
        {"media-duplicate-element"},
    ),
    (
        "media-group-single",
        rss("", '<media:group><media:content url="https://a.example/p.jpg"/></media:group>'),
        {"media-group-single"},
    ),
    (
        "media-credit-role-case",
        rss("", '<media:credit role="Photographer">P</media:credit>'),
        {"media-credit-role"},
    ),
    (
        "media-credit-role-ebu",
        rss("", '<media:credit role="snapper">P</media:credit>'),
        {"media-credit-role"},
    ),
    (
        "media-hash-algo",
        rss("", '<media:hash algo="sha-256">dfdec888b72151965a34b4b59031290a</media:hash>'),
        {"media-hash"},
    ),
    (
        "media-hash-length",
        rss("", '<media:hash algo="sha-1">dfdec888b72151965a34b4b59031290a</media:hash>'),
        {"media-hash"},
    ),
    (
        "media-hash-encoding",
        rss("", "<media:hash>3%-x2bM4c5d6e7f8a9b0c1d2e3f4a5b6c7d</media:hash>"),
        {"media-hash"},
    ),
    (
        "media-filesize-zero",
        rss("", '<media:content url="https://a.example/p.jpg" fileSize="0"/>'),
        {"media-number"},
    ),
    (
        "media-width-fraction",
        rss("", '<media:content url="https://a.example/p.jpg" width="12.5"/>'),
        {"media-number"},
    ),
    (
        "media-player-height",
        rss("", '<media:player url="https://a.example/p" height="-1"/>'),
        {"media-number"},
    ),
    (
        "media-thumbnail-width",
        rss("", '<media:thumbnail url="https://a.example/t.jpg" width="wide"/>'),
        {"media-number"},
    ),
    (
        "media-lang",
        rss("", '<media:content url="https://a.example/p.jpg" lang="english"/>'),
        {"media-lang"},
    ),
    (
        "media-type",
        rss("", '<media:content url="https://a.example/p.jpg" type="jpeg"/>'),
        {"media-mime-type"},
    ),
    ("media-rating-simple", rss("", "<media:rating>kids</media:rating>"), {"media-rating"}),
    (
        "media-rating-mpaa",
        rss("", '<media:rating scheme="urn:mpaa">PG</media:rating>'),
        {"media-rating"},
    ),
    (
        "media-rating-vchip",
        rss("", '<media:rating scheme="urn:v-chip">tv-z</media:rating>'),
        {"media-rating"},
    ),
    (
        "media-rating-icra",
        rss("", '<media:rating scheme="urn:icra">r (zz 1)</media:rating>'),
        {"media-rating"},
    ),
    (
        "media-rating-scheme",
        rss("", '<media:rating scheme="my scheme">x</media:rating>'),
        {"media-url-invalid"},
    ),
    (
        "media-restriction-no-relationship",
        rss("", '<media:restriction type="country">us</media:restriction>'),
        {"media-restriction"},
    ),
    (
        "media-restriction-relationship",
        rss("", '<media:restriction relationship="block" type="country">us</media:restriction>'),
        {"media-restriction"},
    ),
    (
        "media-restriction-type",
        rss("", '<media:restriction relationship="allow" type="region">eu</media:restriction>'),
        {"media-restriction"},
    ),
    (
        "media-restriction-country",
        rss("", '<media:restriction relationship="allow" type="country">us xx</media:restriction>'),
        {"media-restriction"},
    ),
    (
        "media-restriction-uri",
        rss(
            "",
            '<media:restriction relationship="deny" type="uri">mirror.example</media:restriction>',
        ),
        {"media-restriction"},
    ),
    (
        "media-restriction-untyped",
        rss("", '<media:restriction relationship="allow">us</media:restriction>'),
        {"media-restriction"},
    ),
    ("media-text-type", rss("", '<media:text type="rich">x</media:text>'), {"media-text-type"}),
    (
        "media-text-start",
        rss("", '<media:text start="1 minute">x</media:text>'),
        {"media-npt-time"},
    ),
    ("media-text-end", rss("", '<media:text end="00:00:61">x</media:text>'), {"media-npt-time"}),
    (
        "media-thumbnail-time",
        rss("", '<media:thumbnail url="https://a.example/t.jpg" time="noon"/>'),
        {"media-npt-time"},
    ),
    (
        "media-category-scheme",
        rss("", '<media:category scheme="genres">x</media:category>'),
        {"media-url-invalid"},
    ),
    (
        "media-copyright-url",
        rss("", '<media:copyright url="/copyright">c</media:copyright>'),
        {"media-url-invalid"},
    ),
    (
        "media-content-in-channel",
        rss('<media:content url="https://a.example/p.jpg"/>'),
        {"media-misplaced"},
    ),
    (
        "media-group-in-channel",
        rss(
            '<media:group><media:content url="https://a.example/p.jpg"/><media:content url="https://a.example/q.jpg"/></media:group>'
        ),
        {"media-misplaced"},
    ),
    (
        "media-content-in-content",
        rss(
            "",
            '<media:content url="https://a.example/p.jpg"><media:content url="https://a.example/q.jpg"/></media:content>',
        ),
        {"media-misplaced"},
    ),
    (
        "media-param-outside-embed",
        rss("", '<media:param name="x">y</media:param>'),
        {"media-misplaced"},
    ),
    (
        "media-unknown-attribute",
        rss("", '<media:content url="https://a.example/p.jpg" filesize="12"/>'),
        {"media-unknown-attribute"},
    ),
    (
        "media-text-in-content",
        rss("", '<media:content url="https://a.example/p.jpg">caption</media:content>'),
        {"media-unexpected-text"},
    ),
    # --- iTunes podcasts -----------------------------------------------------------------------
    (
        "itunes-explicit",
        podcast().replace(b"<itunes:explicit>false", b"<itunes:explicit>maybe"),
        {"itunes-value"},
    ),
    (
        "itunes-explicit-spaces",
        podcast().replace(b"<itunes:explicit>false", b"<itunes:explicit> false "),
        {"itunes-value"},
    ),
    (
        "itunes-explicit-legacy",
        podcast().replace(b"<itunes:explicit>false", b"<itunes:explicit>clean"),
        {"itunes-value"},
    ),
    ("itunes-duration", podcast("", "<itunes:duration>1h 2m</itunes:duration>"), {"itunes-value"}),
    (
        "itunes-duration-minutes",
        podcast("", "<itunes:duration>1:62</itunes:duration>"),
        {"itunes-value"},
    ),
    ("itunes-episode", podcast("", "<itunes:episode>0</itunes:episode>"), {"itunes-value"}),
    (
        "itunes-episode-type",
        podcast("", "<itunes:episodeType>Full</itunes:episodeType>"),
        {"itunes-value"},
    ),
    ("itunes-type", podcast("<itunes:type>weekly</itunes:type>"), {"itunes-value"}),
    ("itunes-block", podcast("<itunes:block>maybe</itunes:block>"), {"itunes-value"}),
    (
        "itunes-category",
        podcast().replace(b'text="Technology"', b'text="Tech"'),
        {"itunes-category"},
    ),
    (
        "itunes-subcategory",
        podcast().replace(
            b'<itunes:category text="Technology"/>',
            b'<itunes:category text="Arts"><itunes:category text="Daily News"/></itunes:category>',
        ),
        {"itunes-category"},
    ),
    (
        "itunes-category-no-text",
        podcast().replace(
            b'<itunes:category text="Technology"/>',
            b"<itunes:category>Technology</itunes:category>",
        ),
        {"itunes-category"},
    ),
    (
        "itunes-category-obsolete",
        podcast()
        .replace(b'text="Technology"', b'text="Podcasting"')
        .replace(b"<itunes:category ", b'<itunes:category text="Technology"><itunes:category ', 1)
        .replace(b'"Podcasting"/>', b'"Podcasting"/></itunes:category>'),
        {"itunes-category-obsolete"},
    ),
    ("itunes-image-href", podcast('<itunes:image href="cover.jpg"/>'), {"itunes-url"}),
    (
        "itunes-image-missing-href",
        podcast("<itunes:image>https://a.example/c.jpg</itunes:image>"),
        {"itunes-url"},
    ),
    (
        "itunes-new-feed-url",
        podcast("<itunes:new-feed-url>/feed</itunes:new-feed-url>"),
        {"itunes-url"},
    ),
    (
        "itunes-owner-no-email",
        podcast().replace(b"<itunes:email>o@a.example</itunes:email>", b""),
        {"itunes-owner-email"},
    ),
    (
        "itunes-owner-bad-email",
        podcast().replace(b"o@a.example</itunes:email>", b"owner at example</itunes:email>"),
        {"itunes-owner-email"},
    ),
    (
        "itunes-summary-long",
        podcast("<itunes:summary>" + "x" * 4001 + "</itunes:summary>"),
        {"itunes-too-long"},
    ),
    (
        "itunes-author-long",
        podcast("<itunes:author>" + "x" * 256 + "</itunes:author>"),
        {"itunes-too-long"},
    ),
    (
        "itunes-keywords",
        podcast("<itunes:keywords>harbour ferries tides</itunes:keywords>"),
        {"itunes-keywords"},
    ),
    ("itunes-missing", rss("<itunes:author>A</itunes:author>"), {"itunes-missing-element"}),
    (
        "itunes-unknown",
        podcast("", "<itunes:length>12</itunes:length>"),
        {"itunes-unknown-element"},
    ),
    (
        "itunes-duration-in-channel",
        podcast("<itunes:duration>12</itunes:duration>"),
        {"itunes-misplaced-element"},
    ),
    (
        "itunes-owner-in-item",
        podcast("", "<itunes:owner><itunes:email>o@a.example</itunes:email></itunes:owner>"),
        {"itunes-misplaced-element"},
    ),
    (
        "itunes-attribute",
        podcast('<itunes:image url="https://a.example/c.jpg" href="https://a.example/c.jpg"/>'),
        {"itunes-unknown-attribute"},
    ),
    ("itunes-enclosure-format", podcast().replace(b"1.mp3", b"1.ogg"), {"itunes-enclosure-format"}),
    (
        "itunes-dtds-spelling-checked",
        podcast()
        .replace(
            b"http://www.itunes.com/dtds/podcast-1.0.dtd",
            b"http://www.itunes.com/DTDs/PodCast-1.0.dtd",
        )
        .replace(b"<itunes:explicit>false", b"<itunes:explicit>maybe"),
        {"itunes-value"},
    ),
    # --- RSS 1.0 -------------------------------------------------------------------------------
    (
        "rss1-no-channel",
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"/>',
        {"rss-missing-channel"},
    ),
    (
        "rss1-channel-about",
        rss1().replace(b' rdf:about="https://a.example/rdf"', b""),
        {"rss-missing-attribute"},
    ),
    (
        "rss1-item-about",
        rss1().replace(b'<item rdf:about="https://a.example/1">', b"<item>"),
        {"rss-missing-attribute"},
    ),
    (
        "rss1-about-duplicate",
        rss1(
            top='<item rdf:about="https://a.example/1"><title>J</title><link>https://a.example/j</link></item>'
        ),
        {"rss1-about-duplicate"},
    ),
    (
        "rss1-missing-items",
        rss1().replace(
            b'<items><rdf:Seq><rdf:li rdf:resource="https://a.example/1"/></rdf:Seq></items>', b""
        ),
        {"rss-missing-element"},
    ),
    (
        "rss1-items-no-seq",
        rss1().replace(b'<rdf:Seq><rdf:li rdf:resource="https://a.example/1"/></rdf:Seq>', b""),
        {"rss-missing-element"},
    ),
    (
        "rss1-li-resource",
        rss1().replace(b'<rdf:li rdf:resource="https://a.example/1"/>', b"<rdf:li/>"),
        {"rss-missing-attribute"},
    ),
    (
        "rss1-item-no-link",
        rss1().replace(b"<link>https://a.example/1</link>", b""),
        {"rss-missing-element"},
    ),
    (
        "rss1-link-relative",
        rss1().replace(b"<link>https://a.example/1</link>", b"<link>/1</link>"),
        {"rss-url-invalid"},
    ),
    ("rss1-rss2-element", rss1("<language>en</language>"), {"rss-unknown-element"}),
    (
        "rss1-no-namespace",
        rss1("", '<pubDate xmlns="">Tue, 05 Mar 2024 14:30:00 GMT</pubDate>'),
        {"rss1-namespace"},
    ),
    (
        "rss1-two-channels",
        rss1(
            top='<channel rdf:about="https://a.example/other"><title>T</title><link>https://a.example/</link><description>D</description></channel>'
        ),
        {"rss-duplicate-element"},
    ),
    ("rss1-image-needs-resource", rss1("<image/>"), {"rss-missing-attribute"}),
    (
        "rss1-image-title",
        rss1(
            top='<image rdf:about="https://a.example/l.png"><url>https://a.example/l.png</url><link>https://a.example/</link></image>'
        ),
        {"rss-missing-element"},
    ),
    (
        "rss1-textinput-name",
        rss1(
            top='<textinput rdf:about="https://a.example/s"><title>S</title><description>d</description><name>q</name></textinput>'
        ),
        {"rss-missing-element"},
    ),
    (
        "rss1-markup-in-title",
        rss1().replace(b"<title>I</title>", b"<title>I<b>!</b></title>"),
        {"rss-markup-in-text"},
    ),
    ("rss1-text-in-item", rss1("", "loose"), {"rss-unexpected-text"}),
    ("rss1-dc-date", rss1("", "<dc:date>5 March 2024</dc:date>"), {"dc-date-format"}),
    ("rss1-duplicate-title", rss1("<title>again</title>"), {"rss-duplicate-element"}),
    # RFC 5005 feed history
    ("fh-valid-archive", rss(_FH_CURRENT + _FH_PREV + "<fh:archive/>"), set()),
    ("fh-valid-atom-archive", atom(_FH_A_CURRENT + "<fh:archive/>"), set()),
    ("fh-not-empty", rss(_FH_CURRENT + "<fh:archive>yes</fh:archive>"), {"fh-not-empty"}),
    (
        "fh-archive-and-complete",
        rss(_FH_CURRENT + "<fh:archive/><fh:complete/>"),
        {"fh-archive-and-complete"},
    ),
    ("fh-complete-with-links", rss(_FH_PREV + "<fh:complete/>"), {"fh-complete-with-links"}),
    (
        "fh-link-not-absolute",
        atom('<link rel="current" href="atom"/><fh:archive/>'),
        {"fh-link-not-absolute"},
    ),
    ("fh-link-empty", rss('<atom:link rel="current" href=""/><fh:archive/>'), {"fh-link-empty"}),
    ("fh-archive-without-current", rss("<fh:archive/>"), {"fh-archive-without-current"}),
    ("fh-links-without-archive", rss(_FH_CURRENT), {"fh-links-without-archive"}),
    ("fh-link-in-item", atom("", _FH_A_PREV), {"fh-link-in-item"}),
    (
        "fh-link-duplicate",
        rss(_FH_CURRENT + _FH_CURRENT + "<fh:archive/>"),
        {"fh-link-duplicate"},
    ),
]


@pytest.mark.parametrize(("name", "doc", "expected"), CASES, ids=[c[0] for c in CASES])
def test_one_defect_reports_exactly_its_codes(name, doc, expected):
    report = validate_feed(doc)
    assert {issue.code for issue in report.issues} == expected, [
        (i.code, i.message) for i in report.issues
    ]
    for issue in report.issues:
        assert issue.severity is CODES[issue.code][0]
        assert len(issue.message) > 20


def test_case_names_are_unique():
    names = [name for name, _, _ in CASES]
    assert len(names) == len(set(names))


def test_every_code_in_the_registry_is_exercised_or_known_unreachable():
    corpus = json.loads((DATA / "invalid" / "expected.json").read_text())
    exercised = {code for expected in corpus.values() for code in expected}
    exercised |= {code for _, _, expected in CASES for code in expected}
    # Reached only through limits or the unit tests of test_validate.py.
    elsewhere = {
        "input-too-large",
        "xml-too-deep",
        "validator-internal-error",
        "feed-format-unsupported",
        "rss-version",
        "atom-content-src-missing-type",
        "rss-date-problematic",
        "xml-encoding-no-bom",
    }
    assert set(CODES) - exercised <= elsewhere
    assert not elsewhere & exercised, "a code listed as reached elsewhere is exercised here"


def test_once_per_scope_counts_each_parent_apart_however_many():
    # 300 media:content each with its own media:description: no repeat anywhere (a counter
    # keyed on the id() of short-lived element proxies once saw repeats here).
    items = "".join(
        f'<item><title>{n}</title><guid>https://a.example/m{n}</guid><media:content url="https://a.example/{n}.jpg"><media:description>d</media:description></media:content><dc:title>t</dc:title></item>'
        for n in range(300)
    )
    assert validate_feed(rss(items=items)).issues == ()
