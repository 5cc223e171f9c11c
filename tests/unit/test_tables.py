"""A run's tables: built when read, a snapshot of what was recorded, and safe to send between processes."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from sim import run_scenario
from sim.model import ChipSupplyModel
from sim.sweep.execute import execute_run, metrics_frame
from sim.sweep.plan import RunSpec
from sim.table_blocks import Blocks
from tests.conftest import tiny


def test_tables_are_built_once_when_read_and_a_sweep_reads_only_blocs_and_world() -> None:
    result = run_scenario(tiny(), seed=0)
    frame = metrics_frame(result, ("us_china_ratio", "us_allies_effective_h100e"))
    assert len(frame) == len(result.world) and "us_allies_effective_h100e" in frame
    assert set(result.tables._built) == {"blocs", "world"}  # revenue, prices and production never built
    assert result.tables["prices"] is result.tables["prices"]
    assert list(result.tables) == ["blocs", "world", "revenue", "flows", "prices", "production", "routes", "alliance",
                                   "capacity"]


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


def test_a_column_of_one_repeated_value_is_kept_as_that_value_and_read_back_whole() -> None:
    # A month with no tariffs levied is 2,700 zeros at S10k, every month: kept as one value, not an array of them.
    blocks = Blocks("vendor", "tariff_usd", "price_usd")
    blocks.add(0, np.array([0, 1, 2]), np.zeros(3), np.array([1.5, 1.5, 1.5]))
    blocks.add(1, np.array([0, 1]), np.array([0.0, -0.0]), np.array([2.0, 3.0]))  # -0.0 is kept as it is
    stored = [column for _tick, columns in blocks.blocks for column in columns]
    held = [column.itemsize if column.strides == (0,) else column.nbytes for column in stored]  # bytes in memory
    assert held == [3, 8, 8, 2, 16, 16]
    frame = blocks.frame(["2025-01", "2025-02"], {})
    assert frame["tariff_usd"].tolist() == [0.0] * 5 and np.signbit(frame["tariff_usd"]).tolist()[-1]
    assert frame["price_usd"].tolist() == [1.5, 1.5, 1.5, 2.0, 3.0]
    assert frame["vendor"].tolist() == [0, 1, 2, 0, 1] and frame["tick"].tolist() == [0, 0, 0, 1, 1]


def test_production_by_fab_adds_up_to_each_blocs_production() -> None:
    # The production table's H100e is worked out from its chips when the table is built; it must agree with the
    # chip catalog and with what the blocs table counted as each month's production.
    result = run_scenario("scenarios/baseline.yaml", seed=0, keep_model=True)
    production, blocs = result.tables["production"], result.tables["blocs"]
    h100e_per_chip = {chip_id: chip.h100e for chip_id, chip in result.model.catalog.items()}  # variants too
    np.testing.assert_allclose(production["h100e"], production["chips"] * production["chip"].map(h100e_per_chip))
    fab_bloc = {fab.id: result.scenario.countries[fab.country].bloc for fab in result.scenario.fabs}
    by_bloc = production.assign(bloc=production["fab"].map(fab_bloc)).groupby(["tick", "bloc"])[["chips", "h100e"]]
    by_bloc = by_bloc.sum()
    counted = blocs.set_index(["tick", "bloc"])[["produced_chips", "produced_h100e"]]
    counted = counted[counted["produced_chips"] > 0]
    assert len(counted) and (by_bloc["h100e"] > 0).any()
    np.testing.assert_array_equal(by_bloc.loc[counted.index, "chips"], counted["produced_chips"])
    np.testing.assert_allclose(by_bloc.loc[counted.index, "h100e"], counted["produced_h100e"], rtol=1e-12)


def test_a_run_asked_for_no_other_tables_records_the_same_blocs_and_world_and_names_what_it_left_out() -> None:
    full = run_scenario(tiny(), seed=3)
    summary = run_scenario(tiny(), seed=3, tables=())
    assert list(summary.tables) == ["blocs", "world"]
    for name in ("blocs", "world"):
        pd.testing.assert_frame_equal(summary.tables[name], full.tables[name], check_exact=True)
    with pytest.raises(KeyError, match="no table 'prices' in this run .not asked for"):
        summary.tables["prices"]
    flows_too = run_scenario(tiny(), seed=3, tables=iter(["flows"]))  # any iterable of names
    assert list(flows_too.tables) == ["blocs", "world", "flows"]
    pd.testing.assert_frame_equal(flows_too.tables["flows"], full.tables["flows"], check_exact=True)


def test_an_unknown_table_is_refused_by_name_before_any_set_up() -> None:
    with pytest.raises(ValueError, match="no table named 'price': the tables are blocs, world, revenue, flows"):
        ChipSupplyModel(tiny(), seed=0, tables=["price"])


def test_a_sweep_run_records_only_blocs_and_world_and_keeps_the_same_metrics(tiny_file, monkeypatch) -> None:
    path = tiny_file
    results = []

    def recording_run(*args, **kwargs):
        results.append(run_scenario(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr("sim.sweep.execute.run_scenario", recording_run)
    metrics = ("us_china_ratio", "china_effective_h100e", "smuggled_chips")
    run = RunSpec(run_id="r0", policy="tiny", scenario_file=str(path), seed=1, point=0, until=None, metrics=metrics)
    outcome = execute_run(run)
    assert outcome["status"] == "ok", outcome.get("error")
    assert [list(result.tables) for result in results] == [["blocs", "world"]]
    expected = metrics_frame(run_scenario(path, seed=1), metrics)
    pd.testing.assert_frame_equal(outcome["frame"], expected, check_exact=True)
