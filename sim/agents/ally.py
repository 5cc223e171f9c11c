"""Allied tool and memory makers (ASML, Tokyo Electron, Samsung, SK hynix): whether their governments align with the
US controls on China, and what they sell China meanwhile (alliance friction).

Each ally sells China chip-making tools or HBM. Its government chooses an alignment ``a`` from 0 (today's partial
alignment: the Dutch and Japanese rules of 2023-24, already in SME controls' ``unilateral_reduction``) to 1 (full).
Aligning costs its maker ``a ** k`` of the revenue at stake (China revenue x ``share_at_stake``): with ``k`` above 1
the first things aligned, the most strategic, are a small part of the sales and the last, the bread and butter, a
large one. The US pressure in force (``alliance_pressure``) costs the government ``pressure x (1 - a)`` a year, the
part it does not align, and the US pays back ``compensation_share`` of the revenue lost. The government takes the
alignment that costs it least:

    a* = (pressure / (k (1 - compensation) at_stake)) ** (1 / (k - 1)), at most 1   (k > 1)
    a* = 1 if pressure >= (1 - compensation) at_stake, else 0                       (k = 1: all or nothing)

and none without pressure. A decision becomes a rule ``decision_lag_months`` later (the Dutch rule of September 2023
followed the agreement of January 2023), and a rule once made stays (neither country's 2023 rules were undone), so
an ally may join late (its China revenue shrinks, or the pressure comes late), partly (``a*`` below 1), or not at
all. ``sme_controls`` with ``coordinated: true`` takes toolmakers as fully aligned whatever they would choose.

What follows: toolmakers' alignment, weighted by their China sales, moves SME controls from their unilateral to
their coordinated reduction of China's fab growth (``Rules.sme_reduction_in_effect``); memory makers' HBM reaches
China's fabs as far as the US HBM export control (``hbm_export_control``) and their own alignment let it. The state
of all allies is arrays, a row per ally; ``AllyAgent`` is the view of one row. Nothing here is random.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import RowOf, SupplyChainAgent
from sim.scenario.schema import Ally

if TYPE_CHECKING:
    from sim.agents.fab import FabAgent
    from sim.model import ChipSupplyModel
    from sim.rules import AllianceRules


def target_alignment(pressure_usd_per_year: np.ndarray, compensation_share: np.ndarray,
                     at_stake_usd_per_year: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """The alignment each government chooses (see the module docstring), ally by ally."""
    target = np.zeros(len(pressure_usd_per_year))
    for row, (pressure, compensation, at_stake, k) in enumerate(zip(
            pressure_usd_per_year.tolist(), compensation_share.tolist(), at_stake_usd_per_year.tolist(),
            exponent.tolist(), strict=True)):
        cost = (1.0 - compensation) * at_stake  # what full alignment costs it a year, net of side payments
        if pressure <= 0:
            target[row] = 0.0
        elif cost <= 0:
            target[row] = 1.0  # nothing to lose: any pressure is enough
        elif k == 1.0:
            target[row] = 1.0 if pressure >= cost else 0.0
        else:
            target[row] = min(1.0, (pressure / (k * cost)) ** (1.0 / (k - 1.0)))
    return target


class AllyArrays:
    """Every ally's standing and this month's outcome, a row per ally in the scenario's order."""

    def __init__(self, allies: list[Ally], fab_index: dict[str, int], start_month: int) -> None:
        self.ids = [ally.id for ally in allies]
        self.start_month = start_month
        self.makes_tools = np.array([ally.product == "tools" for ally in allies], dtype=bool)
        self.china_revenue_start = np.array([ally.china_revenue_usd_per_year for ally in allies], dtype=float)
        self.china_revenue_growth = [ally.china_revenue_growth_factor_per_year for ally in allies]
        self.share_at_stake = np.array([ally.share_at_stake for ally in allies], dtype=float)
        self.exponent = np.array([ally.revenue_loss_exponent for ally in allies], dtype=float)
        self.lag_months = np.array([ally.decision_lag_months for ally in allies], dtype=np.int64)
        self.hbm_start = np.array([ally.hbm_stacks_to_china_per_month for ally in allies], dtype=float)
        self.hbm_growth = [ally.hbm_growth_factor_per_year for ally in allies]
        self.customers = [[fab_index[fab] for fab in ally.hbm_customers] for ally in allies]
        rows = len(allies)
        self.chosen = np.zeros(rows)  # alignment its own decisions have put in force so far (never undone)
        self._decided: dict[int, np.ndarray] = {}  # month -> alignment each government decided then
        self.alignment = np.zeros(rows)  # in force this month (chosen, or imposed on toolmakers)
        self.pressure_usd_per_year = np.zeros(rows)
        self.compensation_share = np.zeros(rows)
        self.china_revenue_usd_per_year = self.china_revenue_start.copy()  # would-be, this month
        self.revenue_lost_usd = np.zeros(rows)  # this month
        self.compensation_usd = np.zeros(rows)  # paid by the US this month
        self.hbm_stacks_to_china = np.zeros(rows)  # this month
        self.hbm_stacks_stopped = np.zeros(rows)  # by the US control and the ally's own alignment, this month

    def __len__(self) -> int:
        return len(self.ids)

    def _grown(self, start: np.ndarray, growth: list[float], month: int) -> np.ndarray:
        years = (month - self.start_month) / 12
        return np.array([value * factor**years for value, factor in zip(start.tolist(), growth, strict=True)])

    def decide(self, rules: AllianceRules, month: int) -> None:
        """This month's decisions, the alignment in force, and what each ally sells China (revenue and HBM)."""
        if not len(self):
            return
        self.pressure_usd_per_year = np.array(
            [sum(campaign.pressure_usd_per_year for campaign in rules.pressure if campaign.covers(ally))
             for ally in self.ids])
        self.compensation_share = np.array(
            [max((campaign.compensation_share for campaign in rules.pressure if campaign.covers(ally)), default=0.0)
             for ally in self.ids])
        self.china_revenue_usd_per_year = self._grown(self.china_revenue_start, self.china_revenue_growth, month)
        at_stake = self.china_revenue_usd_per_year * self.share_at_stake
        self._decided[month] = target_alignment(self.pressure_usd_per_year, self.compensation_share, at_stake,
                                                self.exponent)
        for row, lag in enumerate(self.lag_months.tolist()):
            decided = self._decided.get(month - lag)
            if decided is not None:
                self.chosen[row] = max(self.chosen[row], decided[row])
        # Decisions older than the longest lag will never be read again.
        self._decided.pop(month - int(self.lag_months.max()), None)
        imposed = np.where(self.makes_tools, rules.imposed_tools_alignment, 0.0)
        self.alignment = np.maximum(self.chosen, imposed)

        self.revenue_lost_usd = at_stake / 12 * self.alignment**self.exponent
        self.compensation_usd = self.revenue_lost_usd * self.compensation_share
        would_sell = np.where(self.makes_tools, 0.0, self._grown(self.hbm_start, self.hbm_growth, month))
        stopped_by_us = np.array([max((control.compliance for control in rules.hbm_controls if control.covers(ally)),
                                      default=0.0) for ally in self.ids])
        self.hbm_stacks_to_china = would_sell * (1.0 - stopped_by_us) * (1.0 - self.alignment)
        self.hbm_stacks_stopped = would_sell - self.hbm_stacks_to_china

    def tools_alignment(self) -> float:
        """How far allied toolmakers have aligned, weighted by their sales to China this month (0 without any)."""
        sales = np.where(self.makes_tools, self.china_revenue_usd_per_year, 0.0)
        total = float(sales.sum())
        return float((sales * self.alignment).sum()) / total if total > 0 else 0.0

    def deliver_hbm(self, fabs: list[FabAgent]) -> None:
        """This month's HBM from allied memory makers joins its customers' stockpiles, shared equally."""
        for fab in fabs:
            fab.hbm_stacks_imported_this_month = 0.0
        for stacks, customers in zip(self.hbm_stacks_to_china.tolist(), self.customers, strict=True):
            for index in customers:
                fabs[index].hbm_stacks_imported_this_month += stacks / len(customers)
        for fab in fabs:
            fab.hbm_stacks_stock += fab.hbm_stacks_imported_this_month

    def china_sales_usd(self) -> np.ndarray:
        """What each ally sold Chinese customers this month: its China revenue less what alignment cost it."""
        return self.china_revenue_usd_per_year / 12 - self.revenue_lost_usd


class AllyAgent(SupplyChainAgent):
    """One allied maker: a view of its row of the model's ``AllyArrays``."""

    kind = "ally"

    def __init__(self, model: ChipSupplyModel, spec: Ally, index: int) -> None:
        super().__init__(model, spec.id, spec.country)
        self.index = index
        self.spec = spec
        self.name = spec.name
        self.product = spec.product

    alignment = RowOf(lambda model: model.ally_arrays.alignment)
    revenue_lost_usd = RowOf(lambda model: model.ally_arrays.revenue_lost_usd)
    compensation_usd = RowOf(lambda model: model.ally_arrays.compensation_usd)
    hbm_stacks_to_china = RowOf(lambda model: model.ally_arrays.hbm_stacks_to_china)
