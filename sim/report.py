"""Tables and plots from a run: the end-of-run summary and the compute-by-bloc figure (no file IO here)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: the figure is saved, never shown

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sim.run import RunResult  # noqa: E402
from sim.style import (  # noqa: E402
    BLOC_COLOURS,
    BLOC_LABELS,
    LEAD_COLOUR,
    LEAD_LABEL,
    RATIO_COLOUR,
    RATIO_LABEL,
    source_colour,
    source_label,
)


def summary_dates(result: RunResult) -> list[str]:
    """The first month, every December, and the last month."""
    dates = list(result.world["date"])
    picked = [dates[0]] + [d for d in dates[1:-1] if d.endswith("-12")] + [dates[-1]]
    return list(dict.fromkeys(picked))


def summary_table(result: RunResult) -> pd.DataFrame:
    """Effective compute per bloc (H100e), the US:China ratio and the lead in months at the summary dates."""
    wide = result.blocs.pivot(index="date", columns="bloc", values="effective_h100e")
    world = result.world.set_index("date")
    dates = summary_dates(result)
    table = pd.DataFrame(
        {
            "us_allies_h100e": wide.loc[dates, "us_allies"],
            "china_h100e": wide.loc[dates, "china"],
            "rest_h100e": wide.loc[dates, "rest"],
            "us_china_ratio": world.loc[dates, "us_china_ratio"],
            "lead_months": world.loc[dates, "lead_months"],
        }
    )
    table.index.name = "date"
    return table


def china_sources(china: pd.DataFrame) -> dict[str, pd.Series]:
    """China's effective compute split by where it came from (the stack in the figure)."""
    layers = {c.removeprefix("installed_h100e_"): china[c] for c in china.columns if c.startswith("installed_h100e_")}
    layers["rented_offshore"] = china["rented_in_h100e"]
    layers["distillation"] = china["distillation_h100e"]
    layers["weights"] = china["weights_h100e"]
    return layers


def china_sources_table(result: RunResult) -> pd.DataFrame:
    """China's effective compute by source (H100e) at the summary dates."""
    china = result.blocs[result.blocs["bloc"] == "china"].set_index("date")
    layers = pd.DataFrame(china_sources(china))
    return layers.loc[summary_dates(result)]


def alliance_table(result: RunResult) -> pd.DataFrame | None:
    """At the summary dates: how far allied toolmakers have aligned (weighted by their China sales), what the allies
    lost to alignment and the US paid back, the tools (USD) and HBM (stacks) they sold China, all over the year to
    that month, and China's fab and packaging capacity then. None when the run has no allies (or did not record
    the alliance and capacity tables)."""
    if "alliance" not in result.tables or "capacity" not in result.tables or result.tables["alliance"].empty:
        return None
    allies, capacity = result.tables["alliance"], result.tables["capacity"]
    dates = summary_dates(result)
    rows = {}
    for date in dates:
        year_to_date = allies[(allies["date"] <= date) & allies["date"].str.startswith(date[:4])]
        now = allies[(allies["date"] == date) & (allies["product"] == "tools")]
        sales = now["china_revenue_usd"].sum()
        china = capacity[(capacity["date"] == date) & (capacity["bloc"] == "china")]
        tools = year_to_date[year_to_date["product"] == "tools"]
        rows[date] = {
            "tools_alignment": float((now["alignment"] * now["china_revenue_usd"]).sum() / sales) if sales else 0.0,
            "revenue_lost_usd": year_to_date["revenue_lost_usd"].sum(),
            "compensation_usd": year_to_date["compensation_usd"].sum(),
            "tools_to_china_usd": tools["china_sales_usd"].sum(),
            "hbm_stacks_to_china": year_to_date["hbm_stacks_to_china"].sum(),
            "china_wafers_per_month": china["wafers_per_month"].sum(),
            "china_packaging_wafers_per_month": china["packaging_wafers_per_month"].sum(),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "date"
    return table


def compute_figure(result: RunResult) -> Figure:
    """Installed compute by bloc, China's compute by source, and the lead in months, over time."""
    blocs = result.blocs.copy()
    blocs["month"] = pd.to_datetime(blocs["date"], format="%Y-%m")
    world = result.world.copy()
    world["month"] = pd.to_datetime(world["date"], format="%Y-%m")
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5), constrained_layout=True)

    by_bloc = axes[0]
    for bloc, rows in blocs.groupby("bloc", sort=False):
        by_bloc.plot(rows["month"], rows["effective_h100e"] / 1e6, label=BLOC_LABELS.get(bloc, bloc),
                     color=BLOC_COLOURS.get(bloc), linewidth=2)
    by_bloc.set_yscale("log")
    by_bloc.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
    by_bloc.set_ylabel("effective compute (million H100e, log scale)")
    by_bloc.set_title("Compute by bloc")
    by_bloc.legend()

    china = blocs[blocs["bloc"] == "china"]
    layers = china_sources(china)
    china_axis = axes[1]
    china_axis.stackplot(
        china["month"],
        *[values / 1e6 for values in layers.values()],
        labels=[source_label(name) for name in layers],
        colors=[source_colour(name) for name in layers],
        alpha=0.85,
    )
    china_axis.set_ylabel("effective compute (million H100e)")
    china_axis.set_title("China's compute by source")
    china_axis.legend(loc="upper left")

    lead = axes[2]
    lead.plot(world["month"], world["lead_months"], color=LEAD_COLOUR, linewidth=2)
    lead.set_ylabel(LEAD_LABEL)
    lead.set_title("Implied capability lead")
    ratio_axis = lead.twinx()
    ratio_axis.plot(world["month"], world["us_china_ratio"], color=RATIO_COLOUR, linestyle="--")
    ratio_axis.set_ylabel(f"{RATIO_LABEL} (dashed)")
    for axis in axes:
        axis.grid(alpha=0.3)
    figure.suptitle(f"{result.scenario.name}, seed {result.seed}, {result.scenario.start} to {result.until}")
    return figure
