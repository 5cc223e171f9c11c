"""How much memory a scenario's world will take, estimated before it is built, and the limit on it.

Populations make worlds of any size from a few lines (16 populations of a million data centers passed validation and
then took 7.6 GB before dying with MemoryError), so the world is sized from the scenario alone, without expanding a
single population, and refused when its estimate is over the limit. The estimate is the state a model holds once set
up, from ``benchmarks/bench_scale.py --state-of 10000`` at 4 and 16 suppliers per buyer (26.8 and 45.6 MB for 10,001
agents and 41,906 and 143,306 trade routes, the trade network's graph included): about 1.9 KB per agent plus 185
bytes per route.
Setting the world up takes about 2.5 times that at its peak, and a run's tables grow with the months.
"""

from __future__ import annotations

import os
from collections import Counter

from sim.scenario.errors import Problem
from sim.scenario.schema import Scenario

BYTES_PER_AGENT = 1_900
BYTES_PER_ROUTE = 185
SETUP_PEAK_FACTOR = 2.5
LIMIT_VARIABLE = "CHIPSIM_MAX_WORLD_MB"
DEFAULT_LIMIT_MB = 1_024  # about 400,000 agents of a synthetic world (4 suppliers per buyer); 100,000 hold 267 MB


def world_limit_mb() -> tuple[int | None, Problem | None]:
    """The limit in MB (from the environment, or the default), or a problem with the environment's value."""
    text = os.environ.get(LIMIT_VARIABLE)
    if text is None or not text.strip():
        return DEFAULT_LIMIT_MB, None
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < 1:
        message = f"the environment variable {LIMIT_VARIABLE} = {text!r} must be a whole number of MB, at least 1"
        return None, Problem((), message)
    return limit, None


def agent_and_route_counts(scenario: Scenario) -> tuple[int, int]:
    """Agents and trade routes the scenario's world will have, counted without expanding any population."""
    pops_dc = scenario.populations.data_centers
    pops_int = scenario.populations.intermediaries
    agents = (len(scenario.fabs) + len(scenario.vendors) + len(scenario.intermediaries) + len(scenario.data_centers)
              + len(scenario.enforcement) + sum(pop.count for pop in pops_dc) + sum(pop.count for pop in pops_int))
    intermediaries_in = Counter(item.country for item in scenario.intermediaries)
    for pop in pops_int:
        intermediaries_in[pop.country] += pop.count
    size_of = {pop.id: pop.count for pop in pops_dc} | {center.id: 1 for center in scenario.data_centers}

    def reachable(ids: list[str]) -> int:
        return sum(size_of.get(name, 1) for name in ids)

    routes = sum(len(item.vendors) + len(item.smuggling_routes) for item in scenario.intermediaries)
    routes += sum(len(center.suppliers) + len(center.rental_routes) for center in scenario.data_centers)
    for pop in pops_dc:
        per_member = len(pop.vendors) + min(pop.intermediaries_per_buyer, intermediaries_in[pop.country])
        if pop.offshore_rental_share > 0:
            per_member += min(pop.rental_routes_per_tenant, reachable(pop.rents_from))
        routes += pop.count * per_member
    for pop in pops_int:
        diverters = round(pop.count * pop.diverting_share) if pop.diversion_capacity_chips_per_month else 0
        routes += pop.count * len(pop.vendors) + diverters * min(pop.routes_per_diverter, reachable(pop.smuggles_to))
    return agents, routes


def world_size_problems(scenario: Scenario) -> list[Problem]:
    """A problem when the world's estimated memory is over the limit (none otherwise)."""
    limit_mb, problem = world_limit_mb()
    if problem is not None:
        return [problem]
    agents, routes = agent_and_route_counts(scenario)
    estimate_mb = (agents * BYTES_PER_AGENT + routes * BYTES_PER_ROUTE) / 2**20
    if estimate_mb <= limit_mb:
        return []
    message = (
        f"the world is too big: {agents:,} agents and {routes:,} trade routes would hold about {estimate_mb:,.0f} MB "
        f"once set up ({BYTES_PER_AGENT:,} bytes per agent and {BYTES_PER_ROUTE} per route; setting it up takes about "
        f"{SETUP_PEAK_FACTOR} times that at its peak); the limit is {limit_mb:,} MB. Make the populations smaller, "
        f"or set the environment variable {LIMIT_VARIABLE} higher if this machine has the memory"
    )
    return [Problem(("populations",), message)]
