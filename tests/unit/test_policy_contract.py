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
from tests.conftest import CONTROL, LICENSEE, smuggling_world

_load_plugins()

EXAMPLES = {  # parameters that write something in the tiny smuggling world from its first month
    "cloud_access": {"kyc_detection": 0.5},
    "compute_monitoring": {"threshold_h100e": 10.0, "detection": 0.5},
    "distillation_ban": {"compliance": 0.5},
    "enforcement_funding": {"budget_multiplier": 2.0, "fine_usd_per_chip": 50000.0},
    "export_allowance": {"chips": ["big"], "destination_tiers": [3], "volume_cap_chips_per_month": 5},
    "alliance_pressure": {"pressure_usd_per_year": 1.0e9, "compensation_share": 0.25},
    "export_control": {"tpp_threshold": 1000.0, "destination_tiers": [2]},
    "foundry_kyc": {"fabs": ["usfab"], "detection": 0.5},
    "hbm_export_control": {"compliance": 1.0},
    "import_ban": {"chips": ["big"], "compliance": 0.5},
    "location_verification": {"monthly_detection": 1.0},
    "packaging_controls": {"reduction": 0.5},
    "sme_controls": {"unilateral_reduction": 0.3, "coordinated_reduction": 0.6},
    "tiered_caps": {"country_cap_h100e": 50.0},
    "training_run_monitoring": {"coverage": {"SG": 1.0}, "tenant_detection": 1.0, "cluster_detection": 1.0,
                                "threshold_flop": 1e22},
    "us_stack_promotion": {"preference": 0.2},
    "weight_export_control": {"tier_2_threshold_flop": 1e20},
    "weight_security": {"security_level": 4, "budget_share": 0.05},
}
# What the tiny smuggling world needs for a lever to have something to act on.
LAB_WORLD = {"model_weights": {
    "monthly_theft_probability": {"sl1": 0.5, "sl2": 0.1, "sl3": 0.01, "sl4": 0.001, "sl5": 0.0},
    "value_halving_months": 8.0, "source": "assumption: test",
    "labs": [{"id": "uslab", "name": "US lab", "country": "US", "trains_on": ["usdc"], "compute_share": 0.5,
              "training_share": 0.5, "training_months": 2, "model_cadence_months": 3, "security_level": 2,
              "licensees": [LICENSEE], "source": "assumption: test"}]}}
EXAMPLE_WORLDS = {"weight_export_control": LAB_WORLD, "weight_security": LAB_WORLD}
TYPES = sorted(REGISTRY)


def _world(type_name: str, **overrides):
    return smuggling_world(**EXAMPLE_WORLDS.get(type_name, {}), **overrides)


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
        rules.sme_coordinated_reduction.tolist(), rules.packaging_reduction.tolist(),
        [id(p) for p in rules.alliance.pressure], [id(p) for p in rules.alliance.hbm_controls],
        rules.alliance.imposed_tools_alignment,
        {country: sorted(tenants) for country, tenants in cloud.barred_tenants.items()},
        rules.weights.security_level.tolist(), [levels.tolist() for levels in rules.weights.licensee_security_level],
        rules.weights.center_budget_kept.tolist(), [id(rule) for rule in rules.weights.export_controls],
    )


def _world_state(model: ChipSupplyModel) -> tuple:
    world = model.policy_world
    return ([fab.model_dump() for fab in world.fabs], world.center_country.tolist(), world.center_tier.tolist(),
            [body.model_dump() for body in world.enforcement],
            {chip_id: vars(chip).copy() for chip_id, chip in world.catalog.items()}, world.node_kind.tolist(),
            world.node_tier.tolist(), [ally.model_dump() for ally in world.allies])


def test_every_registered_policy_has_an_example_here() -> None:
    assert set(EXAMPLES) == set(REGISTRY)


@pytest.mark.parametrize("type_name", TYPES)
def test_its_parameters_are_strict_and_an_unknown_one_is_refused_by_name(type_name: str) -> None:
    params_class = REGISTRY[type_name].Params
    assert issubclass(params_class, PolicyParams)
    scenario = _world(type_name)
    good = PolicySpec.model_validate(_entry(type_name))
    assert policy_problems(("policies", 0), good, scenario) == []
    bad = PolicySpec.model_validate(dict(_entry(type_name), params={**EXAMPLES[type_name], "no_such_knob": 1}))
    problems = policy_problems(("policies", 0), bad, scenario)
    assert [problem.path for problem in problems] == [("policies", 0, "params", "no_such_knob")]


@pytest.mark.parametrize("type_name", TYPES)
def test_it_writes_only_into_the_months_rules_and_nothing_while_not_in_force(type_name: str) -> None:
    scenario = _world(type_name, policies=[CONTROL, _entry(type_name, effective="2025-06")])
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
    baseline = _tables(_world(type_name))
    not_yet = _entry(type_name, announce="2026-01", effective="2026-06")  # the tiny world ends in 2025-12
    for entry in (_entry(type_name, enabled=False), not_yet):
        with_policy = _tables(_world(type_name, policies=[CONTROL, entry]))
        assert baseline.keys() == with_policy.keys()
        for name, table in baseline.items():
            pd.testing.assert_frame_equal(table, with_policy[name], check_exact=True, obj=f"{type_name}: {name}")
