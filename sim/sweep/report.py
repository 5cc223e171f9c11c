"""The sweep report: one self-contained HTML page (figures embedded) drawn from a sweep's findings, answer first.

Every number is shown rounded to what it means (``sim.style.rounded``: 1.63M H100e, 12.4 months), every metric and
input by its human label with its unit, and nothing is wider than a 1,280 px page: tables wrap their headers and
scroll inside their own box if they must, figures are drawn for the page's width, and provenance wraps.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.style import metric_label, rounded
from sim.sweep.analysis import MIN_PAIRS_FOR_INTERVAL, SCENARIO_KEYS
from sim.sweep.discovery import MIN_FAILURES_FOR_DISCOVERY, MIN_RUNS_FOR_DISCOVERY
from sim.sweep.figures import (
    SOURCE_COLUMNS,
    fan_figure,
    policy_colours,
    scatter_figure,
    sources_figure,
    strip_figure,
    trajectory_figure,
)
from sim.sweep.findings import SweepFindings
from sim.sweep.side_effects import NOT_RECORDED

FIGURE_DPI = 110
STYLE = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.45}
h2{margin-top:1.8em;border-bottom:1px solid #ddd}
.scroll{max-width:100%;overflow-x:auto}
.table{border-collapse:collapse;margin:0.6em 0}
.table td,.table th{padding:3px 9px;text-align:right;border-bottom:1px solid #e3e3e3;vertical-align:top}
.table td{white-space:nowrap}
.table th{max-width:11em}
.table td:first-child,.table th:first-child{text-align:left}
.answer{font-size:1.15em;background:#eef4fb;padding:0.8em 1em;border-radius:6px}
.limits{background:#fff6e0;padding:0.6em 1em;border-radius:6px}
.flag{color:#a04000}
.toc{columns:2;font-size:0.95em}
img{max-width:100%;height:auto}
dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:0.85em}
dl.provenance dd{margin:0;overflow-wrap:anywhere}
"""
SECTIONS = {
    "answer": "The answer",
    "policies": "The policies",
    "ranking": "Ranking",
    "paired": "Paired differences",
    "failures": "When each policy fails",
    "side_effects": "Side effects",
    "spread": "Inputs against chance",
    "inputs": "Which inputs matter",
    "distributions": "Every run",
    "time": "Over time",
    "sources": "China's compute by source",
    "runs": "Runs and provenance",
}


def figure_html(figure: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI)
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def table_html(frame: pd.DataFrame, percent: tuple[str, ...] = (), index: bool = True) -> str:
    """A table with numbers rounded to what they mean; ``percent`` columns as percentages."""
    formatters = {column: (lambda v: "" if pd.isna(v) else f"{v:.0%}") for column in percent if column in frame}
    shown = frame.copy()
    shown.index.name = None
    body = shown.to_html(index=index, float_format=rounded, formatters=formatters, border=0, classes="table",
                         na_rep="", escape=True)
    return f"<div class='scroll'>{body}</div>"


def section(key: str) -> str:
    return f"<h2 id='{key}'>{SECTIONS[key]}</h2>"


def answer_html(findings: SweepFindings) -> str:
    ranked = findings.ranking
    best = ranked.index[0]
    top = ranked.loc[best]
    scenarios = findings.final[SCENARIO_KEYS].drop_duplicates().shape[0]
    points, seeds = findings.final["point"].nunique(), findings.final["seed"].nunique()
    leader = ("gives the US bloc the longest lead" if len(ranked) > 1 else "is the only policy with results; it gives "
              "the US bloc")
    return (
        f"<p class='answer'>Over {scenarios} scenarios ({points} points of the uncertain inputs x {seeds} seeds) to "
        f"{html.escape(findings.final['date'].max())}, <b>{html.escape(best)}</b> {leader}: a median of "
        f"{rounded(top['median_lead_months'])} months (10th percentile {rounded(top['p10_lead_months'])}), a median "
        f"US:China ratio of {rounded(top['median_ratio'])}x, and it meets the target ({findings.target.words()}) in "
        f"{top['share_meeting_target']:.0%} of scenarios.{failure_sentence(findings, best)}</p>"
    )


def failure_sentence(findings: SweepFindings, policy: str) -> str:
    """What discovery says of a policy, as a sentence for the answer; '' when it never fails or nothing varies."""
    boxes = findings.discovery.boxes
    found = boxes[boxes["policy"] == policy]
    if found.empty or not found.iloc[0]["words"].startswith("fails"):
        return ""
    return f" It {html.escape(found.iloc[0]['words'])} (see <a href='#failures'>when each policy fails</a>)."


def limits_html(findings: SweepFindings) -> str:
    if not findings.limits:
        return ""
    items = "".join(f"<li>{html.escape(limit)}</li>" for limit in findings.limits)
    return f"<div class='limits'><b>What this sweep cannot show</b><ul>{items}</ul></div>"


def policies_html(findings: SweepFindings) -> str:
    rows = "".join(
        f"<li><b>{html.escape(policy)}</b>{' (the reference)' if policy == findings.reference else ''}: "
        f"{html.escape(row.description) or 'no description in its scenario file'}</li>"
        for policy, row in findings.policies.iterrows()
    )
    return f"{section('policies')}<ul>{rows}</ul>"


def ranking_html(findings: SweepFindings) -> str:
    shown = findings.ranking.rename(columns={
        "median_lead_months": "lead, median (months)", "p10_lead_months": "lead, 10th percentile (months)",
        "median_ratio": "US:China ratio, median (x)", "median_regret_months": "regret, median (months)",
        "max_regret_months": "regret, max (months)", "share_meeting_target": "meets target", "runs": "runs",
    })
    return (f"{section('ranking')}<p>Outcomes at the last month. Regret: months of lead short of the best policy in "
            f"the same scenario. Target: {findings.target.words()}.</p>" + table_html(shown, percent=("meets target",)))


def paired_html(findings: SweepFindings) -> str:
    reference = html.escape(findings.reference)
    if findings.paired.empty:
        return f"{section('paired')}<p>No other policy to compare with {reference}.</p>"
    paired = findings.paired.copy()
    paired["outcome"] = paired["outcome"].map(metric_label)
    paired["pairs"] = [f"{n} ⚠ few" if few else str(n) for n, few in zip(paired["pairs"], paired["few_pairs"],
                                                                            strict=True)]
    shown = paired.drop(columns="few_pairs").rename(columns={
        "mean_difference": "mean difference", "ci95_low": "95% interval, low", "ci95_high": "95% interval, high",
        "share_better": "better for the US bloc in",
    })
    return (f"{section('paired')}<p>Mean of (policy - {reference}) over the scenarios both ran, with a 95% "
            "bootstrap interval. <i>Better for the US bloc</i> counts the scenarios where the policy moved the "
            "outcome the way the US bloc wants it: a longer lead, a higher ratio, less compute for China. "
            f"<span class='flag'>⚠ few</span>: fewer than {MIN_PAIRS_FOR_INTERVAL} pairs, an interval too narrow to "
            "trust.</p>"
            + table_html(shown, percent=("better for the US bloc in",), index=False))


def spread_html(findings: SweepFindings) -> str:
    spread = findings.spread.copy()
    spread["outcome"] = spread["outcome"].map(metric_label)
    spread["inputs move it more than chance"] = [
        "" if pd.isna(i) or pd.isna(s) else ("yes" if i > s else "no")
        for i, s in zip(spread["input_spread"], spread["seed_spread"], strict=True)
    ]
    shown = spread.rename(columns={"seeds_per_point": "seeds per point", "input_spread": "spread across inputs (sd)",
                                   "seed_spread": "spread across seeds (sd)"})
    return (f"{section('spread')}<p>How much the uncertain inputs move each outcome (the standard deviation across "
            "points of each point's mean over its seeds) beside how much chance alone moves it (the standard "
            "deviation across the seeds of one point). Where chance is the larger, a handful of seeds cannot show an "
            "input's effect.</p>" + table_html(shown, index=False))


def failures_html(findings: SweepFindings, colours: dict[str, tuple]) -> str:
    found = findings.discovery
    head = (f"{section('failures')}<p>A run fails when it misses the target ({findings.target.words()}) at the last "
            "month. For each policy, PRIM (the patient rule induction method) peels the inputs' ranges 5% at a time "
            "towards the runs that fail, picks the box with the best product of coverage (its share of the policy's "
            "failures) and density (the share of its runs that fail), and undoes the cuts the data do not support "
            "(a one-sided binomial test at 5%).</p>")
    if not findings.varied:
        return head + "<p>No uncertain input varies in this sweep, so there is no condition to find.</p>"
    items = "".join(
        f"<li><b>{html.escape(row.policy)}</b> ({row.failures} of {row.runs} runs fail): {html.escape(row.words)}"
        + (" <span class='flag'>⚠ a sketch: fewer than "
           f"{MIN_RUNS_FOR_DISCOVERY} runs or {MIN_FAILURES_FOR_DISCOVERY} failures</span>" if row.sketch else "")
        + "</li>"
        for row in found.boxes.itertuples()
    )
    plot = (figure_html(trajectory_figure(found.trajectories, found.boxes, colours), "PRIM peeling trajectories")
            if not found.trajectories.empty else "")
    return head + f"<ul>{items}</ul>{plot}<p>{html.escape(found.cart_note)}</p>"


TOP_INPUTS = 3


def signed(value: float) -> str:
    return "" if pd.isna(value) else ("+" if value > 0 else "") + rounded(value)


def side_effects_html(findings: SweepFindings) -> str:
    table = findings.side_effects
    head = (f"{section('side_effects')}<p>What each policy does besides its aim: the median over its runs and, in "
            f"brackets, the median change against {html.escape(findings.reference)} in the same scenarios.</p>")
    if table.empty:
        return head + f"<p>This sweep recorded none of them.</p><p>{html.escape(NOT_RECORDED)}.</p>"
    cells = table.assign(cell=[f"{rounded(m)} ({signed(c)})" if pd.notna(c) else rounded(m)
                               for m, c in zip(table["median"], table["median_change"], strict=True)])
    pivot = cells.pivot_table(index="policy", columns="side_effect", values="cell", aggfunc="first", sort=False)
    pivot.columns.name = None
    return head + table_html(pivot) + f"<p>{html.escape(NOT_RECORDED[0].upper() + NOT_RECORDED[1:])}.</p>"


def interval_text(index: float, low: float, high: float) -> str:
    if pd.isna(index):
        return ""
    return f"{index:.2f} ({low:.2f} to {high:.2f})" if pd.notna(low) and pd.notna(high) else f"{index:.2f}"


def inputs_html(findings: SweepFindings, colours: dict[str, tuple]) -> str:
    table = findings.sensitivity
    head = section("inputs")
    if table.empty:
        return head + "<p>No uncertain input varies in this sweep, so no input's effect can be measured.</p>"
    sobol = (table["method"] == "Sobol'").all()
    method = (
        "Sobol' indices from the sweep's Saltelli design (<code>sampling: sobol</code>): first order (what an input "
        "explains alone) and, after the slash, total (with its interactions), each with its 95% bootstrap interval."
        if sobol else
        "first-order indices from the points as sampled (the share of the outcome's variance explained by the "
        "input's quantile bins), with 95% bootstrap intervals. <span class='flag'>~</span>: below what shuffled "
        "inputs reach (the 95th percentile of 200 shuffles): not told from no effect. For Sobol' indices, sample "
        "the sweep with <code>sampling: {method: sobol}</code>."
    )
    cells = []
    for row in table.itertuples():
        text = interval_text(row.first_order, row.first_low, row.first_high)
        if sobol:
            text += f" / {interval_text(row.total_order, row.total_low, row.total_high)}"
        elif pd.notna(row.no_effect_level) and row.first_order < row.no_effect_level:
            text = f"~ {text}"
        cells.append(text)
    labels = findings.factors["label"]
    shown = table.assign(cell=cells, outcome=table["outcome"].map(metric_label),
                         input=table["factor"].map(lambda f: labels.get(f, f)))
    # A row per policy and input, a column per outcome: as narrow with nine policies as with two.
    pivot = shown.pivot_table(index=["policy", "input"], columns="outcome", values="cell", aggfunc="first",
                              sort=False).reset_index()
    pivot.columns.name = None
    lead = table[table["outcome"] == "lead_months"]
    top = lead.groupby("factor")["first_order"].max().sort_values(ascending=False).index[:TOP_INPUTS]
    plot = figure_html(scatter_figure(findings.final, [(f, labels.get(f, f)) for f in top], "lead_months", colours),
                       "the lead against the top inputs")
    points = int(table["points"].min())
    return (head + f"<p>Per policy (an input can matter under one and not another), over each point's mean across its "
            f"seeds ({points} points or more per policy): {method}</p>"
            + table_html(pivot, index=False)
            + f"<p>The lead against the {len(top)} inputs that explain most of it, run by run:</p>" + plot)


def provenance_html(findings: SweepFindings, provenance: dict) -> str:
    def text(value) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{key}: {text(item)}" for key, item in value.items())
        return str(value)

    terms = "".join(f"<dt>{html.escape(str(key))}</dt><dd>{html.escape(text(value))}</dd>"
                    for key, value in provenance.items())
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in findings.notes)
    seeds = sorted(findings.final["seed"].unique().tolist())
    return (f"{section('runs')}<p>{findings.planned_runs} runs planned, {len(findings.final)} with results, "
            f"{findings.failed_runs} failed{' (see manifest.jsonl)' if findings.failed_runs else ''}. Seeds: "
            f"{html.escape(', '.join(map(str, seeds)))}.</p>"
            + (f"<p>Left out, damaged:</p><ul>{notes}</ul>" if notes else "")
            + f"<dl class='provenance'>{terms}</dl>")


def render_html(findings: SweepFindings, provenance: dict) -> str:
    """The whole report as one self-contained HTML page: the answer first, then the evidence."""
    colours = policy_colours(list(findings.policies.index))
    headline = [o for o in ("lead_months", "us_china_ratio", "china_effective_h100e") if o in findings.final]
    sources = [(column, False) for column in SOURCE_COLUMNS.values() if column in findings.results]
    toc = "".join(f"<li><a href='#{key}'>{title}</a></li>" for key, title in SECTIONS.items())
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>chipsim sweep report: {html.escape(findings.name)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Sweep {html.escape(findings.name)}</h1><p>{html.escape(findings.description)}</p>",
        f"<ul class='toc'>{toc}</ul>",
        section("answer"), answer_html(findings), limits_html(findings),
        policies_html(findings), ranking_html(findings), paired_html(findings), failures_html(findings, colours),
        side_effects_html(findings), spread_html(findings), inputs_html(findings, colours),
        section("distributions"), "<p>Each policy's outcomes at the end, run by run.</p>",
        figure_html(strip_figure(findings.final, headline, colours), "every run's outcome by policy"),
        section("time"), "<p>Median and 5-95% band across scenarios (points x seeds).</p>",
        figure_html(fan_figure(findings.results, [("us_china_ratio", True), ("lead_months", False),
                                                  ("china_effective_h100e", True)], colours), "bands over time"),
        section("sources"), figure_html(sources_figure(findings.final), "China's compute by source, median"),
        figure_html(fan_figure(findings.results, sources, colours), "China's compute by source over time")
        if sources else "",
        provenance_html(findings, provenance),
        "</body></html>",
    ]
    return "\n".join(parts)
