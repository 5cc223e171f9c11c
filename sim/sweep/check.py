"""Checking a sweep against its scenarios before any run: a sweep that cannot run is refused while nothing has run.

A failure at run time is recorded and ``--resume`` retries it, which cannot help when the input is wrong. So every
policy is validated on its own; then each factor's values (a grid's values; a range's two ends and a drawn value,
so that a whole-number key sampled by a Latin hypercube is caught) in every policy; then every planned point in
every policy, up to ``MAX_POINTS_CHECKED`` points (validation takes about 2 ms a scenario, so the biggest sweeps are
checked on their first points and per factor); and the horizon against every policy's start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.calendar import parse_month
from sim.scenario import ScenarioError
from sim.scenario.errors import Problem
from sim.scenario.load import apply_overrides, validate
from sim.sweep.plan import sample_points
from sim.sweep.spec import Factor

if TYPE_CHECKING:
    from sim.sweep.inputs import LoadedSweep, PolicyInput
    from sim.sweep.sample_file import SampleFile

MAX_POINTS_CHECKED = 500


def _refusal(policy: PolicyInput, overrides: dict[str, Any], until: str | None) -> str | None:
    """Why the policy's scenario with these overrides cannot run to ``until``, or None when it can."""
    try:
        scenario = validate(apply_overrides(policy.merged, overrides, str(policy.path)), str(policy.path))
    except ScenarioError as error:
        return "; ".join(str(problem) for problem in error.problems)
    if until is not None and parse_month(until) < parse_month(scenario.start):
        return f"until = {until!r} is before this scenario's start ({scenario.start})"
    if until is not None and parse_month(until) > parse_month(scenario.end):
        return f"until = {until!r} is after this scenario's end ({scenario.end})"
    return None


def _probes(factor: Factor, first_point: dict[str, Any], sample_file: SampleFile | None = None) -> list[Any]:
    if factor.values is not None:
        return list(factor.values)
    if sample_file is not None:
        # A table's own values, as it gives them: a whole-number column stays whole (counts refuse 737.0).
        column = [point[factor.name] for point in sample_file.points]
        return [min(column), max(column), first_point[factor.name]]
    return [factor.low, factor.high, first_point[factor.name]]


def _factor_problems(loaded: LoadedSweep, policy: PolicyInput, first_point: dict[str, Any]) -> list[Problem]:
    problems = []
    from_file = list(loaded.sample_file.factors) if loaded.sample_file else []
    for group, factors in (("levers", loaded.spec.levers), ("uncertainties", loaded.spec.uncertainties),
                           ("sample_from", from_file)):
        for index, factor in enumerate(factors):
            for value in _probes(factor, first_point, loaded.sample_file if group == "sample_from" else None):
                why = _refusal(policy, {factor.path: value}, loaded.spec.until)
                if why is None:
                    continue
                message = f"{factor.name} = {value!r} does not fit policy {policy.name!r} ({policy.path}): {why}"
                if (factor.sampled and isinstance(value, float) and not value.is_integer()
                        and _refusal(policy, {factor.path: round(value)}, loaded.spec.until) is None):
                    message += ("; this key takes whole numbers and a Latin hypercube draws fractions: list the "
                                "numbers to try under values instead")
                where = ("sample_from",) if group == "sample_from" else (group, index, "path")
                problems.append(Problem(where, message, factor.path, True))
                break
    return problems


def _point_problem(loaded: LoadedSweep, policy: PolicyInput, points: list[dict[str, Any]]) -> Problem | None:
    """The first planned point this policy's scenario refuses (factors that are fine alone can clash together)."""
    for index, point in enumerate(points[:MAX_POINTS_CHECKED]):
        why = _refusal(policy, {factor.path: point[factor.name] for factor in loaded.factors}, loaded.spec.until)
        if why is not None:
            values = ", ".join(f"{name} = {value!r}" for name, value in point.items())
            return Problem(_where(loaded, policy), f"point {index} ({values}) does not fit policy {policy.name!r} "
                           f"({policy.path}): {why}", loaded.spec.policies.get(policy.name, loaded.spec.base), True)
    return None


def _where(loaded: LoadedSweep, policy: PolicyInput) -> tuple:
    return ("policies", policy.name) if loaded.spec.policies else ("base",)


def check_scenarios(loaded: LoadedSweep) -> None:
    """Raise one ScenarioError (naming the sweep file) with every way the sweep's runs would be refused."""
    spec = loaded.spec
    points = sample_points(spec, loaded.sample_file)
    problems: list[Problem] = []
    for policy in loaded.policies.values():
        # A policy that is not a valid scenario is reported as its own file's error, with that file's key paths.
        scenario = validate(policy.merged, str(policy.path))
        if spec.until is not None and parse_month(spec.until) < parse_month(scenario.start):
            problems.append(Problem(("until",), f"must not be before the start of policy {policy.name!r} "
                                    f"({scenario.start})", spec.until, True))
        elif spec.until is not None and parse_month(spec.until) > parse_month(scenario.end):
            problems.append(Problem(("until",), f"must not be after the end of policy {policy.name!r} "
                                    f"({scenario.end})", spec.until, True))
        factor_problems = _factor_problems(loaded, policy, points[0])
        problems.extend(factor_problems)
        point_problem = None if factor_problems or not loaded.factors else _point_problem(loaded, policy, points)
        if point_problem is not None:
            problems.append(point_problem)
    if problems:
        raise ScenarioError(str(loaded.path), problems)
