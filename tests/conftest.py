"""Shared test set-up: hypothesis profiles (FEEDS_HYPOTHESIS_PROFILE=long for deeper runs)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("FEEDS_HYPOTHESIS_PROFILE", "default"))
