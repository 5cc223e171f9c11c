"""A run's tables: built when read, a snapshot of what was recorded, and safe to send between processes."""

from __future__ import annotations

import pickle

import pandas as pd

from sim import run_scenario
from sim.model import ChipSupplyModel
from sim.sweep.execute import metrics_frame
from tests.conftest import tiny


def test_tables_are_built_once_when_read_and_a_sweep_reads_only_blocs_and_world() -> None:
    result = run_scenario(tiny(), seed=0)
    frame = metrics_frame(result, ("us_china_ratio", "us_allies_effective_h100e"))
    assert len(frame) == len(result.world) and "us_allies_effective_h100e" in frame
    assert set(result.tables._built) == {"blocs", "world"}  # revenue, prices and production never built
    assert result.tables["prices"] is result.tables["prices"]
    assert list(result.tables) == ["blocs", "world", "revenue", "flows", "prices", "production", "routes"]


def test_tables_are_a_snapshot_of_the_months_recorded_so_far() -> None:
    model = ChipSupplyModel(tiny(), seed=0)
    for _ in range(3):
        model.step()
    early = model.recorder.tables()
    for _ in range(3):
        model.step()
    later = model.recorder.tables()
    for name in ("blocs", "world", "revenue", "prices", "production"):
        assert set(early[name]["tick"]) == {0, 1, 2}, name
        assert set(later[name]["tick"]) == set(range(6)), name
        pd.testing.assert_frame_equal(early[name], later[name][later[name]["tick"] < 3].reset_index(drop=True))


def test_tables_survive_pickling_unbuilt() -> None:
    result = run_scenario(tiny(), seed=0)
    copied = pickle.loads(pickle.dumps(result.tables))
    for name in result.tables:
        pd.testing.assert_frame_equal(copied[name], result.tables[name])
