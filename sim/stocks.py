"""Where every chip is now: installed at data centers, in vendors' and intermediaries' stock, or in transit on the
trade network. Chips are conserved, initial + produced = these stocks + retired + seized (``sim/ledger.py`` counts the
flows); the recorder's world table records both sides each month and the conservation tests check they agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.agents.intermediary_arrays import IntermediaryArrays
    from sim.agents.vendor_arrays import VendorArrays
    from sim.installed import InstalledBase
    from sim.trade import TradeNetwork


class ChipStocks:
    """The stocks of chips, read from the populations that hold them (nothing is kept here)."""

    def __init__(self, installed: InstalledBase, vendor_arrays: VendorArrays,
                 intermediary_arrays: IntermediaryArrays, network: TradeNetwork) -> None:
        self._installed, self._vendors, self._intermediaries = installed, vendor_arrays, intermediary_arrays
        self._network = network

    def installed(self) -> int:
        """Chips installed at data centers."""
        return self._installed.total_chips()

    def in_inventory(self) -> int:
        """Chips in vendors' and intermediaries' stock."""
        return int(self._vendors.inventory.sum()) + int(self._intermediaries.inventory.sum())

    def in_transit(self) -> int:
        """Chips shipped and not yet arrived (this month's seized shipments excluded)."""
        return int(self._network.in_transit_by_chip().sum())

    def all_non_negative(self) -> bool:
        """Whether no holding of chips anywhere is negative (a negative one would be an accounting bug)."""
        stocks = [self._installed.fewest_chips(), int(self._intermediaries.inventory.min(initial=0)),
                  int(self._vendors.inventory.min(initial=0))]
        stocks.extend(self._network.in_transit_by_chip().tolist())
        return bool(np.min(stocks, initial=0) >= 0)
