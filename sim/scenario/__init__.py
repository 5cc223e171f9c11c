"""Scenario files: schema, loading and validation."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.fields import BLOCS
from sim.scenario.load import LoadedScenario, apply_overrides, load_scenario, validate
from sim.scenario.schema import Scenario

__all__ = [
    "BLOCS",
    "LoadedScenario",
    "Problem",
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "load_scenario",
    "validate",
]
