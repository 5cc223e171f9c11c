"""Directional effects of the levers on the baseline, with paired seeds (same seed, lever on vs off)."""

from __future__ import annotations

import pytest
import yaml

from sim import run_scenario
from sim.scenario import load_scenario
from tests.conftest import BASELINE, REPO

SEEDS = (0, 1, 2)
UNTIL = "2027-12"
BASE_POLICIES = yaml.safe_load(BASELINE.read_text())["policies"]


def run_with(extra_policies: list[dict], seed: int):
    loaded = load_scenario(BASELINE, overrides={"policies": BASE_POLICIES + extra_policies})
    return run_scenario(loaded, seed=seed, until=UNTIL)


def policy(type_name: str, **params) -> dict:
    return {"type": type_name, "announce": "2025-01", "effective": "2025-01", "source": "assumption: test",
            "params": params}


@pytest.mark.parametrize("seed", SEEDS)
def test_more_enforcement_funding_means_fewer_chips_smuggled_and_more_seized(seed: int) -> None:
    off = run_with([], seed).world
    on = run_with([policy("enforcement_funding", budget_multiplier=10.0)], seed).world
    assert on["smuggled_chips"].sum() < off["smuggled_chips"].sum()
    assert on["seized_chips"].sum() > off["seized_chips"].sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_cloud_kyc_means_less_compute_rented_offshore(seed: int) -> None:
    off = run_with([], seed).blocs
    on = run_with([policy("cloud_access", kyc_detection=0.8)], seed).blocs
    rented = lambda blocs: blocs.loc[blocs["bloc"] == "china", "rented_in_h100e"].sum()  # noqa: E731
    # Tenants refused by some hosts move their demand to the others, so KYC leaks: less, not proportionally less.
    assert rented(on) < 0.8 * rented(off)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_higher_threshold_lets_more_chips_through_legally(seed: int) -> None:
    def legal_imports_to_china(threshold: float) -> float:
        policies = [dict(p, params=dict(p["params"])) for p in BASE_POLICIES]
        policies[0]["params"]["tpp_threshold"] = threshold  # the 3A090 control
        loaded = load_scenario(BASELINE, overrides={"policies": policies})
        blocs = run_scenario(loaded, seed=seed, until=UNTIL).blocs
        return blocs.loc[blocs["bloc"] == "china", "acquired_h100e_import"].sum()

    assert legal_imports_to_china(20000.0) > legal_imports_to_china(4800.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_coordinated_sme_controls_mean_less_chinese_domestic_output(seed: int) -> None:
    def domestic_output(coordinated: bool) -> float:
        policies = [dict(p, params=dict(p["params"])) for p in BASE_POLICIES]
        for entry in policies:
            if entry["type"] == "sme_controls":
                entry["params"]["coordinated"] = coordinated
        loaded = load_scenario(BASELINE, overrides={"policies": policies})
        # The whole horizon: while the HBM stockpile binds, slower fabs only spread its use over more years.
        blocs = run_scenario(loaded, seed=seed).blocs
        return blocs.loc[blocs["bloc"] == "china", "produced_h100e"].sum()

    assert domestic_output(True) < domestic_output(False)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_distillation_ban_lowers_chinas_effective_compute(seed: int) -> None:
    def china_effective(blocs):
        return blocs.loc[blocs["bloc"] == "china", "effective_h100e"].sum()

    off = run_with([], seed).blocs
    on = run_with([policy("distillation_ban", compliance=0.5, detection=0.3)], seed).blocs
    assert china_effective(on) < china_effective(off)


@pytest.mark.parametrize("seed", SEEDS)
def test_location_verification_means_less_smuggled_compute_in_china(seed: int) -> None:
    def smuggled_into_china(blocs):
        return blocs.loc[blocs["bloc"] == "china", "acquired_h100e_smuggled"].sum()

    off = run_with([], seed)
    on = run_with([policy("location_verification", monthly_detection=0.2)], seed)
    assert smuggled_into_china(on.blocs) < smuggled_into_china(off.blocs)
    # Diverters given away spend more months on the entity list (the count in one month also depends on when
    # their shells re-enter, so the months listed over the run are compared).
    assert on.world["intermediaries_listed"].sum() > off.world["intermediaries_listed"].sum()


def _china_2026(scenario: str, seed: int):
    blocs = run_scenario(REPO / "scenarios" / scenario, seed=seed, until="2026-12").blocs
    return blocs[(blocs["bloc"] == "china") & blocs["date"].str.startswith("2026")]


@pytest.mark.parametrize("seed", SEEDS)
def test_chinas_h200_block_means_fewer_legal_imports_and_more_spent_on_the_offers_left(seed: int) -> None:
    blocked, allowed = _china_2026("baseline.yaml", seed), _china_2026("china_allows_h200.yaml", seed)
    assert blocked["acquired_h100e_import"].sum() < allowed["acquired_h100e_import"].sum()
    # Where the budget goes instead (other imports, Huawei, the grey market) is not asserted seed by seed: Huawei is
    # supply-bound and smuggling bound by covert capacity, so the paired difference in smuggled chips is noise (at
    # 0d8b66f it was positive in 6 seeds of 0-8, seed 1 by 10 H100e of 98k; with China's packaging step, 3 of 9).


@pytest.mark.parametrize("seed", SEEDS)
def test_the_h200_rule_lets_more_legal_compute_into_china_than_no_allowance(seed: int) -> None:
    rule, none = _china_2026("baseline.yaml", seed), _china_2026("no_h200_allowance.yaml", seed)
    assert rule["acquired_h100e_import"].sum() > none["acquired_h100e_import"].sum()



def _china(scenario: str, seed: int, until: str):
    result = run_scenario(REPO / "scenarios" / scenario, seed=seed, until=until, tables=["alliance", "capacity"])
    return result, result.blocs[result.blocs["bloc"] == "china"]


@pytest.mark.parametrize("seed", SEEDS)
def test_packaging_equipment_controls_mean_less_chinese_compute_from_chiplet_packages(seed: int) -> None:
    _free, free = _china("chiplets.yaml", seed, "2028-12")
    _controlled, controlled = _china("packaging_controls.yaml", seed, "2028-12")
    assert controlled["installed_h100e_chiplet"].sum() < free["installed_h100e_chiplet"].sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_hbm_export_control_means_less_hbm_reaching_china_and_fewer_chinese_accelerators(seed: int) -> None:
    controlled_run, controlled = _china("baseline.yaml", seed, UNTIL)
    open_run, opened = _china("hbm_exports_open.yaml", seed, UNTIL)
    # The baseline starts in 2024, when Samsung and SK hynix still sold China HBM: none from the rule's month on.
    controlled_sales, open_sales = (run.tables["alliance"].set_index("date")["hbm_stacks_to_china"]
                                    for run in (controlled_run, open_run))
    assert controlled_sales.loc["2024-12":].sum() == 0 and controlled_sales.loc[:"2024-11"].sum() > 0
    assert open_sales.loc["2024-12":].sum() > 0
    assert controlled["produced_h100e"].sum() < opened["produced_h100e"].sum()
    assert controlled["installed_h100e_chiplet"].iloc[-1] < opened["installed_h100e_chiplet"].iloc[-1]


@pytest.mark.parametrize("seed", SEEDS)
def test_alliance_pressure_means_allies_align_lose_revenue_and_chinas_fabs_grow_less(seed: int) -> None:
    def smic_wafers(result) -> float:
        capacity = result.tables["capacity"]
        return capacity.loc[capacity["fab"] == "smic", "wafers_per_month"].iloc[-1]

    alone_run, alone = _china("baseline.yaml", seed, "2028-12")
    pressed_run, pressed = _china("alliance_pressure.yaml", seed, "2028-12")
    assert alone_run.tables["alliance"]["alignment"].eq(0).all()
    assert pressed_run.tables["alliance"]["alignment"].iloc[-4:].gt(0).all()
    assert pressed_run.tables["alliance"]["revenue_lost_usd"].sum() > 0
    assert smic_wafers(pressed_run) < smic_wafers(alone_run)
    assert pressed["produced_h100e"].sum() < alone["produced_h100e"].sum()
# Thefts are rare at today's levels (a few seeds see none by 2027); the test raises their rate so that every seed
# sees some, and keeps the levels' order.
FREQUENT_THEFT = {"model_weights.monthly_theft_probability": {"sl1": 0.05, "sl2": 0.05, "sl3": 0.02, "sl4": 0.0004,
                                                              "sl5": 0.00005}}


@pytest.mark.parametrize("seed", SEEDS)
def test_weight_security_means_fewer_weights_stolen_and_less_compute_from_them(seed: int) -> None:
    def china_weights(extra: list[dict]):
        loaded = load_scenario(BASELINE, overrides={"policies": BASE_POLICIES + extra, **FREQUENT_THEFT})
        blocs = run_scenario(loaded, seed=seed, until=UNTIL).blocs
        china = blocs[blocs["bloc"] == "china"]
        return china["weights_stolen_models"].sum(), china["weights_h100e"].sum()

    stolen_off, h100e_off = china_weights([])
    stolen_on, h100e_on = china_weights([policy("weight_security", security_level=4, budget_share=0.02)])
    assert stolen_on < stolen_off
    assert h100e_on < h100e_off


@pytest.mark.parametrize("seed", SEEDS)
def test_a_weight_export_control_keeps_weights_from_licensees_abroad(seed: int) -> None:
    def rest_weights(scenario: str) -> float:
        blocs = run_scenario(REPO / "scenarios" / scenario, seed=seed, until=UNTIL).blocs
        return blocs.loc[blocs["bloc"] == "rest", "weights_h100e"].sum()

    assert rest_weights("weight_export_control.yaml") < rest_weights("weights_licensed.yaml")


@pytest.mark.parametrize("seed", SEEDS)
def test_training_run_monitoring_over_the_hubs_means_less_rented_compute_and_more_diverters_listed(seed: int) -> None:
    members = dict.fromkeys(["US", "TW", "JP", "KR", "GB", "DE", "FR", "NL"], 0.9) | {"SG": 0.7, "MY": 0.5}
    off = run_with([], seed)
    on = run_with([policy("training_run_monitoring", coverage=members, tenant_detection=0.8, cluster_detection=0.3)],
                  seed)
    rented = lambda blocs: blocs.loc[blocs["bloc"] == "china", "rented_in_h100e"].sum()  # noqa: E731
    assert rented(on.blocs) < 0.5 * rented(off.blocs)
    assert on.world["intermediaries_listed"].sum() > off.world["intermediaries_listed"].sum()
