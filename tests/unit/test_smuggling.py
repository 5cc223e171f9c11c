"""Smuggling and enforcement on the tiny world: a Singapore distributor can divert US chips to a Chinese buyer."""

from __future__ import annotations

import pytest

from sim import run_scenario
from sim.model import ChipSupplyModel
from tests.conftest import smuggling_world, tiny


def test_diverted_chips_arrive_a_month_later_as_smuggled_compute_at_the_grey_price() -> None:
    result = run_scenario(smuggling_world(), seed=0)
    smuggled = result.world["smuggled_chips"].tolist()
    assert smuggled[0] == 0 and sum(smuggled) > 100
    assert max(smuggled) <= 20  # the diverter's covert capacity
    china = result.blocs[result.blocs["bloc"] == "china"]
    # "big" is 1 H100e and the lead time is one month: installed smuggled compute is last month's running total.
    running_total = [0] + list(result.world["smuggled_chips"].cumsum()[:-1])
    assert china["installed_h100e_smuggled"].tolist() == running_total
    flows = result.tables["flows"]
    grey = flows[flows["kind"] == "smuggled"]
    assert (grey["from_bloc"] == "rest").all() and (grey["to_bloc"] == "china").all()
    assert (grey["value_usd"] == grey["chips"] * 15_000).all()  # cost 10k x markup 1.5


def test_no_diversion_when_the_expected_fine_outweighs_the_markup() -> None:
    # p = 0.1: 0.9 x 15k - 10k - 0.1 x fine < 0 once the fine exceeds 35k.
    result = run_scenario(smuggling_world(**{"parameters.smuggling_fine_usd_per_chip.value": 40_000.0}), seed=0)
    assert result.world["smuggled_chips"].sum() == 0
    result = run_scenario(smuggling_world(**{"parameters.smuggling_fine_usd_per_chip.value": 30_000.0}), seed=0)
    assert result.world["smuggled_chips"].sum() > 0


def test_risk_averse_diverters_stay_out() -> None:
    averse = smuggling_world(**{"intermediaries.sgdist.risk_aversion": 2.0})  # 0.1 x 20k x 2 = 4k < 3.5k margin
    assert run_scenario(averse, seed=0).world["smuggled_chips"].sum() == 0


def test_a_found_diversion_is_seized_and_its_intermediary_listed_and_cut_off() -> None:
    certain = smuggling_world(**{
        "enforcement.agency.budget_usd_per_year": 1.2e9,  # inspects everything
        "enforcement.agency.detection_efficacy": 1.0,
    })
    result = run_scenario(certain, seed=0)
    world = result.world
    first = world.index[world["smuggled_chips"] > 0][0]
    assert world.loc[first, "seized_chips"] == world.loc[first, "smuggled_chips"]
    assert (world.loc[first:, "intermediaries_listed"] == 1).all()
    assert world.loc[first + 1:, "smuggled_chips"].sum() == 0  # listed: no more diversion
    china = result.blocs[result.blocs["bloc"] == "china"]
    assert china["installed_h100e_smuggled"].max() == 0  # nothing seized is installed
    # Cut off: the US vendor sells nothing more to the listed distributor.
    flows = result.tables["flows"]
    to_hub = flows[(flows["kind"] == "legal") & (flows["from_bloc"] == "us_allies") & (flows["to_bloc"] == "rest")]
    assert to_hub["tick"].max() <= first


def test_listed_shell_comes_back_after_its_reentry_delay() -> None:
    certain = smuggling_world(**{
        "enforcement.agency.budget_usd_per_year": 1.2e9,
        "enforcement.agency.detection_efficacy": 1.0,
        "intermediaries.sgdist.shell_reentry_months": 3,
        "parameters.perceived_detection_learning_rate.value": 0.0,  # owners learn nothing from others' seizures,
        "parameters.smuggling_fine_usd_per_chip.value": 0.0,  # and with no fine, diversion pays at any belief < 1/3
    })
    model = ChipSupplyModel(certain, seed=0)
    listed_months = []
    for _ in range(12):
        model.step()
        listed_months.append(model.agents_by_id["sgdist"].listed)
    first = listed_months.index(True)
    assert listed_months[first:first + 4] == [True, True, True, False]
    assert model.agents_by_id["sgdist"].times_listed >= 2  # back in business, and caught again


def test_seizures_raise_diverters_beliefs() -> None:
    certain = smuggling_world(**{
        "enforcement.agency.budget_usd_per_year": 1.2e9,
        "enforcement.agency.detection_efficacy": 1.0,
    })
    model = ChipSupplyModel(certain, seed=0)
    for _ in range(6):
        model.step()
    assert model.agents_by_id["sgdist"].believed_detection > 0.1  # prior 0.1, all diversions caught


@pytest.mark.parametrize("budget", [0.0, 1.2e9])
def test_enforcement_leaves_the_demand_shock_draws_unchanged(budget: float) -> None:
    """Budgets x demand shocks come from their own stream, so enforcement changes flows but not those draws."""
    noisy = {"parameters.demand_noise_sigma.value": 0.3}
    base = run_scenario(smuggling_world(**noisy), seed=4).blocs
    policed = run_scenario(smuggling_world(**noisy, **{"enforcement.agency.budget_usd_per_year": budget}), seed=4)
    assert base["budget_usd"].equals(policed.blocs["budget_usd"])
    if budget:
        assert not base["installed_h100e"].equals(policed.blocs["installed_h100e"])


def test_a_listed_buyer_asking_first_does_not_cut_off_its_unlisted_neighbours() -> None:
    second = {"id": "sgdist2", "country": "SG", "vendors": ["usv"], "markup_fraction": 0.1,
              "source": "assumption: test"}
    model = ChipSupplyModel(smuggling_world(intermediaries=[*tiny().model_dump()["intermediaries"], second]), seed=0)
    model.step()
    listed, neighbour = model.agents_by_id["sgdist"], model.agents_by_id["sgdist2"]
    listed.list_on_entity_list(model.month)
    vendor = model.agents_by_id["usv"]
    assert vendor.offers(model.month, listed) == []
    assert [chip for chip, _price, _stock in vendor.offers(model.month, neighbour)] == ["big"]
