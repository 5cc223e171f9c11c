"""Synthetic worlds of a given size, for benchmarks: the ``tight`` scenario grown to N agents with the design's mix.

About 1% fabs, 9% vendors (each with its product lines), 30% intermediaries and 60% data centers, plus the scenario's
enforcement bodies; every buyer has about ``suppliers_per_buyer`` suppliers; every policy of ``tight`` is on.

Fabs and vendors are copies of the scenario's own, with capacities divided among the copies so that world totals stay
near the scenario's; each vendor copy sells copies of its chips (same specifications, its own catalog entries).
Copy 0 keeps the original ids, so policies and initial stocks that name a chip or a vendor still find it.
Intermediary and data-center populations are scaled to their share of N (budgets and initial stocks with them, so each
agent keeps its size) and cut into groups of ``GROUP_SIZE`` members, each group buying from its own draw of vendor
copies. The result is a raw scenario mapping: validate it with ``sim.scenario.validate``.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np

from sim.calendar import format_month, parse_month
from sim.scenario.load import resolve_extends

TIGHT = Path(__file__).resolve().parent.parent / "scenarios" / "tight.yaml"
MIX = {"fabs": 0.01, "vendors": 0.09, "intermediaries": 0.30, "data_centers": 0.60}
GROUP_SIZE = 20
SOURCE = "assumption: synthetic benchmark world (sim/synthetic.py)"


def copy_id(identifier: str, index: int) -> str:
    return identifier if index == 0 else f"{identifier}_c{index}"


def _copies(total: float, originals: int) -> int:
    return max(1, round(total / originals))


def synthetic_scenario(agents: int, suppliers_per_buyer: int = 4, ticks: int = 520, seed: int = 0,
                       base: Path = TIGHT) -> dict[str, Any]:
    """A raw scenario with about ``agents`` agents, running ``ticks`` months from the base scenario's start."""
    if agents < 100:
        raise ValueError(f"agents = {agents}: a synthetic world needs at least 100 agents")
    rng = np.random.default_rng(seed)
    raw = resolve_extends(base)
    raw["name"] = f"synthetic_{agents}"
    raw["description"] = f"{agents} agents grown from {base.name} with the design's mix (sim/synthetic.py)"
    raw["end"] = format_month(parse_month(raw["start"]) + ticks - 1)

    fab_copies = _copies(MIX["fabs"] * agents, len(raw["fabs"]))
    vendor_copies = _copies(MIX["vendors"] * agents, len(raw["vendors"]))
    raw["fabs"] = [_fab_copy(fab, index, fab_copies) for fab in raw["fabs"] for index in range(fab_copies)]
    vendors, catalog = [], dict(raw["catalog"])
    for vendor in raw["vendors"]:
        for index in range(vendor_copies):
            vendors.append(_vendor_copy(vendor, index, vendor_copies, fab_copies, catalog))
    raw["vendors"], raw["catalog"] = vendors, catalog
    clones = {vendor["id"]: [copy_id(vendor["id"], index) for index in range(vendor_copies)]
              for vendor in raw["vendors"][::vendor_copies]}

    populations = raw.get("populations", {})
    groups_of: dict[str, list[str]] = {}
    data_centers = _grow(populations.get("data_centers", []), MIX["data_centers"] * agents, groups_of)
    intermediaries = _grow(populations.get("intermediaries", []), MIX["intermediaries"] * agents, groups_of)
    for group in data_centers:
        if group.get("vendors"):  # some buy only through local intermediaries
            direct = max(1, suppliers_per_buyer - group.get("intermediaries_per_buyer", 0))
            group["vendors"] = _draw_suppliers(group["vendors"], clones, direct, rng)
        group["rents_from"] = [member for name in group.get("rents_from", []) for member in groups_of.get(name, [name])]
    for group in intermediaries:
        group["vendors"] = _draw_suppliers(group["vendors"], clones, suppliers_per_buyer, rng)
        group["smuggles_to"] = [member for name in group.get("smuggles_to", [])
                                for member in groups_of.get(name, [name])]
    raw["populations"] = {"data_centers": data_centers, "intermediaries": intermediaries}
    for lab in (raw.get("model_weights") or {}).get("labs", []):  # labs train on the grown groups
        lab["trains_on"] = [member for name in lab["trains_on"] for member in groups_of.get(name, [name])]
        for licensee in lab.get("licensees", []):  # a licensee is one site: the first group of its population
            licensee["data_center"] = groups_of.get(licensee["data_center"], [licensee["data_center"]])[0]
    return raw


def _fab_copy(fab: dict, index: int, copies: int) -> dict:
    clone = copy.deepcopy(fab)
    clone["id"] = copy_id(fab["id"], index)
    for node in clone["nodes"].values():
        node["wafers_per_month"] /= copies
    for key in ("packaging_wafers_per_month", "hbm_stacks_per_month", "hbm_stacks_stock"):
        if key in clone:
            clone[key] /= copies
    return clone


def _vendor_copy(vendor: dict, index: int, copies: int, fab_copies: int, catalog: dict) -> dict:
    clone = copy.deepcopy(vendor)
    clone["id"] = copy_id(vendor["id"], index)
    sharing_a_fab = math.ceil(copies / fab_copies)  # vendor copies booking the same fab copy
    for line in clone["product_lines"]:
        chip = copy_id(line["chip"], index)
        if chip not in catalog:
            catalog[chip] = {**copy.deepcopy(catalog[line["chip"]]), "vendor": clone["id"]}
        line["chip"] = chip
        line["fab"] = copy_id(line["fab"], index % fab_copies)
        if line.get("max_wafers_per_month") is not None:
            line["max_wafers_per_month"] /= copies
        if line.get("reservation_share_of_node") is not None:
            line["reservation_share_of_node"] /= sharing_a_fab
    return clone


def _grow(populations: list[dict], target: float, groups_of: dict[str, list[str]]) -> list[dict]:
    """Scale the populations to ``target`` members in all, in groups of GROUP_SIZE; record each one's group ids."""
    base = sum(population["count"] for population in populations)
    factor = target / base
    grown = []
    for population in populations:
        members = max(1, round(population["count"] * factor))
        sizes = [GROUP_SIZE] * (members // GROUP_SIZE) + ([members % GROUP_SIZE] if members % GROUP_SIZE else [])
        groups_of[population["id"]] = []
        for index, size in enumerate(sizes):
            group = copy.deepcopy(population)
            group["id"] = f"{population['id']}_g{index}"
            group["count"] = size
            share = size / population["count"]  # of the original population: budgets and stocks per member kept
            if "total_budget_usd_per_month" in group:
                group["total_budget_usd_per_month"] *= share
            for stock in group.get("initial_stock", []):
                stock["h100e_total"] *= share
            grown.append(group)
            groups_of[population["id"]].append(group["id"])
    return grown


def _draw_suppliers(vendors: list[str], clones: dict[str, list[str]], count: int,
                    rng: np.random.Generator) -> list[str]:
    """``count`` vendor copies (fewer if there are not that many), spread over the original vendors in turn."""
    pools = [list(rng.permutation(clones[vendor])) for vendor in vendors]
    drawn: list[str] = []
    while len(drawn) < count and any(pools):
        for pool in pools:
            if pool and len(drawn) < count:
                drawn.append(str(pool.pop()))
    return drawn
