"""TOML for the configuration and for front matter, from `tomli`: the project that the
standard library's `tomllib` was taken from, installed compiled (three times as fast on front
matter), and since 2.5 reading the TOML 1.1 additions too (newlines and trailing commas in
inline tables, optional seconds). Only this module imports it."""

from typing import Any

from tomli import TOMLDecodeError
from tomli import loads as _loads

__all__ = ["TOMLDecodeError", "loads"]


def loads(text: str) -> dict[str, Any]:
    """Parse TOML; every way a document can be wrong is a `TOMLDecodeError`.

    tomli refuses values nested deeper than it allows with a `RecursionError`: that too is a
    fault of the document, located at its first nested bracket.
    """
    try:
        return _loads(text)
    except RecursionError as exc:
        first = min((i for i in (text.find("[["), text.find("{")) if i >= 0), default=0)
        raise TOMLDecodeError(f"{exc}: flatten the value", text, first) from None
