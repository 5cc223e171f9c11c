"""Export controls on the tiny world, where the Chinese buyer may also buy the US chip "big" (15,832 TPP)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from sim import run_scenario
from sim.model import ChipSupplyModel
from tests.conftest import tiny


def control(effective: str = "2025-01", announce: str | None = None, **params) -> dict:
    params.setdefault("destination_tiers", [3])
    return {"type": "export_control", "announce": announce or effective, "effective": effective,
            "source": "assumption: test", "params": params}


def allowance(**params) -> dict:
    params.setdefault("destination_countries", ["CN"])
    return {"type": "export_allowance", "announce": "2025-01", "effective": "2025-01", "source": "assumption: test",
            "params": {"chips": ["big"], **params}}


def run(policies: list[dict], **overrides):
    scenario = tiny(**{"data_centers.cndc.suppliers": ["cnv", "usv"], "policies": policies, **overrides})
    return run_scenario(scenario, seed=0)


def big_to_china(result) -> list[int]:
    flows = result.tables["flows"]
    months = result.world["date"].tolist()
    to_cn = flows[(flows["from_bloc"] == "us_allies") & (flows["to_bloc"] == "china")].groupby("date")["chips"].sum()
    return [int(to_cn.get(month, 0)) for month in months]


def test_without_controls_the_chinese_buyer_buys_the_us_chip() -> None:
    assert sum(big_to_china(run([]))) > 0


def test_presumption_of_denial_stops_every_sale() -> None:
    assert sum(big_to_china(run([control(tpp_threshold=4800.0)]))) == 0


@pytest.mark.parametrize("probability, expect", [(0.0, "none"), (1.0, "all"), (0.5, "some")])
def test_case_by_case_licences_are_granted_with_their_probability(probability: float, expect: str) -> None:
    result = run([control(tpp_threshold=4800.0, licence="case_by_case", approval_probability=probability)])
    sold = big_to_china(result)
    months_with_sales = sum(1 for chips in sold if chips)
    if expect == "none":
        assert months_with_sales == 0
    elif expect == "all":
        assert months_with_sales == len(sold)
        kinds = set(result.tables["flows"].query("to_bloc == 'china' and from_bloc == 'us_allies'")["kind"])
        assert kinds == {"licensed"}
    else:
        assert 0 < months_with_sales < len(sold)


def test_licence_draws_do_not_depend_on_anything_else_in_the_run() -> None:
    licensed = control(tpp_threshold=4800.0, licence="case_by_case", approval_probability=0.5)
    months = [chips > 0 for chips in big_to_china(run([licensed]))]
    richer = [chips > 0 for chips in big_to_china(run([licensed], **{"data_centers.cndc.budget_usd_per_month": 9e5}))]
    assert months == richer  # the same months are licensed whatever the buyer's budget


def test_allowance_caps_volume_and_takes_its_tariff() -> None:
    result = run([control(tpp_threshold=4800.0), allowance(volume_cap_chips_per_month=7, tariff_fraction=0.25)])
    sold = big_to_china(result)
    assert max(sold) == 7 and sum(sold) > 0
    revenue = result.tables["revenue"]
    to_china = revenue[(revenue["vendor"] == "usv") & (revenue["destination_bloc"] == "china")]
    gross = (to_china["revenue_usd"] + to_china["tariff_usd"]).sum()
    assert to_china["tariff_usd"].sum() == pytest.approx(0.25 * gross)


def test_allowance_cap_can_follow_home_sales() -> None:
    # The US buyer takes 50 chips a month, so half of that, 25, may go to China the month after.
    result = run([control(tpp_threshold=4800.0), allowance(volume_cap_share_of_home_sales=0.5)])
    sold = big_to_china(result)
    assert sold[0] == 0 and max(sold[1:]) <= 25 and sum(sold) > 0


def test_performance_density_prong_controls_a_dense_chip_below_the_tpp_threshold() -> None:
    dense = {"catalog.big.die_area_mm2": 800.0}  # 15,832 / 800 = 19.8 TPP per mm2
    assert sum(big_to_china(run([control(density_threshold=5.92)], **dense))) == 0
    assert sum(big_to_china(run([control(density_threshold=25.0)], **dense))) > 0


def test_dynamic_threshold_ratchets_down_to_catch_the_frontier_chip() -> None:
    # Starts at 20,000 TPP ("big" is free); every 3 months it becomes 0.5 x the best chip, 7,916: "big" is caught.
    ratchet = control(tpp_threshold=20000.0, ratchet_cadence_months=3, ratchet_frontier_fraction=0.5)
    sold = big_to_china(run([ratchet]))
    assert all(sold[:3]) and sum(sold[3:]) == 0


def test_buyers_stockpile_between_announcement_and_effect() -> None:
    ban = control(tpp_threshold=4800.0, announce="2025-03", effective="2025-06")
    calm = big_to_china(run([ban]))
    eager = big_to_china(run([ban], **{"parameters.stockpile_spending_multiplier.value": 2.0}))
    assert sum(eager[2:5]) > sum(calm[2:5])  # March to May: the announcement window
    assert sum(eager[5:]) == sum(calm[5:]) == 0


DESIGN = {"lag_months": 3, "tpp_fraction_of_threshold": 0.9, "price_ratio_to_base": 0.4, "reservation_share": 0.3,
          "source": "assumption: test"}


def test_vendor_designs_a_compliant_variant_after_its_lag_and_sells_it_to_controlled_buyers() -> None:
    result = run([control(tpp_threshold=4800.0)], **{"vendors.usv.design_to_threshold": DESIGN})
    production = result.tables["production"]
    variant = production[production["chip"] == "big_under_4800"]
    assert variant["date"].min() == "2025-04"  # effective 2025-01 + 3 months of design
    assert variant["h100e"].iloc[0] == pytest.approx(variant["chips"].iloc[0] * 0.9 * 4800 / 15832)
    sold = big_to_china(result)
    assert sum(sold[:4]) == 0 and all(sold[4:])  # on sale from April, arriving in China from May
    prices = result.tables["prices"]
    assert prices.loc[prices["chip"] == "big_under_4800", "price_usd"].iloc[0] == pytest.approx(4000.0)


def test_a_generation_that_already_has_a_compliant_chip_gets_no_second_variant() -> None:
    # "small" is the vendor's own answer to the line, of big's generation (as the H20 is Hopper's): no big_under_4800.
    small = {"name": "Small", "vendor": "usv", "tpp": 2368.0, "price_usd": 4000.0, "node": "N4", "release": "2025-06",
             "hbm_stacks_per_chip": 2, "generation": "g1", "source": "assumption: test world"}
    answered = run([control(tpp_threshold=4800.0)], **{"vendors.usv.design_to_threshold": DESIGN,
                                                       "catalog.big.generation": "g1", "catalog.small": small})
    assert "big_under_4800" not in set(answered.tables["production"]["chip"])
    # Of another generation, it answers nothing: the variant comes as before.
    other = run([control(tpp_threshold=4800.0)], **{"vendors.usv.design_to_threshold": DESIGN,
                                                    "catalog.big.generation": "g2", "catalog.small": small})
    assert "big_under_4800" in set(other.tables["production"]["chip"])


def test_the_index_vendors_ask_sees_a_chip_added_to_the_catalog_after_it_was_first_asked() -> None:
    # Vendors ask "have I a chip of this generation under the threshold?" of an index over the catalog; a variant
    # launched mid-run must count from then on, or the vendor would design the same variant again.
    model = ChipSupplyModel(tiny(**{"catalog.big.generation": "g1"}), seed=0)
    assert model.chips.lowest_tpp("usv", "g1") == 15832.0
    assert model.chips.lowest_tpp("usv", "g2") == math.inf
    model.catalog["big_under_4800"] = replace(model.catalog["big"], id="big_under_4800", tpp=4320.0)
    model.catalog["other_vendor_chip"] = replace(model.catalog["big"], id="other_vendor_chip", vendor_id="cnv",
                                                 tpp=100.0)
    assert model.chips.lowest_tpp("usv", "g1") == 4320.0
    assert model.chips.lowest_tpp("cnv", "g1") == 100.0


def test_a_ratcheting_threshold_catches_the_variant_and_the_vendor_designs_again() -> None:
    ratchet = control(tpp_threshold=8000.0, ratchet_cadence_months=6, ratchet_frontier_fraction=0.25)
    production = run([ratchet], **{"vendors.usv.design_to_threshold": DESIGN}).tables["production"]
    chips = set(production["chip"])
    assert {"big_under_8000", "big_under_3958"} <= chips  # 0.25 x 15,832 = 3,958 after six months


def tiered(**params) -> dict:
    return {"type": "tiered_caps", "announce": "2025-01", "effective": "2025-01", "source": "assumption: test",
            "params": params}


def big_to_singapore(result) -> int:
    flows = result.tables["flows"]
    return int(flows[(flows["from_bloc"] == "us_allies") & (flows["to_bloc"] == "rest")]["chips"].sum())


def test_tiered_caps_stop_a_tier2_country_at_its_cumulative_cap() -> None:
    free = big_to_singapore(run([]))
    capped = big_to_singapore(run([tiered(country_cap_h100e=30.0)]))
    assert free > 100 and capped == 30  # "big" is 1 H100e: 30 chips, cumulatively, then no more
    g2g = big_to_singapore(run([tiered(country_cap_h100e=30.0, country_caps={"SG": 60.0})]))
    assert g2g == 60


def test_small_orders_are_exempt_and_not_counted() -> None:
    # The distributor's monthly orders are below 1,700 H100e: all exempt, as if there were no cap.
    exempt = tiered(country_cap_h100e=30.0, small_order_h100e=1700.0)
    assert big_to_singapore(run([exempt])) == big_to_singapore(run([]))


def test_universal_veu_may_hold_only_its_share_of_its_blocs_compute_in_a_tier2_country() -> None:
    us_owned = {"data_centers.sgdc.owner_bloc": "us_allies", "data_centers.sgdc.suppliers": ["usv"]}
    uveu = tiered(country_cap_h100e=0.0, universal_veu_blocs=["us_allies"], universal_veu_country_share=0.07)
    result = run([uveu], **us_owned)
    us = result.blocs[result.blocs["bloc"] == "us_allies"]
    flows = result.tables["flows"]
    to_sg = flows[(flows["from_bloc"] == "us_allies") & (flows["to_bloc"] == "rest")]["chips"].sum()
    assert 0 < to_sg <= 0.07 * us["installed_h100e"].iloc[-1] + 1
