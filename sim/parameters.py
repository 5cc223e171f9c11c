"""The scenario's world parameters as plain numbers, read in the monthly phases' hot loops.

``RunParameters`` has one attribute per field of ``sim.scenario.world_parameters.Parameters`` (the one table of world
parameters, with their ranges): an int for whole-month parameters, a float for the rest. Adding a parameter to that
table adds it here.
"""

from __future__ import annotations

from dataclasses import make_dataclass

from sim.scenario.schema import Scenario
from sim.scenario.world_parameters import PARAMETER_BOUNDS

RunParameters = make_dataclass(
    "RunParameters", [(name, int if whole else float) for name, (_low, _high, whole) in PARAMETER_BOUNDS.items()],
    frozen=True)


def run_parameters(scenario: Scenario) -> RunParameters:
    """The scenario's world parameters as plain numbers."""
    return RunParameters(**{name: (int if whole else float)(getattr(scenario.parameters, name).value)
                            for name, (_low, _high, whole) in PARAMETER_BOUNDS.items()})
