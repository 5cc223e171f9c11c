"""The model-weights channel on the tiny world, numbers written out: a lab's models, their theft, their licensing
abroad, what they are worth as they age, and the two levers (weight security, weight export controls).

The lab (tests/conftest.py ``LAB``) trains on all of usdc, which holds 100 H100e in January and installs 50 more each
month (150 in February, 300 in May, 450 in August). It holds a model worth half of January's compute (50 H100e) from
the start and releases one every 3 months after a 2-month run on half of its compute: the run started in February
(0.5 x 150 = 75) comes out in April, May's (150) in July, August's (225) in October. At SL2 its weights are stolen in
the month they exist; a model's worth halves every 8 months.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import run_scenario
from sim.metrics import lead_months, us_china_ratio
from sim.scenario import ScenarioError
from sim.scenario.labs import TRAINING_FLOP_PER_H100E_MONTH
from tests.conftest import LAB, LICENSEE, assert_refused, tiny_dict, weights_world, write_yaml

MONTHS = [f"2025-{month:02d}" for month in range(1, 13)]
RELEASES = {"2025-01": 50.0, "2025-04": 75.0, "2025-07": 150.0, "2025-10": 225.0}  # month -> H100e of the model


def _bloc(result, bloc: str, column: str) -> list:
    return result.blocs[result.blocs["bloc"] == bloc][column].tolist()


def _worth_of_latest(releases: dict[str, float]) -> list[float]:
    """Month by month, the worth of the latest of ``releases`` obtained so far (the newest is always the best here)."""
    worth, latest = [], None
    for tick, month in enumerate(MONTHS):
        if month in releases:
            latest = (tick, releases[month])
        worth.append(0.0 if latest is None else latest[1] * 0.5 ** ((tick - latest[0]) / 8))
    return worth


def _policy(type_name: str, announce: str = "2025-01", effective: str = "2025-01", **params) -> dict:
    return {"type": type_name, "announce": announce, "effective": effective, "source": "assumption: test",
            "params": params}


def test_a_thief_obtains_each_model_when_it_exists_and_its_worth_halves_every_8_months() -> None:
    result = run_scenario(weights_world(), seed=0)
    assert _bloc(result, "china", "weights_stolen_models") == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]
    assert _bloc(result, "china", "weights_h100e") == pytest.approx(_worth_of_latest(RELEASES))
    assert _bloc(result, "china", "weights_h100e")[1] == pytest.approx(50 * 0.5 ** (1 / 8))  # 45.85 in February
    # Counted in China's effective compute, not in the lab's bloc's (whose weights they were).
    china = result.blocs[result.blocs["bloc"] == "china"]
    assert (china["effective_h100e"] == china["installed_h100e"] + china["weights_h100e"]).all()
    assert _bloc(result, "us_allies", "weights_h100e") == [0.0] * 12
    # The lead they are worth: the lead without them less the lead with them (April: US 250, China 75 + 75).
    april = result.world.iloc[3]
    without = lead_months(us_china_ratio(250.0, 75.0), 4.5)
    assert april["lead_months"] == pytest.approx(lead_months(us_china_ratio(250.0, 150.0), 4.5))
    assert april["weights_lead_months"] == pytest.approx(without - april["lead_months"])  # 4.8 months
    assert (result.world["weights_lead_months"] > 0).all()


def test_a_lab_at_a_level_that_stops_the_thief_loses_nothing() -> None:
    result = run_scenario(weights_world(lab={"security_level": 3}), seed=0)
    assert _bloc(result, "china", "weights_h100e") == [0.0] * 12
    assert (result.world["weights_lead_months"] == 0.0).all()


def test_weight_security_stops_thefts_once_in_force_and_costs_compute_from_its_announcement() -> None:
    vaults = _policy("weight_security", announce="2025-01", effective="2025-06", security_level=3, budget_share=0.1)
    result = run_scenario(weights_world(policies=[vaults]), seed=0)
    # January's and April's models were taken before the vaults were in force; July's and October's are not.
    assert _bloc(result, "china", "weights_stolen_models") == [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    # April's model, 8 months on: half of February's 145 H100e (security took a tenth of January's budget), halved.
    assert _bloc(result, "china", "weights_h100e")[-1] == pytest.approx(0.5 * 145 * 0.5 ** (8 / 8))
    # The lab's share (all) of usdc's 500k USD budget times 10%: 50k USD a month goes to security, not chips, so
    # usdc buys 45 chips a month instead of 50 (chips arrive a month after they are bought).
    assert _bloc(result, "us_allies", "weight_security_usd") == pytest.approx([50_000.0] * 12)
    assert _bloc(result, "us_allies", "installed_h100e")[:4] == [100.0, 145.0, 190.0, 235.0]
    assert _bloc(result, "us_allies", "budget_usd") == [500_000.0] * 12  # the budget is the same; less is left


def test_weight_security_leaves_a_lab_already_at_its_level_alone() -> None:
    vaults = _policy("weight_security", security_level=3, budget_share=0.1)
    result = run_scenario(weights_world(lab={"security_level": 4}, policies=[vaults]), seed=0)
    assert _bloc(result, "us_allies", "weight_security_usd") == [0.0] * 12


def test_a_licensee_abroad_obtains_each_new_model_and_is_robbed_at_its_own_level() -> None:
    # The lab's own copy is safe at SL3; the copy at Singapore's sgdc (Tier 2, bloc rest) sits at SL2.
    world = weights_world(lab={"security_level": 3, "licensees": [LICENSEE]})
    result = run_scenario(world, seed=0)
    licensed = {month: h100e for month, h100e in RELEASES.items() if month != "2025-01"}  # released before: not sent
    assert _bloc(result, "rest", "weights_licensed_models") == [0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]
    assert _bloc(result, "rest", "weights_h100e") == pytest.approx(_worth_of_latest(licensed))
    assert _bloc(result, "china", "weights_h100e") == pytest.approx(_worth_of_latest(licensed))
    late = dict(LICENSEE, start="2025-08")
    later = run_scenario(weights_world(lab={"security_level": 3, "licensees": [late]}), seed=0)
    assert _bloc(later, "rest", "weights_licensed_models") == [0] * 9 + [1, 0, 0]


def test_an_export_control_keeps_weights_above_its_tiers_threshold_at_home() -> None:
    # Between April's model (75 H100e x 2 months of training) and July's (150 x 2): April's may go, later ones not.
    threshold = 100 * 2 * TRAINING_FLOP_PER_H100E_MONTH
    control = _policy("weight_export_control", tier_2_threshold_flop=threshold)
    world = weights_world(lab={"security_level": 3, "licensees": [LICENSEE]}, policies=[control])
    result = run_scenario(world, seed=0)
    assert _bloc(result, "rest", "weights_licensed_models") == [0, 0, 0, 1] + [0] * 8
    april_only = _worth_of_latest({"2025-04": 75.0})
    assert _bloc(result, "rest", "weights_h100e") == pytest.approx(april_only)
    assert _bloc(result, "china", "weights_h100e") == pytest.approx(april_only)  # only that copy was abroad
    # A threshold for another tier, or for another bloc's labs, leaves Singapore's licence alone.
    other_tier, other_bloc = {"tier_3_threshold_flop": threshold}, {"tier_2_threshold_flop": threshold,
                                                                     "origin_blocs": ["rest"]}
    for params in (other_tier, other_bloc):
        other = weights_world(lab={"security_level": 3, "licensees": [LICENSEE]},
                              policies=[_policy("weight_export_control", **params)])
        assert _bloc(run_scenario(other, seed=0), "rest", "weights_licensed_models").count(1) == 3


BAD_INPUT = [
    (lambda lab, weights: lab.update(security_level=6), "model_weights.labs[0].security_level",
     "less than or equal to 5"),
    (lambda lab, weights: lab.update(trains_on=["nowhere"]), "model_weights.labs[0].trains_on[0]",
     "unknown data center or data-center population; declared: cndc, sgdc, usdc"),
    (lambda lab, weights: lab.update(training_months=4), "model_weights.labs[0]",
     "training_months (4) exceeds model_cadence_months (3)"),
    (lambda lab, weights: weights["monthly_theft_probability"].update(sl4=0.5),
     "model_weights.monthly_theft_probability", "sl4 (0.5) is above sl3 (0.0)"),
    (lambda lab, weights: lab.update(licensees=[dict(LICENSEE, data_center="nowhere")]),
     "model_weights.labs[0].licensees[0].data_center", "unknown data center"),
    (lambda lab, weights: weights["labs"].append(dict(LAB, id="lab2", compute_share=0.5)), "model_weights.labs",
     "the labs training on 'usdc' hold 1.5 of its compute between them"),
]


@pytest.mark.parametrize("mutate, path, words", BAD_INPUT,
                         ids=["level", "trains_on", "cadence", "theft", "licensee", "shares"])
def test_bad_lab_input_names_file_path_value_and_allowed(tmp_path: Path, mutate, path: str, words: str) -> None:
    data = tiny_dict(model_weights={
        "monthly_theft_probability": {"sl1": 1.0, "sl2": 1.0, "sl3": 0.0, "sl4": 0.0, "sl5": 0.0},
        "value_halving_months": 8.0, "labs": [dict(LAB)], "source": "assumption: test world"})
    mutate(data["model_weights"]["labs"][0], data["model_weights"])
    scenario_file = write_yaml(tmp_path / "bad.yaml", data)
    assert_refused(scenario_file, path, words)


def test_a_weight_lever_naming_an_unknown_lab_is_refused() -> None:
    vaults = _policy("weight_security", security_level=4, budget_share=0.0, labs=["nolab"])
    refused = r"policies\[0\]\.params\.labs\[0\] = 'nolab': unknown lab; declared: uslab"
    with pytest.raises(ScenarioError, match=refused):
        weights_world(policies=[vaults])


def _stream_states(scenario) -> dict[str, dict]:
    from sim.model import ChipSupplyModel

    model = ChipSupplyModel(scenario, seed=4)
    while model.running:
        model.step()
    return {name: model.streams[name].bit_generator.state for name in model.streams.names}


def test_weight_levers_leave_every_theft_draw_and_the_demand_draws_where_they_were() -> None:
    # Thefts draw once per copy a lab could have, every month, whatever the levers: a lever only decides which
    # draws count. Demand shocks and cloud checks draw a fixed number a month too.
    lab = {"security_level": 3, "licensees": [LICENSEE]}
    without = _stream_states(weights_world(lab=lab))
    levers = [_policy("weight_security", security_level=5, budget_share=0.2, licensees=True),
              _policy("weight_export_control", tier_2_threshold_flop=1.0)]
    with_levers = _stream_states(weights_world(lab=lab, policies=levers))
    for name in ("weights.theft.uslab", "demand_shocks", "cloud_kyc"):
        assert with_levers[name] == without[name], name
