"""Running one scenario with one seed, in memory: the Python API for notebooks and the engine behind the CLI.

Nothing here writes files. ``run_scenario`` returns a ``RunResult`` with the tidy tables (see ``sim.metrics``)
and what is needed to reproduce it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calendar import format_month, parse_month
from sim.edge_flows import EdgeFlows
from sim.model import ChipSupplyModel
from sim.scenario import LoadedScenario, Scenario, ScenarioError, load_scenario
from sim.scenario.errors import Problem

ProgressCallback = Callable[[int, int, str], None]


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    until: str
    wall_time_s: float
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # built when read: see sim.table_blocks.Tables
    model: ChipSupplyModel | None = None
    network: EdgeFlows | None = None  # what moved over each edge of the trade network (``network.to_graph()``)

    @property
    def blocs(self) -> pd.DataFrame:
        """One row per month and bloc: installed compute by source, acquisitions, retirements, spending."""
        return self.tables["blocs"]

    @property
    def world(self) -> pd.DataFrame:
        """One row per month: US:China ratio, lead in months, and the chip balance."""
        return self.tables["world"]


def resolve_until(scenario: Scenario, until: str | None, origin: str = "run") -> str:
    """The last month to simulate: the scenario's end unless ``until`` says otherwise (and is in range)."""
    if until is None:
        return scenario.end
    try:
        month = parse_month(until)
    except ValueError as error:
        raise ScenarioError(origin, [Problem(("until",), str(error), until, True)]) from None
    if not parse_month(scenario.start) <= month <= parse_month(scenario.end):
        side = (f"before the scenario start ({scenario.start})" if month < parse_month(scenario.start)
                else f"after the scenario end ({scenario.end})")
        message = f"must not be {side}; allowed: a month from {scenario.start} to {scenario.end}"
        raise ScenarioError(origin, [Problem(("until",), message, until, True)])
    return format_month(month)


def run_scenario(
    scenario: Scenario | LoadedScenario | str | Path,
    seed: int = 0,
    until: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    keep_model: bool = False,
    tables: Iterable[str] | None = None,
) -> RunResult:
    """Run a scenario (a file path, a loaded scenario or a Scenario) with ``seed`` up to ``until`` (YYYY-MM).

    ``tables``: which of ``sim.table_names.TABLES`` to record besides blocs and world, which always are (None: all).

    ``overrides`` (dotted key paths, e.g. ``{"parameters.demand_noise_sigma.value": 0.2}``) are only accepted
    with a file path, where they are validated with the rest of the file. ``progress(done, total, date)`` is
    called after each month.
    """
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        raise ValueError("overrides go with a scenario file path: load_scenario(path, overrides)")
    if isinstance(scenario, LoadedScenario):
        scenario = scenario.scenario
    last = resolve_until(scenario, until)
    started = time.perf_counter()
    model = ChipSupplyModel(scenario, seed=seed, tables=tables)
    total = parse_month(last) - model.start_month + 1
    for done in range(1, total + 1):
        model.step()
        if progress is not None:
            progress(done, total, model.date)
    wall_time_s = time.perf_counter() - started
    tables = model.recorder.tables()
    return RunResult(
        scenario=scenario,
        seed=seed,
        until=last,
        wall_time_s=wall_time_s,
        tables=tables,
        model=model if keep_model else None,
        network=model.network.edge_flows(),
    )

