"""One browser tab's runs: the model being stepped, its figures, and the previous run kept as a reference.

Everything that touches the model (building it, stepping it, drawing it) happens under one lock and ends in a
``Frame``: the month, the PNG of every figure, the headline numbers and the title, made together and never changed
afterwards. The page shows only the latest frame, so the date, the numbers and every plot always show the same month
however clicks, PLAY and RESET interleave, and no drawing can see a model half-way through a step (Mesa's threaded
PLAY drew while stepping and could fail with '60 vs 61 points').

An error while building or stepping a run never escapes as a traceback: the frame says in one line what went wrong
and the page stays usable.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.dates import num2date

from sim.model import ChipSupplyModel
from sim.scenario import load_scenario
from sim.scenario.load import resolve_extends
from sim.viz.levers import LeverInScenario, apply_changes, real_changes, run_title, scenario_levers
from sim.viz.live import FIGURE_NAMES, LiveFigures
from sim.viz.network import Flows, month_flows
from sim.viz.plots import Series

logger = logging.getLogger(__name__)
MIN_WIDTH_PX, MAX_WIDTH_PX = 560, 2400  # narrower is unreadable; wider costs drawing time for nothing


@dataclass(frozen=True)
class RunSettings:
    """What a run is built from: a scenario file (in the page's folder), a seed, and the levers the user changed."""

    scenario_file: str
    seed: int = 0
    changes: tuple[tuple[str, object], ...] = ()

    @property
    def changed(self) -> dict[str, object]:
        return dict(self.changes)


@dataclass(frozen=True)
class ScenarioInfo:
    """A scenario file as the page describes it: name, description, dates and what it does with each lever."""

    name: str
    description: str
    start: str
    end: str
    policies: list = field(repr=False)
    levers: dict[str, LeverInScenario] = field(repr=False)
    countries: tuple[str, ...] = ()  # country codes


def scenario_info(scenario_dir: Path, scenario_file: str) -> ScenarioInfo:
    raw = resolve_extends(scenario_dir / scenario_file)
    policies = raw.get("policies", [])
    return ScenarioInfo(raw.get("name", scenario_file), " ".join(str(raw.get("description", "")).split()),
                        str(raw["start"]), str(raw["end"]), policies, scenario_levers(policies, str(raw["start"])),
                        tuple(raw.get("countries") or ()))


def build_model(scenario_dir: Path, settings: RunSettings) -> tuple[ChipSupplyModel, str]:
    """The model for ``settings`` and its title. With no real change it is the scenario file exactly as
    ``chipsim run`` loads it, so the page and the command give the same numbers."""
    info = scenario_info(scenario_dir, settings.scenario_file)
    changes = real_changes(settings.changed, info.levers)
    path = scenario_dir / settings.scenario_file
    overrides = {"policies": apply_changes(info.policies, changes, info.start, info.countries)} if changes else None
    model = ChipSupplyModel(load_scenario(path, overrides).scenario, seed=int(settings.seed))
    return model, run_title(info.name, changes)


@dataclass(frozen=True)
class Headline:
    """The numbers an analyst looks at first, at one month."""

    date: str
    ratio: float
    lead_months: float
    china_h100e: float


def headline_at(series: Series, date_number: float | None = None) -> Headline | None:
    """The headline of a run at the month ``date_number`` (its last month if it did not reach it or none given)."""
    if series.empty:
        return None
    index = len(series.x) - 1
    if date_number is not None:
        matches = np.flatnonzero(series.x == date_number)
        index = int(matches[0]) if len(matches) else index
    return Headline(num2date(series.x[index]).strftime("%Y-%m"), float(series.world["us_china_ratio"][index]),
                    float(series.world["lead_months"][index]), float(series.blocs["china"]["effective"][index]))


@dataclass(frozen=True)
class Reference:
    """A previous run kept on the plots: its title, records and the network's flows by model month."""

    title: str
    series: Series
    flows: dict[int, Flows]


@dataclass(frozen=True)
class Frame:
    """What the page shows, all of one month (see the module docstring)."""

    serial: int
    title: str
    date: str  # "2026-03", or "before 2024-01" (the scenario's start) until the first step
    ended: bool
    images: dict[str, bytes]  # none until the page has said how wide the figures are shown
    sizes: dict[str, tuple[int, int]]
    headline: Headline | None
    reference_title: str | None = None
    reference_headline: Headline | None = None  # the previous run at the same month (or its last)
    error: str | None = None


_SERIALS = itertools.count(1)


class PageRun:
    """A tab's current run and reference, and the latest frame; every method is safe to call from any thread.

    Without ``width_px`` the figures are drawn only once the page has said how wide they are shown (``resize``): a
    first drawing at a guessed width would be thrown away a moment later, and on a busy machine it kept the page
    showing figures cut off at the right, and every click waiting, for seconds."""

    def __init__(self, scenario_dir: Path, settings: RunSettings, width_px: int | None = None) -> None:
        self.scenario_dir = scenario_dir
        self.lock = threading.RLock()
        self.width_px = _clamp_width(width_px) if width_px is not None else None
        self.reference: Reference | None = None
        self.generation = 0  # goes up with every RESET: a PLAY loop of an older run stops
        self.settings = settings
        self.model, self.title = build_model(scenario_dir, settings)
        # Each month's flows between the network's groups, kept for when this run becomes the reference: the model
        # keeps only the current month's shipments, and RUN TO END draws none of the months it passes.
        self.flows: dict[int, Flows] = {}
        self.figures = self._figures()
        self.frame = self._render()

    def step(self, generation: int | None = None) -> Frame:
        """One month (if the run has not ended, and belongs to ``generation`` when given), then a new frame."""
        with self.lock:
            if generation is not None and generation != self.generation:
                return self.frame
            if self.model.running:
                try:
                    self._step_model()
                except Exception as error:  # noqa: BLE001 - the page says what failed instead of a traceback
                    return self._fail(f"the run stopped at {self.model.date}: {error}", error)
            self.frame = self._render()
            return self.frame

    def run_to_end(self) -> Frame:
        """Every remaining month at once, drawn only at the end."""
        with self.lock:
            try:
                while self.model.running:
                    self._step_model()
            except Exception as error:  # noqa: BLE001
                return self._fail(f"the run stopped at {self.model.date}: {error}", error)
            self.frame = self._render()
            return self.frame

    def reset(self, settings: RunSettings) -> Frame:
        """A new run from ``settings``; the current one (if it has stepped) becomes the reference."""
        with self.lock:
            try:
                model, title = build_model(self.scenario_dir, settings)
            except Exception as error:  # noqa: BLE001 - e.g. a scenario file edited into something invalid
                return self._fail(f"could not start {settings.scenario_file}: {error}", error, stop=False)
            finished = self._series()
            if not finished.empty:
                self.reference = Reference(self.title, finished, self.flows)
            self.generation += 1
            self.settings, self.model, self.title, self.flows = settings, model, title, {}
            self.figures = self._figures()
            self.frame = self._render()
            return self.frame

    def clear_reference(self) -> Frame:
        with self.lock:
            self.reference = None
            self.figures = self._figures()
            self.frame = self._render()
            return self.frame

    def resize(self, width_px: int) -> Frame:
        """Draw the figures again for a page ``width_px`` wide (only when that changes the size)."""
        with self.lock:
            width_px = _clamp_width(width_px)
            if width_px != self.width_px:
                self.width_px = width_px
                self.figures = self._figures()
                self.frame = self._render()
            return self.frame

    def _step_model(self) -> None:
        self.model.step()
        self.flows[self.model.month] = month_flows(self.model)

    def _figures(self) -> LiveFigures | None:
        if self.width_px is None:
            return None
        if self.reference is None:
            return LiveFigures(self.model, self.width_px)
        return LiveFigures(self.model, self.width_px, self.reference.series, self.reference.flows)

    def _series(self) -> Series:
        return self.figures.series(self.model) if self.figures is not None else Series.of(self.model)

    def _render(self, error: str | None = None) -> Frame:
        model = self.model
        images, sizes = {}, {}
        if self.figures is not None:
            images = {name: self.figures.png(name, model) for name in FIGURE_NAMES}
            sizes = {name: figure.figure.canvas.get_width_height() for name, figure in self.figures.figures.items()}
        series = self._series()
        headline = headline_at(series)
        reference_headline = None
        if self.reference is not None:
            reference_headline = headline_at(self.reference.series, series.x[-1] if not series.empty else None)
        started = model.month >= model.start_month
        return Frame(
            serial=next(_SERIALS), title=self.title, date=model.date if started else f"before {model.scenario.start}",
            ended=not model.running, images=images, sizes=sizes, headline=headline,
            reference_title=self.reference.title if self.reference else None,
            reference_headline=reference_headline, error=error,
        )

    def _fail(self, message: str, error: Exception, stop: bool = True) -> Frame:
        logger.warning("page run: %s", message, exc_info=error)
        if stop:
            self.model.running = False
        self.frame = self._render(error=message)
        return self.frame


def _clamp_width(width_px: int) -> int:
    return int(min(MAX_WIDTH_PX, max(MIN_WIDTH_PX, int(width_px))))

