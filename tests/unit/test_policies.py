"""Policy levers on the tiny world: each does what it says while in force, and nothing before or after."""

from __future__ import annotations

from sim import run_scenario
from sim.model import ChipSupplyModel
from tests.conftest import tiny
from tests.unit.test_smuggling import smuggling_world


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
                     model.smuggling_fine_usd_per_chip))
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
