"""The page's figures for one model, drawn once and brought up to date at most once a month.

Every Solara component re-renders whenever the page's update counter moves, and a changed slider re-renders them too.
Rebuilding four matplotlib figures each time cost most of a second. Here each model keeps its figures, and each figure
is drawn in two layers: a static layer (axes, ticks, labels, legends) rendered once and kept as pixels, and the
month's data (the artists a figure lists as ``dynamic``, marked animated so a full draw leaves them out) painted on a
copy of it. A figure redraws its static layer only when it says it changed (a y axis that had to grow). The PNG bytes
of a month are cached, so re-renders that are not steps cost nothing.

Figures are plain ``matplotlib.figure.Figure`` objects (not pyplot's), so nothing global holds them: they go with the
run (``sim/viz/session.py``) that owns them. They are made at the width the page has on screen, and made again when
that width changes.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from sim.model import ChipSupplyModel
from sim.viz.network import Flows, NetworkFigure
from sim.viz.plots import DPI, ComputeFigure, LeadFigure, LeakageFigure, Series

FIGURE_DPI = DPI  # one point is one pixel: what the page shows is what was drawn
# PNG compression level 1 of 9: the images are small and go over a local socket, so encoding speed matters more.
PNG_COMPRESS_LEVEL = 1
FIGURE_NAMES = ("compute", "lead", "leakage", "network")
COMPUTE_HEIGHT_PX, ROW_HEIGHT_PX = 250, 240  # short enough that the network starts within 720 px
LEAD_SHARE = 0.36  # of the width: the lead and the leakage panels share one row
GAP_PX = 8
DEFAULT_WIDTH_PX = 1100


def figure_sizes(width_px: int) -> dict[str, tuple[int, int | None]]:
    """Each figure's size in pixels for a page ``width_px`` wide (the network's height follows its rows)."""
    lead = round(LEAD_SHARE * width_px)
    return {"compute": (width_px, COMPUTE_HEIGHT_PX), "lead": (lead, ROW_HEIGHT_PX),
            "leakage": (width_px - lead - GAP_PX, ROW_HEIGHT_PX), "network": (width_px, None)}


class LayeredCanvas:
    """A figure rendered as a cached static layer plus its dynamic artists painted on top."""

    def __init__(self, figure: Figure) -> None:
        figure.set_dpi(FIGURE_DPI)
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.background = None

    def render_png(self, dynamic: list, static_changed: bool) -> bytes:
        if static_changed or self.background is None:
            self.canvas.draw()  # animated (dynamic) artists are left out of a full draw
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self.background)
        for artist in dynamic:
            self.figure.draw_artist(artist)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL)
        return buffer.getvalue()


class LiveFigures:
    """The page's four figures for one run, ``width_px`` wide, with a previous run drawn faintly if given: its records
    on the time series, its flows by model month on the network."""

    def __init__(self, model: ChipSupplyModel, width_px: int = DEFAULT_WIDTH_PX, reference: Series | None = None,
                 reference_flows: dict[int, Flows] | None = None) -> None:
        sizes = figure_sizes(width_px)
        self.width_px = width_px
        self.figures = {"compute": ComputeFigure(model, sizes["compute"], reference),
                        "lead": LeadFigure(model, sizes["lead"], reference),
                        "leakage": LeakageFigure(model, sizes["leakage"], reference),
                        "network": NetworkFigure(model, width_px, reference_flows)}
        self.canvases = {name: LayeredCanvas(figure.figure) for name, figure in self.figures.items()}
        self._series: tuple[int, Series] | None = None
        self._png: dict[str, tuple[int, bytes]] = {}

    def png(self, name: str, model: ChipSupplyModel) -> bytes:
        """The figure ``name`` as PNG bytes for the model's current month (rendered once per month)."""
        cached = self._png.get(name)
        if cached is not None and cached[0] == model.month:
            return cached[1]
        figure = self.figures[name]
        static_changed = figure.update(model, self.series(model))
        self._png[name] = (model.month, self.canvases[name].render_png(figure.dynamic, static_changed))
        return self._png[name][1]

    def series(self, model: ChipSupplyModel) -> Series:
        """The model's records as arrays, read once a month and shared by the three time-series figures."""
        if self._series is None or self._series[0] != model.month:
            self._series = (model.month, Series.of(model))
        return self._series[1]

