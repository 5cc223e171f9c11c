"""Sweep files: a base scenario, policy packages, levers and uncertainties to vary, seeds, horizon and metrics.

Following EMA Workbench's vocabulary, levers (policy choices) are kept apart from uncertainties (the world); both
are scenario keys given by a dotted path with either ``values`` (a grid) or ``low``/``high`` (sampled by Latin
hypercube). ``policies`` names whole policy packages (scenario files extending the base) to compare; every policy
is run on the same points and seeds, so the comparisons are paired. A path that does not exist in the scenario, or
a value it refuses, is an error before anything runs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.calendar import parse_month
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.errors import Problem
from sim.scenario.load import read_yaml_mapping

MAX_RUNS = 100_000  # a plan is held in memory and written to plan.json; a bigger study is several sweeps
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

# Kept in every sweep whatever its ``metrics`` say: the report's ranking, bands and sources are built on these.
REPORT_METRICS = (
    "us_china_ratio",
    "lead_months",
    "china_effective_h100e",
    "china_installed_h100e_domestic",
    "china_installed_h100e_import",
    "china_installed_h100e_smuggled",
    "china_installed_h100e_proxy_fab",
    "china_rented_in_h100e",
    "china_distillation_h100e",
)
METRICS = REPORT_METRICS + (
    "us_allies_effective_h100e",
    "rest_effective_h100e",
    "smuggled_chips",
    "seized_chips",
    "intermediaries_listed",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Factor(_Strict):
    """A scenario key to vary: by a list of values (grid) or over a range (sampled)."""

    name: Name
    path: str = Field(description="dotted key path into the scenario, e.g. parameters.demand_noise_sigma.value")
    values: list[float | int | str | bool] | None = Field(None, min_length=1)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _values_or_range(self) -> Factor:
        has_range = self.low is not None or self.high is not None
        if (self.values is None) == (not has_range):
            raise ValueError("give either values (a grid) or low and high (a range to sample)")
        if has_range and (self.low is None or self.high is None or self.high < self.low):
            raise ValueError(f"a range needs low <= high, got low={self.low} high={self.high}")
        return self

    @property
    def sampled(self) -> bool:
        return self.values is None


class Sampling(_Strict):
    method: Literal["grid", "lhs"] = "grid"
    samples: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0)] = 0


class SweepSpec(_Strict):
    name: Name
    description: str = ""
    base: str = Field(description="the base scenario file, relative to the sweep file")
    policies: dict[Name, str] = Field(default_factory=dict, description="policy name -> scenario file (relative)")
    levers: list[Factor] = Field(default_factory=list)
    uncertainties: list[Factor] = Field(default_factory=list)
    sampling: Sampling = Field(default_factory=Sampling)
    seeds: Annotated[int, Field(ge=1, le=10_000)] | list[Annotated[int, Field(ge=0)]] = 1
    until: str | None = None
    metrics: list[str] = Field(
        default_factory=lambda: list(METRICS), description="metrics to keep (the report's own are always kept)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        factors = self.levers + self.uncertainties
        names = [factor.name for factor in factors]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"factor names must be unique; repeated: {', '.join(duplicated)}")
        if self.sampling.method == "grid" and any(factor.sampled for factor in factors):
            raise ValueError("sampling method grid needs values for every factor; use method lhs to sample ranges")
        if self.run_count > MAX_RUNS:
            raise ValueError(f"the sweep makes {self.run_count:,} runs (policies x points x seeds); the limit is "
                             f"{MAX_RUNS:,}: split it into several sweeps or sample ranges (method lhs) instead")
        unknown = [metric for metric in self.metrics if metric not in METRICS]
        if unknown:
            raise ValueError(f"unknown metrics {unknown}; known metrics are: {', '.join(METRICS)}")
        if self.until is not None:
            parse_month(self.until)
        return self

    @property
    def run_count(self) -> int:
        """How many runs the sweep makes (policies x points x seeds), counted without building them."""
        points = math.prod(len(factor.values) for factor in self.factors if not factor.sampled)
        if any(factor.sampled for factor in self.factors):
            points *= self.sampling.samples
        return max(1, len(self.policies)) * points * len(self.seed_list)

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.seeds)) if isinstance(self.seeds, int) else list(self.seeds)

    @property
    def kept_metrics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.metrics, *REPORT_METRICS]))

    @property
    def factors(self) -> list[Factor]:
        return self.levers + self.uncertainties


class LoadedSweep(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    spec: SweepSpec
    path: Path
    policy_files: dict[str, Path]


def load_sweep(path: str | Path) -> LoadedSweep:
    """Read and validate a sweep file, and check every factor and policy against the scenarios before any run."""
    path = Path(path)
    data = read_yaml_mapping(path)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(tuple(item["loc"]), item["msg"].removeprefix("Value error, "), item.get("input"),
                    not isinstance(item.get("input"), (dict, list)))
            for item in error.errors()
        ]
        raise ScenarioError(str(path), problems) from None
    folder = path.parent
    policy_files = {name: (folder / file) for name, file in spec.policies.items()} or {"base": folder / spec.base}
    problems: list[Problem] = []
    for name, policy_file in policy_files.items():
        if not policy_file.is_file():
            message = f"no such scenario file: {policy_file}"
            problems.append(Problem(("policies", name), message, str(policy_file), True))
    if problems:
        raise ScenarioError(str(path), problems)
    first_policy = next(iter(policy_files.values()))
    for group, factors in (("levers", spec.levers), ("uncertainties", spec.uncertainties)):
        for index, factor in enumerate(factors):
            probes = factor.values if factor.values is not None else [factor.low, factor.high]
            for value in probes:
                try:
                    load_scenario(first_policy, {factor.path: value})
                except ScenarioError as error:
                    detail = "; ".join(str(problem) for problem in error.problems)
                    message = f"{factor.name} = {value!r} does not fit the scenario: {detail}"
                    problems.append(Problem((group, index, "path"), message, factor.path, True))
                    break
    if spec.until is not None:
        scenario = load_scenario(first_policy).scenario
        if not parse_month(scenario.start) <= parse_month(spec.until):
            problems.append(Problem(("until",), f"must not be before the scenario start ({scenario.start})",
                                    spec.until, True))
        elif parse_month(spec.until) > parse_month(scenario.end):  # each run would refuse it
            problems.append(Problem(("until",), f"must not be after the scenario end ({scenario.end})",
                                    spec.until, True))
    if problems:
        raise ScenarioError(str(path), problems)
    return LoadedSweep(spec=spec, path=path, policy_files=policy_files)
