"""The page's time series, read from the model's own records as it steps: compute by bloc and source, the lead, and
leakage per month.

Each figure is built once per model with its x axis spanning the whole scenario in calendar months, so the race
unfolds left to right. It is drawn in two layers (see ``live.py``): the axes, ticks, labels and legends once, and the
data and titles (``dynamic``, marked animated) on top each month. The y range only grows, with headroom, so the static
layer is redrawn only on the few months the data outgrows it. Fixed margins instead of a layout engine keep a full
redraw to one pass of the renderer.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import matplotlib.dates as mdates
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.model import ChipSupplyModel
from sim.report import BLOC_LABELS, SOURCE_COLOURS
from sim.scenario.schema import BLOCS

SOURCES = ["domestic", "import", "smuggled", "proxy_fab", "rented_in", "distillation"]
SEIZED_COLOUR = "#f39c12"
PANEL_SIZE_INCHES = (5.5, 3.4)


def month_axis_value(month_index: int) -> float:
    """Matplotlib's date number of the first day of a model month."""
    year, month0 = divmod(month_index, 12)
    return mdates.date2num(datetime.date(year, month0 + 1, 1))


@dataclass
class Series:
    """The model's monthly records as arrays: x in date numbers, one array per world column and per bloc column."""

    x: np.ndarray
    world: dict[str, np.ndarray] = field(default_factory=dict)
    blocs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def of(cls, model: ChipSupplyModel) -> Series:
        world_rows = model.recorder.world_rows
        x = np.array([month_axis_value(model.start_month + row["tick"]) for row in world_rows])
        world = {key: np.array([row[key] for row in world_rows], dtype=float)
                 for key in ("us_china_ratio", "lead_months", "smuggled_h100e", "seized_h100e",
                             "intermediaries_listed")}
        rows_by_bloc: dict[str, list[dict]] = {bloc: [] for bloc in BLOCS}
        for row in model.recorder.bloc_rows:
            rows_by_bloc[row["bloc"]].append(row)
        blocs = {}
        for bloc, rows in rows_by_bloc.items():
            columns = {source: np.array([_source_h100e(row, source) for row in rows], dtype=float)
                       for source in SOURCES}
            blocs[bloc] = columns
        return cls(x, world, blocs)

    @property
    def empty(self) -> bool:
        return len(self.x) == 0


def _source_h100e(row: dict, source: str) -> float:
    if source == "rented_in":
        return row["rented_in_h100e"]
    if source == "distillation":
        return row["distillation_h100e"]
    return row[f"installed_h100e_{source}"]


def _source_colour(source: str) -> str:
    return SOURCE_COLOURS.get("rented_offshore" if source == "rented_in" else source, "#bdc3c7")


class TimeSeriesFigure:
    """Shared set-up: a figure of fixed size and margins, a calendar x axis over the whole scenario, and a hint to
    press STEP while there is nothing to show."""

    def __init__(self, model: ChipSupplyModel, columns: int = 1, width_inches: float = PANEL_SIZE_INCHES[0],
                 right_margin: float = 0.97) -> None:
        self.figure = Figure(figsize=(width_inches, PANEL_SIZE_INCHES[1]))
        self.axes = [self.figure.add_subplot(1, columns, index + 1) for index in range(columns)]
        first, last = month_axis_value(model.start_month), month_axis_value(model.end_month)
        for axis in self.axes:
            axis.set_xlim(first, last)
            axis.xaxis.set_major_locator(mdates.YearLocator())
            axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
            axis.grid(alpha=0.3)
        self.hint = self.axes[0].text(0.5, 0.5, "press STEP or PLAY", ha="center", va="center",
                                      transform=self.axes[0].transAxes)
        self.figure.subplots_adjust(left=0.12 if columns == 1 else 0.05, right=right_margin, top=0.88, bottom=0.1,
                                    wspace=0.25)
        self.dynamic: list = []

    def update(self, model: ChipSupplyModel, series: Series) -> bool:
        """Bring the figure to the model's month; True when the static layer changed and must be redrawn."""
        static_changed = self.hint.get_visible() != series.empty
        self.hint.set_visible(series.empty)
        if not series.empty:
            static_changed |= self.draw(series, model)
        return static_changed

    def draw(self, series: Series, model: ChipSupplyModel) -> bool:
        raise NotImplementedError


HEADROOM = 1.25  # when data outgrows the y axis, leave this much room so the axis is not redrawn every month


def _grow_y(axis, top: float, bottom: float = 0.0) -> bool:
    """Widen the y axis to take in [bottom, top] with headroom, never narrowing it; True when it changed."""
    low, high = axis.get_ylim()
    if not (np.isfinite(top) and np.isfinite(bottom)):
        return False
    new_low = min(low, bottom * HEADROOM) if bottom < 0 else min(low, 0.0)
    new_high = max(high, top * HEADROOM) if top > high else high
    if (new_low, new_high) == (low, high):
        return False
    axis.set_ylim(new_low, new_high)
    return True


class ComputeFigure(TimeSeriesFigure):
    """Effective compute per bloc, stacked by source (one small panel per bloc)."""

    def __init__(self, model: ChipSupplyModel) -> None:
        super().__init__(model, columns=len(BLOCS), width_inches=12.0)
        self.stacks: dict[str, list] = {bloc: [] for bloc in BLOCS}
        for axis, bloc in zip(self.axes, BLOCS, strict=True):
            axis.set_title(f"{BLOC_LABELS.get(bloc, bloc)}: compute (M H100e)", fontsize=10)
            axis.set_ylim(0.0, 1e-3)
        # The legend is static (patches of its own), so the stacks can be replaced each month without touching it.
        handles = [Patch(color=_source_colour(source), alpha=0.85, label=source) for source in SOURCES]
        self.legend = self.axes[0].legend(handles=handles, fontsize=7, loc="upper left")
        self.legend.set_animated(True)  # painted after the stacks, so they do not cover it
        self.dynamic = [self.legend]

    def draw(self, series: Series, model: ChipSupplyModel) -> bool:
        rescaled = False
        for axis, bloc in zip(self.axes, BLOCS, strict=True):
            for artist in self.stacks[bloc]:
                artist.remove()
            layers = [series.blocs[bloc][source] / 1e6 for source in SOURCES]
            self.stacks[bloc] = axis.stackplot(series.x, *layers, colors=[_source_colour(s) for s in SOURCES],
                                               alpha=0.85, animated=True)
            rescaled |= _grow_y(axis, float(np.max(np.sum(layers, axis=0))))
        self.dynamic = [artist for stack in self.stacks.values() for artist in stack] + [self.legend]
        return rescaled


class LeadFigure(TimeSeriesFigure):
    """The US lead in months (solid) and the US:China ratio (dashed, right axis)."""

    def __init__(self, model: ChipSupplyModel) -> None:
        super().__init__(model, right_margin=0.86)
        axis = self.axes[0]
        (self.lead,) = axis.plot([], [], color="#34495e", linewidth=2, animated=True)
        axis.set_ylabel("US lead (months)")
        self.ratio_axis = axis.twinx()
        (self.ratio,) = self.ratio_axis.plot([], [], color="#95a5a6", linestyle="--", animated=True)
        self.ratio_axis.set_ylabel("US:China ratio (dashed)")
        for y_axis in (axis, self.ratio_axis):
            y_axis.set_ylim(0.0, 1.0)
        self.title = axis.set_title("US lead and US:China ratio", fontsize=10, animated=True)
        self.dynamic = [self.lead, self.ratio, self.title]

    def draw(self, series: Series, model: ChipSupplyModel) -> bool:
        lead, ratio = series.world["lead_months"], series.world["us_china_ratio"]
        self.lead.set_data(series.x, lead)
        self.ratio.set_data(series.x, ratio)
        self.title.set_text(f"US lead {lead[-1]:.1f} months, ratio {ratio[-1]:.1f}x")
        lead_rescaled = _grow_y(self.axes[0], float(np.max(lead)), float(np.min(lead)))
        return _grow_y(self.ratio_axis, float(np.max(ratio))) or lead_rescaled


class LeakageFigure(TimeSeriesFigure):
    """Smuggled and seized H100e per month, and the stock China rents offshore."""

    def __init__(self, model: ChipSupplyModel) -> None:
        super().__init__(model)
        axis = self.axes[0]
        style = {"animated": True}
        (self.smuggled,) = axis.plot([], [], color=SOURCE_COLOURS["smuggled"], label="smuggled", **style)
        (self.seized,) = axis.plot([], [], color=SEIZED_COLOUR, label="seized", **style)
        (self.rented,) = axis.plot([], [], color=SOURCE_COLOURS["rented_offshore"], label="rented offshore (stock)",
                                   **style)
        axis.set_ylabel("thousand H100e")
        axis.set_ylim(0.0, 1.0)
        legend = axis.legend(fontsize=8, loc="upper left")
        legend.set_animated(True)  # painted after the lines, so they do not cover it
        self.title = axis.set_title("Leakage per month", fontsize=10, animated=True)
        self.dynamic = [self.smuggled, self.seized, self.rented, legend, self.title]

    def draw(self, series: Series, model: ChipSupplyModel) -> bool:
        lines = {self.smuggled: series.world["smuggled_h100e"], self.seized: series.world["seized_h100e"],
                 self.rented: series.blocs["china"]["rented_in"]}
        for line, values in lines.items():
            line.set_data(series.x, values / 1e3)
        listed = int(series.world["intermediaries_listed"][-1])
        self.title.set_text(f"Leakage, {model.date}: {listed} intermediaries listed")
        return _grow_y(self.axes[0], max(float(np.max(values)) for values in lines.values()) / 1e3)
