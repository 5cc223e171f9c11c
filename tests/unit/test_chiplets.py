"""The chiplet route on the tiny world, with the numbers written out: China's fab bonds several dies into one package
on its own advanced-packaging lines, within their capacity and bonding yield, from the HBM it can get (its own,
its stockpile, and what allied memory makers may sell it); packaging-equipment controls slow those lines' growth."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_scenario
from sim.agents.fab import Bookings, produce
from sim.installed import INSTALLED_SOURCES, installed_source
from sim.model import ChipSupplyModel
from sim.rng import RandomStreams
from tests.conftest import tiny

# A quad-chiplet accelerator: four dies of the domestic chip, four HBM stacks. The line's 8 wafers at 10 dies and
# yield 1 give 20 packages' worth of dies (2.5 a wafer); 5 packaging wafers of 2 packages bond at most 10 a month.
QUAD = {"name": "Quad", "vendor": "cnv", "tpp": 31664.0, "price_usd": 10000.0, "node": "N7", "release": "2024-01",
        "hbm_stacks_per_chip": 4, "source": "assumption: test world"}
QUAD_LINE = {"chip": "quad", "fab": "cnfab", "node": "N7", "chips_per_wafer": 2.5, "chips_per_packaging_wafer": 2.0,
             "max_wafers_per_month": 8.0, "reservation_growth_factor_per_year": 1.0, "chiplet": {"dies_per_package": 4},
             "source": "assumption: test world"}


def chiplet_world(**overrides):
    return tiny(**{"catalog.quad": QUAD, "vendors.cnv.product_lines": [QUAD_LINE],
                   "data_centers.cndc.suppliers": ["cnv"],
                   "fabs.cnfab.packaging_wafers_per_month": 5.0, "fabs.cnfab.hbm_stacks_per_month": 1000.0,
                   **overrides})


def _bond(model: ChipSupplyModel, wafers: float) -> int:
    """Packages the Chinese fab finishes this month for a booking of ``wafers`` of the quad line."""
    line = model.agents_by_id["cnv"].product_lines[0]
    bookings = Bookings(
        fab=np.array([model.agents_by_id["cnfab"].index]), vendor=np.array([model.agents_by_id["cnv"].index]),
        chip=np.array([model.chips.of("quad")]), node=np.array([model.fab_nodes.code("N7")]),
        hbm_stacks_per_chip=np.array([4]), via_front_company=np.zeros(1, dtype=np.int64),
        wafers_requested=np.array([wafers], dtype=float), chips_per_wafer=np.array([line.chips_per_wafer]),
        chips_per_packaging_wafer=np.array([line.chips_per_packaging_wafer]), dies_per_package=np.array([4]))
    return int(produce(model.fabs, bookings, model.fab_nodes, model.streams, model.rules.front_company_detection)[0])


def test_packaging_lines_cap_the_chiplet_packages_a_fab_finishes() -> None:
    model = ChipSupplyModel(chiplet_world(), seed=0)
    fab = model.agents_by_id["cnfab"]
    assert _bond(model, 8) == 10  # 8 wafers x 2.5 = 20 packages' dies; 5 packaging wafers x 2 = 10 bonded
    assert fab.hbm_stacks_stock == 1000 - 10 * 4  # this month's 1,000 stacks less 4 a package
    assert _bond(model, 2) == 5  # 2 wafers x 2.5: the dies, not the packaging, bind


def test_a_package_works_only_when_every_die_bonds() -> None:
    seed = 7
    model = ChipSupplyModel(chiplet_world(**{"fabs.cnfab.packaging_yield_fraction": 0.9}), seed=seed)
    fab = model.agents_by_id["cnfab"]
    # 10 packages bonded, each working with 0.9^4 = 0.6561: one binomial draw from the fab's own packaging stream.
    expected = int(RandomStreams(seed)["fab_packaging_yield.cnfab"].binomial(10, 0.9**4))
    assert _bond(model, 8) == expected
    assert fab.packages_scrapped_this_month == 10 - expected
    assert fab.hbm_stacks_stock == 1000 - 10 * 4  # a failed package's HBM is lost with it


def test_without_enough_hbm_the_stacks_bind() -> None:
    model = ChipSupplyModel(chiplet_world(**{"fabs.cnfab.hbm_stacks_per_month": 30.0}), seed=0)
    assert _bond(model, 8) == 7  # 30 stacks / 4 a package = 7.5: seven packages


def test_chiplet_packages_count_as_their_own_source_at_home_and_as_imports_abroad() -> None:
    model = ChipSupplyModel(chiplet_world(), seed=0)
    chips = model.chips
    quad, dom = chips.of("quad"), chips.of("dom")
    china, rest = 1, 2  # BLOC_CODE
    sources = installed_source(chips, np.array([quad, quad, dom]), np.array([china, rest, china]))
    assert [INSTALLED_SOURCES[s] for s in sources] == ["chiplet", "import", "domestic"]


def test_a_run_counts_chinas_chiplet_compute_apart_from_its_other_domestic_chips() -> None:
    result = run_scenario(chiplet_world(), seed=0, until="2025-06")
    china = result.blocs[result.blocs["bloc"] == "china"]
    # The 20 packages in production at the start (a lead time of the line's full output, 8 wafers x 2.5), then the
    # 10 a month the packaging lines bond, each 2 H100e (TPP 31,664), installed by the one Chinese buyer a month
    # after they are made.
    assert china["installed_h100e_chiplet"].tolist() == [0.0, 40.0, 60.0, 80.0, 100.0, 120.0]
    assert china["installed_h100e_domestic"].eq(0).all()
    production = result.tables["production"]
    assert production.loc[production["fab"] == "cnfab", "chips"].tolist() == [10] * 6


def test_packaging_controls_slow_the_packaging_lines_growth_and_bonding_yield_learning() -> None:
    controls = {"type": "packaging_controls", "announce": "2025-01", "effective": "2025-01", "source": "assumption: t",
                "params": {"reduction": 0.5}}
    world = {"fabs.cnfab.packaging_wafers_per_month": 100.0, "fabs.cnfab.packaging_growth_factor_per_year": 2.0,
             "fabs.cnfab.packaging_yield_fraction": 0.9, "fabs.cnfab.packaging_yield_gain_per_year": 0.12}
    model = ChipSupplyModel(chiplet_world(**world, policies=[controls]), seed=0)
    for _ in range(12):
        model.step()
    fab = model.agents_by_id["cnfab"]
    monthly = 2.0 ** (1 / 12)
    # Growth from the second month on: eleven months keeping half the growth above 1, and half the learning.
    assert fab.packaging_wafers_per_month == pytest.approx(100.0 * (1 + (monthly - 1) * 0.5) ** 11, rel=1e-12)
    assert fab.packaging_yield_fraction == pytest.approx(0.9 + 11 * 0.01 * 0.5, rel=1e-12)
    free = run_scenario(chiplet_world(**world), seed=0, until="2025-12").tables["capacity"]
    free = free[free["fab"] == "cnfab"]
    assert free["packaging_wafers_per_month"].iloc[-1] == pytest.approx(100.0 * monthly**11, rel=1e-12)
    assert free["packaging_reduction"].eq(0).all()


def test_allied_hbm_let_through_reaches_the_fab_and_binds_its_packages() -> None:
    samsung = {"id": "memco", "name": "Memory maker", "country": "KR", "product": "hbm",
               "china_revenue_usd_per_year": 1.0e9, "share_at_stake": 0.1, "decision_lag_months": 0,
               "hbm_stacks_to_china_per_month": 100.0, "hbm_customers": ["cnfab"], "source": "assumption: test world"}
    control = {"type": "hbm_export_control", "announce": "2025-01", "effective": "2025-01", "source": "assumption: t",
               "params": {"compliance": 0.75}}
    korea = {"name": "South Korea", "bloc": "us_allies", "tier": 1, "source": "diffusion_tier1"}
    result = run_scenario(chiplet_world(**{"countries.KR": korea, "allies": [samsung], "policies": [control],
                                           "fabs.cnfab.hbm_stacks_per_month": 0.0}), seed=0, until="2025-03")
    alliance = result.tables["alliance"]
    assert alliance["hbm_stacks_to_china"].tolist() == [25.0, 25.0, 25.0]  # a quarter of 100 let through
    assert alliance["hbm_stacks_stopped"].tolist() == [75.0, 75.0, 75.0]
    capacity = result.tables["capacity"]
    assert capacity.loc[capacity["fab"] == "cnfab", "hbm_stacks_imported"].tolist() == [25.0, 25.0, 25.0]
    # 25 stacks a month make 6 packages (4 stacks each); the 1 stack left over joins next month's 25: 6, 6, 6.
    production = result.tables["production"]
    assert production.loc[production["fab"] == "cnfab", "chips"].tolist() == [6, 6, 6]
