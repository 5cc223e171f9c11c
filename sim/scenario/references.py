"""Checks that span sections of a scenario: ids that must exist, ids that must be unique, dates in order.

Pydantic checks each object on its own; this module checks that the objects fit together (a data center's country
is declared, a product line's fab has that node, ...). It returns every problem found rather than the first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from sim.calendar import parse_month
from sim.policies.registry import policy_problems
from sim.scenario.errors import Problem, format_path
from sim.scenario.labs import ModelWeights
from sim.scenario.schema import Scenario


class _Checks:
    """Collects 'unknown id' problems, each listing what is declared."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def known(self, path: tuple, value: str, kind: str, declared: Collection[str]) -> bool:
        """``declared`` should be a set or a mapping: checks run once per reference, so a list would make the whole
        check quadratic in the size of the world."""
        if value in declared:
            return True
        listed = ", ".join(sorted(declared)) if declared else "(none declared)"
        self.problems.append(Problem(path, f"unknown {kind}; declared: {listed}", value, True))
        return False

    def all_known(self, path: tuple, values: list[str], kind: str, declared: Collection[str]) -> None:
        for index, value in enumerate(values):
            self.known(path + (index,), value, kind, declared)


def _member_width(count: int) -> int:
    """Digits in a population member's number: ``sim.world.member_ids`` pads them all to the width of ``count``."""
    return len(str(count))


def member_id_problems(scenario: Scenario) -> list[Problem]:
    """An id that a population's expansion would also give one of its members (``cn_lab_01`` beside a population
    ``cn_lab`` of 12, whose members are ``cn_lab_01`` to ``cn_lab_12``). Checked by splitting each id at its
    underscores, never by expanding the populations, which may hold millions of members."""
    populations = {
        pop.id: (("populations", kind, index), pop.count)
        for kind, pops in (("data_centers", scenario.populations.data_centers),
                           ("intermediaries", scenario.populations.intermediaries))
        for index, pop in enumerate(pops)
    }
    named = [(("fabs", index, "id"), fab.id) for index, fab in enumerate(scenario.fabs)]
    for section in ("vendors", "intermediaries", "data_centers", "enforcement"):
        named += [((section, index, "id"), item.id) for index, item in enumerate(getattr(scenario, section))]
    named += [(path + ("id",), pop_id) for pop_id, (path, _count) in populations.items()]
    problems = []
    for path, agent_id in named:
        for cut in (position for position, char in enumerate(agent_id) if char == "_"):
            prefix, number = agent_id[:cut], agent_id[cut + 1:]
            if prefix not in populations or not number.isdigit():
                continue
            pop_path, count = populations[prefix]
            width = _member_width(count)
            if len(number) == width and 1 <= int(number) <= count:
                first, last = f"{prefix}_{1:0{width}d}", f"{prefix}_{count:0{width}d}"
                message = (f"the id {agent_id!r} is also the id of a member of the population {prefix!r} at "
                           f"{format_path(pop_path)} (its {count:,} members are {first} to {last}); ids must be "
                           "unique once populations are expanded: rename one of them")
                problems.append(Problem(path, message, agent_id, True))
    return problems


def _chiplet_problems(scenario: Scenario) -> list[Problem]:
    """A chip is a chiplet package of so many dies or it is not: every line that makes it must say the same (the
    catalog counts its installed compute as ``chiplet`` from it)."""
    problems, first_said = [], {}
    for index, vendor in enumerate(scenario.vendors):
        for line_index, line in enumerate(vendor.product_lines):
            if line.via_front_company:
                continue  # a front company's twin is a chip of its own
            dies = line.chiplet.dies_per_package if line.chiplet else 1
            path = ("vendors", index, "product_lines", line_index, "chiplet")
            said = first_said.setdefault(line.chip, (dies, path))
            if said[0] != dies:
                message = (f"another line makes {line.chip!r} as {said[0]} die(s) a package ({format_path(said[1])});"
                           " every line of a chip must give the same chiplet dies_per_package")
                problems.append(Problem(path, message, dies, True))
    return problems


def reference_problems(scenario: Scenario) -> list[Problem]:
    checks = _Checks()
    problems = checks.problems
    countries = set(scenario.countries)
    chips = set(scenario.catalog)
    vendor_ids = {vendor.id for vendor in scenario.vendors}
    fabs = {fab.id: fab for fab in scenario.fabs}

    if parse_month(scenario.end) <= parse_month(scenario.start):
        problems.append(Problem(("end",), f"must be after start ({scenario.start})", scenario.end, True))

    for chip_id, chip in scenario.catalog.items():
        checks.known(("catalog", chip_id, "vendor"), chip.vendor, "vendor", vendor_ids)

    for index, fab in enumerate(scenario.fabs):
        checks.known(("fabs", index, "country"), fab.country, "country", countries)

    for index, vendor in enumerate(scenario.vendors):
        checks.known(("vendors", index, "country"), vendor.country, "country", countries)
        for line_index, line in enumerate(vendor.product_lines):
            path = ("vendors", index, "product_lines", line_index)
            if checks.known(path + ("chip",), line.chip, "chip", chips) and (
                scenario.catalog[line.chip].vendor != vendor.id
            ):
                maker = scenario.catalog[line.chip].vendor
                problems.append(
                    Problem(path + ("chip",), f"the catalog says this chip is made by {maker!r}, not {vendor.id!r}",
                            line.chip, True)
                )
            if checks.known(path + ("fab",), line.fab, "fab", fabs):
                checks.known(path + ("node",), line.node, f"node of fab {line.fab!r}", fabs[line.fab].nodes)
    problems.extend(_chiplet_problems(scenario))

    intermediary_ids = {item.id for item in scenario.intermediaries}
    data_center_ids = {center.id for center in scenario.data_centers}
    destinations = data_center_ids | {pop.id for pop in scenario.populations.data_centers}
    suppliers = vendor_ids | intermediary_ids
    for index, item in enumerate(scenario.intermediaries):
        checks.known(("intermediaries", index, "country"), item.country, "country", countries)
        checks.all_known(("intermediaries", index, "vendors"), item.vendors, "vendor", vendor_ids)
        checks.all_known(("intermediaries", index, "smuggling_routes"), item.smuggling_routes, "data center",
                         data_center_ids)

    for index, center in enumerate(scenario.data_centers):
        checks.known(("data_centers", index, "country"), center.country, "country", countries)
        checks.all_known(("data_centers", index, "suppliers"), center.suppliers, "vendor or intermediary", suppliers)
        checks.all_known(("data_centers", index, "rental_routes"), center.rental_routes, "data center",
                         data_center_ids)
        for cohort_index, cohort in enumerate(center.initial_installed):
            checks.known(("data_centers", index, "initial_installed", cohort_index, "chip"), cohort.chip, "chip", chips)

    for index, body in enumerate(scenario.enforcement):
        checks.known(("enforcement", index, "country"), body.country, "country", countries)
        checks.all_known(("enforcement", index, "jurisdiction"), body.jurisdiction, "country", countries)

    for index, ally in enumerate(scenario.allies):
        checks.known(("allies", index, "country"), ally.country, "country", countries)
        checks.all_known(("allies", index, "hbm_customers"), ally.hbm_customers, "fab", fabs)

    for index, pop in enumerate(scenario.populations.intermediaries):
        path = ("populations", "intermediaries", index)
        checks.known(path + ("country",), pop.country, "country", countries)
        checks.all_known(path + ("vendors",), pop.vendors, "vendor", vendor_ids)
        checks.all_known(path + ("smuggles_to",), pop.smuggles_to, "data center or data-center population",
                         destinations)

    intermediary_countries = {pop.country for pop in scenario.populations.intermediaries} | {
        item.country for item in scenario.intermediaries
    }
    for index, pop in enumerate(scenario.populations.data_centers):
        path = ("populations", "data_centers", index)
        checks.known(path + ("country",), pop.country, "country", countries)
        checks.all_known(path + ("vendors",), pop.vendors, "vendor", vendor_ids)
        checks.all_known(path + ("rents_from",), pop.rents_from, "data center or data-center population", destinations)
        if pop.intermediaries_per_buyer and pop.country not in intermediary_countries:
            problems.append(
                Problem(path + ("intermediaries_per_buyer",),
                        f"no intermediaries are declared in {pop.country}; declare some there or set this to 0",
                        pop.intermediaries_per_buyer, True)
            )
        if not pop.vendors and not pop.intermediaries_per_buyer:
            problems.append(
                Problem(path, "a data-center population needs suppliers: list vendors or set intermediaries_per_buyer")
            )
        for stock_index, stock in enumerate(pop.initial_stock):
            checks.known(path + ("initial_stock", stock_index, "chip"), stock.chip, "chip", chips)

    all_ids = (
        list(fabs)
        + [vendor.id for vendor in scenario.vendors]
        + [item.id for item in scenario.intermediaries]
        + [center.id for center in scenario.data_centers]
        + [body.id for body in scenario.enforcement]
        + [ally.id for ally in scenario.allies]
        + [pop.id for pop in scenario.populations.data_centers]
        + [pop.id for pop in scenario.populations.intermediaries]
    )
    for agent_id, count in Counter(all_ids).items():
        if count > 1:
            problems.append(
                Problem((), f"the id {agent_id!r} is used {count} times; agent and population ids must be unique")
            )

    problems.extend(member_id_problems(scenario))
    if scenario.model_weights is not None:
        _lab_problems(checks, scenario.model_weights, countries, destinations)

    policy_ids = [policy.id for policy in scenario.policies if policy.id is not None]
    for policy_id, count in Counter(policy_ids).items():
        if count > 1:
            message = f"the policy id {policy_id!r} is used {count} times; policy ids must be unique"
            problems.append(Problem(("policies",), message, policy_id, True))
    for index, policy in enumerate(scenario.policies):
        problems.extend(policy_problems(("policies", index), policy, scenario))
    return problems


def _lab_problems(checks: _Checks, weights: ModelWeights, countries: set[str], data_centers: set[str]) -> None:
    """A lab's country, the data centers it trains on and its licensees must be declared; lab ids are unique."""
    for index, lab in enumerate(weights.labs):
        path = ("model_weights", "labs", index)
        checks.known(path + ("country",), lab.country, "country", countries)
        checks.all_known(path + ("trains_on",), lab.trains_on, "data center or data-center population", data_centers)
        for licensee_index, licensee in enumerate(lab.licensees):
            checks.known(path + ("licensees", licensee_index, "data_center"), licensee.data_center,
                         "data center or data-center population", data_centers)
    shares: Counter[str] = Counter()
    for lab in weights.labs:
        for name in set(lab.trains_on):
            shares[name] += lab.compute_share
    for name, share in sorted(shares.items()):
        if share > 1 + 1e-9:
            checks.problems.append(Problem(("model_weights", "labs"), f"the labs training on {name!r} hold "
                                           f"{share:g} of its compute between them (compute_share); at most 1", name,
                                           True))
    lab_ids = [lab.id for lab in weights.labs]
    for lab_id, count in Counter(lab_ids).items():
        if count > 1:
            checks.problems.append(Problem(("model_weights", "labs"), f"the lab id {lab_id!r} is used {count} times; "
                                           "lab ids must be unique", lab_id, True))
