"""The page's time series, read from the model's own records as it steps: compute by bloc and source, the lead, and
leakage per month. The x axis is calendar months."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim.model import ChipSupplyModel  # noqa: E402
from sim.report import BLOC_LABELS, SOURCE_COLOURS  # noqa: E402

SOURCES = ["domestic", "import", "smuggled", "proxy_fab", "rented_in", "distillation"]


def _frames(model: ChipSupplyModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    blocs = pd.DataFrame(model.recorder.bloc_rows)
    world = pd.DataFrame(model.recorder.world_rows)
    for frame in (blocs, world):
        if not frame.empty:
            frame["month"] = pd.to_datetime(frame["date"], format="%Y-%m")
    return blocs, world


def _months_axis(axis) -> None:
    axis.xaxis.set_major_locator(mdates.YearLocator())
    axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    axis.grid(alpha=0.3)


def _empty(title: str) -> Figure:
    figure, axis = plt.subplots(figsize=(5.5, 3.4))
    axis.text(0.5, 0.5, "press STEP or PLAY", ha="center", va="center", transform=axis.transAxes)
    axis.set_title(title, fontsize=10)
    axis.set_axis_off()
    return figure


def compute_by_source_figure(model: ChipSupplyModel) -> Figure:
    """Effective compute per bloc, stacked by source (one small panel per bloc)."""
    blocs, _world = _frames(model)
    if blocs.empty:
        return _empty("Compute by bloc and source")
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=False, constrained_layout=True)
    for axis, (bloc, rows) in zip(axes, blocs.groupby("bloc", sort=False), strict=False):
        layers = {
            source: (rows["rented_in_h100e"] if source == "rented_in" else rows[f"{source}_h100e"]
                     if source == "distillation" else rows[f"installed_h100e_{source}"]) / 1e6
            for source in SOURCES
        }
        axis.stackplot(rows["month"], *layers.values(), labels=list(layers),
                       colors=[SOURCE_COLOURS.get("rented_offshore" if s == "rented_in" else s, "#bdc3c7")
                               for s in layers], alpha=0.85)
        axis.set_title(f"{BLOC_LABELS.get(bloc, bloc)}: compute (M H100e)", fontsize=10)
        _months_axis(axis)
    axes[0].legend(fontsize=7, loc="upper left")
    return figure


def lead_figure(model: ChipSupplyModel) -> Figure:
    _blocs, world = _frames(model)
    if world.empty:
        return _empty("US lead and US:China ratio")
    figure, axis = plt.subplots(figsize=(5.5, 3.4), constrained_layout=True)
    axis.plot(world["month"], world["lead_months"], color="#34495e", linewidth=2, label="lead (months)")
    axis.set_ylabel("US lead (months)")
    ratio = axis.twinx()
    ratio.plot(world["month"], world["us_china_ratio"], color="#95a5a6", linestyle="--", label="US:China ratio")
    ratio.set_ylabel("US:China ratio (dashed)")
    axis.set_title(f"US lead {world['lead_months'].iloc[-1]:.1f} months, ratio {world['us_china_ratio'].iloc[-1]:.1f}x",
                   fontsize=10)
    _months_axis(axis)
    return figure


def leakage_figure(model: ChipSupplyModel) -> Figure:
    blocs, world = _frames(model)
    if world.empty:
        return _empty("Leakage per month")
    china = blocs[blocs["bloc"] == "china"]
    figure, axis = plt.subplots(figsize=(5.5, 3.4), constrained_layout=True)
    axis.plot(world["month"], world["smuggled_h100e"] / 1e3, color=SOURCE_COLOURS["smuggled"], label="smuggled")
    axis.plot(world["month"], world["seized_h100e"] / 1e3, color="#f39c12", label="seized")
    axis.plot(china["month"], china["rented_in_h100e"] / 1e3, color=SOURCE_COLOURS["rented_offshore"],
              label="rented offshore (stock)")
    axis.set_ylabel("thousand H100e")
    axis.set_title(f"Leakage, {model.date}: {int(world['intermediaries_listed'].iloc[-1])} intermediaries listed",
                   fontsize=10)
    axis.legend(fontsize=8)
    _months_axis(axis)
    return figure
