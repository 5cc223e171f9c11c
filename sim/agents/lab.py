"""Frontier AI labs: they train models on their share of their data centers' compute, deploy closed weights at their
licensees abroad as the export rules allow, and lose weights to state theft with a chance set by how well each copy
is secured.

A lab holds, from the first month, the model it released last (trained on its compute at the start); every
``model_cadence_months`` it starts a final training run on ``training_share`` of its compute (its share of the
installed H100e of the data centers it trains on) and releases the model ``training_months`` later. On release, each
licensee whose deployment has started receives the weights unless an export control in force denies that model to
the licensee's tier; an exported copy then sits at the licensee's security level, the lab's own at the lab's.

Each month a state operation of the thief bloc (China) tries every copy of every lab's weights outside that bloc: a
lab's own latest model and the latest model each licensee received. A copy held at level L is taken with
probability ``monthly_theft_probability.slL`` (RAND's SL1-SL5: ``rand_weight_security``). Draws come from one stream
per lab (``weights.theft.<lab id>``), one per copy the lab could have (itself and each licensee) every month whether
or not the copy exists, so export controls, security levels and everything else leave every draw in place: a lever
only decides which draws count as thefts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.agents.base import SupplyChainAgent
from sim.calendar import parse_month
from sim.scenario.fields import BLOCS
from sim.scenario.labs import Lab, Licensee, ModelWeights
from sim.scenario.schema import Scenario
from sim.weights import FrontierModel, LabRoster, ObtainedWeights
from sim.world import member_ids

if TYPE_CHECKING:
    from sim.agents.datacenter import DataCenterArrays
    from sim.model import ChipSupplyModel
    from sim.rng import RandomStreams
    from sim.weights import WeightRules


@dataclass(frozen=True)
class LicenseeSite:
    """Where a lab deploys its weights abroad: from when, in which tier, for which bloc, at what security level."""

    data_center: str
    start_month: int
    tier: int
    bloc: str
    security_level: int


class LabAgent(SupplyChainAgent):
    """One frontier lab (not a node of the trade network: it trades weights, not chips)."""

    kind = "lab"

    def __init__(self, model: ChipSupplyModel, spec: Lab, index: int, centers: np.ndarray,
                 licensees: list[LicenseeSite]) -> None:
        super().__init__(model, spec.id, spec.country)
        self.spec = spec
        self.index = index
        self.name = spec.name
        self.centers = centers  # the data centers it trains on, by index
        self.licensees = licensees
        self.latest: FrontierModel | None = None  # the model it released last
        self.licensed: list[FrontierModel | None] = [None] * len(licensees)  # the latest each licensee received
        self.run_cluster_h100e = 0.0  # the final training run under way (0: none)
        self.run_release_month = 0

    def compute_h100e(self, installed_h100e_by_center: np.ndarray) -> float:
        """Its share of the installed compute of the data centers it trains on."""
        return self.spec.compute_share * float(installed_h100e_by_center[self.centers].sum())

    def train(self, month: int, start_month: int, installed_h100e_by_center: np.ndarray,
              flop_per_h100e_month: float) -> FrontierModel | None:
        """Start this month's run if one is due, and release the model whose run ends now (returned)."""
        spec = self.spec
        if self.latest is None:
            # The model it holds at the start, trained on the compute it had then.
            self.latest = self._model(0, month, spec.training_share * self.compute_h100e(installed_h100e_by_center),
                                      flop_per_h100e_month)
        released = None
        if self.run_cluster_h100e > 0 and month == self.run_release_month:
            self.latest = self._model(self.latest.number + 1, month, self.run_cluster_h100e, flop_per_h100e_month)
            self.run_cluster_h100e = 0.0
            released = self.latest
        # Releases fall on start + k x cadence (k >= 1); each run starts training_months before its release (in the
        # month of the previous release when a run takes the whole cadence).
        months_to_release = spec.model_cadence_months - (month - start_month) % spec.model_cadence_months
        if months_to_release == spec.training_months:
            self.run_cluster_h100e = spec.training_share * self.compute_h100e(installed_h100e_by_center)
            self.run_release_month = month + spec.training_months
        return released

    def _model(self, number: int, month: int, cluster_h100e: float, flop_per_h100e_month: float) -> FrontierModel:
        flop = cluster_h100e * flop_per_h100e_month * self.spec.training_months
        return FrontierModel(self.index, number, month, cluster_h100e, flop)


class Labs:
    """Every lab, the weights each bloc obtained from them, and this month's count of weights obtained per bloc."""

    def __init__(self, model: ChipSupplyModel, scenario: Scenario, center_index: dict[str, int]) -> None:
        self.spec = scenario.model_weights
        specs = self.spec.labs if self.spec is not None else []
        self.agents = [LabAgent(model, spec, index, _centers_named(spec.trains_on, scenario, center_index),
                                [_licensee_site(licensee, scenario) for licensee in spec.licensees])
                       for index, spec in enumerate(specs)]
        self.obtained = ObtainedWeights(self.spec.value_halving_months if self.spec is not None else 1.0)
        self.stolen_this_month = dict.fromkeys(BLOCS, 0)  # models obtained this month, by bloc
        self.licensed_this_month = dict.fromkeys(BLOCS, 0)
        self.security_usd_this_month = dict.fromkeys(BLOCS, 0.0)  # budget the labs' data centers gave to security

    def roster(self) -> LabRoster:
        return LabRoster(
            ids=tuple(lab.agent_id for lab in self.agents), bloc=tuple(lab.bloc for lab in self.agents),
            security_level=tuple(lab.spec.security_level for lab in self.agents),
            licensee_security_level=tuple(tuple(site.security_level for site in lab.licensees)
                                          for lab in self.agents),
            compute_share=tuple(lab.spec.compute_share for lab in self.agents),
            centers=tuple(lab.centers for lab in self.agents))

    def pay_for_security(self, centers: DataCenterArrays, kept: np.ndarray, owner_bloc_code: np.ndarray) -> None:
        """The labs' data centers pay this month's security (``1 - kept`` of each one's budget) out of their cash."""
        if (kept == 1.0).all():
            self.security_usd_this_month = dict.fromkeys(BLOCS, 0.0)
            return
        security_usd = centers.budget_usd * (1.0 - kept)
        centers.cash_usd -= security_usd
        withheld = np.bincount(owner_bloc_code, weights=security_usd, minlength=len(BLOCS))
        self.security_usd_this_month = dict(zip(BLOCS, withheld.tolist(), strict=True))

    def step(self, month: int, start_month: int, installed_h100e_by_center: np.ndarray, rules: WeightRules,
             streams: RandomStreams) -> None:
        """The month of every lab, in the scenario's order: train and release, deploy abroad, then thefts."""
        self.stolen_this_month = dict.fromkeys(BLOCS, 0)
        self.licensed_this_month = dict.fromkeys(BLOCS, 0)
        if self.spec is None:
            return
        flop_per_month = self.spec.training_flop_per_h100e_month
        for lab in self.agents:
            released = lab.train(month, start_month, installed_h100e_by_center, flop_per_month)
            if released is not None:
                self._deploy(lab, released, month, rules)
            self._thefts(lab, self.spec, rules, streams)

    def _deploy(self, lab: LabAgent, released: FrontierModel, month: int, rules: WeightRules) -> None:
        for place, site in enumerate(lab.licensees):
            if month < site.start_month or rules.export_denied(lab.bloc, site.tier, released.training_flop):
                continue  # the site keeps the model it has (if any); the lab serves the new one from home
            lab.licensed[place] = released
            if site.bloc != lab.bloc and self.obtained.obtain(site.bloc, released):
                self.licensed_this_month[site.bloc] += 1

    def _thefts(self, lab: LabAgent, spec: ModelWeights, rules: WeightRules, streams: RandomStreams) -> None:
        thief = spec.thief_bloc
        draws = streams[f"weights.theft.{lab.agent_id}"].random(1 + len(lab.licensees))
        copies = [(lab.latest, lab.bloc, int(rules.security_level[lab.index]))]
        copies += [(held, site.bloc, int(level)) for held, site, level
                   in zip(lab.licensed, lab.licensees, rules.licensee_security_level[lab.index], strict=True)]
        for draw, (held, holder_bloc, level) in zip(draws.tolist(), copies, strict=True):
            if held is None or holder_bloc == thief or lab.bloc == thief:
                continue
            if draw < spec.monthly_theft_probability.at(level) and self.obtained.obtain(thief, held):
                self.stolen_this_month[thief] += 1


def _centers_named(ids: list[str], scenario: Scenario, center_index: dict[str, int]) -> np.ndarray:
    """Data centers by index, from ids of data centers and of data-center populations (all their members)."""
    populations = {pop.id: pop for pop in scenario.populations.data_centers}
    named = []
    for agent_id in ids:
        members = member_ids(agent_id, populations[agent_id].count) if agent_id in populations else [agent_id]
        named.extend(center_index[member] for member in members)
    return np.array(sorted(set(named)), dtype=np.int64)


def _licensee_site(licensee: Licensee, scenario: Scenario) -> LicenseeSite:
    """A licensee's tier and bloc, from the data center or population it names."""
    specs = {spec.id: spec for spec in [*scenario.data_centers, *scenario.populations.data_centers]}
    spec = specs[licensee.data_center]
    country = scenario.countries[spec.country]
    return LicenseeSite(licensee.data_center, parse_month(licensee.start), country.tier,
                        spec.owner_bloc or country.bloc, licensee.security_level)
