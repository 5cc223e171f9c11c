"""Allied governments choosing how far to align with the US controls, on the tiny world with the numbers written out:
the alignment each chooses under pressure and compensation, when its rule follows, what it costs its maker, and how
far SME controls then hold back China's fab."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import run_scenario
from sim.agents.ally import target_alignment
from tests.conftest import tiny

NETHERLANDS = {"name": "Netherlands", "bloc": "us_allies", "tier": 1, "source": "diffusion_tier1"}
# A toolmaker selling China 12B USD a year, half of it at stake: 6B USD a year of revenue at stake.
TOOLMAKER = {"id": "toolco", "name": "Toolmaker", "country": "NL", "product": "tools",
             "china_revenue_usd_per_year": 12.0e9, "share_at_stake": 0.5, "revenue_loss_exponent": 2.0,
             "decision_lag_months": 2, "source": "assumption: test world"}
# SME controls that take a fifth of China's fab growth with today's alignment, three fifths with full alignment.
SME = {"id": "sme", "type": "sme_controls", "announce": "2024-01", "effective": "2024-01", "source": "assumption: t",
       "params": {"coordinated": False, "unilateral_reduction": 0.2, "coordinated_reduction": 0.6}}


def pressure(usd_per_year: float, compensation: float = 0.0, **dates) -> dict:
    return {"id": "campaign", "type": "alliance_pressure", "announce": "2025-01", "effective": "2025-01",
            "source": "assumption: t", **dates,
            "params": {"pressure_usd_per_year": usd_per_year, "compensation_share": compensation}}


def alliance_world(*policies: dict, **overrides):
    return tiny(**{"countries.NL": NETHERLANDS, "allies": [TOOLMAKER], "policies": [SME, *policies],
                   "fabs.cnfab.nodes.N7.growth_factor_per_year": 2.0, **overrides})


def test_each_government_takes_the_alignment_that_costs_it_least() -> None:
    at_stake = np.array([2e9] * 6)
    chosen = target_alignment(np.array([1e9, 1e9, 0.0, 1e9, 1e9, 3e9]), np.array([0.0, 0.5, 0.5, 0.0, 0.5, 0.0]),
                              at_stake, np.array([2.0, 2.0, 2.0, 1.0, 1.0, 2.0]))
    # k = 2: pressure / (2 (1 - c) at stake): 1/4, then 1/2 with half paid back; nothing without pressure.
    # k = 1, all or nothing: 1B of pressure against 2B at stake is not enough, against 1B net of compensation it is.
    # 3B of pressure against 2B at stake (k = 2): 3/4.
    assert chosen.tolist() == [0.25, 0.5, 0.0, 0.0, 1.0, 0.75]
    assert target_alignment(np.array([1.0]), np.array([0.0]), np.array([0.0]), np.array([2.0])).tolist() == [1.0]


def test_an_ally_joins_partly_after_its_lag_and_sme_controls_bite_that_much_harder() -> None:
    result = run_scenario(alliance_world(pressure(3.0e9)), seed=0, until="2025-12")
    alliance = result.tables["alliance"]
    # 3B of pressure against 6B at stake, k = 2: a quarter of the way, decided in January, in force from March.
    assert alliance["alignment"].tolist() == [0.0, 0.0] + [0.25] * 10
    # Aligning a quarter costs a sixteenth of the 0.5B a month at stake; the rest of the 1B a month still sells.
    assert alliance["revenue_lost_usd"].tolist() == [0.0, 0.0] + [0.5e9 / 16] * 10
    assert alliance["china_sales_usd"].tolist() == [1.0e9, 1.0e9] + [1.0e9 - 0.5e9 / 16] * 10
    assert alliance["compensation_usd"].eq(0).all()
    capacity = result.tables["capacity"]
    china = capacity[capacity["fab"] == "cnfab"]
    # SME controls take 0.2 + (0.6 - 0.2) x 0.25 = 0.3 once the ally has aligned a quarter of the way.
    assert china["sme_reduction"].tolist() == pytest.approx([0.2, 0.2] + [0.3] * 10, abs=1e-15)
    monthly = 2.0 ** (1 / 12)
    expected = 1000.0 * (1 + (monthly - 1) * 0.8) * (1 + (monthly - 1) * 0.7) ** 10  # growth from February
    assert china["wafers_per_month"].iloc[-1] == pytest.approx(expected, rel=1e-12)


def test_compensation_buys_more_alignment_and_the_us_pays_its_share() -> None:
    result = run_scenario(alliance_world(pressure(3.0e9, compensation=0.5)), seed=0, until="2025-04")
    alliance = result.tables["alliance"]
    assert alliance["alignment"].tolist() == [0.0, 0.0, 0.5, 0.5]  # 3B / (2 x 0.5 x 6B)
    lost = 0.5e9 * 0.25  # a month's 0.5B at stake x 0.5 squared
    assert alliance["revenue_lost_usd"].tolist() == [0.0, 0.0, lost, lost]
    assert alliance["compensation_usd"].tolist() == [0.0, 0.0, lost / 2, lost / 2]


def test_an_ally_whose_china_sales_shrink_joins_late_and_a_rule_once_made_stays() -> None:
    shrinking = dict(TOOLMAKER, china_revenue_growth_factor_per_year=0.25, decision_lag_months=0)
    campaign = pressure(3.0e9, end="2025-10")
    alliance = run_scenario(alliance_world(campaign, allies=[shrinking]), seed=0, until="2025-12").tables["alliance"]
    alignment = alliance["alignment"].to_numpy()
    months = np.arange(9)
    # At stake 6B x 0.25^(m/12) a year: the alignment chosen is 0.25 / 0.25^(m/12), a little more each month...
    assert alignment[:9] == pytest.approx(np.minimum(1.0, 0.25 * 4.0 ** (months / 12)), rel=1e-12)
    # ...and when the pressure ends, the rules made stay.
    assert alignment[9:].tolist() == [alignment[8]] * 3


def test_coordinated_sme_controls_are_the_allies_fully_aligned_by_assumption() -> None:
    """The old switch keeps its meaning: China's fab grows exactly as when the allies choose full alignment at once."""
    coordinated = dict(SME, params=dict(SME["params"], coordinated=True))
    switch = run_scenario(alliance_world(policies=[coordinated]), seed=0, until="2025-12")
    instant = dict(TOOLMAKER, decision_lag_months=0)
    chosen = run_scenario(alliance_world(pressure(1.0e12), allies=[instant]), seed=0, until="2025-12")
    assert switch.tables["alliance"]["alignment"].eq(1.0).all()
    assert chosen.tables["alliance"]["alignment"].eq(1.0).all()
    for name in ("capacity", "production", "blocs"):
        pd.testing.assert_frame_equal(switch.tables[name], chosen.tables[name], check_exact=True)


def test_an_hbm_maker_aligns_all_or_nothing_and_its_hbm_stops_with_it() -> None:
    korea = {"name": "South Korea", "bloc": "us_allies", "tier": 1, "source": "diffusion_tier1"}
    memory = {"id": "memco", "name": "Memory maker", "country": "KR", "product": "hbm", "revenue_loss_exponent": 1.0,
              "china_revenue_usd_per_year": 1.0e10, "share_at_stake": 0.1, "decision_lag_months": 1,
              "hbm_stacks_to_china_per_month": 100.0, "hbm_customers": ["cnfab"], "source": "assumption: test world"}
    world = {"countries.KR": korea, "allies": [memory]}
    weak = run_scenario(alliance_world(pressure(0.9e9), **world), seed=0, until="2025-03").tables["alliance"]
    assert weak["alignment"].tolist() == [0.0, 0.0, 0.0]  # 0.9B of pressure < 1B at stake
    assert weak["hbm_stacks_to_china"].tolist() == [100.0, 100.0, 100.0]
    strong = run_scenario(alliance_world(pressure(1.0e9), **world), seed=0, until="2025-03").tables["alliance"]
    assert strong["alignment"].tolist() == [0.0, 1.0, 1.0]  # enough: all of it, a month later
    assert strong["hbm_stacks_to_china"].tolist() == [100.0, 0.0, 0.0]
    assert strong["revenue_lost_usd"].tolist() == [0.0, 1.0e9 / 12, 1.0e9 / 12]


def test_the_run_summary_shows_allies_losses_what_they_sold_china_and_chinas_capacity() -> None:
    from sim.report import alliance_table

    result = run_scenario(alliance_world(pressure(3.0e9)), seed=0, until="2025-12")
    table = alliance_table(result)
    assert table.index.tolist() == ["2025-01", "2025-12"]
    december = table.loc["2025-12"]
    assert december["tools_alignment"] == 0.25
    assert december["revenue_lost_usd"] == 10 * 0.5e9 / 16  # ten months aligned a quarter of the way
    assert december["tools_to_china_usd"] == 12 * 1.0e9 - 10 * 0.5e9 / 16
    assert december["hbm_stacks_to_china"] == 0
    capacity = result.tables["capacity"]
    assert december["china_wafers_per_month"] == capacity["wafers_per_month"][capacity["fab"] == "cnfab"].iloc[-1]
    assert alliance_table(run_scenario(tiny(), seed=0, until="2025-03")) is None  # no allies, no table
