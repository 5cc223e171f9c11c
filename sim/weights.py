"""Model weights that leave their bloc: the models labs release, what each bloc has obtained from others and what it is
worth as compute, and the month's rules on weights (security levels, the security budget, export controls).

A model is worth the compute that trained it, counted as the H100e stock of its training cluster: what a bloc that
obtains it would have needed to hold for the run's months to train it itself. As algorithms improve, the compute
needed to train a model as good halves every ``value_halving_months`` (``algo_efficiency_halving``), and so does the
model's worth: it decays as the frontier moves on. A bloc holding several models obtained from other blocs is as
capable as the best of them, so its weights compute is the largest current worth among them, not their sum (two
stolen generations of one lab's model do not add up to a bigger model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from sim.scenario.fields import BLOCS


@dataclass(frozen=True)
class FrontierModel:
    """One released model: whose it is, when it came out, and the compute that trained it."""

    lab: int  # the lab's place in the scenario's list
    number: int  # the lab's first model is 0 (the one it holds at the start)
    release_month: int
    cluster_h100e: float  # H100e in its final training run
    training_flop: float

    def worth_h100e(self, month: int, halving_months: float) -> float:
        return self.cluster_h100e * 0.5 ** ((month - self.release_month) / halving_months)


class ObtainedWeights:
    """The models each bloc has obtained from labs of other blocs, by theft or licence, and what they are worth."""

    def __init__(self, halving_months: float) -> None:
        self.halving_months = halving_months
        self.models: dict[str, dict[tuple[int, int], FrontierModel]] = {bloc: {} for bloc in BLOCS}

    def obtain(self, bloc: str, model: FrontierModel) -> bool:
        """``bloc`` now holds ``model``; False when it already did."""
        held = self.models[bloc]
        key = (model.lab, model.number)
        if key in held:
            return False
        held[key] = model
        return True

    def holds(self, bloc: str, model: FrontierModel) -> bool:
        return (model.lab, model.number) in self.models[bloc]

    def h100e(self, month: int) -> dict[str, float]:
        """Each bloc's weights compute this month: the current worth of the best model it obtained."""
        return {bloc: max((model.worth_h100e(month, self.halving_months) for model in held.values()), default=0.0)
                for bloc, held in self.models.items()}


@dataclass(frozen=True)
class LabRoster:
    """What a policy may read of the labs: by lab (the scenario's order), its id, bloc, own security level, its
    licensees' security levels, its share of its data centers' compute and those data centers (by index)."""

    ids: tuple[str, ...] = ()
    bloc: tuple[str, ...] = ()
    security_level: tuple[int, ...] = ()
    licensee_security_level: tuple[tuple[int, ...], ...] = ()
    compute_share: tuple[float, ...] = ()
    centers: tuple[np.ndarray, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)


class WeightExportRule(Protocol):
    """An export control on weights in force (``sim.policies.weight_export_control``)."""

    def denies(self, origin_bloc: str, destination_tier: int, training_flop: float) -> bool: ...


@dataclass
class WeightRules:
    """What holds for weights this month (rebuilt from the world every month, then set by policies)."""

    security_level: np.ndarray  # by lab: the level its own copy of its weights is held at
    licensee_security_level: list[np.ndarray]  # by lab, by licensee: the level an exported copy is held at
    center_budget_kept: np.ndarray  # by data center: share of the month's budget left for compute after security
    export_controls: list[WeightExportRule] = field(default_factory=list)

    @classmethod
    def of(cls, roster: LabRoster, data_centers: int) -> WeightRules:
        """The labs' own levels, no security spending beyond what budgets already pay for, no export control."""
        return cls(security_level=np.array(roster.security_level, dtype=np.int64),
                   licensee_security_level=[np.array(levels, dtype=np.int64)
                                            for levels in roster.licensee_security_level],
                   center_budget_kept=np.ones(data_centers))

    def export_denied(self, origin_bloc: str, destination_tier: int, training_flop: float) -> bool:
        return any(rule.denies(origin_bloc, destination_tier, training_flop) for rule in self.export_controls)
