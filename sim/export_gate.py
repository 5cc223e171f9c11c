"""The export gate: may this chip go to that buyer this month, and will an announced control stop it soon?

Whoever sells asks the gate (vendors filling orders, intermediaries restocking, data centers choosing offers); the
gate answers from the month's ``Rules`` (the export controls, allowances and tiered caps in force, the controls
announced but not yet in force, and the importing governments' bans) and the entity list. It is handed the month's
rules once they are written (``use``), so no seller climbs back up to the model to ask.

Export rules and the entity list see a buyer only through its country and whether it is listed, so the array
questions ask each (chip, country, listed) once, whoever asks, and keep the answers until the rules change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.market import AnswersByKind
from sim.policies.export_controls import DENIED, STATUS_CODE, AllowanceInForce
from sim.scenario.fields import CONTROLLING_BLOC

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.catalog import ChipIndex, ChipModel
    from sim.rules import Rules

ENTITY_LIST_BLOC = CONTROLLING_BLOC  # the entity list is the controlling bloc's: it cuts buyers off from its vendors


class ExportGate:
    """Answers about sales under this month's rules; ``nodes`` and ``node_country`` are the trade network's, by
    node number, and ``listed_nodes()`` says which nodes are on the entity list now."""

    def __init__(self, catalog: Mapping[str, ChipModel], chips: ChipIndex, vendor_bloc: Mapping[str, str],
                 nodes: Sequence[SupplyChainAgent], node_country: np.ndarray, countries: int,
                 listed_nodes: Callable[[], np.ndarray]) -> None:
        self.catalog = catalog
        self.chips = chips
        self.vendor_bloc = vendor_bloc
        self.nodes = nodes
        self.node_country = node_country
        self.countries = countries
        self.listed_nodes = listed_nodes
        self.rules: Rules | None = None
        self._status = AnswersByKind()  # STATUS_CODE, by kind of sale
        self._denied_soon = AnswersByKind()

    def use(self, rules: Rules) -> None:
        """Answer from now on under ``rules`` (this month's, once every policy has written them)."""
        self.rules = rules

    def sale_status(self, chip_id: str, buyer: SupplyChainAgent) -> tuple[str, AllowanceInForce | None]:
        """How export rules and the entity list treat selling this chip to this buyer this month."""
        chip = self.catalog[chip_id]
        vendor_bloc = self.vendor_bloc[chip.vendor_id]
        # A listed buyer is cut off from the controlling bloc's vendors, not from Huawei.
        if getattr(buyer, "listed", False) and vendor_bloc == ENTITY_LIST_BLOC:
            return DENIED, None
        # The buyer's own government may refuse the import whatever the exporter's rules allow.
        if any(ban.refuses(chip, vendor_bloc, buyer) for ban in self.rules.import_bans):
            return DENIED, None
        return self.rules.export.status(chip, vendor_bloc, buyer)

    def may_sell(self, chip_id: str, buyer: SupplyChainAgent) -> bool:
        return self.sale_status(chip_id, buyer)[0] != DENIED

    def denied_soon(self, chip_id: str, buyer: SupplyChainAgent) -> bool:
        """Sellable now, but an announced control will stop it: the window in which buyers stockpile."""
        announced = self.rules.announced_controls
        if not announced or not self.may_sell(chip_id, buyer):
            return False
        chip = self.catalog[chip_id]
        return self.rules.export.denied_when_effective(chip, self.vendor_bloc[chip.vendor_id], buyer, announced)

    def _signature(self) -> tuple:
        """What a sale's status depends on besides the chip and the buyer's country and listing: months with equal
        signatures give equal answers."""
        return self.rules.export.signature(), tuple(ban.signature() for ban in self.rules.import_bans)

    def status_codes(self, chip: np.ndarray, buyer: np.ndarray) -> np.ndarray:
        """``sale_status`` of each chip number to each buyer node: the status only, as its ``STATUS_CODE``."""
        kind = (chip * self.countries + self.node_country[buyer]) * 2 + self.listed_nodes()[buyer]
        return self._status.of(
            kind, len(self.chips) * self.countries * 2, self._signature(),
            lambda row: STATUS_CODE[self.sale_status(self.chips.ids[chip[row]], self.nodes[buyer[row]])[0]])

    def denied_soon_codes(self, chip: np.ndarray, buyer: np.ndarray) -> np.ndarray:
        """``denied_soon`` of each chip number for each buyer node (data centers, never entity-listed): an announced
        control depends on the buyer only through its country, so each (chip, country) is asked once, until the
        announced controls or the rules in force change."""
        announced = self.rules.announced_controls
        if not announced:
            return np.zeros(len(chip), dtype=bool)
        kind = chip * self.countries + self.node_country[buyer]
        signature = (self._signature(), tuple((id(control.params), control.tpp_threshold) for control in announced))
        soon = self._denied_soon.of(kind, len(self.chips) * self.countries, signature, lambda row: int(
            self.denied_soon(self.chips.ids[chip[row]], self.nodes[buyer[row]])))
        return soon == 1
