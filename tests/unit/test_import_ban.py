"""China's import bans on the tiny world, where the Chinese buyer may buy the US chip "big" and the domestic "dom"."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.catalog import build_catalog
from sim.cli import main
from sim.policies.import_ban import ImportBanParams
from tests.conftest import tiny, tiny_dict, write_yaml
from tests.unit.test_export_controls import allowance, big_to_china, control, run


def ban(**params) -> dict:
    return {"type": "import_ban", "announce": "2025-01", "effective": "2025-01", "source": "assumption: test",
            "params": params}


def domestic_revenue_from_china(result) -> float:
    revenue = result.tables["revenue"]
    return float(revenue.loc[(revenue["vendor"] == "cnv") & (revenue["destination_bloc"] == "china"),
                             "revenue_usd"].sum())


@pytest.mark.parametrize("params, chip, covered", [
    ({"chips": ["big"]}, "big", True),
    ({"vendors": ["usv"]}, "big", True),
    ({"below_tpp": 20000.0}, "big", True),
    ({"below_tpp": 15832.0}, "big", False),  # not below
    ({"vendors": ["usv"], "below_tpp": 10000.0}, "big", False),  # every criterion given must hold
    ({"vendors": ["usv"], "below_tpp": 20000.0}, "big", True),
])
def test_a_ban_covers_named_chips_or_chips_meeting_every_criterion(params: dict, chip: str, covered: bool) -> None:
    assert ImportBanParams.model_validate(params).covers(build_catalog(tiny())[chip]) is covered


def test_a_full_ban_stops_the_named_chip_at_the_border_and_the_budget_goes_to_domestic_chips() -> None:
    free, banned = run([]), run([ban(chips=["big"])])
    assert sum(big_to_china(free)) > 0 and sum(big_to_china(banned)) == 0
    assert domestic_revenue_from_china(banned) > domestic_revenue_from_china(free)


def test_a_ban_never_covers_the_importing_blocs_own_chips() -> None:
    own = run([ban(vendors=["cnv", "usv"])])
    assert sum(big_to_china(own)) == 0 and domestic_revenue_from_china(own) > 0


def test_partial_compliance_lets_some_months_through() -> None:
    sold = big_to_china(run([ban(chips=["big"], compliance=0.5)]))
    assert 0 < sum(1 for chips in sold if chips) < len(sold)


def test_us_allowance_and_chinese_ban_compose_to_nothing_legal() -> None:
    allowed = [control(tpp_threshold=4800.0), allowance(volume_cap_chips_per_month=7)]
    assert sum(big_to_china(run(allowed))) > 0
    assert sum(big_to_china(run(allowed + [ban(chips=["big"])]))) == 0


@pytest.mark.parametrize("params, shown, words", [
    ({"chips": ["big"], "compliance": 1.5}, "params.compliance = 1.5", "less than or equal to 1"),
    ({"chips": ["huge"]}, "params.chips[0] = 'huge'", "unknown chip; declared: big, dom"),
    ({"vendors": ["nvidia"]}, "params.vendors[0] = 'nvidia'", "unknown vendor; declared: cnv, usv"),
    ({"compliance": 0.5}, "params", "needs chips, vendors or below_tpp"),
    ({"chips": ["big"], "importing_bloc": "cn"}, "params.importing_bloc = 'cn'", "'us_allies', 'china' or 'rest'"),
])
def test_bad_ban_params_exit_2_naming_file_path_value_and_what_is_allowed(
        tmp_path: Path, capsys, params: dict, shown: str, words: str) -> None:
    data = tiny_dict()
    data["policies"] = [ban(**params)]
    scenario_file = write_yaml(tmp_path / "bad.yaml", data)
    assert main(["validate", str(scenario_file)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and f"policies[0].{shown}" in err and words in err
