"""Calibration targets for the baseline: public figures, the tolerance we accept, and how to measure the model.

The baseline starts in January 2024, so 2024's figures (output by vendor, China's share of new supply, smuggling)
and the installed stock of early 2025 are outcomes the model is checked against, not inputs.

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


def _acquired_source(result: RunResult, bloc: str, year: str, source: str) -> float:
    blocs = result.blocs
    rows = blocs[(blocs["bloc"] == bloc) & blocs["date"].str.startswith(year)]
    return float(rows[f"acquired_h100e_{source}"].sum())


def _acquired_share(result: RunResult, bloc: str, year: str, sources: tuple[str, ...]) -> float:
    blocs = result.blocs
    rows = blocs[(blocs["bloc"] == bloc) & blocs["date"].str.startswith(year)]
    total = rows["acquired_h100e"].sum()
    part = sum(rows[f"acquired_h100e_{source}"].sum() for source in sources)
    return float(part / total) if total else 0.0


def _base_chip(chip_id: str) -> str:
    """The catalog chip a produced chip is: a proxy-fabricated twin or a design-to-threshold variant of it."""
    return chip_id.removesuffix("_proxy").split("_under_")[0]


def _produced_by(result: RunResult, vendor: str, months: tuple[str, str], chips: tuple[str, ...] = ()) -> float:
    """H100e made from ``months[0]`` to ``months[1]`` (YYYY-MM, inclusive) by the vendor (of ``chips`` only, if
    given), variants and proxy-fabricated twins counted with their chip."""
    production = result.tables["production"]
    catalog = result.scenario.catalog
    base = production["chip"].map(_base_chip)
    ours = base.map(lambda chip: catalog[chip].vendor) == vendor
    if chips:
        ours &= base.isin(chips)
    in_months = production["date"].between(*months)
    return float(production.loc[ours & in_months, "h100e"].sum())


def _chips_produced(result: RunResult, chips: tuple[str, ...], year: str) -> float:
    production = result.tables["production"]
    in_year = production["date"].str.startswith(year) & production["chip"].map(_base_chip).isin(chips)
    return float(production.loc[in_year, "chips"].sum())


def _china_share_of_acquisitions(result: RunResult, year: str) -> float:
    blocs = result.blocs
    in_year = blocs[blocs["date"].str.startswith(year)]
    return float(in_year.loc[in_year["bloc"] == "china", "acquired_h100e"].sum() / in_year["acquired_h100e"].sum())


def _year(year: str) -> tuple[str, str]:
    return f"{year}-01", f"{year}-12"


# Epoch AI's counts (``epoch_*``) are in H100e of dense 8-bit throughput, chipsim's own measure (sim/catalog.py), so
# they need no conversion. Their bands: Epoch's own interval where it gives one, else +-40% for a "low" confidence
# row and +-25% for a "medium" one.
TARGETS: tuple[Target, ...] = (
    # 2024: the baseline's first year. The TPU, AMD and Trainium figures are the 2024 values given in the 2025 rows.
    Target("nvidia_output_2024", "NVIDIA accelerators made in 2024", "epoch_nvidia_h100e_2024",
           2.50e6, 4.16e6, "H100e", lambda r: _produced_by(r, "nvidia", _year("2024"))),
    Target("tpu_output_2024", "Google TPUs made in 2024", "epoch_tpu_h100e_2025",
           0.44e6, 1.04e6, "H100e", lambda r: _produced_by(r, "custom_asic", _year("2024"), ("tpu", "tpu_v7"))),
    Target("trainium_output_2024", "AWS Trainium made in 2024", "epoch_trainium_h100e_2025",
           0.19e6, 0.43e6, "H100e",
           lambda r: _produced_by(r, "custom_asic", _year("2024"), ("trainium2", "trainium3"))),
    Target("amd_output_2024", "AMD accelerators made in 2024", "epoch_amd_h100e_2025",
           0.33e6, 0.77e6, "H100e", lambda r: _produced_by(r, "amd", _year("2024"))),
    Target("huawei_h100e_2024", "Huawei Ascend compute made in 2024", "epoch_huawei_h100e_2024",
           108_000, 252_000, "H100e", lambda r: _produced_by(r, "huawei", _year("2024"))),
    Target("cambricon_output_2024", "Cambricon accelerators made in 2024 (25k units)", "epoch_cambricon_h100e_2025",
           3_900, 9_100, "H100e", lambda r: _produced_by(r, "cambricon", _year("2024"))),
    Target("china_share_new_2024", "China's share of the compute installed in 2024", "china_share_new_supply_2024",
           0.058, 0.134, "share", lambda r: _china_share_of_acquisitions(r, "2024")),
    # Epoch's p5-p95 band.
    Target("smuggled_2024", "compute smuggled into China in 2024", "epoch_smuggled_h100e_2024",
           64_000, 417_000, "H100e", lambda r: _world_sum(r, "smuggled_h100e", "2024")),
    # Informational, as its 2025 twin below and for the same reason: the model's Chinese buyers choose by price per
    # H100e of dense 8-bit compute, and an H20 (13k USD for 0.15 H100e) costs more than twice an Ascend 910B per
    # H100e; China bought about a million H20s in 2024 for their memory bandwidth and CUDA, which the model does not
    # value.
    Target("china_legal_imports_2024", "compute China imported legally in 2024 (NVIDIA's official sales, mostly H20)",
           "epoch_nvidia_china_official_2024", 109_000, 181_000, "H100e",
           lambda r: _acquired_source(r, "china", "2024", "import"), informational=True),
    # An outcome now that the model starts a year earlier: 10M H100e in March 2025, medium confidence (+-25%).
    Target("global_stock_2025", "global installed compute, Mar 2025", "global_stock_2025q1",
           7.5e6, 12.5e6, "H100e", lambda r: _installed_total(r, "2025-03")),
    Target("nvidia_output_2025", "NVIDIA accelerators made in 2025", "epoch_nvidia_h100e_2025",
           7.1e6, 10.7e6, "H100e", lambda r: _produced_by(r, "nvidia", _year("2025"))),
    Target("nvidia_output_2026h1", "NVIDIA accelerators made in Jan-Jun 2026", "epoch_nvidia_h100e_2026h1",
           5.5e6, 9.2e6, "H100e", lambda r: _produced_by(r, "nvidia", ("2026-01", "2026-06"))),
    Target("tpu_output_2025", "Google TPUs made in 2025", "epoch_tpu_h100e_2025",
           1.6e6, 3.8e6, "H100e", lambda r: _produced_by(r, "custom_asic", _year("2025"), ("tpu", "tpu_v7"))),
    Target("trainium_output_2025", "AWS Trainium made in 2025", "epoch_trainium_h100e_2025",
           0.43e6, 1.0e6, "H100e", lambda r: _produced_by(r, "custom_asic", _year("2025"), ("trainium2", "trainium3"))),
    Target("amd_output_2025", "AMD accelerators made in 2025", "epoch_amd_h100e_2025",
           0.42e6, 0.98e6, "H100e", lambda r: _produced_by(r, "amd", _year("2025"))),
    Target("huawei_output_2025", "Huawei Ascend chips made in 2025", "huawei_2025_low+huawei_2025_high",
           200_000, 805_000, "chips", lambda r: _chips_produced(r, ("ascend_910b", "ascend_910c"), "2025")),
    Target("huawei_h100e_2025", "Huawei Ascend compute made in 2025", "epoch_huawei_h100e_2025",
           0.26e6, 0.79e6, "H100e", lambda r: _produced_by(r, "huawei", _year("2025"))),
    Target("cambricon_output_2025", "Cambricon accelerators made in 2025", "epoch_cambricon_h100e_2025",
           14_000, 42_000, "H100e", lambda r: _produced_by(r, "cambricon", _year("2025"))),
    Target("us_bloc_share_2025", "US & allies share of installed compute, May 2025", "share_us_2025",
           0.75, 0.85, "share", lambda r: _bloc_share(r, "us_allies", "2025-05")),
    Target("china_share_2025", "China's share of installed compute, May 2025", "share_china_2025",
           0.12, 0.18, "share", lambda r: _bloc_share(r, "china", "2025-05")),
    Target("china_share_stock_2025", "China's share of installed compute, Dec 2025 (smuggled included)",
           "china_share_stock_2025", 0.05, 0.13, "share", lambda r: _bloc_share(r, "china", "2025-12")),
    Target("china_share_new_2025", "China's share of the compute installed in 2025", "china_share_new_supply_2025",
           0.05, 0.13, "share", lambda r: _china_share_of_acquisitions(r, "2025")),
    # Informational, a known disagreement (README, known tensions): chipsim's buyers choose by price per H100e of
    # dense 8-bit compute, and an H20 costs about 2.4x an Ascend 910C per H100e, so its Chinese buyers take few;
    # China bought H20s for their memory bandwidth and CUDA, which the model does not value.
    Target("china_legal_imports_2025", "compute China imported legally in 2025 (NVIDIA's official sales, mostly H20)",
           "epoch_nvidia_china_official_2025", 40_000, 120_000, "H100e",
           lambda r: _acquired_source(r, "china", "2025", "import"), informational=True),
    # Epoch's smuggling Monte Carlo: 662k H100e to end 2025 (p5-p95 294k-1.59M), 159k of it in 2024; the 2025 band
    # is the cumulative band less the 2024 median.
    Target("smuggled_2025", "compute smuggled into China in 2025",
           "epoch_smuggled_h100e_cum_2025+epoch_smuggled_h100e_2024",
           135_000, 1_430_000, "H100e", lambda r: _world_sum(r, "smuggled_h100e", "2025")),
    Target("seized_share_2025", "share of diverted chips seized in 2025", "seizure_cases",
           0.005, 0.30, "share", lambda r: _seized_share(r, "2025")),
    # 250k B300-equivalents, a B300 taken as 2.53 H100e (spec_b300: 5,000 dense 8-bit TOPS): about 630k H100e, +-60%.
    Target("rented_offshore_2026", "compute rented offshore by Chinese tenants, Jun 2026", "offshore_bytedance",
           250_000, 1_000_000, "H100e", lambda r: _bloc_value(r, "china", "2026-06", "rented_in_h100e")),
    # 320k B300-equivalents (90% CI 150k-600k) at 2.53 H100e each; chips installed in China in 2026.
    Target("china_acquired_2026", "compute China acquired in 2026 (legal, domestic, smuggled)", "china_2026_inflow",
           380_000, 1_520_000, "H100e", lambda r: _acquired(r, "china", "2026")),
    # The estimate's split (about 60% legal H200, 25% Huawei, the rest smuggling and proxy fabrication), +-15 points.
    # Informational: the model caps H200s at half of NVIDIA's US H200 sales, which binds (README, known tensions).
    Target("china_2026_legal_share", "of which legal imports (estimate: about 60% H200)", "china_2026_inflow",
           0.45, 0.75, "share", lambda r: _acquired_share(r, "china", "2026", ("import",)), informational=True),
    Target("china_2026_domestic_share", "of which domestic (estimate: about 25% Huawei)", "china_2026_inflow",
           0.10, 0.40, "share", lambda r: _acquired_share(r, "china", "2026", ("domestic", "chiplet")),
           informational=True),
    Target("china_2026_grey_share", "of which smuggled or proxy-fabricated (estimate: about 15%)", "china_2026_inflow",
           0.0, 0.30, "share", lambda r: _acquired_share(r, "china", "2026", ("smuggled", "proxy_fab")),
           informational=True),
    # Superseded: Epoch's later sales counts (the epoch_* rows) add up to more than its Jan-2026 "over 15M" stock.
    Target("global_stock_2026", "global installed compute, Dec 2025 (superseded by the sales counts)",
           "global_stock_2026q1", 12.75e6, 17.25e6, "H100e", lambda r: _installed_total(r, "2025-12"),
           informational=True),
    Target("blackwell_output_2025", "NVIDIA Blackwell packages made in 2025 (6M dies in the year to Oct 2025 / 2)",
           "nvidia_blackwell_year", 1.95e6, 4.05e6, "chips",
           lambda r: _chips_produced(r, ("b200", "b300"), "2025"), informational=True),
)

FIRST_MONTH_NEEDED = "2024-01"
LAST_MONTH_NEEDED = "2026-12"


def require_horizon(scenario: Scenario, origin: str) -> None:
    """Refuse a scenario that starts after the first month a target measures or ends before the last."""
    if parse_month(scenario.start) > parse_month(FIRST_MONTH_NEEDED):
        problem = Problem(("start",), f"calibration needs a run from {FIRST_MONTH_NEEDED} at the latest",
                          scenario.start, True)
        raise ScenarioError(origin, [problem])
    if parse_month(scenario.end) < parse_month(LAST_MONTH_NEEDED):
        problem = Problem(("end",), f"calibration needs a run to {LAST_MONTH_NEEDED} at least", scenario.end, True)
        raise ScenarioError(origin, [problem])


def measure(result: RunResult) -> dict[str, float]:
    """Each calibration target's figure in one run: small enough to send back from a worker process."""
    return {target.id: float(target.measure(result)) for target in TARGETS}


def check(results: list[RunResult]) -> pd.DataFrame:
    """Model against target for each calibration target, over one or more runs (seeds)."""
    return judge([measure(result) for result in results])


def judge(measured: list[dict[str, float]]) -> pd.DataFrame:
    """Model against target for each calibration target, from the figures ``measure`` took of each run."""
    rows = []
    for target in TARGETS:
        values = pd.Series([figures[target.id] for figures in measured])
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
                # Met when the median over the runs (seeds) is inside the band; the range is shown beside it.
                "ok": bool(target.low <= values.median() <= target.high),
                "informational": target.informational,
            }
        )
    return pd.DataFrame(rows)
