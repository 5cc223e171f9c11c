"""Synthetic benchmark worlds: the size asked for, the design's mix, about four suppliers per buyer, and a model that
runs and conserves chips."""

from __future__ import annotations

import pytest

from sim.model import ChipSupplyModel
from sim.scenario import validate
from sim.synthetic import MIX, synthetic_scenario
from tests.properties.test_conservation import assert_balanced_each_month


@pytest.mark.parametrize("agents", [1000, 3000])
def test_a_synthetic_world_has_the_size_and_mix_asked_for(agents: int) -> None:
    scenario = validate(synthetic_scenario(agents, ticks=24), "synthetic")
    model = ChipSupplyModel(scenario, seed=0)
    kinds: dict[str, int] = {}
    for agent in model.agents_by_id.values():
        kinds[agent.kind] = kinds.get(agent.kind, 0) + 1
    total = sum(kinds.values())
    assert abs(total - agents) / agents < 0.03
    for kind, plural in (("fab", "fabs"), ("vendor", "vendors"), ("intermediary", "intermediaries"),
                         ("data_center", "data_centers")):
        assert abs(kinds[kind] / total - MIX[plural]) < 0.015, (kind, kinds)
    suppliers = [len(center.suppliers) for center in model.data_centers]
    suppliers += [len(item.vendors) for item in model.intermediaries]
    assert 3.5 <= sum(suppliers) / len(suppliers) <= 5.0
    assert model.end_month - model.start_month + 1 == 24


def test_a_synthetic_world_runs_with_every_tight_policy_and_conserves_chips() -> None:
    scenario = validate(synthetic_scenario(1000, ticks=6), "synthetic")
    assert {policy.type for policy in scenario.policies if policy.enabled} >= {
        "export_control", "enforcement_funding", "cloud_access", "compute_monitoring", "sme_controls",
        "distillation_ban"}
    model = ChipSupplyModel(scenario, seed=0)
    assert_balanced_each_month(model, 6)
    assert model.ledger.produced_chips_total > 0


def test_too_small_a_world_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 100 agents"):
        synthetic_scenario(10)
