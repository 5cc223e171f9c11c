"""The contract every registered policy keeps, whatever it does (each lever's behaviour has its own test file).

- its parameters are strict: an unknown key is refused, by name;
- it acts only by writing into the month's ``Rules``: the world it reads is the same after it acted, and while it is
  not in force it writes nothing;
- switched off (``enabled: false``) or not yet in force, it leaves every table of the run, and so every random draw,
  exactly as without it.

A new policy module is covered as soon as it registers; this file then asks for one example of its parameters that
does something in the tiny smuggling world.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from sim import run_scenario
from sim.model import ChipSupplyModel
from sim.policies.registry import REGISTRY, PolicyParams, _load_plugins, policy_problems
from sim.rules import Rules
from sim.scenario.schema import PolicySpec
from tests.conftest import CONTROL, smuggling_world

_load_plugins()

EXAMPLES = {  # parameters that write something in the tiny smuggling world from its first month
    "cloud_access": {"kyc_detection": 0.5},
    "compute_monitoring": {"threshold_h100e": 10.0, "detection": 0.5},
    "distillation_ban": {"compliance": 0.5},
    "enforcement_funding": {"budget_multiplier": 2.0, "fine_usd_per_chip": 50000.0},
    "export_allowance": {"chips": ["big"], "destination_tiers": [3], "volume_cap_chips_per_month": 5},
    "export_control": {"tpp_threshold": 1000.0, "destination_tiers": [2]},
    "foundry_kyc": {"fabs": ["usfab"], "detection": 0.5},
    "import_ban": {"chips": ["big"], "compliance": 0.5},
    "location_verification": {"monthly_detection": 1.0},
    "sme_controls": {"unilateral_reduction": 0.3, "coordinated_reduction": 0.6},
    "tiered_caps": {"country_cap_h100e": 50.0},
    "us_stack_promotion": {"preference": 0.2},
}
TYPES = sorted(REGISTRY)


def _entry(type_name: str, effective: str = "2025-01", announce: str = "2025-01", **extra) -> dict:
    return {"type": type_name, "announce": announce, "effective": effective, "source": "assumption: test",
            "params": EXAMPLES[type_name], **extra}


def _rules_state(rules: Rules) -> tuple:
    """Everything a policy can write into ``rules``, in a form that compares with ==."""
    export, cloud = rules.export, rules.cloud
    return (
        [(id(c.params), c.tpp_threshold) for c in export.controls], [id(a.params) for a in export.allowances],
        [id(t.params) for t in export.tiered], [(id(c.params), c.tpp_threshold) for c in rules.announced_controls],
        [(id(p), d) for p, d in cloud.kyc], [id(p) for p in cloud.caps], [id(p) for p in cloud.remote_access],
        [id(p) for p in cloud.monitoring], rules.smuggling_fine_usd_per_chip, rules.distillation_kept,
        {name: vars(settings).copy() for name, settings in rules.enforcement.items()},
        rules.sme_reduction.tolist(), rules.front_company_detection.tolist(), rules.promoted_bloc_preference.tolist(),
        list(rules.entity_list_additions), [ban.signature() for ban in rules.import_bans],
    )


def _world_state(model: ChipSupplyModel) -> tuple:
    world = model.policy_world
    return ([fab.model_dump() for fab in world.fabs], world.center_country.tolist(), world.center_tier.tolist(),
            [body.model_dump() for body in world.enforcement],
            {chip_id: vars(chip).copy() for chip_id, chip in world.catalog.items()}, world.node_kind.tolist(),
            world.node_tier.tolist())


def test_every_registered_policy_has_an_example_here() -> None:
    assert set(EXAMPLES) == set(REGISTRY)


@pytest.mark.parametrize("type_name", TYPES)
def test_its_parameters_are_strict_and_an_unknown_one_is_refused_by_name(type_name: str) -> None:
    params_class = REGISTRY[type_name].Params
    assert issubclass(params_class, PolicyParams)
    scenario = smuggling_world()
    good = PolicySpec.model_validate(_entry(type_name))
    assert policy_problems(("policies", 0), good, scenario) == []
    bad = PolicySpec.model_validate(dict(_entry(type_name), params={**EXAMPLES[type_name], "no_such_knob": 1}))
    problems = policy_problems(("policies", 0), bad, scenario)
    assert [problem.path for problem in problems] == [("policies", 0, "params", "no_such_knob")]


@pytest.mark.parametrize("type_name", TYPES)
def test_it_writes_only_into_the_months_rules_and_nothing_while_not_in_force(type_name: str) -> None:
    scenario = smuggling_world(policies=[CONTROL, _entry(type_name, effective="2025-06")])
    model = ChipSupplyModel(scenario, seed=0)
    policy = model.policies[-1]
    wrote = []
    for _ in range(12):
        model.step()
        world_before = copy.deepcopy(_world_state(model))
        fresh = Rules.of_scenario(model.scenario, model.policy_world, model.seed, model.month)
        written = Rules.of_scenario(model.scenario, model.policy_world, model.seed, model.month)
        policy.apply(written, model.policy_world, model.month)
        assert _world_state(model) == world_before, "the policy changed the world it reads"
        if not policy.is_announced(model.month):
            assert _rules_state(written) == _rules_state(fresh), f"wrote rules in {model.date}, before its dates"
        wrote.append(_rules_state(written) != _rules_state(fresh))
    assert any(wrote), "the example never wrote anything: choose one that acts in the tiny smuggling world"


def _tables(scenario) -> dict[str, pd.DataFrame]:
    return dict(run_scenario(scenario, seed=3).tables)


@pytest.mark.parametrize("type_name", TYPES)
def test_switched_off_or_not_yet_in_force_it_leaves_every_table_and_draw_unchanged(type_name: str) -> None:
    baseline = _tables(smuggling_world())
    not_yet = _entry(type_name, announce="2026-01", effective="2026-06")  # the tiny world ends in 2025-12
    for entry in (_entry(type_name, enabled=False), not_yet):
        with_policy = _tables(smuggling_world(policies=[CONTROL, entry]))
        assert baseline.keys() == with_policy.keys()
        for name, table in baseline.items():
            pd.testing.assert_frame_equal(table, with_policy[name], check_exact=True, obj=f"{type_name}: {name}")
