"""TOML for the configuration and for front matter, from `tomli`: the project that the
standard library's `tomllib` was taken from, installed compiled (three times as fast on front
matter), and since 2.5 reading the TOML 1.1 additions too (newlines and trailing commas in
inline tables, optional seconds). Only this module imports it."""

from tomli import TOMLDecodeError, loads

__all__ = ["TOMLDecodeError", "loads"]
