"""What a sweep says: rankings, paired differences, bands over time, and which uncertainties matter (no file IO).

A *scenario* here is one (point, seed): the same world, with every policy run in it, so policies are compared in
pairs. Outcomes are read at the sweep's last month. Regret is how far a policy's lead falls short of the best policy
in the same scenario. Sensitivity is the Spearman rank correlation between an uncertainty and an outcome within each
policy, averaged over policies: a simple, robust global measure for monotone effects.
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

from sim.style import source_colour, source_label  # noqa: E402

SCENARIO_KEYS = ["point", "seed"]
RANKING_OUTCOME = "lead_months"
DISPLAY_NAMES = {
    "median_lead_months": "lead, median (months)",
    "p10_lead_months": "lead, 10th pct",
    "median_ratio": "US:China, median",
    "median_regret_months": "regret, median",
    "max_regret_months": "regret, max",
    "share_meeting_target": "meets target",
    "mean_difference": "mean difference",
    "ci95_low": "95% CI low",
    "ci95_high": "95% CI high",
    "share_better": "better in",
}
BOOTSTRAP_SAMPLES = 2000
SOURCE_COLUMNS = {
    "domestic": "china_installed_h100e_domestic",
    "import": "china_installed_h100e_import",
    "smuggled": "china_installed_h100e_smuggled",
    "proxy_fab": "china_installed_h100e_proxy_fab",
    "rented_offshore": "china_rented_in_h100e",
    "distillation": "china_distillation_h100e",
}


def final_outcomes(results: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its inputs and its outcomes at the last month."""
    last = results["date"].max()
    return results[results["date"] == last].reset_index(drop=True)


def ranking(final: pd.DataFrame, target_ratio: float) -> pd.DataFrame:
    """Per policy: median and 10th percentile of the lead, regret against the best policy, share meeting the target."""
    best = final.groupby(SCENARIO_KEYS)[RANKING_OUTCOME].transform("max")
    final = final.assign(regret=best - final[RANKING_OUTCOME])
    table = final.groupby("policy").agg(
        median_lead_months=(RANKING_OUTCOME, "median"),
        p10_lead_months=(RANKING_OUTCOME, lambda v: v.quantile(0.10)),
        median_ratio=("us_china_ratio", "median"),
        median_regret_months=("regret", "median"),
        max_regret_months=("regret", "max"),
        share_meeting_target=("us_china_ratio", lambda v: float((v >= target_ratio).mean())),
        runs=("run_id", "count"),
    )
    table = table.sort_values(["median_lead_months", "p10_lead_months"], ascending=False)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def paired_differences(final: pd.DataFrame, reference: str, outcomes: list[str], seed: int = 0) -> pd.DataFrame:
    """Per policy and outcome: mean of (policy - reference) over shared scenarios, with a 95% bootstrap interval."""
    rng = np.random.default_rng(seed)
    base = final[final["policy"] == reference].set_index(SCENARIO_KEYS)
    rows = []
    for policy, group in final[final["policy"] != reference].groupby("policy"):
        joined = group.set_index(SCENARIO_KEYS).join(base, rsuffix="_ref", how="inner")
        for outcome in outcomes:
            differences = (joined[outcome] - joined[f"{outcome}_ref"]).to_numpy(dtype=float)
            if len(differences) == 0:
                continue
            means = rng.choice(differences, size=(BOOTSTRAP_SAMPLES, len(differences))).mean(axis=1)
            rows.append({
                "policy": policy, "outcome": outcome, "pairs": len(differences),
                "mean_difference": float(differences.mean()),
                "ci95_low": float(np.quantile(means, 0.025)), "ci95_high": float(np.quantile(means, 0.975)),
                "share_better": float((differences > 0).mean()),
            })
    return pd.DataFrame(rows)


def sensitivity(final: pd.DataFrame, factors: list[str], outcomes: list[str]) -> pd.DataFrame:
    """Spearman rank correlation of each varied factor with each outcome, within policies, averaged."""
    varied = [f for f in factors if final[f].nunique() > 1]
    rows = []
    for factor in varied:
        row = {"factor": factor}
        for outcome in outcomes:
            correlations = [
                group[factor].rank().corr(group[outcome].rank())
                for _policy, group in final.groupby("policy")
                if group[factor].nunique() > 1 and group[outcome].nunique() > 1
            ]
            row[outcome] = float(np.nanmean(correlations)) if correlations else float("nan")
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.assign(_order=table[outcomes].abs().max(axis=1)).sort_values("_order", ascending=False).drop(
        columns="_order"
    )


def bands(results: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per policy and month: 5th, 50th and 95th percentiles of an outcome across scenarios."""
    grouped = results.groupby(["policy", "date"])[outcome]
    return pd.DataFrame({
        "p05": grouped.quantile(0.05), "median": grouped.quantile(0.5), "p95": grouped.quantile(0.95)
    }).reset_index()


def fan_figure(results: pd.DataFrame, outcomes: list[tuple[str, str, bool]], columns: int = 3) -> Figure:
    """Median and 5-95% bands over time per policy, one panel per outcome (column, label, log scale)."""
    rows = -(-len(outcomes) // columns)
    width = min(columns, len(outcomes))
    figure, axes = plt.subplots(rows, width, figsize=(6 * width, 4.6 * rows), constrained_layout=True, squeeze=False)
    axes = axes.ravel()
    for unused in axes[len(outcomes):]:
        unused.set_visible(False)
    axes = axes[: len(outcomes)]
    colours = plt.get_cmap("tab10")
    for axis, (column, label, log) in zip(axes, outcomes, strict=True):
        table = bands(results, column)
        for index, (policy, rows) in enumerate(table.groupby("policy", sort=True)):
            months = pd.to_datetime(rows["date"], format="%Y-%m")
            colour = colours(index % 10)
            axis.fill_between(months, rows["p05"], rows["p95"], color=colour, alpha=0.15, linewidth=0)
            axis.plot(months, rows["median"], color=colour, label=policy, linewidth=1.8)
        if log:
            axis.set_yscale("log")
            axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:,.3g}"))
            axis.yaxis.set_minor_formatter(FuncFormatter(lambda value, _position: f"{value:,.3g}"))
        axis.set_title(label)
        axis.xaxis.set_major_locator(mdates.YearLocator())
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8, ncol=2)
    figure.suptitle("Median and 5-95% band across scenarios (points x seeds)")
    return figure


def sources_figure(final: pd.DataFrame) -> Figure:
    """China's effective compute at the last month by source: median per policy, stacked."""
    present = {name: column for name, column in SOURCE_COLUMNS.items() if column in final.columns}
    medians = final.groupby("policy")[list(present.values())].median() / 1e6
    medians.columns = [source_label(name) for name in present]
    medians = medians.loc[medians.sum(axis=1).sort_values().index]
    figure, axis = plt.subplots(figsize=(8, 0.45 * len(medians) + 1.5), constrained_layout=True)
    # The same colour for a source as in `chipsim run`'s figure and the browser page.
    medians.plot.barh(stacked=True, ax=axis, color=[source_colour(name) for name in present])
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    axis.set_xlabel("China's effective compute at the end (million H100e, median by source)")
    axis.grid(alpha=0.3, axis="x")
    return figure


def _figure_html(figure: Figure) -> str:
    import base64
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{encoded}">'


def _table_html(frame: pd.DataFrame, percent: tuple[str, ...] = (), index: bool = True) -> str:
    formatters = {DISPLAY_NAMES.get(c, c): (lambda v: f"{v:.0%}") for c in percent if c in frame.columns}
    shown = frame.rename(columns=DISPLAY_NAMES)
    shown.index.name = None
    return shown.to_html(index=index, float_format=lambda v: f"{v:,.2f}", formatters=formatters, border=0,
                         classes="table", na_rep="")


def render_html(results: pd.DataFrame, plan: pd.DataFrame, failed: list[dict], spec: dict, target_ratio: float,
                provenance: dict, reference: str | None = None, notes: list[str] = ()) -> str:
    """The whole report as one self-contained HTML page (figures embedded): the answer first, then the evidence.

    ``failed`` holds the latest manifest record of each run that failed; ``notes`` the damaged files left out."""
    import html

    final = final_outcomes(results)
    factor_columns = [c for c in plan.columns if c not in ("run_id", "policy", "point", "seed")]
    policies = list(dict.fromkeys(plan["policy"]))
    if reference not in policies:
        reference = "baseline" if "baseline" in policies else policies[0]
    ranked = ranking(final, target_ratio)
    outcomes = ["lead_months", "us_china_ratio", "china_effective_h100e"]
    outcomes = [o for o in outcomes if o in final.columns]
    paired = paired_differences(final, reference, outcomes)
    sensitive = sensitivity(final, factor_columns, outcomes)
    failed_ids = {record.get("run_id") for record in failed} & set(plan["run_id"])
    damaged = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    best = ranked.index[0]
    top = ranked.loc[best]
    answer = (
        f"Over {final[SCENARIO_KEYS].drop_duplicates().shape[0]} scenarios (points x seeds) to {final['date'].max()}, "
        f"<b>{html.escape(best)}</b> gives the US bloc the longest lead: a median of "
        f"{top['median_lead_months']:.1f} months (10th percentile {top['p10_lead_months']:.1f}), a median US:China "
        f"ratio of {top['median_ratio']:.1f}x, and it meets a {target_ratio:g}x target in "
        f"{top['share_meeting_target']:.0%} of scenarios."
    )
    fans = fan_figure(results, [("us_china_ratio", "US:China effective compute ratio", True),
                                ("lead_months", "US lead (months)", False),
                                ("china_effective_h100e", "China's effective compute (H100e)", True)])
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>chipsim sweep report: {html.escape(spec.get('name', ''))}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}"
        ".table{border-collapse:collapse;margin:1em 0}.table td,.table th{padding:4px 10px;text-align:right;"
        "border-bottom:1px solid #ddd}.answer{font-size:1.2em;background:#eef4fb;padding:1em;border-radius:6px}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>Sweep {html.escape(spec.get('name', ''))}</h1>",
        f"<p>{html.escape(spec.get('description', ''))}</p>",
        f"<p class='answer'>{answer}</p>",
        "<h2>Ranking</h2><p>Outcomes at the last month. Regret: months of lead short of the best policy in the same "
        f"scenario. Target: a US:China ratio of at least {target_ratio:g}x.</p>",
        _table_html(ranked, percent=("share_meeting_target",)),
        f"<h2>Paired differences against {html.escape(reference)}</h2><p>Mean of (policy - {html.escape(reference)}) "
        "over the scenarios both ran, with a 95% bootstrap interval; better in: share of scenarios where the "
        "difference is positive.</p>",
        _table_html(paired, percent=("share_better",), index=False),
        "<h2>Over time</h2>", _figure_html(fans),
        "<h2>China's compute by source</h2>", _figure_html(sources_figure(final)),
        _figure_html(fan_figure(results, [(column, f"China: {source_label(name)} (H100e)", False)
                                          for name, column in SOURCE_COLUMNS.items() if column in results.columns])),
        "<h2>Which uncertainties matter</h2><p>Spearman rank correlation of each varied input with each outcome, "
        "within policies and averaged: the sign gives the direction, the size the strength.</p>",
        _table_html(sensitive, index=False) if not sensitive.empty else "<p>No input was varied.</p>",
        "<h2>Runs and provenance</h2>",
        f"<p>{len(plan)} runs planned, {len(final)} with results, {len(failed_ids)} failed"
        f"{' (see manifest.jsonl)' if failed_ids else ''}. Policies: {html.escape(', '.join(policies))}. "
        f"Seeds: {html.escape(str(sorted(plan['seed'].unique().tolist())))}.</p>",
        f"<p>Left out, damaged:</p><ul>{damaged}</ul>" if damaged else "",
        f"<pre>{html.escape(str(provenance))}</pre>",
        "</body></html>",
    ]
    return "\n".join(parts)
