"""The page's time series, read from the model's own records as it steps: compute by bloc and source, the lead and
the ratio, and leakage (flows per month apart from the stocks they build up).

Each figure is built once per run, at the pixel size the browser shows it (drawn at 72 dpi, so a font of 10 points
is 10 pixels on screen), with its x axis spanning the whole scenario in calendar months so the race unfolds left to
right. A previous run kept as a reference is drawn faintly into the static layer, and the y axes start wide enough
for it, so pressing RESET neither loses the old run nor rescales the axes under the new one. Legends sit above the
panels, outside the axes, so they never cover a line however a run turns out. The static layer (axes, ticks, labels,
legends, the reference) is drawn once; the month's data and titles (``dynamic``, marked animated) are
painted on it each month (see ``live.py``). The y range only grows, with headroom, so the static layer is redrawn
only on the few months the data outgrows it. Margins are fixed in pixels instead of a layout engine, so a redraw is
one pass of the renderer.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import matplotlib.dates as mdates
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter, ScalarFormatter

from sim.model import ChipSupplyModel
from sim.scenario.fields import BLOCS
from sim.style import (
    BLOC_LABELS,
    LEAD_COLOUR,
    LEAD_LABEL,
    RATIO_COLOUR,
    RATIO_LABEL,
    SEIZED_COLOUR,
    source_colour,
    source_label,
)

SOURCES = ["domestic", "import", "smuggled", "proxy_fab", "chiplet", "rented_offshore", "distillation", "weights"]
DPI = 72  # one point is one pixel: font sizes below are pixels on screen
FONT_PX = 11
TITLE_PX = 12
REFERENCE_STYLE = {"color": "#000000", "alpha": 0.35, "linewidth": 1.4, "linestyle": (0, (4, 2))}
HEADROOM = 1.25  # when data outgrows the y axis, leave this much room so the axis is not redrawn every month


def month_axis_value(month_index: int) -> float:
    """Matplotlib's date number of the first day of a model month."""
    year, month0 = divmod(month_index, 12)
    return mdates.date2num(datetime.date(year, month0 + 1, 1))


@dataclass
class Series:
    """A run's monthly records as arrays: x in date numbers, one array per world column and per bloc column."""

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
        for row in model.recorder.bloc_rows[: len(world_rows) * len(BLOCS)]:
            rows_by_bloc[row["bloc"]].append(row)
        blocs = {}
        for bloc, rows in rows_by_bloc.items():
            columns = {source: np.array([_source_h100e(row, source) for row in rows], dtype=float)
                       for source in SOURCES}
            columns["effective"] = np.array([row["effective_h100e"] for row in rows], dtype=float)
            blocs[bloc] = columns
        return cls(x, world, blocs)

    @property
    def empty(self) -> bool:
        return len(self.x) == 0


def _source_h100e(row: dict, source: str) -> float:
    if source == "rented_offshore":
        return row["rented_in_h100e"]
    if source == "distillation":
        return row["distillation_h100e"]
    if source == "weights":
        return row["weights_h100e"]
    return row[f"installed_h100e_{source}"]


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


def panel_title(axis, text: str, **style):
    """A panel's bold title at its top left, at a fixed height. Left to itself, matplotlib works out a title's height
    from the tick labels' extents at every full draw (a fifth of a redraw's time) in case ticks sit above the axes;
    none do here."""
    return axis.set_title(text, fontsize=TITLE_PX, loc="left", fontweight="bold", y=1.0, **style)


def _finite_max(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if len(finite) else 0.0


class TimeSeriesFigure:
    """Shared set-up: a figure of the shown pixel size with fixed pixel margins, a calendar x axis over the whole
    scenario (and the reference run's months), the reference run if any, a legend above the panels, and a hint
    while there is nothing to show. ``margins_px`` (left, right, top, bottom) leave room for the tick labels and, at
    the top, for the panels' titles; the legend adds its own height above them."""

    def __init__(self, model: ChipSupplyModel, size_px: tuple[int, int], columns: int = 1,
                 reference: Series | None = None, margins_px: tuple[int, int, int, int] = (62, 14, 24, 28),
                 gap_px: int = 70) -> None:
        width, height = size_px
        self.margins_px, self.gap_px = margins_px, gap_px
        self.figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        self.axes = [self.figure.add_subplot(1, columns, index + 1) for index in range(columns)]
        self.reference = reference if reference is not None and not reference.empty else None
        first, last = month_axis_value(model.start_month), month_axis_value(model.end_month)
        if self.reference is not None:
            first, last = min(first, self.reference.x[0]), max(last, self.reference.x[-1])
        for axis in self.axes:
            axis.set_xlim(first, last)
            axis.xaxis.set_major_locator(mdates.YearLocator())
            axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
            axis.tick_params(labelsize=FONT_PX)
            axis.grid(alpha=0.3)
            axis.set_ylim(0.0, 1e-3)
        # Painted on top like the month's data, not part of the static layer: its going away at the first month
        # then costs no full redraw (the first month after PLAY or RESET is drawn as fast as any other).
        self.hint = self.axes[0].text(0.5, 0.5, "press STEP or PLAY", ha="center", va="center", fontsize=FONT_PX,
                                      color="#555555", transform=self.axes[0].transAxes, animated=True)
        self._place_axes(legend_px=0.0)
        self.month_artists: list = []  # the month's data and titles, set by each figure
        self.y_numbers_shown = True

    @property
    def dynamic(self) -> list:
        """What is painted on the static layer each month (an invisible hint paints nothing)."""
        return [*self.month_artists, self.hint]

    def _place_axes(self, legend_px: float) -> None:
        """Fixed margins in pixels (no layout engine, so a redraw is one pass), below a legend ``legend_px`` high."""
        width, height = self.figure.bbox.width, self.figure.bbox.height
        left, right, top, bottom = self.margins_px
        columns = len(self.axes)
        panel_width = (width - left - right - self.gap_px * (columns - 1)) / columns
        self.figure.subplots_adjust(left=left / width, right=1 - right / width, top=1 - (top + legend_px) / height,
                                    bottom=bottom / height, wspace=self.gap_px / panel_width)

    def legend_above(self, handles: list) -> None:
        """One legend for the figure, above the panels and their titles, in as many columns as the width takes: outside
        the axes, it never covers the data."""
        renderer = FigureCanvasAgg(self.figure).get_renderer()
        for columns in range(len(handles), 0, -1):
            legend = self.figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 1.0), ncol=columns,
                                        fontsize=FONT_PX, frameon=False, handlelength=1.6, columnspacing=1.2,
                                        borderaxespad=0.2)
            box = legend.get_window_extent(renderer)
            if box.width <= self.figure.bbox.width or columns == 1:
                break
            legend.remove()
        self.legend = legend
        self._place_axes(legend_px=self.figure.bbox.y1 - box.y0)

    def update(self, model: ChipSupplyModel, series: Series) -> bool:
        """Bring the figure to the model's month; True when the static layer changed and must be redrawn."""
        self.hint.set_visible(series.empty)
        if series.empty:
            self._show_y_numbers(self.reference is not None)
            return False
        numbers_changed = self._show_y_numbers(True)
        return self.draw(series, model) or numbers_changed

    def _show_y_numbers(self, shown: bool) -> bool:
        """The y axes' numbers (twins too), hidden while the axes hold nothing: they would read 0.0000 to 0.0010,
        labels so long they push the axis titles off the figure. True when that changed. (The first month redraws
        the static layer anyway: the empty axes grow to take in the data.)"""
        if shown == self.y_numbers_shown:
            return False
        for axis in self.figure.axes:
            axis.yaxis.set_major_formatter(ScalarFormatter() if shown else NullFormatter())
        self.y_numbers_shown = shown
        return True

    def draw(self, series: Series, model: ChipSupplyModel) -> bool:
        raise NotImplementedError

    def reference_line(self, axis, values: np.ndarray, **style) -> None:
        """The previous run, faint and dashed, in the static layer; the axis starts wide enough to hold it."""
        axis.plot(self.reference.x, values, **{**REFERENCE_STYLE, **style})
        _grow_y(axis, _finite_max(values), min(0.0, float(np.nanmin(values))))


class ComputeFigure(TimeSeriesFigure):
    """Effective compute per bloc (a stock), stacked by source: one panel per bloc."""

    def __init__(self, model: ChipSupplyModel, size_px: tuple[int, int], reference: Series | None = None) -> None:
        super().__init__(model, size_px, columns=len(BLOCS), reference=reference, gap_px=56)
        self.stacks: dict[str, list] = {bloc: [] for bloc in BLOCS}
        for axis, bloc in zip(self.axes, BLOCS, strict=True):
            panel_title(axis, BLOC_LABELS.get(bloc, bloc))
            if self.reference is not None:
                self.reference_line(axis, self.reference.blocs[bloc]["effective"] / 1e6)
        self.axes[0].set_ylabel("effective compute, million H100e", fontsize=FONT_PX)
        handles = [Patch(color=source_colour(source), alpha=0.85, label=source_label(source)) for source in SOURCES]
        if self.reference is not None:
            handles.append(Line2D([0], [0], label="previous run (total)", **REFERENCE_STYLE))
        self.legend_above(handles)

    def draw(self, series: Series, model: ChipSupplyModel) -> bool:
        rescaled = False
        for axis, bloc in zip(self.axes, BLOCS, strict=True):
            for artist in self.stacks[bloc]:
                artist.remove()
            layers = [series.blocs[bloc][source] / 1e6 for source in SOURCES]
            self.stacks[bloc] = axis.stackplot(series.x, *layers, colors=[source_colour(s) for s in SOURCES],
                                               alpha=0.85, animated=True)
            rescaled |= _grow_y(axis, float(np.max(np.sum(layers, axis=0))))
        self.month_artists = [artist for stack in self.stacks.values() for artist in stack]
        return rescaled


class LeadFigure(TimeSeriesFigure):
    """The US lead in months (solid, left axis) and the US:China ratio (dashed, right axis)."""

    def __init__(self, model: ChipSupplyModel, size_px: tuple[int, int], reference: Series | None = None) -> None:
        # The bottom margin is the leakage figure's, beside it: the two x axes line up.
        super().__init__(model, size_px, reference=reference, margins_px=(52, 52, 24, 42))
        axis = self.axes[0]
        self.ratio_axis = axis.twinx()
        self.ratio_axis.tick_params(labelsize=FONT_PX)
        self.ratio_axis.set_ylim(0.0, 1e-3)
        if self.reference is not None:
            self.reference_line(axis, self.reference.world["lead_months"], color=LEAD_COLOUR)
            self.reference_line(self.ratio_axis, self.reference.world["us_china_ratio"], color=RATIO_COLOUR,
                                alpha=0.5, linestyle=(0, (1, 2)))
        (self.lead,) = axis.plot([], [], color=LEAD_COLOUR, linewidth=2.2, animated=True)
        (self.ratio,) = self.ratio_axis.plot([], [], color=RATIO_COLOUR, linewidth=1.8, linestyle="--",
                                             animated=True)
        axis.set_ylabel(LEAD_LABEL, fontsize=FONT_PX, color=LEAD_COLOUR)
        self.ratio_axis.set_ylabel(RATIO_LABEL, fontsize=FONT_PX, color="#5f6a6a")
        handles = [Line2D([0], [0], color=LEAD_COLOUR, linewidth=2.2, label="lead (left)"),
                   Line2D([0], [0], color=RATIO_COLOUR, linewidth=1.8, linestyle="--", label="ratio (right)")]
        if self.reference is not None:
            handles.append(Line2D([0], [0], label="previous run", **REFERENCE_STYLE))
        self.legend_above(handles)
        self.title = panel_title(axis, "US lead and US:China ratio", animated=True)
        self.month_artists = [self.lead, self.ratio, self.title]

    def draw(self, series: Series, model: ChipSupplyModel) -> bool:
        lead, ratio = series.world["lead_months"], series.world["us_china_ratio"]
        self.lead.set_data(series.x, lead)
        self.ratio.set_data(series.x, ratio)
        self.title.set_text(f"US lead {lead[-1]:.1f} months, ratio {ratio[-1]:.1f}x")
        finite_lead = lead[np.isfinite(lead)]
        lead_rescaled = _grow_y(self.axes[0], _finite_max(lead), float(finite_lead.min()) if len(finite_lead) else 0)
        return _grow_y(self.ratio_axis, _finite_max(ratio)) or lead_rescaled


class LeakageFigure(TimeSeriesFigure):
    """Leakage to China: flows per month (smuggled, seized) on one panel, the stocks they and offshore renting build
    up (China's smuggled installed base, front-company chips, compute rented offshore) on another."""

    FLOWS = {"smuggled": ("smuggled", source_colour("smuggled")), "seized": ("seized", SEIZED_COLOUR)}
    STOCKS = {source: (source_label(source), source_colour(source))
              for source in ("smuggled", "proxy_fab", "rented_offshore")}

    def __init__(self, model: ChipSupplyModel, size_px: tuple[int, int], reference: Series | None = None) -> None:
        super().__init__(model, size_px, columns=2, reference=reference, margins_px=(62, 14, 24, 42), gap_px=66)
        flows_axis, stocks_axis = self.axes
        flows_axis.set_ylabel("thousand H100e per month", fontsize=FONT_PX)
        stocks_axis.set_ylabel("thousand H100e in China", fontsize=FONT_PX)
        panel_title(stocks_axis, "China's leaked compute (stock)")
        if self.reference is not None:
            for key, (_label, colour) in self.FLOWS.items():
                self.reference_line(flows_axis, self.reference.world[f"{key}_h100e"] / 1e3, color=colour)
            for source, (_label, colour) in self.STOCKS.items():
                self.reference_line(stocks_axis, self.reference.blocs["china"][source] / 1e3, color=colour)
        self.flow_lines = {key: flows_axis.plot([], [], color=colour, linewidth=1.8, label=label, animated=True)[0]
                           for key, (label, colour) in self.FLOWS.items()}
        self.stock_lines = {source: stocks_axis.plot([], [], color=colour, linewidth=2, label=label,
                                                     animated=True)[0]
                            for source, (label, colour) in self.STOCKS.items()}
        # One legend for both panels: smuggling has one colour, as a flow and as the stock it builds up.
        colours = dict([*self.FLOWS.values(), *self.STOCKS.values()])
        handles = [Line2D([0], [0], color=colour, linewidth=2, label=label) for label, colour in colours.items()]
        if self.reference is not None:
            handles.append(Line2D([0], [0], label="previous run", **REFERENCE_STYLE))
        self.legend_above(handles)
        panel_title(flows_axis, "Leakage per month")
        # Below the years, where it has room and covers nothing: enforcement's tally behind the flows.
        self.listed = flows_axis.set_xlabel("", fontsize=FONT_PX, loc="left", animated=True)
        self.month_artists = [*self.flow_lines.values(), *self.stock_lines.values(), self.listed]

    def draw(self, series: Series, model: ChipSupplyModel) -> bool:
        rescaled = False
        for key, line in self.flow_lines.items():
            values = series.world[f"{key}_h100e"] / 1e3
            line.set_data(series.x, values)
            rescaled |= _grow_y(self.axes[0], _finite_max(values))
        for source, line in self.stock_lines.items():
            values = series.blocs["china"][source] / 1e3
            line.set_data(series.x, values)
            rescaled |= _grow_y(self.axes[1], _finite_max(values))
        listed = int(series.world["intermediaries_listed"][-1])
        self.listed.set_text(f"{listed} intermediaries listed")
        return rescaled
