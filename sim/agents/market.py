"""Orders between buyers and sellers, and how a seller rations scarce stock among them.

A buyer places orders in whole chips at the seller's current price; the seller fills them from stock. When stock
is short, every order gets the same share of what it asked for (largest-remainder rounding, ties to the earlier
order), so rationing is fair, integer and deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent


class Buyer(Protocol):
    agent_id: str

    def on_filled(self, order: Order) -> None: ...


# No seller ever holds a trillion chips; capping an order there keeps rationing in 64-bit integers even when decades
# of extreme budget growth would ask for more (schema bounds keep each starting quantity below it).
MAX_CHIPS_PER_ORDER = 10**12


@dataclass(slots=True)
class Order:
    buyer: SupplyChainAgent
    seller: SupplyChainAgent
    chip: str
    requested: int
    unit_price_usd: float
    filled: int = 0

    def __post_init__(self) -> None:
        if self.requested > MAX_CHIPS_PER_ORDER:
            self.requested = MAX_CHIPS_PER_ORDER

    @property
    def value_usd(self) -> float:
        return self.filled * self.unit_price_usd


def ration_quantities(available: int, requested: list[int]) -> list[int]:
    """All of each request when ``available`` suffices, else pro-rata whole shares that sum to ``available``."""
    # Plain Python: the lists are short (a seller's orders for one chip), so numpy's set-up cost would dominate.
    wanted = sum(requested)
    if wanted <= available:
        return [int(count) for count in requested]
    if available <= 0:
        return [0] * len(requested)
    # Largest remainder, the same arithmetic as sim.world.largest_remainder: the same numbers.
    exact = [float(available) * count / float(wanted) for count in requested]
    whole = [math.floor(share) for share in exact]
    short = available - sum(whole)
    by_remainder = sorted(range(len(exact)), key=lambda i: whole[i] - exact[i])  # stable: ties to the earlier order
    for index in by_remainder[:short]:
        whole[index] += 1
    return whole


def ration(available: int, orders: list[Order], limits: list[int] | None = None) -> None:
    """Set ``filled`` on each order: all of it (up to its limit) when stock suffices, else a pro-rata share."""
    requested = [order.requested for order in orders] if limits is None else limits
    for order, count in zip(orders, ration_quantities(available, requested), strict=True):
        order.filled = count
