"""Calibration targets for the baseline: public figures, the tolerance we accept, and how to measure the model.

Each target names its source id (``sim/data/sources.csv``). Tolerances reflect the sources' own ranges or
confidence; where two sources disagree (the 3.3x/yr stock growth estimate against the 10M and 15M stock levels)
the model is held to the levels, which are the higher-confidence figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.calendar import parse_month
from sim.run import RunResult
from sim.scenario import Problem, Scenario, ScenarioError


@dataclass(frozen=True)
class Target:
    id: str
    description: str
    source: str
    low: float
    high: float
    unit: str
    measure: Callable[[RunResult], float]
    informational: bool = False  # shown beside the targets, but a miss does not fail the check (see the README)


def _installed_total(result: RunResult, date: str) -> float:
    blocs = result.blocs
    return float(blocs.loc[blocs["date"] == date, "installed_h100e"].sum())


def _bloc_value(result: RunResult, bloc: str, date: str, column: str) -> float:
    blocs = result.blocs
    return float(blocs.loc[(blocs["date"] == date) & (blocs["bloc"] == bloc), column].iloc[0])


def _bloc_share(result: RunResult, bloc: str, date: str) -> float:
    rows = result.blocs[result.blocs["date"] == date].set_index("bloc")["installed_h100e"]
    return float(rows[bloc] / rows.sum())


def _world_sum(result: RunResult, column: str, year: str) -> float:
    world = result.world
    return float(world.loc[world["date"].str.startswith(year), column].sum())


def _smuggled_share(result: RunResult, date: str) -> float:
    row = result.blocs[(result.blocs["date"] == date) & (result.blocs["bloc"] == "china")].iloc[0]
    return float(row["installed_h100e_smuggled"] / row["installed_h100e"])


def _seized_share(result: RunResult, year: str) -> float:
    diverted = _world_sum(result, "smuggled_chips", year)
    return _world_sum(result, "seized_chips", year) / diverted if diverted else 0.0


def _acquired(result: RunResult, bloc: str, year: str) -> float:
    blocs = result.blocs
    rows = blocs[(blocs["bloc"] == bloc) & blocs["date"].str.startswith(year)]
    return float(rows["acquired_h100e"].sum())


def _acquired_share(result: RunResult, bloc: str, year: str, sources: tuple[str, ...]) -> float:
    blocs = result.blocs
    rows = blocs[(blocs["bloc"] == bloc) & blocs["date"].str.startswith(year)]
    total = rows["acquired_h100e"].sum()
    part = sum(rows[f"acquired_h100e_{source}"].sum() for source in sources)
    return float(part / total) if total else 0.0


def _produced(result: RunResult, chips: tuple[str, ...], year: str) -> float:
    production = result.tables["production"]
    in_year = production["date"].str.startswith(year) & production["chip"].isin(chips)
    return float(production.loc[in_year, "chips"].sum())


TARGETS: tuple[Target, ...] = (
    Target("global_stock_2026", "global installed compute, Dec 2025", "global_stock_2026q1",
           12.75e6, 17.25e6, "H100e", lambda r: _installed_total(r, "2025-12")),
    Target("us_bloc_share_2025", "US & allies share of installed compute, May 2025", "share_us_2025",
           0.75, 0.85, "share", lambda r: _bloc_share(r, "us_allies", "2025-05")),
    Target("china_share_2025", "China's share of installed compute, May 2025", "share_china_2025",
           0.12, 0.18, "share", lambda r: _bloc_share(r, "china", "2025-05")),
    Target("huawei_output_2025", "Huawei Ascend chips made in 2025", "huawei_2025_low+huawei_2025_high",
           200_000, 805_000, "chips", lambda r: _produced(r, ("ascend_910b", "ascend_910c"), "2025")),
    Target("blackwell_output_2025", "NVIDIA Blackwell packages made in 2025 (6M dies / 2, +-35%)",
           "nvidia_blackwell_year", 1.95e6, 4.05e6, "chips", lambda r: _produced(r, ("b200",), "2025")),
    # The 2024 estimate counts Hopper-class chips (about 1 H100e each); in 2025 the model smuggles Blackwells, so the
    # comparison is made in H100e over the estimate's own wide range.
    Target("smuggled_2025", "compute smuggled into China in 2025 (2024: 140k Hopper-class chips)", "smuggled_2024",
           50_000, 400_000, "H100e", lambda r: _world_sum(r, "smuggled_h100e", "2025")),
    Target("smuggled_share_2025", "smuggled share of China's installed compute, Dec 2025", "smuggled_share_2024",
           0.01, 0.40, "share", lambda r: _smuggled_share(r, "2025-12")),
    Target("seized_share_2025", "share of diverted chips seized in 2025", "seizure_cases",
           0.005, 0.30, "share", lambda r: _seized_share(r, "2025")),
    # 250k B300-equivalents, taking a B300 as B200-class (2.27 H100e): about 570k H100e, +-60%.
    Target("rented_offshore_2026", "compute rented offshore by Chinese tenants, Jun 2026", "offshore_bytedance",
           200_000, 900_000, "H100e", lambda r: _bloc_value(r, "china", "2026-06", "rented_in_h100e")),
    # 320k B300-equivalents (90% CI 150k-600k), a B300 taken as 2.27 H100e; chips installed in China in 2026.
    Target("china_acquired_2026", "compute China acquired in 2026 (legal, domestic, smuggled)", "china_2026_inflow",
           340_000, 1_360_000, "H100e", lambda r: _acquired(r, "china", "2026")),
    # The estimate's split (about 60% legal H200, 25% Huawei, the rest smuggling and proxy fabrication), +-15 points.
    # Informational: the model caps H200s at half of NVIDIA's US H200 sales, which binds (README, known tensions).
    Target("china_2026_legal_share", "of which legal imports (estimate: about 60% H200)", "china_2026_inflow",
           0.45, 0.75, "share", lambda r: _acquired_share(r, "china", "2026", ("import",)), informational=True),
    Target("china_2026_domestic_share", "of which domestic (estimate: about 25% Huawei)", "china_2026_inflow",
           0.10, 0.40, "share", lambda r: _acquired_share(r, "china", "2026", ("domestic",)), informational=True),
    Target("china_2026_grey_share", "of which smuggled or proxy-fabricated (estimate: about 15%)", "china_2026_inflow",
           0.0, 0.30, "share", lambda r: _acquired_share(r, "china", "2026", ("smuggled", "proxy_fab")),
           informational=True),
)

LAST_MONTH_NEEDED = "2026-12"


def require_horizon(scenario: Scenario, origin: str) -> None:
    """Refuse a scenario that ends before the last month a target measures."""
    if parse_month(scenario.end) < parse_month(LAST_MONTH_NEEDED):
        problem = Problem(("end",), f"calibration needs a run to {LAST_MONTH_NEEDED} at least", scenario.end, True)
        raise ScenarioError(origin, [problem])


def check(results: list[RunResult]) -> pd.DataFrame:
    """Model against target for each calibration target, over one or more runs (seeds)."""
    rows = []
    for target in TARGETS:
        values = pd.Series([target.measure(result) for result in results])
        rows.append(
            {
                "target": target.id,
                "description": target.description,
                "source": target.source,
                "unit": target.unit,
                "low": target.low,
                "high": target.high,
                "model_median": float(values.median()),
                "model_min": float(values.min()),
                "model_max": float(values.max()),
                "ok": bool(values.between(target.low, target.high).all()),
                "informational": target.informational,
            }
        )
    return pd.DataFrame(rows)
