"""Sweep files: a base scenario, policy packages, levers and uncertainties to vary, seeds, horizon and metrics.

Following EMA Workbench's vocabulary, levers (policy choices) are kept apart from uncertainties (the world); both
are scenario keys given by a dotted path with either ``values`` (a grid) or ``low``/``high`` (sampled by Latin
hypercube), or take their sampled points from a table (``sample_from``: a CSV with a column per key path, such as
the parameter sets ``chipsim calibrate --fit --keep`` writes; see ``sim.sweep.sample_file``). ``policies`` names whole
policy packages (scenario files extending the base) to compare; every policy
is run on the same points and seeds, so the comparisons are paired. A path that does not exist in the scenario, or
a value it refuses, is an error before anything runs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.calendar import parse_month
from sim.scenario import ScenarioError
from sim.scenario.errors import Problem
from sim.scenario.load import read_yaml_mapping
from sim.scenario.pydantic_problems import problem_from_pydantic

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
    "china_installed_h100e_chiplet",
    "china_rented_in_h100e",
    "china_distillation_h100e",
    "china_weights_h100e",
)
# Metrics summed from the run's revenue table (sim.sweep.execute.revenue_metrics; a row per month, vendor and
# destination bloc), which a sweep run records only when one of them is asked for: what controls cost the US bloc's
# vendors.
REVENUE_METRICS = ("us_allies_vendor_revenue_usd", "tariffs_collected_usd")
METRICS = REPORT_METRICS + (
    "us_allies_effective_h100e",
    "rest_effective_h100e",
    "smuggled_chips",
    "seized_chips",
    "intermediaries_listed",
    *REVENUE_METRICS,
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

    @field_validator("values")
    @classmethod
    def _distinct_values(cls, values: list | None) -> list | None:
        # Two equal values make the same scenario twice: the same run ids, counted twice in the results.
        repeated = _repeated(values or [])
        if repeated:
            raise ValueError(f"each value may appear once; repeated: {repeated}")
        return values

    @property
    def sampled(self) -> bool:
        return self.values is None


class Sampling(_Strict):
    # sobol: Saltelli's design for Sobol' indices over ranges: ``samples`` base points (a power of 2), each with
    # len(factors) + 2 points run, so the report can tell each input's first-order and total effect.
    method: Literal["grid", "lhs", "sobol"] = "grid"
    samples: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0)] = 0


class SweepSpec(_Strict):
    name: Name
    description: str = ""
    base: str | None = Field(None, description="the base scenario file, relative to the sweep file; with policies, "
                             "one of theirs: the reference the report compares the others with")
    policies: dict[Name, str] = Field(default_factory=dict, description="policy name -> scenario file (relative)")
    levers: list[Factor] = Field(default_factory=list)
    uncertainties: list[Factor] = Field(default_factory=list)
    sampling: Sampling = Field(default_factory=Sampling)
    sample_from: str | None = Field(None, description="a CSV of points, relative to the sweep file: a column per "
                                    "scenario key (its dotted path), a row per point, crossed with the listed values")
    seeds: Annotated[int, Field(ge=1, le=10_000)] | list[Annotated[int, Field(ge=0)]] = 1
    until: str | None = None
    metrics: list[str] = Field(
        default_factory=lambda: list(METRICS), description="metrics to keep (the report's own are always kept)"
    )

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: int | list[int]) -> int | list[int]:
        # A repeated seed repeats its runs under the same ids: they would count twice in every statistic.
        repeated = _repeated(seeds) if isinstance(seeds, list) else []
        if repeated:
            raise ValueError(f"each seed may appear once; repeated: {repeated}")
        return seeds

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        if self.base is None and not self.policies:
            raise ValueError("give base (the scenario to run) or policies (the scenarios to compare)")
        factors = self.levers + self.uncertainties
        names = [factor.name for factor in factors]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"factor names must be unique; repeated: {', '.join(duplicated)}")
        if self.sample_from is not None and any(factor.sampled for factor in factors):
            raise ValueError("sample_from gives the sampled points: a range (low, high) cannot be sampled beside it; "
                             "add its key as a column of the table, or list values")
        if self.sampling.method == "grid" and any(factor.sampled for factor in factors):
            raise ValueError("sampling method grid needs values for every factor; use method lhs to sample ranges")
        if self.sampling.method == "sobol":
            listed = [factor.name for factor in factors if not factor.sampled]
            if listed or not factors:
                raise ValueError("sampling method sobol needs low and high for every factor (Sobol' indices are over "
                                 f"ranges); listed values: {', '.join(listed) or 'no factors at all'}")
            pinned = [factor.name for factor in factors if factor.low == factor.high]
            if pinned:
                # Saltelli's design has a block of d + 2 points per base point; an input that cannot vary would leave
                # the blocks read with the wrong width, and it has no index to estimate anyway
                raise ValueError("sampling method sobol needs low < high for every factor; pinned: "
                                 f"{', '.join(pinned)} (set a fixed value in the scenario instead)")
            if self.sampling.samples & (self.sampling.samples - 1):
                raise ValueError(f"sampling method sobol needs samples to be a power of 2 (its points' balance "
                                 f"depends on it), got {self.sampling.samples}")
        ranges = [factor for factor in factors if factor.sampled]
        if ranges and self.sampling.samples > 1 and all(factor.low == factor.high for factor in ranges):
            raise ValueError(f"every range has low == high, so the {self.sampling.samples} samples would be the same "
                             "point run again under the same ids: use samples: 1, or widen a range")
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
        if self.sampling.method == "sobol":
            points *= len(self.factors) + 2
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


def _repeated(items: list) -> list:
    """The items that appear more than once (``True`` and ``1`` are told apart: they are different YAML values)."""
    keys = [(type(item) is bool, item) for item in items]
    return list(dict.fromkeys(item for item, key in zip(items, keys, strict=True) if keys.count(key) > 1))


def _problem(item: dict) -> Problem:
    """A pydantic error as a Problem, worded as for scenarios (an unknown key lists the sweep keys allowed there)."""
    problem = problem_from_pydantic(item, SweepSpec)
    if item["type"] == "value_error" and isinstance(item.get("input"), list) and not problem.has_value:
        return Problem(problem.path, problem.message, item["input"], True)  # e.g. the repeated seeds
    return problem


def read_spec(path: Path) -> SweepSpec:
    """Read and validate a sweep file on its own (its scenarios are checked by ``sim.sweep.inputs``)."""
    data = read_yaml_mapping(path)
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(str(path), [_problem(item) for item in error.errors()]) from None
