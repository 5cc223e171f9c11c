"""The policy registry and the interface every policy lever implements.

A policy is scenario data (``type``, ``announce``, ``effective``, optional ``end``, ``params``). Its class is found
by ``type`` in ``REGISTRY`` and its ``params`` are validated by the class's own pydantic model, so an unknown
policy type or parameter is an error that lists the known ones. A module dropped into ``sim/policies/`` registers its
policies with ``@register``: every module of the package is imported when policies are first needed.

Once built, a policy acts only through ``Policy.apply(rules, world, month)``: every month the model builds a fresh
``sim.rules.Rules`` from the scenario, and each policy in file order writes what it changes into it. Agents read the
rules; they never call a policy. A policy therefore only says what holds while it is in force; it never has to undo
itself when it ends, and two policies on one value compose in order.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.calendar import parse_month
from sim.scenario.errors import Problem
from sim.scenario.pydantic_problems import problem_from_pydantic

if TYPE_CHECKING:
    from sim.rules import PolicyWorld, Rules
    from sim.scenario.schema import PolicySpec, Scenario
    from sim.trade import Rentals, Shipments


class PolicyParams(BaseModel):
    """Base of every policy's parameters: strict, unknown keys refused, no NaN, read-only."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


def unknown_ids(path: tuple, values: Iterable[str] | Mapping[str, object], kind: str,
                declared: Iterable[str]) -> list[Problem]:
    """A problem for each of ``values`` that is not among ``declared``, at ``path`` + its index (or its key, for a
    mapping keyed by ids)."""
    known = sorted(declared)
    listed = ", ".join(known) if known else "(none declared)"
    located = [(key, key) for key in values] if isinstance(values, Mapping) else list(enumerate(values))
    return [
        Problem(path + (where,), f"unknown {kind}; declared: {listed}", value, True)
        for where, value in located
        if value not in known
    ]


class Policy:
    """Base class of a policy lever. Subclasses set ``type_name`` and ``Params`` and override ``apply``."""

    type_name: ClassVar[str]
    Params: ClassVar[type[BaseModel]]

    def __init__(self, spec: PolicySpec) -> None:
        self.spec = spec
        self.params = self.Params.model_validate(spec.params, strict=True)
        self.announce_month = parse_month(spec.announce)
        self.effective_month = parse_month(spec.effective)
        self.end_month = parse_month(spec.end) if spec.end else None

    def is_announced(self, month: int) -> bool:
        return month >= self.announce_month and not self.has_ended(month)

    def is_effective(self, month: int) -> bool:
        return month >= self.effective_month and not self.has_ended(month)

    def has_ended(self, month: int) -> bool:
        return self.end_month is not None and month >= self.end_month

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        """Write what holds this month into ``rules`` (called every month on fresh rules, whatever the dates)."""
        raise NotImplementedError

    @property
    def observes(self) -> bool:
        """Whether this policy acts on what happened (overrides ``observe``, or may: it is asked each month)."""
        return type(self).observe is not Policy.observe

    def observe(self, shipped: Shipments, world: PolicyWorld, month: int) -> None:
        """See the month's shipments that were not seized, once the market has cleared (every month, whatever the
        dates). A policy that learns something here keeps it in its own state and writes what follows from it into
        the next month's rules. Most policies need nothing of this."""

    @property
    def observes_rentals(self) -> bool:
        """Whether this policy acts on the month's offshore rentals (overrides ``observe_rentals``)."""
        return type(self).observe_rentals is not Policy.observe_rentals

    def observe_rentals(self, rented: Rentals, world: PolicyWorld, month: int) -> None:
        """See the compute rented offshore this month (host, tenant, H100e-months), once the market has cleared
        (every month, whatever the dates), as ``observe`` sees shipments."""

    @classmethod
    def reference_problems(cls, params: BaseModel, scenario: Scenario, path: tuple) -> list[Problem]:
        """Problems with ids in ``params`` that the scenario does not declare (chips, countries, agents)."""
        return []


REGISTRY: dict[str, type[Policy]] = {}


def register(policy_class: type[Policy]) -> type[Policy]:
    """Class decorator that makes a policy available to scenario files under its ``type_name``."""
    REGISTRY[policy_class.type_name] = policy_class
    return policy_class


def policy_problems(path: tuple, spec: PolicySpec, scenario: Scenario) -> list[Problem]:
    """Problems with one policy entry: unknown type, bad parameters, dates out of order."""
    _load_plugins()
    known = ", ".join(sorted(REGISTRY)) or "(none yet)"
    policy_class = REGISTRY.get(spec.type)
    if policy_class is None:
        return [Problem(path + ("type",), f"unknown policy type; known types are: {known}", spec.type, True)]
    problems: list[Problem] = []
    try:
        policy_class.Params.model_validate(spec.params, strict=True)
    except ValidationError as error:
        # the same wording as the scenario's own keys: an unknown parameter lists the allowed ones
        problems.extend(problem_from_pydantic(item, policy_class.Params, path + ("params",)) for item in error.errors())
    else:
        params = policy_class.Params.model_validate(spec.params, strict=True)
        problems.extend(policy_class.reference_problems(params, scenario, path + ("params",)))
    if parse_month(spec.effective) < parse_month(spec.announce):
        problems.append(
            Problem(path + ("effective",), f"must not be before announce ({spec.announce})", spec.effective, True)
        )
    if spec.end is not None and parse_month(spec.end) <= parse_month(spec.effective):
        problems.append(Problem(path + ("end",), f"must be after effective ({spec.effective})", spec.end, True))
    return problems


def _load_plugins() -> None:
    """Import every module of ``sim.policies`` so that their ``@register`` runs (they import this module, not the
    reverse), in name order so that the registry's order never depends on the file system."""
    import sim.policies

    for module in sorted(pkgutil.iter_modules(sim.policies.__path__), key=lambda info: info.name):
        importlib.import_module(f"sim.policies.{module.name}")


class PoliciesInForce(Sequence["Policy"]):
    """A scenario's enabled policies, in file order (the order they act in each tick), and the two things the model
    asks of them each month."""

    def __init__(self, scenario: Scenario) -> None:
        _load_plugins()
        self._policies = [REGISTRY[spec.type](spec) for spec in scenario.policies if spec.enabled]
        self._observing = [policy for policy in self._policies if policy.observes]
        self._observing_rentals = [policy for policy in self._policies if policy.observes_rentals]

    def __getitem__(self, index):
        return self._policies[index]

    def __len__(self) -> int:
        return len(self._policies)

    def apply(self, rules: Rules, world: PolicyWorld, month: int) -> None:
        """Each policy in force writes what it changes into this month's ``rules``, in file order."""
        for policy in self._policies:
            policy.apply(rules, world, month)

    def observe(self, rented: Rentals, unseized: Callable[[], Shipments], world: PolicyWorld, month: int) -> None:
        """Policies that act on what happened see the month's rentals and the shipments not seized (``unseized``
        is asked only if one of them looks: most runs need no copy of the month's shipments)."""
        for policy in self._observing_rentals:
            policy.observe_rentals(rented, world, month)
        if self._observing:
            delivered = unseized()
            for policy in self._observing:
                policy.observe(delivered, world, month)
