"""feeds: publish validated RSS 2.0 and Atom 1.0 feeds from an article repository."""

__version__ = "0.1.0"
