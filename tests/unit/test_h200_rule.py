"""The Jan-2026 H200 rule as an ``export_allowance``: its two prongs and the readings of its volume cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.catalog import build_catalog
from sim.cli import main
from sim.model import ChipSupplyModel
from sim.policies.export_controls import AllowanceInForce, ExportAllowanceParams
from sim.policies.registry import policy_problems
from sim.scenario.schema import PolicySpec
from tests.conftest import tiny, tiny_dict, write_yaml
from tests.unit.test_export_controls import allowance, big_to_china, control, run

RULE = {"max_tpp": 21000.0, "max_memory_bandwidth_gbps": 6500.0, "destination_countries": ["CN"]}
H200_LIKE = {"catalog.big.memory_bandwidth_gbps": 4800.0}  # "big" has the H200's TPP, 15,832


def covers(**chip) -> bool:
    catalog = build_catalog(tiny(**{f"catalog.big.{key}": value for key, value in chip.items()}))
    return ExportAllowanceParams.model_validate(RULE).covers_chip(catalog["big"])


@pytest.mark.parametrize("chip, inside", [
    ({"tpp": 15832.0, "memory_bandwidth_gbps": 4800.0}, True),  # the H200
    ({"tpp": 20999.0, "memory_bandwidth_gbps": 6499.0}, True),  # just below both
    ({"tpp": 21000.0, "memory_bandwidth_gbps": 4800.0}, False),  # TPP at the prong: not below it
    ({"tpp": 36000.0, "memory_bandwidth_gbps": 4800.0}, False),  # a B200's TPP
    ({"tpp": 15832.0, "memory_bandwidth_gbps": 6500.0}, False),  # bandwidth at the prong
    ({"tpp": 15832.0, "memory_bandwidth_gbps": 8000.0}, False),  # a B200's bandwidth
])
def test_a_chip_is_covered_only_below_both_prongs(chip: dict, inside: bool) -> None:
    assert covers(**chip) is inside


def test_a_chip_in_band_may_go_to_china_despite_the_control_and_one_out_of_band_may_not() -> None:
    ban = control(tpp_threshold=4800.0)
    assert sum(big_to_china(run([ban, allowance(chips=[], **RULE)], **H200_LIKE))) > 0
    assert sum(big_to_china(run([ban, allowance(chips=[], **dict(RULE, max_memory_bandwidth_gbps=4000.0))],
                                **H200_LIKE))) == 0
    assert sum(big_to_china(run([ban, allowance(chips=[], **dict(RULE, max_tpp=15000.0))], **H200_LIKE))) == 0


def test_a_chip_without_bandwidth_under_a_bandwidth_prong_is_an_error_at_load_time() -> None:
    spec = PolicySpec.model_validate(allowance(chips=[], **RULE))
    problems = policy_problems(("policies", 1), spec, tiny())  # "big" (15,832 TPP) has no bandwidth in the tiny world
    assert [problem.path for problem in problems] == [("policies", 1, "params", "max_memory_bandwidth_gbps")]
    assert "'big'" in problems[0].message and "catalog.big.memory_bandwidth_gbps" in problems[0].message
    # Out of band on TPP already: its bandwidth does not matter.
    assert policy_problems(("policies", 1), spec, tiny(**{"catalog.big.tpp": 30000.0})) == []


# A US vendor selling three chips: "big" (an H200), "mid" (an H20) and "new" (a Blackwell, above both prongs).
THREE_CHIPS = {
    "catalog.big.memory_bandwidth_gbps": 4800.0,
    "catalog.mid": {"name": "Mid", "vendor": "usv", "tpp": 2368.0, "price_usd": 9000.0, "node": "N4",
                    "release": "2024-01", "hbm_stacks_per_chip": 1, "memory_bandwidth_gbps": 4000.0,
                    "source": "assumption: test world"},
    "catalog.new": {"name": "New", "vendor": "usv", "tpp": 36000.0, "price_usd": 30000.0, "node": "N4",
                    "release": "2024-01", "hbm_stacks_per_chip": 2, "memory_bandwidth_gbps": 8000.0,
                    "source": "assumption: test world"},
    "vendors.usv.product_lines": [
        {"chip": chip, "fab": "usfab", "node": "N4", "chips_per_wafer": 10.0, "chips_per_packaging_wafer": 10.0,
         "max_wafers_per_month": 10.0, "reservation_growth_factor_per_year": 1.0, "source": "assumption: test world"}
        for chip in ("big", "mid", "new")],
}
HOME_SALES = {"big": 40, "mid": 20, "new": 100}  # last month's chips sold to the vendor's own bloc


@pytest.mark.parametrize("basis, cap, big_left", [
    ("same_chip_home_sales", 20, 20),  # 0.5 x 40; the 10 "mid" already sold count against "mid" only
    ("covered_chips_home_sales", 30, 20),  # 0.5 x (40 + 20), shared by "big" and "mid"
    ("vendor_home_sales", 80, 70),  # 0.5 x (40 + 20 + 100), shared by "big" and "mid"
])
def test_each_cap_reading_gives_its_cap_in_chips(basis: str, cap: int, big_left: int) -> None:
    model = ChipSupplyModel(tiny(**THREE_CHIPS), seed=0)
    vendor = model.agents_by_id["usv"]
    arrays = model.vendor_arrays
    arrays.sold_by_bloc[:] = 0
    for chip, chips in HOME_SALES.items():
        arrays.sold_by_bloc[vendor._cell(chip), 0] = chips  # us_allies is bloc 0
    params = ExportAllowanceParams.model_validate(dict(RULE, volume_cap_share_of_home_sales=0.5,
                                                       volume_cap_basis=basis))
    assert vendor._allowance_remaining(AllowanceInForce(params), "big") == cap
    assert vendor._allowance_remaining(AllowanceInForce(params, used_chips={"mid": 10}), "big") == big_left


@pytest.mark.parametrize("params, shown, words", [
    ({"volume_cap_basis": "us_sales", "volume_cap_share_of_home_sales": 0.5},
     "params.volume_cap_basis = 'us_sales'", "same_chip_home_sales"),
    ({"volume_cap_basis": "vendor_home_sales"}, "params", "only applies with volume_cap_share_of_home_sales"),
    ({"max_tpp": -1.0}, "params.max_tpp = -1.0", "greater than 0"),
    ({"chips": []}, "params", "needs chips, max_tpp or max_memory_bandwidth_gbps"),
])
def test_bad_allowance_params_exit_2_naming_file_path_value_and_what_is_allowed(
        tmp_path: Path, capsys, params: dict, shown: str, words: str) -> None:
    data = tiny_dict()
    data["policies"] = [allowance(**{"chips": ["big"], "destination_countries": ["CN"], **params})]
    scenario_file = write_yaml(tmp_path / "bad.yaml", data)
    assert main(["validate", str(scenario_file)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and f"policies[0].{shown}" in err and words in err
