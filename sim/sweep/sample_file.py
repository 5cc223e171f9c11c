"""Sampled points read from a table: a sweep's ``sample_from``.

The table is a CSV with a column per scenario key (its dotted path as the heading) and a row per point, such as the
parameter sets that ``chipsim calibrate --fit --keep`` found to meet every calibration target: a sweep over them
carries the calibration's uncertainty into its projections, rather than a Latin hypercube over ranges that the
targets would partly rule out. Each column becomes a sampled factor named after the end of its path, with the
column's range; the points are the rows, as they are (read back exactly, whole numbers as whole numbers).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.scenario import ScenarioError
from sim.scenario.errors import Problem
from sim.sweep.spec import Factor

NAME_LENGTH = 64  # as sweep factor names


@dataclass(frozen=True)
class SampleFile:
    path: Path
    sha256: str
    factors: tuple[Factor, ...]  # a factor per column: name, key path, the column's range
    points: tuple[dict[str, float | int], ...]  # a row each: factor name -> value


def factor_names(paths: list[str]) -> dict[str, str]:
    """A factor name per key path: the fewest last keys that tell it from the other paths (a final ``value``, as in
    ``parameters.x.value``, left out), joined by underscores. ``cn_cloud.total_budget_usd_per_month`` beside
    ``us_hyperscaler.total_budget_usd_per_month`` gives ``cn_cloud_total_budget_usd_per_month``."""
    keys = {path: path.split(".") for path in paths}
    for parts in keys.values():
        if len(parts) > 1 and parts[-1] == "value":
            parts.pop()
    names = {}
    for path, parts in keys.items():
        for count in range(1, len(parts) + 1):
            if all(other[-count:] != parts[-count:] for key, other in keys.items() if key != path):
                break
        name = re.sub(r"[^a-z0-9_]", "_", "_".join(parts[-count:]).lower())
        names[path] = (name if name[:1].isalpha() else f"k_{name}")[:NAME_LENGTH]
    return names


def _first_non_number(values: pd.Series) -> int:
    """The position of the first cell of a column that is not a number: a word, a boolean or an empty cell."""
    if pd.api.types.is_bool_dtype(values):
        return 0
    return int(pd.to_numeric(values, errors="coerce").isna().to_numpy().argmax())


def read_sample_file(path: Path) -> SampleFile:
    """Read and check a points table; every problem is a ScenarioError naming the file, the row and the column."""
    origin = str(path)
    if not path.is_file():
        raise ScenarioError(origin, [Problem((), "no such file (sample_from: a CSV of points, a column per key path)")])
    raw = path.read_bytes()
    try:
        # the bytes hashed are the bytes parsed. round_trip: the values a fit ran are read back to the last bit, so a
        # sweep runs exactly those sets
        table = pd.read_csv(io.BytesIO(raw), float_precision="round_trip")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise ScenarioError(origin, [Problem((), f"not a readable CSV table: {error}")]) from None
    if table.empty:
        raise ScenarioError(origin, [Problem((), "has no rows: a row per point is needed")])
    problems = []
    for column in table.columns:
        values = table[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            row = _first_non_number(values)
            problems.append(Problem((column,), f"row {row + 1} is not a number", values.iloc[row], True))
        elif not values.map(math.isfinite).all():
            row = int(values.map(math.isfinite).idxmin())
            problems.append(Problem((column,), f"row {row + 1} is not a finite number", values.iloc[row], True))
    repeated = table[table.duplicated()].index.tolist()
    if repeated:
        problems.append(Problem((), f"rows {', '.join(str(i + 1) for i in repeated)} repeat earlier rows: the same "
                                "point twice would run twice under the same ids"))
    names = factor_names([str(column) for column in table.columns])
    if len(set(names.values())) < len(names):
        problems.append(Problem((), f"columns {', '.join(names)} make factor names that clash: "
                                f"{', '.join(names.values())}"))
    if problems:
        raise ScenarioError(origin, problems)
    factors = tuple(Factor(name=names[column], path=column, low=float(table[column].min()),
                           high=float(table[column].max())) for column in table.columns)
    points = tuple({names[column]: value for column, value in row.items()}
                   for row in table.astype(object).to_dict(orient="records"))
    return SampleFile(path=path, sha256=hashlib.sha256(raw).hexdigest(), factors=factors, points=points)
