"""The sweep report's figures (matplotlib, headless): bands over time, per-run strips, China's compute by source.

Each policy keeps one colour in every figure of a report (its place in the sweep's list of policies); blocs and
sources of compute keep the colours of ``chipsim run``'s figure and the browser page (``sim.style``). Figures are
sized for a page 1,280 px wide at the report's resolution, so none is scaled down past legibility.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: figures are saved, never shown

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sim.style import compact, metric_label, rounded, source_colour, source_label  # noqa: E402
from sim.sweep.analysis import bands  # noqa: E402

SOURCE_COLUMNS = {
    "domestic": "china_installed_h100e_domestic",
    "import": "china_installed_h100e_import",
    "smuggled": "china_installed_h100e_smuggled",
    "proxy_fab": "china_installed_h100e_proxy_fab",
    "chiplet": "china_installed_h100e_chiplet",
    "rented_offshore": "china_rented_in_h100e",
    "distillation": "china_distillation_h100e",
    "weights": "china_weights_h100e",
}
# Inches at the report's dpi (110): 10.5 in is 1,155 px, inside a 1,280 px page with its margins.
PAGE_WIDTH_INCHES = 10.5
NUMBER_AXIS = FuncFormatter(lambda value, _position: rounded(value))


def policy_colours(policies: list[str]) -> dict[str, tuple]:
    palette = plt.get_cmap("tab10")
    return {policy: palette(index % 10) for index, policy in enumerate(policies)}


def fan_figure(results: pd.DataFrame, outcomes: list[tuple[str, bool]], colours: dict[str, tuple],
               columns: int = 3) -> Figure:
    """Median and 5-95% bands over time per policy, one panel per outcome (column, log scale)."""
    rows = -(-len(outcomes) // columns)
    width = min(columns, len(outcomes))
    figure, axes = plt.subplots(rows, width, figsize=(PAGE_WIDTH_INCHES, 3.4 * rows), constrained_layout=True,
                                squeeze=False)
    axes = axes.ravel()
    for unused in axes[len(outcomes):]:
        unused.set_visible(False)
    for axis, (column, log) in zip(axes, outcomes, strict=False):
        table = bands(results, column)
        for policy, rows_of_policy in table.groupby("policy", sort=False):
            months = pd.to_datetime(rows_of_policy["date"], format="%Y-%m")
            colour = colours.get(policy, "grey")
            axis.fill_between(months, rows_of_policy["p05"], rows_of_policy["p95"], color=colour, alpha=0.15,
                              linewidth=0)
            axis.plot(months, rows_of_policy["median"], color=colour, label=policy, linewidth=1.8)
        if log:
            axis.set_yscale("log")
            axis.yaxis.set_minor_formatter(NUMBER_AXIS)
        axis.yaxis.set_major_formatter(NUMBER_AXIS)
        axis.set_title(metric_label(column), fontsize=9)
        axis.xaxis.set_major_locator(mdates.YearLocator())
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        axis.tick_params(labelsize=8)
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    return figure


def strip_figure(final: pd.DataFrame, outcomes: list[str], colours: dict[str, tuple]) -> Figure:
    """Every run's outcome at the end, one dot per run, beside its policy's median (a bar): how wide the spread is,
    not only where the middle is."""
    policies = list(colours)
    figure, axes = plt.subplots(1, len(outcomes), figsize=(PAGE_WIDTH_INCHES, 0.35 * len(policies) + 1.6),
                                constrained_layout=True, squeeze=False)
    jitter = np.random.default_rng(0)  # fixed: the same report draws the same dots
    for axis, outcome in zip(axes[0], outcomes, strict=True):
        for row, policy in enumerate(policies):
            values = final.loc[final["policy"] == policy, outcome].to_numpy(dtype=float)
            if values.size == 0:
                continue
            axis.scatter(values, row + jitter.uniform(-0.18, 0.18, values.size), s=9, alpha=0.55,
                         color=colours[policy], linewidths=0)
            axis.plot([np.median(values)] * 2, [row - 0.32, row + 0.32], color="black", linewidth=2)
        axis.set_yticks(range(len(policies)), policies if axis is axes[0][0] else [""] * len(policies), fontsize=8)
        axis.set_ylim(len(policies) - 0.5, -0.5)
        axis.xaxis.set_major_formatter(NUMBER_AXIS)
        axis.set_title(metric_label(outcome), fontsize=9)
        axis.tick_params(axis="x", labelsize=8)
        axis.grid(alpha=0.3, axis="x")
    figure.supxlabel("each dot a run (a point and a seed), the black bar its policy's median", fontsize=8)
    return figure


def sources_figure(final: pd.DataFrame) -> Figure:
    """China's effective compute at the last month by source: median per policy, stacked."""
    present = {name: column for name, column in SOURCE_COLUMNS.items() if column in final.columns}
    medians = final.groupby("policy")[list(present.values())].median()
    medians.columns = [source_label(name) for name in present]
    medians = medians.loc[medians.sum(axis=1).sort_values().index]
    figure, axis = plt.subplots(figsize=(PAGE_WIDTH_INCHES * 0.8, 0.4 * len(medians) + 1.4), constrained_layout=True)
    # The same colour for a source as in `chipsim run`'s figure and the browser page.
    medians.plot.barh(stacked=True, ax=axis, color=[source_colour(name) for name in present])
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: compact(value)))
    axis.set_xlabel("China's effective compute at the end (H100e, median of each source)", fontsize=9)
    axis.set_ylabel("")
    axis.grid(alpha=0.3, axis="x")
    return figure


def trajectory_figure(trajectories: pd.DataFrame, boxes: pd.DataFrame, colours: dict[str, tuple]) -> Figure:
    """PRIM's peeling trajectory per policy: coverage against density, each box a dot; ringed, the box described
    (the picked box with its unsupported cuts undone)."""
    figure, axis = plt.subplots(figsize=(PAGE_WIDTH_INCHES * 0.62, 3.6), constrained_layout=True)
    for policy, steps in trajectories.groupby("policy", sort=False):
        colour = colours.get(policy, "grey")
        axis.plot(steps["coverage"], steps["density"], "-o", color=colour, markersize=3, linewidth=1, label=policy)
        described = boxes[boxes["policy"] == policy]
        axis.scatter(described["coverage"], described["density"], s=110, facecolors="none", edgecolors=colour,
                     linewidths=2)
    axis.set_xlabel("coverage: share of the policy's failures in the box", fontsize=9)
    axis.set_ylabel("density: share of runs in the box that fail", fontsize=9)
    axis.set_xlim(0, 1.03)
    axis.set_ylim(0, 1.03)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="lower left")
    axis.set_title("Peeling trajectories (ringed: the box described)", fontsize=9)
    return figure


def scatter_figure(final: pd.DataFrame, inputs: list[tuple[str, str]], outcome: str,
                   colours: dict[str, tuple]) -> Figure:
    """The outcome against each of the top inputs (name, label), a dot per run, coloured by policy."""
    figure, axes = plt.subplots(1, len(inputs), figsize=(PAGE_WIDTH_INCHES, 3.2), constrained_layout=True,
                                squeeze=False, sharey=True)
    for axis, (name, label) in zip(axes[0], inputs, strict=True):
        for policy, runs in final.groupby("policy", sort=False):
            axis.scatter(runs[name], runs[outcome], s=9, alpha=0.6, color=colours.get(policy, "grey"),
                         linewidths=0, label=policy)
        axis.set_xlabel(label, fontsize=9)
        axis.xaxis.set_major_formatter(NUMBER_AXIS)
        axis.yaxis.set_major_formatter(NUMBER_AXIS)
        axis.tick_params(labelsize=8)
        axis.grid(alpha=0.3)
    axes[0][0].set_ylabel(metric_label(outcome), fontsize=9)
    axes[0][0].legend(fontsize=7)
    return figure
