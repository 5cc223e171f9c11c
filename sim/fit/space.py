"""The search space of a fit: a scenario's ``uncertain:`` entries as the unit cube an optimiser moves in.

The optimiser sees every parameter on [0, 1]; a point maps to scenario values through each entry's range, evenly in
ratios for ``scale: log`` (a budget between 3 and 6 billion is as likely to be 4.2 as 4.2 is to be 6, not 4.5) and
rounded for ``whole`` entries. Before any run, each entry's key path is read from the merged scenario with the
overrides' own reader (``sim.scenario.load.value_at``) and both ends of its range are validated there, so a typo or
a range the scenario refuses is an error naming ``uncertain[i]`` and the path, not a failed evaluation later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.scenario import ScenarioError
from sim.scenario.errors import Problem
from sim.scenario.load import apply_overrides, validate, value_at
from sim.scenario.schema import UncertainParameter


@dataclass(frozen=True)
class SearchSpace:
    entries: tuple[UncertainParameter, ...]

    @property
    def paths(self) -> list[str]:
        return [entry.path for entry in self.entries]

    @property
    def dimensions(self) -> int:
        return len(self.entries)

    def values(self, unit: np.ndarray) -> dict[str, float | int]:
        """Scenario values (key path -> value) of a point of the unit cube."""
        values: dict[str, float | int] = {}
        for entry, share in zip(self.entries, np.clip(unit, 0.0, 1.0), strict=True):
            if entry.scale == "log":
                value = math.exp(math.log(entry.low) + float(share) * (math.log(entry.high) - math.log(entry.low)))
            else:
                value = entry.low + float(share) * (entry.high - entry.low)
            values[entry.path] = int(round(value)) if entry.whole else min(max(value, entry.low), entry.high)
        return values

    def unit(self, values: dict[str, float | int]) -> np.ndarray:
        """The point of the unit cube of scenario values (the inverse of ``values``, up to rounding)."""
        shares = []
        for entry in self.entries:
            value = float(values[entry.path])
            if entry.scale == "log":
                shares.append((math.log(value) - math.log(entry.low)) / (math.log(entry.high) - math.log(entry.low)))
            else:
                shares.append((value - entry.low) / (entry.high - entry.low))
        return np.clip(np.array(shares), 0.0, 1.0)


def _refusal(merged: dict, origin: str, path: str, value: Any) -> str | None:
    try:
        validate(apply_overrides(merged, {path: value}, origin), origin)
    except ScenarioError as error:
        return "; ".join(str(problem) for problem in error.problems)
    return None


def search_space(merged: dict, entries: list[UncertainParameter], origin: str) -> SearchSpace:
    """The entries as a search space, once each names a number the scenario accepts at both ends of its range."""
    if not entries:
        raise ScenarioError(origin, [Problem(("uncertain",), "the scenario marks no uncertain parameters to fit: add "
                                             "an uncertain: section (a list of {path, low, high, source})")])
    problems = []
    for index, entry in enumerate(entries):
        where = ("uncertain", index, "path")
        try:
            current, _place = value_at(merged, entry.path)
        except ValueError as error:
            problems.append(Problem(where, str(error), entry.path, True))
            continue
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            problems.append(Problem(where, f"names {current!r}, not a number: a fit varies numbers", entry.path, True))
            continue
        ends = (int(entry.low), int(entry.high)) if entry.whole else (entry.low, entry.high)
        for end in ends:
            why = _refusal(merged, origin, entry.path, end)
            if why is None:
                continue
            if not entry.whole and _refusal(merged, origin, entry.path, round(end)) is None:
                why += "; this key takes whole numbers: add whole: true to the entry"
            problems.append(Problem(where, f"the scenario refuses {end!r} here: {why}", entry.path, True))
            break
    if problems:
        raise ScenarioError(origin, problems)
    return SearchSpace(tuple(entries))
