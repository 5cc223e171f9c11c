"""Policy levers on the tiny world: each does what it says while in force, and nothing before or after."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import run_scenario
from sim.model import ChipSupplyModel
from tests.conftest import smuggling_world, tiny


def _funding(**params) -> dict:
    return {"type": "enforcement_funding", "announce": "2025-01", "effective": "2025-03", "end": "2025-06",
            "source": "assumption: test", "params": params}


def test_enforcement_funding_changes_budget_efficacy_targeting_and_fine_only_while_in_force() -> None:
    scenario = tiny(policies=[_funding(budget_multiplier=3.0, detection_efficacy=0.9, targeting=4.0,
                                       fine_usd_per_chip=1e6)])
    model = ChipSupplyModel(scenario, seed=0)
    seen = []
    for _ in range(7):
        model.step()
        body = model.agents_by_id["agency"]
        seen.append((model.date, body.inspections_per_month, body.detection_efficacy, body.targeting,
                     model.rules.smuggling_fine_usd_per_chip))
    assert seen == [
        ("2025-01", 10, 0.5, 1.0, 20000.0),
        ("2025-02", 10, 0.5, 1.0, 20000.0),
        ("2025-03", 30, 0.9, 4.0, 1e6),
        ("2025-04", 30, 0.9, 4.0, 1e6),
        ("2025-05", 30, 0.9, 4.0, 1e6),
        ("2025-06", 10, 0.5, 1.0, 20000.0),  # ended
        ("2025-07", 10, 0.5, 1.0, 20000.0),
    ]


def test_enforcement_funding_can_name_bodies() -> None:
    scenario = tiny(policies=[_funding(bodies=["agency"], budget_multiplier=2.0)])
    world = run_scenario(scenario, seed=0).world
    assert world.set_index("date").loc["2025-04", "inspection_capacity"] == 20


def test_a_higher_fine_stops_diversion_from_its_effective_month() -> None:
    policy = _funding(fine_usd_per_chip=1e6)
    policy["end"] = None
    world = run_scenario(smuggling_world(policies=[smuggling_world().policies[0].model_dump(), policy]), seed=0).world
    smuggled = world.set_index("date")["smuggled_chips"]
    assert smuggled["2025-02"] > 0
    assert smuggled["2025-03":].sum() == 0


def _policy(type_name: str, effective: str = "2025-01", **params) -> dict:
    return {"type": type_name, "announce": effective, "effective": effective, "source": "assumption: test",
            "params": params}


def test_sme_controls_take_their_share_off_growth_and_yield_learning_of_dependent_fabs() -> None:
    fast = {"fabs.cnfab.nodes.N7.growth_factor_per_year": 2.0, "fabs.cnfab.nodes.N7.yield_gain_per_year": 0.12,
            "fabs.cnfab.nodes.N7.yield_fraction": 0.5, "fabs.usfab.nodes.N4.growth_factor_per_year": 2.0}
    sme = _policy("sme_controls", coordinated=False, unilateral_reduction=0.5, coordinated_reduction=0.9)

    def after_a_year(policies):
        model = ChipSupplyModel(tiny(policies=policies, **fast), seed=0)
        for _ in range(13):  # growth starts in the second month: 12 months of growth
            model.step()
        cn, us = model.agents_by_id["cnfab"], model.agents_by_id["usfab"]
        return cn.wafers_per_month["N7"], cn.yield_fraction["N7"], us.wafers_per_month["N4"]

    free_wafers, free_yield, us_free = after_a_year([])
    wafers, yield_, us_wafers = after_a_year([sme])
    assert free_wafers == pytest.approx(2000.0) and free_yield == pytest.approx(0.62)
    assert wafers == pytest.approx(1000 * (1 + (2 ** (1 / 12) - 1) * 0.5) ** 12)  # half the monthly growth kept
    assert yield_ == pytest.approx(0.56)  # half of 12 points learned
    assert us_wafers == us_free  # the US fab does not use controlled equipment
    coordinated = dict(sme, params=dict(sme["params"], coordinated=True))
    assert after_a_year([coordinated])[0] < wafers


def test_distillation_gains_a_share_of_the_gap_and_a_ban_takes_it_back() -> None:
    share = {"parameters.distillation_gap_share.value": 0.1,
             "parameters.distillation_cap_share_of_own.value": 100.0}  # a cap that never binds here

    def china(policies):
        blocs = run_scenario(tiny(policies=policies, **share), seed=0).blocs
        return blocs[blocs["bloc"] == "china"].reset_index(), blocs[blocs["bloc"] == "us_allies"].reset_index()

    china_free, us = china([])
    own = china_free["effective_h100e"] - china_free["distillation_h100e"]
    gap = us["effective_h100e"] - own
    # A follower with no compute of its own has nothing to distil with (the cap); otherwise a tenth of the gap.
    expected = (0.1 * gap.clip(lower=0)).where(own > 0, 0.0)
    assert list(china_free["distillation_h100e"]) == pytest.approx(list(expected))
    assert (own > 0).sum() >= 10
    banned, _ = china([_policy("distillation_ban", effective="2025-06", compliance=0.5, detection=0.5)])
    assert banned.loc[6, "distillation_h100e"] == pytest.approx(0.25 * china_free.loc[6, "distillation_h100e"])
    assert banned.loc[2, "distillation_h100e"] == pytest.approx(china_free.loc[2, "distillation_h100e"])


def test_distillation_never_adds_more_than_its_cap_on_the_followers_own_compute() -> None:
    capped = {"parameters.distillation_gap_share.value": 0.5, "parameters.distillation_cap_share_of_own.value": 0.05}
    blocs = run_scenario(tiny(**capped), seed=0).blocs
    china, us = blocs[blocs["bloc"] == "china"].reset_index(), blocs[blocs["bloc"] == "us_allies"].reset_index()
    own = china["effective_h100e"] - china["distillation_h100e"]
    gap = (us["effective_h100e"] - own).clip(lower=0)
    expected = pd.concat([0.5 * gap, 0.05 * own], axis=1).min(axis=1)
    assert list(china["distillation_h100e"]) == pytest.approx(list(expected))
    assert (0.5 * gap > 0.05 * own).any()  # the cap binds in this world, so the test can tell


PROXY_LINE = {"chip": "dom", "fab": "usfab", "node": "N4", "chips_per_wafer": 10.0, "max_wafers_per_month": 2.0,
              "reservation_growth_factor_per_year": 1.0, "via_front_company": True, "source": "assumption: test"}


def proxy_world(policies=()):
    lines = tiny().vendors[1].product_lines[0].model_dump()
    return tiny(**{"vendors.cnv.product_lines": [lines, PROXY_LINE], "policies": list(policies)})


def test_proxy_fabricated_dies_reach_china_as_their_own_source() -> None:
    result = run_scenario(proxy_world(), seed=0)
    production = result.tables["production"]
    proxy = production[production["chip"] == "dom_proxy"]
    assert (proxy["fab"] == "usfab").all() and proxy["chips"].sum() > 0
    china = result.blocs[result.blocs["bloc"] == "china"]
    assert china["installed_h100e_proxy_fab"].iloc[-1] > 0


def test_foundry_kyc_refuses_front_companies_from_its_effective_month() -> None:
    kyc = _policy("foundry_kyc", effective="2025-03", fab_countries=["US"], detection=1.0)
    production = run_scenario(proxy_world([kyc]), seed=0).tables["production"]
    proxy = production[production["chip"] == "dom_proxy"]
    assert set(proxy["date"]) == {"2025-01", "2025-02"}
    partial = _policy("foundry_kyc", effective="2025-01", fabs=["usfab"], detection=0.5)
    months = set(run_scenario(proxy_world([partial]), seed=0).tables["production"].query("chip == 'dom_proxy'")["date"])
    assert 0 < len(months) < 12


def test_us_stack_promotion_shifts_tier2_buyers_from_huawei_to_us_hardware() -> None:
    # The Singapore buyer may buy the Chinese chip directly (0.5 H100e for 10k USD) or the US chip (1 H100e) from its
    # distributor at 11k USD: the US chip is cheaper per H100e, and promotion makes it cheaper still to this buyer.
    def chips_from(policies) -> tuple[int, int]:
        scenario = tiny(**{"data_centers.sgdc.suppliers": ["sgdist", "cnv"], "policies": list(policies)})
        flows = run_scenario(scenario, seed=0).tables["flows"]
        to_rest = flows[(flows["to_bloc"] == "rest") & (flows["kind"] == "legal")]
        return (int(to_rest.loc[to_rest["from_bloc"] == "china", "chips"].sum()),
                int(to_rest.loc[to_rest["from_bloc"] == "rest", "chips"].sum()))

    huawei_before, us_before = chips_from([])
    huawei_after, us_after = chips_from([_policy("us_stack_promotion", preference=0.5)])
    assert huawei_after < huawei_before and us_after > us_before
