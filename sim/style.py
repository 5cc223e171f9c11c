"""Colours and human labels shared by every view of a run: ``chipsim run``'s PNG (sim/report.py), the sweep report
(sim/sweep/report.py) and the browser page (sim/viz). One place, so a bloc or a source of compute looks the same
wherever an analyst meets it."""

from __future__ import annotations

BLOC_LABELS = {"us_allies": "US & allies", "china": "China", "rest": "Rest of world"}
BLOC_COLOURS = {"us_allies": "#1f5fa8", "china": "#c0392b", "rest": "#7f8c8d"}

# Where a bloc's effective compute comes from, in the order the stacks are drawn.
SOURCE_COLOURS = {
    "domestic": "#2c7fb8",
    "import": "#f39c12",
    "smuggled": "#c0392b",
    "proxy_fab": "#8e44ad",
    "chiplet": "#85c1e9",
    "rented_offshore": "#16a085",
    "distillation": "#7f8c8d",
    "weights": "#d4ac0d",
}
SOURCE_LABELS = {
    "domestic": "domestic",
    "import": "legal imports",
    "smuggled": "smuggled",
    "proxy_fab": "front-company fabs",
    "chiplet": "chiplet packages",
    "rented_offshore": "rented offshore",
    "distillation": "distillation",
    "weights": "model weights",
}
FALLBACK_COLOUR = "#bdc3c7"

# The headline outcomes.
LEAD_COLOUR = "#34495e"
RATIO_COLOUR = "#95a5a6"
LEAD_LABEL = "US lead over China (months)"
RATIO_LABEL = "US:China compute ratio"

# Chips stopped on the way: dark, so it is not mistaken for legal imports (orange) or smuggling (red).
SEIZED_COLOUR = "#2c2c2c"

# Kinds of flow between agents, as the network draws them; each matches the source of compute it feeds.
FLOW_COLOURS = {
    "production": RATIO_COLOUR,
    "legal": SOURCE_COLOURS["import"],
    "licensed": "#d35400",
    "smuggled": SOURCE_COLOURS["smuggled"],
    "rented": SOURCE_COLOURS["rented_offshore"],
    "seized": SEIZED_COLOUR,
}
FLOW_LABELS = {"production": "production", "legal": "legal sales", "licensed": "licensed sales",
               "smuggled": "smuggled", "rented": "rented offshore", "seized": "seized"}


def source_colour(source: str) -> str:
    return SOURCE_COLOURS.get(source, FALLBACK_COLOUR)


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source.replace("_", " "))


def compact(value: float) -> str:
    """A number as an analyst reads it: 1234567 -> '1.23M', 45600 -> '45.6k', 12 -> '12'."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.0f}"


# The sweep's metrics as a reader meets them: what is measured and in what unit (the report's columns and axes).
METRIC_LABELS = {
    "lead_months": "US lead over China (months)",
    "us_china_ratio": "US:China compute ratio (x)",
    "china_effective_h100e": "China's effective compute (H100e)",
    "us_allies_effective_h100e": "US & allies' effective compute (H100e)",
    "rest_effective_h100e": "Rest of world's effective compute (H100e)",
    "china_installed_h100e_domestic": "China: domestic compute (H100e)",
    "china_installed_h100e_import": "China: legal imports (H100e)",
    "china_installed_h100e_smuggled": "China: smuggled compute (H100e)",
    "china_installed_h100e_proxy_fab": "China: front-company fabs (H100e)",
    "china_installed_h100e_chiplet": "China: chiplet packages (H100e)",
    "china_rented_in_h100e": "China: rented offshore (H100e)",
    "china_distillation_h100e": "China: distillation (H100e)",
    "china_weights_h100e": "China: model weights obtained (H100e)",
    "smuggled_chips": "chips smuggled in the last month",
    "seized_chips": "chips seized in the last month",
    "intermediaries_listed": "intermediaries on the entity list",
}

# The units a scenario key's name ends with (``parameters.smuggling_fine_usd_per_chip.value``), as a reader says them.
UNIT_SUFFIXES = {
    "_usd_per_chip": "USD per chip",
    "_usd": "USD",
    "_months": "months",
    "_share": "share",
    "_fraction": "share",
    "_h100e": "H100e",
}


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def unit_of_path(path: str) -> str:
    """The unit a dotted scenario key carries in its name, or '' when it names none."""
    words = [part for part in path.split(".") if part != "value"]
    last = words[-1] if words else ""
    return next((unit for suffix, unit in UNIT_SUFFIXES.items() if last.endswith(suffix)), "")


def factor_label(name: str, path: str = "") -> str:
    """A sweep factor as a reader says it: 'smuggling fine (USD per chip)'."""
    unit = unit_of_path(path)
    return f"{name.replace('_', ' ')} ({unit})" if unit and unit != "share" else name.replace("_", " ")


def figure(value: float, unit: str) -> str:
    """A calibration figure in its unit: shares as percentages, counts compact (9.25M, 450.0k)."""
    return f"{value:.1%}" if unit == "share" else compact(value)


def rounded(value: float) -> str:
    """A number rounded to what it means: compact() for large ones, three significant figures below 1,000."""
    if value != value:  # NaN: nothing to show
        return ""
    if abs(value) >= 1e3:
        return compact(value)
    return f"{value:.3g}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"
