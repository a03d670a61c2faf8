"""Generate a seeded benchmark corpus: a feeds project and the same articles as a Hugo site.

    python benchmarks/make_corpus.py OUT_DIR --articles N [--seed S]

writes

- ``OUT_DIR/feeds/``: ``config.toml`` (one feed ``main``, limit 50, RSS + Atom) and ``articles/``
  in sections, mixing Markdown + YAML (~60 %), Markdown + TOML (~15 %), page bundles (~15 %) and
  wire ``.txt`` (~10 %); a third of the articles have a lead JPEG;
- ``OUT_DIR/hugo/``: the same articles as ``content/posts/<slug>/index.md`` with the image as a
  page resource, and a feed-only Hugo configuration (RSS + Atom of the newest 50, full HTML,
  lead image as enclosure);
- ``OUT_DIR/pool/``: the distinct JPEGs every article image is copied from;
- ``OUT_DIR/manifest.json``: the newest articles (for the benchmark's edit / image scenarios).

The same ``--articles`` and ``--seed`` always give the same bytes: the randomness is seeded and
every date is relative to ``BASE_DATE``, never the clock.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

# Every article date lies in the five years before this moment; run.py builds "as of" NOW.
BASE_DATE = datetime(2026, 1, 1, tzinfo=UTC)
NOW = BASE_DATE
SPAN = timedelta(days=5 * 365)
GENERATOR_VERSION = 2  # 2: Hugo 0.145+ cascade keys (`build`, `target`; `_build` is an error)
MANIFEST_NEWEST = 200  # how many of the newest articles the manifest lists
POOL_SIZE = 20
SECTIONS = ("news", "sport", "culture", "business", "opinion", "science")
FEED_LIMIT = 50
SITE_URL = "https://bench.example.org/"
# Hugo templates: the newest feed_limit pages with full HTML and the lead image as enclosure
HUGO_LAYOUTS = Path(__file__).resolve().parent / "hugo_layouts"


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words("""
harbour ferry council quay island storm breakwater market boat crew captain sailing
regatta lighthouse museum school choir weather wind tide morning evening summer winter
spring autumn town street bridge road station pier pontoon marina fishing catch herring
mackerel cod lobster crab net rope engine fuel berth slipway lifeboat coastguard rescue
volunteer resident visitor family children teacher mayor budget plan vote meeting hall
office report project repair wall concrete stone timber paint roof window door garden
park path beach dune cliff headland bay channel current wave spray cloud rain sun light
night week month year season festival concert song music stage prize trophy race team
club member player coach match goal season league final record crowd ticket price fare
timetable service crossing passenger driver lorry van bus train cyclist walker swimmer
doctor nurse clinic hospital pharmacy shop cafe restaurant kitchen bakery bread coffee
fish soup dinner lunch breakfast market stall awning table chair bench shelter sign
""")
VERBS = _words("""
said announced reported agreed decided planned opened closed started finished repaired
painted crossed sailed arrived returned waited watched helped asked answered promised
explained described welcomed visited praised reviewed approved rejected delayed moved
""")
ADJECTIVES = _words("""
new old small large busy quiet early late fresh cold warm calm rough bright dark long
short local regional national annual weekly daily open public private young elderly
""")
NAMES = (
    "Tomas Berg",
    "Lea Sundin",
    "Jonas Aalto",
    "Mara Lind",
    "Sofia Rask",
    "Ines Kroll",
    "Elias Falk",
    "Noora Falk",
    "Hanna Ek",
    "Kasper Nyberg",
    "Birgit Sand",
    "Ville Koski",
    "Pia Strand",
    "Maja Lindqvist",
    "Gustav Berglund",
    "Sanna Pohl",
)
CATEGORIES = ("Transport", "Harbour", "Weather", "Business", "Heritage", "Sport", "Music", "Food")
TAGS = ("ferry", "storm", "regatta", "market", "lighthouse", "school", "council", "fishing")

# The kinds of article and their shares of the corpus.
KINDS = (("yaml", 0.60), ("toml", 0.15), ("bundle", 0.15), ("wire", 0.10))
IMAGE_SHARE = 1 / 3


@dataclass(frozen=True)
class Entry:
    """One generated article as run.py needs to find it again."""

    slug: str
    date: str  # ISO 8601 with offset
    kind: str  # yaml | toml | bundle | wire
    feeds: str  # the article file, relative to OUT_DIR/feeds
    hugo: str  # the index.md, relative to OUT_DIR/hugo
    feeds_image: str | None  # relative to OUT_DIR/feeds
    hugo_image: str | None  # relative to OUT_DIR/hugo
    pool: int | None  # which pool JPEG the image was copied from


# --- text ------------------------------------------------------------------------------------


class TextMaker:
    """Plausible-looking prose from a small word list, drawn from a seeded sentence pool."""

    def __init__(self, rng: random.Random, pool_size: int = 4000) -> None:
        self.rng = rng
        self.sentences = [self._sentence() for _ in range(pool_size)]
        # mean words per sentence, to hit a word count with whole sentences
        self.mean_words = sum(s.count(" ") + 1 for s in self.sentences) / pool_size

    def _sentence(self) -> str:
        rng = self.rng
        subject = f"The {rng.choice(ADJECTIVES)} {rng.choice(WORDS)}"
        rest = rng.choices(WORDS + ADJECTIVES, k=rng.randint(6, 16))
        if rng.random() < 0.2:
            rest[rng.randrange(len(rest))] += ","
        return f"{subject} {rng.choice(VERBS)} {' '.join(rest)}."

    def words(self, low: int, high: int) -> str:
        rng = self.rng
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))

    def title(self) -> str:
        text = f"{self.words(1, 2)} {rng_choice(self.rng, VERBS)} {self.words(2, 5)}"
        return text[0].upper() + text[1:]

    def paragraphs(self, words: int) -> list[str]:
        """Paragraphs of 2–6 sentences adding up to about ``words`` words."""
        rng = self.rng
        count = max(4, round(words / self.mean_words))
        chosen = rng.choices(self.sentences, k=count)
        out: list[str] = []
        i = 0
        while i < count:
            n = rng.randint(2, 6)
            out.append(" ".join(chosen[i : i + n]))
            i += n
        return out

    def markdown_body(self, words: int) -> str:
        """Several paragraphs, a ``##`` heading, a bullet list, some emphasis and a link."""
        rng = self.rng
        paras = self.paragraphs(words)
        if len(paras) > 2:
            first = paras[1].split(" ", 3)
            if len(first) == 4:
                paras[1] = f"{first[0]} {first[1]} **{first[2]}** {first[3]}"
        cut = max(2, len(paras) // 2)
        heading = f"## {self.words(2, 4).capitalize()}"
        items = "\n".join(f"- {self.words(3, 8)};" for _ in range(rng.randint(3, 5)))
        link = f"More is on the [{self.words(1, 2)} page](/{rng.choice(SECTIONS)}/about/)."
        blocks = [*paras[:cut], heading, items, *paras[cut:], link]
        return "\n\n".join(blocks) + "\n"


def rng_choice(rng: random.Random, seq: tuple[str, ...] | list[str]) -> str:
    return seq[rng.randrange(len(seq))]


# --- images ----------------------------------------------------------------------------------


def make_pool(rng: random.Random, count: int = POOL_SIZE) -> list[bytes]:
    """``count`` distinct small JPEGs (gradient, shapes), made once with Pillow."""
    pool: list[bytes] = []
    for n in range(count):
        width, height = rng.choice(((480, 320), (400, 300), (320, 240), (512, 288)))
        top = tuple(rng.randrange(256) for _ in range(3))
        bottom = tuple(rng.randrange(256) for _ in range(3))
        img = Image.new("RGB", (width, height))
        draw = ImageDraw.Draw(img)
        for y in range(height):
            t = y / (height - 1)
            colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
            draw.line([(0, y), (width, y)], fill=colour)
        for _ in range(6):
            x0, y0 = rng.randrange(width), rng.randrange(height)
            box = [x0, y0, x0 + rng.randrange(20, 160), y0 + rng.randrange(20, 120)]
            fill = tuple(rng.randrange(256) for _ in range(3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
        draw.text((8, 8), f"bench image {n}", fill=(255, 255, 255))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
        pool.append(buf.getvalue())
    return pool


# --- article files ---------------------------------------------------------------------------


def _q(text: str) -> str:
    """A double-quoted string valid in both YAML and TOML (our text has no quotes/backslashes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Article:
    slug: str
    date: datetime
    kind: str
    section: str
    title: str
    author: str
    categories: list[str]
    tags: list[str]
    body: str  # Markdown (or plain paragraphs for wire)
    pool: int | None  # image pool index
    alt: str
    caption: str
    credit: str


def yaml_front_matter(a: Article, image: str | None) -> str:
    lines = [
        "---",
        f"title: {_q(a.title)}",
        f"date: {a.date.isoformat()}",
        f"author: {_q(a.author)}",
        f"categories: [{', '.join(a.categories)}]",
        f"tags: [{', '.join(a.tags)}]",
    ]
    if image is not None:
        lines += [
            f"image: {image}",
            f"image_alt: {_q(a.alt)}",
            f"image_caption: {_q(a.caption)}",
            f"image_credit: {_q(a.credit)}",
        ]
    lines.append("---")
    return "\n".join(lines) + "\n"


def toml_front_matter(a: Article, image: str | None) -> str:
    lines = [
        "+++",
        f"title = {_q(a.title)}",
        f"date = {a.date.isoformat()}",
        f"author = {_q(a.author)}",
        f"categories = [{', '.join(_q(c) for c in a.categories)}]",
        f"tags = [{', '.join(_q(t) for t in a.tags)}]",
    ]
    if image is not None:
        lines += [
            f"image = {_q(image)}",
            f"image_alt = {_q(a.alt)}",
            f"image_caption = {_q(a.caption)}",
            f"image_credit = {_q(a.credit)}",
        ]
    lines.append("+++")
    return "\n".join(lines) + "\n"


def wire_text(a: Article) -> str:
    parts = [a.title, ""]
    if a.pool is not None:
        parts += [a.alt, f"{a.caption} ({a.credit})", ""]
    parts.append(a.body.rstrip("\n"))
    handle = a.author.split()[0].lower()
    email = a.author.lower().replace(" ", ".") + "@bench.example.org"
    parts += [
        "",
        f"-- {a.author} can be reached at {email}. Follow them on Twitter @{handle}.",
        "",
    ]
    return "\n".join(parts)


def hugo_front_matter(a: Article, has_image: bool) -> str:
    """Hugo mirrors the feeds front matter format: TOML stays TOML, the rest becomes YAML."""
    fields = [
        ("title", _q(a.title)),
        ("date", a.date.isoformat()),
        ("slug", _q(a.slug)),
        ("author", _q(a.author)),
        ("categories", "[" + ", ".join(_q(c) for c in a.categories) + "]"),
        ("tags", "[" + ", ".join(_q(t) for t in a.tags) + "]"),
    ]
    if has_image:
        fields += [
            ("image_alt", _q(a.alt)),
            ("image_caption", _q(a.caption)),
            ("image_credit", _q(a.credit)),
        ]
    if a.kind == "toml":
        return "+++\n" + "".join(f"{k} = {v}\n" for k, v in fields) + "+++\n"
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in fields) + "---\n"


def new_article(
    rng: random.Random, text: TextMaker, n: int, date: datetime, kind: str, with_image: bool
) -> Article:
    title = text.title()
    slug = "-".join(title.lower().split()[:5]) + f"-{n:06d}"
    body_words = rng.randint(600, 1200)
    body = (
        "\n\n".join(text.paragraphs(body_words)) + "\n"
        if kind == "wire"
        else text.markdown_body(body_words)
    )
    return Article(
        slug=slug,
        date=date,
        kind=kind,
        section=rng.choice(SECTIONS),
        title=title,
        author=rng.choice(NAMES),
        categories=rng.sample(CATEGORIES, rng.randint(1, 2)),
        tags=rng.sample(TAGS, rng.randint(1, 3)),
        body=body,
        pool=rng.randrange(POOL_SIZE) if with_image else None,
        alt=f"A {text.words(4, 9)}",
        caption=f"The {text.words(5, 12)} on {date:%A, %B} {date.day}, {date.year}.",
        credit=f"{rng.choice(NAMES)}/Bench Times",
    )


def write_article(out: Path, a: Article, pool: list[bytes], made_dirs: set[Path]) -> Entry:
    """Write ``a`` into both trees and return its manifest entry."""
    feeds_root = out / "feeds"
    hugo_root = out / "hugo"
    stem = f"{a.date:%Y-%m-%d}-{a.slug}"
    section = Path("articles") / a.section
    image_bytes = pool[a.pool] if a.pool is not None else None
    feeds_image: Path | None = None

    if a.kind == "bundle":
        folder = section / stem
        feeds_file = folder / "index.md"
        if image_bytes is not None:
            feeds_image = folder / "lead.jpg"
        front = (yaml_front_matter if len(a.slug) % 2 else toml_front_matter)(
            a, "lead.jpg" if image_bytes is not None else None
        )
        feeds_text = front + a.body
    elif a.kind == "wire":
        feeds_file = section / f"{stem}.txt"
        if image_bytes is not None:
            feeds_image = section / f"{stem}.jpg"
        feeds_text = wire_text(a)
    else:
        feeds_file = section / f"{stem}.md"
        ref = f"images/{a.slug}.jpg"
        if image_bytes is not None:
            feeds_image = section / ref
        maker = yaml_front_matter if a.kind == "yaml" else toml_front_matter
        feeds_text = maker(a, ref if image_bytes is not None else None) + a.body

    hugo_dir = Path("content") / "posts" / a.slug
    hugo_file = hugo_dir / "index.md"
    hugo_image = hugo_dir / "lead.jpg" if image_bytes is not None else None
    hugo_text = hugo_front_matter(a, image_bytes is not None) + a.body

    for path, data in (
        (feeds_root / feeds_file, feeds_text.encode()),
        (hugo_root / hugo_file, hugo_text.encode()),
        (feeds_root / feeds_image if feeds_image else None, image_bytes),
        (hugo_root / hugo_image if hugo_image else None, image_bytes),
    ):
        if path is None or data is None:
            continue
        parent = path.parent
        if parent not in made_dirs:
            parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(parent)
        path.write_bytes(data)

    return Entry(
        slug=a.slug,
        date=a.date.isoformat(),
        kind=a.kind,
        feeds=feeds_file.as_posix(),
        hugo=hugo_file.as_posix(),
        feeds_image=feeds_image.as_posix() if feeds_image else None,
        hugo_image=hugo_image.as_posix() if hugo_image else None,
        pool=a.pool,
    )


# --- configuration ---------------------------------------------------------------------------

FEEDS_CONFIG = f"""\
# Generated by benchmarks/make_corpus.py
[site]
title = "Bench Times"
url = "{SITE_URL}"
description = "Benchmark corpus"
language = "en"
timezone = "UTC"

[site.author]
name = "Bench Times newsroom"
email = "newsroom@bench.example.org"

[repository]
path = "articles"

[output]
path = "output"

[[feeds]]
name = "main"
formats = ["rss", "atom"]
limit = {FEED_LIMIT}
"""

HUGO_CONFIG = f"""\
# Generated by benchmarks/make_corpus.py: a feed-only site (RSS + Atom of the newest
# {FEED_LIMIT}), no HTML pages, sections, taxonomies or sitemap.
baseURL = "{SITE_URL}"
languageCode = "en"
title = "Bench Times"
buildFuture = true
disableKinds = ["section", "taxonomy", "term", "sitemap", "robotsTXT", "404"]
disableHugoGeneratorInject = true

[permalinks]
posts = "/:slug/"

[mediaTypes."application/atom+xml"]
suffixes = ["xml"]

[outputFormats.RSS]
baseName = "rss"

[outputFormats.Atom]
mediaType = "application/atom+xml"
baseName = "atom"
isPlainText = false
rel = "alternate"

[outputs]
home = ["RSS", "Atom"]

[services.rss]
limit = {FEED_LIMIT}

[params]
feed_limit = {FEED_LIMIT}  # read by layouts/index.rss.xml and layouts/index.atom.xml

# Regular pages are never written as HTML, but stay listed (so .Content can be rendered in the
# feeds) and their images are published only when a template asks for .Permalink.
[[cascade]]
[cascade.build]
render = "never"
list = "always"
publishResources = false
[cascade.target]
kind = "page"
"""


def write_configs(out: Path) -> None:
    (out / "feeds").mkdir(parents=True, exist_ok=True)
    (out / "feeds" / "config.toml").write_text(FEEDS_CONFIG)
    layouts = out / "hugo" / "layouts"
    layouts.mkdir(parents=True, exist_ok=True)
    (out / "hugo" / "hugo.toml").write_text(HUGO_CONFIG)
    for template in HUGO_LAYOUTS.glob("*.xml"):
        shutil.copyfile(template, layouts / template.name)


# --- the corpus ------------------------------------------------------------------------------


def pick_kind(rng: random.Random) -> str:
    r = rng.random()
    for kind, share in KINDS:
        if r < share:
            return kind
        r -= share
    return KINDS[-1][0]


def corpus_key(articles: int, seed: int) -> str:
    """What a finished corpus records; run.py reuses a corpus only if this matches."""
    return f"v{GENERATOR_VERSION} articles={articles} seed={seed}"


def make_corpus(out: Path, articles: int, seed: int = 1, *, quiet: bool = False) -> list[Entry]:
    """(Re)create the corpus in ``out``; returns the manifest entries of the newest articles."""
    started = time.perf_counter()
    for sub in ("feeds", "hugo", "pool"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / ".complete").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)

    rng = random.Random(seed)
    pool = make_pool(random.Random(seed * 7919 + 1))
    (out / "pool").mkdir()
    for n, data in enumerate(pool):
        (out / "pool" / f"{n:02d}.jpg").write_bytes(data)
    write_configs(out)
    text = TextMaker(random.Random(seed * 104729 + 3))

    span_s = int(SPAN.total_seconds())
    # at least a day between the newest article and NOW, so run.py can add newer ones
    offsets = sorted((rng.randrange(86400, span_s) for _ in range(articles)), reverse=True)
    made_dirs: set[Path] = set()
    newest: list[Entry] = []
    for n, offset in enumerate(offsets):
        date = BASE_DATE - timedelta(seconds=offset)
        kind = pick_kind(rng)
        article = new_article(rng, text, n, date, kind, rng.random() < IMAGE_SHARE)
        entry = write_article(out, article, pool, made_dirs)
        if n >= articles - MANIFEST_NEWEST:
            newest.append(entry)
        if not quiet and n and n % 10000 == 0:
            print(f"  {n:,} articles written ({time.perf_counter() - started:.0f} s)")
    newest.reverse()  # newest first
    manifest = {
        "key": corpus_key(articles, seed),
        "articles": articles,
        "seed": seed,
        "now": NOW.isoformat(),
        "pool": [f"pool/{n:02d}.jpg" for n in range(len(pool))],
        "newest": [asdict(e) for e in newest],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (out / ".complete").write_text(corpus_key(articles, seed) + "\n")
    if not quiet:
        print(f"corpus of {articles:,} articles in {out} ({time.perf_counter() - started:.1f} s)")
    return newest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--articles", type=int, required=True, metavar="N")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    make_corpus(args.out_dir, args.articles, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
