"""The layers hold: no module imports a higher layer, and each third-party library is imported by
its one module (read from the source with `ast`, imports inside functions included)."""

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "feeds"

#: The bottom: the data types, the errors, the shared rules, the clock, file replacement, TOML,
#: stopping (the cancellation of a build, the setup of worker processes).
BASE = frozenset({"feeds", "errors", "model", "rules", "clock", "atomic", "toml", "stopping"})
STAGES = frozenset({"state", "sources", "scan", "load", "render", "validate", "publish"})

#: Which components each component may import (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    **{name: frozenset() for name in BASE},
    "model": frozenset({"errors"}),
    "config": BASE,
    # The stages see the bottom, the state folder's stores and the interfaces below them:
    "state": BASE,
    "sources": BASE | {"state"},  # the scan cache
    "scan": BASE,
    "load": BASE | {"sources", "scan", "state"},  # the source interface, the entries cache
    "render": BASE,
    "validate": BASE,
    "publish": BASE | {"state"},  # the output folder's lock is its lease
    # The daemon's resident index: what the last build knew, kept between builds.
    "index": BASE | {"config"} | STAGES,
    "build": BASE | {"config", "index"} | STAGES,
    "database": BASE | {"config"} | STAGES,  # `feeds db`: reads files, writes the database
    "daemon": BASE | {"config", "build", "index"} | STAGES,
    "serve": BASE | {"config", "build", "daemon", "index"} | STAGES,  # the daemon's watching
    "cli": BASE | {"config", "build", "daemon", "serve", "database", "index"} | STAGES,
    "__main__": frozenset({"cli"}),
}

#: Each third-party library and the one module (or, for lxml, the stages) allowed to import it.
LIBRARIES: dict[str, tuple[str, ...]] = {
    "feedgen": ("feeds.render.rss_atom",),
    "yaml": ("feeds.sources.files.frontmatter",),
    "tomli": ("feeds.toml",),
    "cmarkgfm": ("feeds.load.markup",),
    "nh3": ("feeds.load.markup",),
    "PIL": ("feeds.load.images",),
    "schedule": ("feeds.daemon.planner",),
    "watchdog": ("feeds.daemon.inotify",),
    "psycopg": ("feeds.sources.postgres",),
    # lxml is the XML toolkit of the stages that read or write XML: the validator reads feeds,
    # the renderers write them, and the loader reads photos' XMP packets.
    "lxml": ("feeds.validate", "feeds.render", "feeds.load.xmp"),
    # The S3 client (and its type stubs, read by mypy only) for object-storage targets.
    "botocore": ("feeds.publish.s3",),
    "mypy_boto3_s3": ("feeds.publish.s3",),
}


def component(module: str) -> str:
    """`feeds.sources.files.listing` -> "sources"; `feeds` -> "feeds"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports_of(module: str, source: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import in `source`, relative ones resolved."""
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            if name == "feeds":  # `from feeds import x`: x is a module, or `__version__`
                found.extend(
                    (node.lineno, "feeds" if alias.name.startswith("__") else f"feeds.{alias.name}")
                    for alias in node.names
                )
            else:
                found.append((node.lineno, name))
    return found


def violations(modules: dict[str, str]) -> list[str]:
    """Every import that breaks a layer or a library's quarantine, as `module:line: ...`."""
    problems: list[str] = []
    for module, source in sorted(modules.items()):
        mine = component(module.removesuffix(".__init__"))
        for line, target in imports_of(module, source):
            top = target.split(".")[0]
            where = f"{module}:{line}"
            if top == "feeds":
                theirs = component(target)
                if theirs not in (mine, "feeds") and theirs not in ALLOWED.get(mine, frozenset()):
                    problems.append(f"{where}: {mine} must not import {target}")
                continue
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            allowed = LIBRARIES.get(top)
            owner = module.removesuffix(".__init__")
            if allowed is None:
                problems.append(f"{where}: {top} is not a known dependency (add it to LIBRARIES)")
            elif not any(owner == a or owner.startswith(f"{a}.") for a in allowed):
                problems.append(f"{where}: {top} may only be imported in {', '.join(allowed)}")
    return problems


def package_modules() -> dict[str, str]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        modules[".".join(relative.parts)] = path.read_text(encoding="utf-8")
    return modules


def test_no_module_imports_a_higher_layer_or_a_library_outside_its_module() -> None:
    assert violations(package_modules()) == []


def test_every_component_of_the_package_has_a_place_in_the_layers() -> None:
    components = {component(name.removesuffix(".__init__")) for name in package_modules()}
    assert components - set(ALLOWED) == set()


def test_the_check_finds_a_stage_reaching_up_and_a_library_out_of_quarantine() -> None:
    bad = {
        "feeds.render.rss_atom": "from feeds.load import markup\n",
        "feeds.scan.slices": "def f():\n    import yaml\n    from ..build import publish\n",
        "feeds.model": "import requests\n",
    }
    assert violations(bad) == [
        "feeds.model:1: requests is not a known dependency (add it to LIBRARIES)",
        "feeds.render.rss_atom:1: render must not import feeds.load",
        "feeds.scan.slices:2: yaml may only be imported in feeds.sources.files.frontmatter",
        "feeds.scan.slices:3: scan must not import feeds.build",
    ]
