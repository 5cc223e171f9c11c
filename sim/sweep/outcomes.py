"""Which way is better: each sweep metric's direction for the US bloc, the side whose export controls are compared.

A paired difference is "better" when it moves a metric the way the US bloc wants it: up for its lead, its ratio and
its own compute, down for China's compute and for smuggling. Metrics no side wants more or less of (the rest of the
world's compute, seizures, listings: each a cost or a means, not an aim) have no direction and no "better" share.
"""

from __future__ import annotations

import pandas as pd

UP_IS_BETTER = 1
DOWN_IS_BETTER = -1

US_BLOC_DIRECTION: dict[str, int] = {
    "lead_months": UP_IS_BETTER,
    "us_china_ratio": UP_IS_BETTER,
    "us_allies_effective_h100e": UP_IS_BETTER,
    "china_effective_h100e": DOWN_IS_BETTER,
    "china_installed_h100e_domestic": DOWN_IS_BETTER,
    "china_installed_h100e_import": DOWN_IS_BETTER,
    "china_installed_h100e_smuggled": DOWN_IS_BETTER,
    "china_installed_h100e_proxy_fab": DOWN_IS_BETTER,
    "china_installed_h100e_chiplet": DOWN_IS_BETTER,
    "china_rented_in_h100e": DOWN_IS_BETTER,
    "china_distillation_h100e": DOWN_IS_BETTER,
    "china_weights_h100e": DOWN_IS_BETTER,
    "smuggled_chips": DOWN_IS_BETTER,
}


def direction(metric: str) -> int | None:
    """+1 when more is better for the US bloc, -1 when less is, None when neither."""
    return US_BLOC_DIRECTION.get(metric)


class Target:
    """What the user counts as success: a US:China ratio of at least X, or a lead of at least N months. A run that
    falls short of it is a *failure* of its policy (what scenario discovery explains)."""

    def __init__(self, ratio: float | None = None, lead_months: float | None = None) -> None:
        if lead_months is not None:
            self.metric, self.threshold = "lead_months", float(lead_months)
        else:
            self.metric, self.threshold = "us_china_ratio", float(10.0 if ratio is None else ratio)

    def met(self, outcome: pd.Series) -> pd.Series:
        return outcome >= self.threshold

    def words(self) -> str:
        if self.metric == "lead_months":
            return f"a US lead of at least {self.threshold:g} months"
        return f"a US:China compute ratio of at least {self.threshold:g}x"
