"""Checks that span sections of a scenario: ids that must exist, ids that must be unique, dates in order.

Pydantic checks each object on its own; this module checks that the objects fit together (a data center's country
is declared, a product line's fab has that node, ...). It returns every problem found rather than the first.
"""

from __future__ import annotations

from collections import Counter

from sim.calendar import parse_month
from sim.policies.registry import policy_problems
from sim.scenario.errors import Problem
from sim.scenario.schema import Scenario


def _unknown(path: tuple, value: object, kind: str, known: list[str]) -> Problem:
    listed = ", ".join(sorted(known)) if known else "(none declared)"
    return Problem(path, f"unknown {kind}; declared {kind}s are: {listed}", value, True)


def reference_problems(scenario: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    countries = list(scenario.countries)
    chips = list(scenario.catalog)
    vendor_ids = [vendor.id for vendor in scenario.vendors]
    fabs = {fab.id: fab for fab in scenario.fabs}

    if parse_month(scenario.end) <= parse_month(scenario.start):
        problems.append(
            Problem(("end",), f"must be after start ({scenario.start})", scenario.end, True)
        )

    for chip_id, chip in scenario.catalog.items():
        if chip.vendor not in vendor_ids:
            problems.append(_unknown(("catalog", chip_id, "vendor"), chip.vendor, "vendor", vendor_ids))

    for index, fab in enumerate(scenario.fabs):
        if fab.country not in countries:
            problems.append(_unknown(("fabs", index, "country"), fab.country, "country", countries))

    for index, vendor in enumerate(scenario.vendors):
        if vendor.country not in countries:
            problems.append(_unknown(("vendors", index, "country"), vendor.country, "country", countries))
        for line_index, line in enumerate(vendor.product_lines):
            path = ("vendors", index, "product_lines", line_index)
            if line.chip not in chips:
                problems.append(_unknown(path + ("chip",), line.chip, "chip", chips))
            elif scenario.catalog[line.chip].vendor != vendor.id:
                problems.append(
                    Problem(
                        path + ("chip",),
                        f"the catalog says this chip is made by {scenario.catalog[line.chip].vendor!r}, "
                        f"not {vendor.id!r}",
                        line.chip,
                        True,
                    )
                )
            if line.fab not in fabs:
                problems.append(_unknown(path + ("fab",), line.fab, "fab", list(fabs)))
            elif line.node not in fabs[line.fab].nodes:
                problems.append(
                    _unknown(path + ("node",), line.node, f"node of fab {line.fab!r}", list(fabs[line.fab].nodes))
                )

    intermediary_ids = [item.id for item in scenario.intermediaries]
    for index, item in enumerate(scenario.intermediaries):
        if item.country not in countries:
            problems.append(_unknown(("intermediaries", index, "country"), item.country, "country", countries))
        for vendor_index, vendor_id in enumerate(item.vendors):
            if vendor_id not in vendor_ids:
                problems.append(
                    _unknown(("intermediaries", index, "vendors", vendor_index), vendor_id, "vendor", vendor_ids)
                )

    suppliers = vendor_ids + intermediary_ids
    for index, center in enumerate(scenario.data_centers):
        if center.country not in countries:
            problems.append(_unknown(("data_centers", index, "country"), center.country, "country", countries))
        for supplier_index, supplier in enumerate(center.suppliers):
            if supplier not in suppliers:
                problems.append(
                    _unknown(
                        ("data_centers", index, "suppliers", supplier_index),
                        supplier,
                        "vendor or intermediary",
                        suppliers,
                    )
                )
        for cohort_index, cohort in enumerate(center.initial_installed):
            if cohort.chip not in chips:
                problems.append(
                    _unknown(("data_centers", index, "initial_installed", cohort_index, "chip"), cohort.chip,
                             "chip", chips)
                )

    for index, body in enumerate(scenario.enforcement):
        if body.country not in countries:
            problems.append(_unknown(("enforcement", index, "country"), body.country, "country", countries))
        for country_index, code in enumerate(body.jurisdiction):
            if code not in countries:
                problems.append(
                    _unknown(("enforcement", index, "jurisdiction", country_index), code, "country", countries)
                )

    intermediary_countries = {pop.country for pop in scenario.populations.intermediaries} | {
        item.country for item in scenario.intermediaries
    }
    for index, pop in enumerate(scenario.populations.intermediaries):
        path = ("populations", "intermediaries", index)
        if pop.country not in countries:
            problems.append(_unknown(path + ("country",), pop.country, "country", countries))
        for vendor_index, vendor_id in enumerate(pop.vendors):
            if vendor_id not in vendor_ids:
                problems.append(_unknown(path + ("vendors", vendor_index), vendor_id, "vendor", vendor_ids))

    for index, pop in enumerate(scenario.populations.data_centers):
        path = ("populations", "data_centers", index)
        if pop.country not in countries:
            problems.append(_unknown(path + ("country",), pop.country, "country", countries))
        for vendor_index, vendor_id in enumerate(pop.vendors):
            if vendor_id not in vendor_ids:
                problems.append(_unknown(path + ("vendors", vendor_index), vendor_id, "vendor", vendor_ids))
        if pop.intermediaries_per_buyer and pop.country not in intermediary_countries:
            problems.append(
                Problem(
                    path + ("intermediaries_per_buyer",),
                    f"no intermediaries are declared in {pop.country}; declare some there or set this to 0",
                    pop.intermediaries_per_buyer,
                    True,
                )
            )
        if not pop.vendors and not pop.intermediaries_per_buyer:
            problems.append(
                Problem(path, "a data-center population needs suppliers: list vendors or set intermediaries_per_buyer")
            )
        for stock_index, stock in enumerate(pop.initial_stock):
            if stock.chip not in chips:
                problems.append(_unknown(path + ("initial_stock", stock_index, "chip"), stock.chip, "chip", chips))

    all_ids = (
        [fab.id for fab in scenario.fabs]
        + vendor_ids
        + intermediary_ids
        + [center.id for center in scenario.data_centers]
        + [body.id for body in scenario.enforcement]
        + [pop.id for pop in scenario.populations.data_centers]
        + [pop.id for pop in scenario.populations.intermediaries]
    )
    for agent_id, count in Counter(all_ids).items():
        if count > 1:
            problems.append(
                Problem((), f"the id {agent_id!r} is used {count} times; agent and population ids must be unique")
            )

    for index, policy in enumerate(scenario.policies):
        problems.extend(policy_problems(("policies", index), policy, scenario))
    return problems
