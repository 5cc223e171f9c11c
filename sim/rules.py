"""What holds this month: the rules and policy-set values, in one object that policies write and agents read.

The model builds a fresh ``Rules`` from the scenario at the start of every month (``Rules.of_scenario``), then each
policy in force writes what it changes into it, in file order. Agents and phases only read it. A policy therefore
says only what holds while it is in force: it never undoes itself when it ends, two policies on one value compose in
order, and a new policy never edits the model.

``PolicyWorld`` is what a policy may read of the world to decide what it writes: who is where (fabs, data centers,
enforcement bodies, countries and the trade network's nodes; none of these move during a run), the chip catalog and
the chips' numbering, and the run's named random streams (a policy draws only from streams of its own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.catalog import ChipIndex, ChipModel
from sim.policies.cloud import CloudRules
from sim.policies.export_controls import ControlInForce, ExportRules
from sim.policies.import_ban import ImportBanInForce
from sim.rng import RandomStreams
from sim.scenario.schema import Ally, EnforcementBody, Fab, Scenario
from sim.weights import LabRoster, WeightRules

if TYPE_CHECKING:
    from sim.agents.base import SupplyChainAgent
    from sim.policies.alliance_pressure import AlliancePressureParams
    from sim.policies.hbm_export_control import HbmExportControlParams


@dataclass(frozen=True)
class PolicyWorld:
    """The parts of the world a policy reads: fabs in the model's order, each data center's country and tier (by its
    place in the model), enforcement bodies, the catalog and chip numbering, each network node's kind, tier, country
    and bloc (by node number), the run's random streams, the allied makers and the frontier labs. Read-only, except
    for drawing from a policy's own streams."""

    fabs: tuple[Fab, ...]
    center_country: np.ndarray  # by data center
    center_tier: np.ndarray  # by data center
    enforcement: tuple[EnforcementBody, ...]
    catalog: Mapping[str, ChipModel]
    chips: ChipIndex
    node_kind: np.ndarray  # by node number: "fab", "vendor", "intermediary", "data_center" or "enforcement"
    node_tier: np.ndarray  # by node number: export tier of the node's country
    node_country: np.ndarray  # by node number: country code (strings)
    node_bloc: np.ndarray  # by node number: bloc (strings)
    streams: RandomStreams
    allies: tuple[Ally, ...] = ()  # allied tool and memory makers, in the model's order
    labs: LabRoster = LabRoster()  # frontier labs (the model-weights channel), by their place in the scenario

    @classmethod
    def of(cls, scenario: Scenario, nodes: Sequence[SupplyChainAgent], data_centers: Sequence[SupplyChainAgent],
           catalog: Mapping[str, ChipModel], chips: ChipIndex, streams: RandomStreams,
           labs: LabRoster | None = None) -> PolicyWorld:
        """The view of a model's world: ``nodes`` are its agents by node number, ``data_centers`` by their place."""
        return cls(
            fabs=tuple(scenario.fabs), enforcement=tuple(scenario.enforcement), catalog=catalog, chips=chips,
            center_country=np.array([center.country for center in data_centers]),
            center_tier=np.array([center.tier for center in data_centers], dtype=np.int64),
            node_kind=np.array([agent.kind for agent in nodes], dtype=object),
            node_tier=np.array([agent.tier for agent in nodes], dtype=np.int64),
            node_country=np.array([agent.country for agent in nodes], dtype=object),
            node_bloc=np.array([agent.bloc for agent in nodes], dtype=object), streams=streams,
            allies=tuple(scenario.allies),
            labs=labs or LabRoster())

    def frontier_tpp(self, month: int) -> float:
        """TPP of the best chip on sale in ``month``."""
        return max((chip.tpp for chip in self.catalog.values() if chip.release_month <= month), default=0.0)


@dataclass
class EnforcementSettings:
    """What one enforcement body works with this month."""

    budget_usd_per_year: float
    detection_efficacy: float
    targeting: float
    # Where inspections go: each network node's weight (by node number), or None to go by the flow alone.
    inspection_weight: np.ndarray | None = None


@dataclass
class AllianceRules:
    """What the US asks of its allies this month and what its own rules already stop (allied tool and memory makers
    read it, ``sim.agents.ally``): pressure campaigns and HBM export controls in force, as their parameters, and
    whether allied toolmakers are taken as fully aligned (``sme_controls`` with ``coordinated: true``)."""

    pressure: list[AlliancePressureParams] = field(default_factory=list)
    hbm_controls: list[HbmExportControlParams] = field(default_factory=list)
    imposed_tools_alignment: float = 0.0


@dataclass
class Rules:
    """The rules in force and the policy-set values for one month (see the module docstring)."""

    export: ExportRules
    cloud: CloudRules
    smuggling_fine_usd_per_chip: float  # what a diverter expects to pay per chip caught
    distillation_kept: float  # share of the distillation uplift that bans and detection leave
    enforcement: dict[str, EnforcementSettings]  # by body id
    sme_reduction: np.ndarray  # by fab (model order): share of capacity growth and yield learning SME controls take
    # by fab: what they take once allied toolmakers align fully (the model interpolates by how far they have)
    sme_coordinated_reduction: np.ndarray
    packaging_reduction: np.ndarray  # by fab: share of packaging growth and yield learning packaging controls take
    front_company_detection: np.ndarray  # by fab: chance foundry KYC refuses a front company's booking
    promoted_bloc_preference: np.ndarray  # by data center: discount it grants US-bloc chips (US-stack promotion)
    weights: WeightRules  # labs' security levels and what they cost, export controls on weights
    announced_controls: list[ControlInForce] = field(default_factory=list)  # announced, not yet in force
    import_bans: list[ImportBanInForce] = field(default_factory=list)  # importing governments' refusals in force
    # Intermediaries (node numbers) the controlling bloc puts on its entity list this month, as policies found them
    # (inspections list what they seize themselves, in the inspection phase).
    entity_list_additions: list[int] = field(default_factory=list)
    alliance: AllianceRules = field(default_factory=AllianceRules)

    def sme_reduction_in_effect(self, tools_alignment: float) -> np.ndarray:
        """By fab: the share SME controls take when allied toolmakers have aligned ``tools_alignment`` of the way
        from today's partial alignment (0) to full (1)."""
        return self.sme_reduction + (self.sme_coordinated_reduction - self.sme_reduction) * tools_alignment

    @classmethod
    def of_scenario(cls, scenario: Scenario, world: PolicyWorld, seed: int, month: int) -> Rules:
        """What holds with no policy in force: the scenario's own values."""
        return cls(
            export=ExportRules(seed, month),
            cloud=CloudRules(),
            smuggling_fine_usd_per_chip=float(scenario.parameters.smuggling_fine_usd_per_chip.value),
            distillation_kept=1.0,
            enforcement={body.id: EnforcementSettings(body.budget_usd_per_year, body.detection_efficacy,
                                                      body.targeting) for body in world.enforcement},
            sme_reduction=np.zeros(len(world.fabs)),
            sme_coordinated_reduction=np.zeros(len(world.fabs)),
            packaging_reduction=np.zeros(len(world.fabs)),
            front_company_detection=np.zeros(len(world.fabs)),
            promoted_bloc_preference=np.zeros(len(world.center_country)),
            weights=WeightRules.of(world.labs, len(world.center_country)),
        )
