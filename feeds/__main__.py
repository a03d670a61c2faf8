"""`python -m feeds` runs the command line."""

from feeds.cli import entry_point

entry_point()
