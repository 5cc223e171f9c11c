"""Hypothesis settings for the reliability tests, and small sweeps to run, damage and resume.

By default the examples are derandomized (the same ones on every run, so CI is reproducible) and nothing is stored
on disk. ``HYPOTHESIS_PROFILE=explore`` draws ten times as many, at random, to hunt for new failures by hand.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import tiny_dict, write_yaml

COMMON = {"deadline": 5000, "database": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("chipsim", max_examples=150, derandomize=True, **COMMON)
settings.register_profile("explore", max_examples=1500, derandomize=False, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "chipsim"))


# Small sweeps on the tiny world ------------------------------------------------------------------------------------

CONTROL = {"type": "export_control", "announce": "2025-01", "effective": "2025-01", "source": "assumption: test",
           "params": {"tpp_threshold": 4800.0, "destination_tiers": [2]}}


def write_small_sweep(folder: Path, **changes) -> Path:
    """Two policies on the tiny world (open, and with an export control), two seeds, three months: four runs of a
    fraction of a second. ``changes`` replace keys of the sweep file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_yaml(folder / "tiny.yaml", tiny_dict())
    controlled = tiny_dict()
    controlled["name"] = "tiny_controlled"
    controlled["policies"] = [CONTROL]
    write_yaml(folder / "controlled.yaml", controlled)
    spec = {"name": "small", "base": "tiny.yaml", "policies": {"open": "tiny.yaml", "controlled": "controlled.yaml"},
            "seeds": 2, "until": "2025-03", "metrics": ["us_china_ratio"], **changes}
    return write_yaml(folder / "sweep.yaml", spec)


@pytest.fixture
def small_sweep_file(tmp_path: Path) -> Callable[..., Path]:
    """Writes the small sweep (with changes) into a folder of its own under tmp_path; returns the sweep file."""
    made = iter(range(1000))
    return lambda **changes: write_small_sweep(tmp_path / f"inputs{next(made)}", **changes)


@pytest.fixture(scope="module")
def _finished_small_sweep(tmp_path_factory) -> tuple[Path, Path]:
    from sim.sweep import run_sweep

    inputs = tmp_path_factory.mktemp("small_inputs")
    sweep = write_small_sweep(inputs)
    outcome = run_sweep(sweep, out=tmp_path_factory.mktemp("small_out"), workers=1)
    assert (outcome.done, outcome.failed) == (4, 0)
    return sweep, outcome.folder


@pytest.fixture
def finished_sweep(tmp_path: Path, _finished_small_sweep: tuple[Path, Path]) -> tuple[Path, Path]:
    """The small sweep, finished, in a folder of this test's own to damage: (sweep file, sweep folder). The sweep
    file is shared with other tests: do not edit it (``small_sweep_file`` writes one to edit)."""
    sweep, folder = _finished_small_sweep
    copy = tmp_path / "out" / folder.name
    shutil.copytree(folder, copy)
    return sweep, copy
