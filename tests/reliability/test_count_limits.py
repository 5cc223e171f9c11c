"""Numbers at the schema's edges: worlds whose chip counts the model could not keep exactly are refused up front, and
the lead is defined when the US bloc has no compute."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.cli import main
from sim.metrics import lead_months
from sim.model import ChipSupplyModel
from sim.scenario import ScenarioError
from sim.scenario.exact_counts import MAX_CHIPS_PER_LINE_MONTH
from tests.conftest import tiny, tiny_dict, write_yaml

FASTEST_GROWTH = {"fabs.usfab.nodes.N4.growth_factor_per_year": 100.0,
                  "vendors.usv.product_lines.big.reservation_growth_factor_per_year": 100.0}
EDGES = {
    # 10^12 wafers of 10^5 chips: the balance was off by hundreds of chips and the produced total overflowed int64
    "1.6e18 chips": {"fabs.usfab.nodes.N4.wafers_per_month": 1e12,
                     "vendors.usv.product_lines.big.max_wafers_per_month": 1e12,
                     "vendors.usv.product_lines.big.chips_per_wafer": 1e5},
    # growth from 2000 to the chip's release in 2024 overflowed wafers x chips into a negative count: ValueError n < 0
    "start in 2000": {"start": "2000-01", **FASTEST_GROWTH},
    # the same from a 2025 start, for a chip released in 2040
    "release long after the start": {"catalog.big.release": "2040-01", "end": "2045-12", **FASTEST_GROWTH},
}


@pytest.mark.parametrize("case", list(EDGES))
def test_a_world_the_model_cannot_count_exactly_is_refused(tmp_path: Path, capsys, case: str) -> None:
    path = write_yaml(tmp_path / "edge.yaml", tiny_dict(**EDGES[case]))
    for argv in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "out")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert str(path) in err and "Traceback" not in err
        assert "vendors[0].product_lines[0]: could make" in err
        assert f"the model counts chips exactly up to {MAX_CHIPS_PER_LINE_MONTH:.3g} a month per product line" in err
    assert not (tmp_path / "out").exists()


def test_the_largest_line_the_bound_allows_counts_exactly() -> None:
    """At the bound, chips are conserved to the chip every month and the produced total stays an exact int64."""
    wafers = MAX_CHIPS_PER_LINE_MONTH // 10  # the tiny world's line makes 10 chips a wafer
    scenario = tiny(**{"fabs.usfab.nodes.N4.wafers_per_month": float(wafers),
                       "fabs.usfab.packaging_wafers_per_month": float(wafers),
                       "vendors.usv.product_lines.big.max_wafers_per_month": float(wafers),
                       "data_centers.usdc.budget_usd_per_month": 1e12, "catalog.big.price_usd": 1.0,
                       "catalog.big.hbm_stacks_per_chip": 0})
    with pytest.raises(ScenarioError, match="could make"):
        tiny(**{"fabs.usfab.nodes.N4.wafers_per_month": float(wafers) * 1.01,
                "vendors.usv.product_lines.big.max_wafers_per_month": float(wafers) * 1.01})
    model = ChipSupplyModel(scenario, seed=0)
    ledger = model.ledger
    initial = ledger.initial_installed_chips + ledger.initial_in_transit_chips
    while model.running:
        model.step()
        accounted = (model.stocks.installed() + model.stocks.in_inventory() + model.stocks.in_transit()
                     + ledger.retired_chips_total + ledger.seized_chips_total)
        assert initial + ledger.produced_chips_total == accounted, f"chips unbalanced in {model.date}"
    assert ledger.produced_chips_total > 10**12
    assert str(model.recorder.tables()["world"]["chips_produced_total"].dtype) == "int64"


def test_the_lead_is_nan_when_the_us_bloc_has_no_compute() -> None:
    """It was -inf, which reads as a number of months; NaN says there is no lead to measure (infinite stays the
    meaning of China having none)."""
    assert math.isnan(lead_months(0.0, 4.5))
    assert lead_months(math.inf, 4.5) == math.inf
    assert lead_months(4.5, 4.5) == pytest.approx(12.0)
    scenario = tiny(**{"data_centers.usdc.initial_installed.big.count": 0,
                       "data_centers.usdc.budget_usd_per_month": 0.0})
    model = ChipSupplyModel(scenario, seed=0)
    for _ in range(3):
        model.step()
    world = model.recorder.tables()["world"]
    us_has_none = world["us_china_ratio"] == 0  # China has chips from the second month
    assert us_has_none.sum() == 2
    assert world.loc[us_has_none, "lead_months"].isna().all()
    assert not world.loc[~us_has_none, "lead_months"].isna().any()
