"""The page's heading and its before/after table, as HTML made from a frame (plain HTML: solara's Markdown would
fetch KaTeX from a CDN, which fails offline).

The heading names the run (scenario and changes), the month shown and the headline numbers of that month; the exact
values ride along as data attributes, so a test can compare them with ``chipsim run`` without rounding. After a
RESET, the table compares the previous run with this one at the month shown (or the previous run's last month, if it
stopped earlier).
"""

from __future__ import annotations

import html
import math

from sim.style import compact
from sim.viz.session import Frame, Headline


def format_h100e(value: float) -> str:
    """6.60M, 438.8k: as ``chipsim run`` prints compute."""
    return compact(value)


def format_ratio(value: float) -> str:
    return f"{value:.1f}x" if math.isfinite(value) else "no Chinese compute"


def format_lead(value: float) -> str:
    return f"{value:.1f} months" if math.isfinite(value) else "unbounded"


def heading_html(frame: Frame, seed: int) -> str:
    parts = [f"<span class='chipsim-title'>{html.escape(frame.title)}</span>",
             f"<span class='chipsim-seed'>seed {seed}</span>",
             f"<span class='chipsim-date'>{html.escape(frame.date)}</span>"]
    headline = frame.headline
    attributes = f" data-frame='{frame.serial}'"  # lets a test wait for the next frame
    if headline is not None:
        parts.append(f"<span class='chipsim-summary'>US:China <b>{format_ratio(headline.ratio)}</b> &middot; lead "
                     f"<b>{format_lead(headline.lead_months)}</b> &middot; China <b>"
                     f"{format_h100e(headline.china_h100e)}</b> H100e</span>")
        attributes += (f" data-ratio='{headline.ratio!r}' data-lead='{headline.lead_months!r}'"
                      f" data-china='{headline.china_h100e!r}'")
    if frame.ended:
        parts.append("<span class='chipsim-ended'>run ended</span>")
    return f"<div class='chipsim-heading'{attributes}>{' &middot; '.join(parts)}</div>"


def _change(before: float, after: float, formatted: str) -> str:
    if not (math.isfinite(before) and math.isfinite(after)):
        return ""
    sign = "+" if after >= before else "&minus;"
    percent = f" ({(after - before) / before:+.0%})" if before else ""
    return f"{sign}{formatted}{percent}"


def comparison_html(frame: Frame) -> str:
    """The before/after table, or nothing when there is no previous run or nothing to compare yet."""
    before, after = frame.reference_headline, frame.headline
    if before is None or frame.reference_title is None:
        return ""
    rows = [("US:China ratio", before.ratio, format_ratio, lambda d: f"{abs(d):.1f}x"),
            ("US lead", before.lead_months, format_lead, lambda d: f"{abs(d):.1f} months"),
            ("China's compute (H100e)", before.china_h100e, format_h100e, lambda d: format_h100e(abs(d)))]
    now: Headline | None = after
    cells = []
    for (label, was, shown, difference), attribute in zip(rows, ("ratio", "lead_months", "china_h100e"),
                                                          strict=True):
        value = getattr(now, attribute) if now is not None else math.nan
        change = _change(was, value, difference(value - was)) if now is not None else ""
        cells.append(f"<tr><th>{label}</th><td>{shown(was)}</td><td>{shown(value) if now else '&ndash;'}</td>"
                     f"<td class='chipsim-change'>{change}</td></tr>")
    at = before.date if now is None or now.date == before.date else f"{now.date} (previous run: {before.date})"
    # The month compared sits in the corner cell rather than a caption: a line less above the figures.
    return (f"<table class='chipsim-compare'><tr><th class='chipsim-at'>at {html.escape(at)}</th>"
            f"<th>before: {html.escape(frame.reference_title)}</th><th>now: {html.escape(frame.title)}</th>"
            f"<th>change</th></tr>{''.join(cells)}</table>")
