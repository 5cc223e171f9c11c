"""Hypothesis settings for the reliability tests.

By default the examples are derandomized (the same ones on every run, so CI is reproducible) and nothing is stored
on disk. ``HYPOTHESIS_PROFILE=explore`` draws ten times as many, at random, to hunt for new failures by hand.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

COMMON = {"deadline": 5000, "database": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("chipsim", max_examples=150, derandomize=True, **COMMON)
settings.register_profile("explore", max_examples=1500, derandomize=False, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "chipsim"))
