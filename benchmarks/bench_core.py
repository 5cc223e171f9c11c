"""Benchmark of the simulation core: the baseline's model time, and how tick cost grows with the world.

Prints, for the shipped baseline to 2030-12: set-up and run time (median of --repeats), ticks per second and
agent-steps per second. Then scales every population in the baseline by k (more data centers and intermediaries,
with budgets and stocks scaled so each agent keeps its size) and prints the time per tick, per agent and per edge,
as ratios to k = 1: linear cost means time-per-tick ratios close to the agent ratios.

usage: python benchmarks/bench_core.py [--repeats 5] [--scales 1 4 16]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import date
from pathlib import Path

from sim.model import ChipSupplyModel
from sim.scenario import load_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


def timed_run(scenario, seed: int) -> tuple[float, float, ChipSupplyModel, int]:
    """Set-up seconds, run seconds, the model, and the shipments made (the unit of work of a tick)."""
    started = time.perf_counter()
    model = ChipSupplyModel(scenario, seed=seed)
    built = time.perf_counter()
    shipments = 0
    while model.running:
        model.step()
        shipments += len(model.network.shipped_this_tick)
    return built - started, time.perf_counter() - built, model, shipments


def scaled_overrides(k: int) -> dict[str, object]:
    """Multiply each population's member count, total budget and initial stock by k."""
    raw = load_scenario(BASELINE).scenario
    overrides: dict[str, object] = {}
    for pop in raw.populations.data_centers:
        overrides[f"populations.data_centers.{pop.id}.count"] = pop.count * k
        overrides[f"populations.data_centers.{pop.id}.total_budget_usd_per_month"] = pop.total_budget_usd_per_month * k
        for index, stock in enumerate(pop.initial_stock):
            overrides[f"populations.data_centers.{pop.id}.initial_stock.{index}.h100e_total"] = stock.h100e_total * k
    for pop in raw.populations.intermediaries:
        overrides[f"populations.intermediaries.{pop.id}.count"] = pop.count * k
    for vendor in raw.vendors:
        for index, line in enumerate(vendor.product_lines):
            # A line that reserves a share of its node scales with the node below.
            if line.max_wafers_per_month is not None:
                key = f"vendors.{vendor.id}.product_lines.{index}.max_wafers_per_month"
                overrides[key] = line.max_wafers_per_month * k
    for fab in raw.fabs:
        overrides[f"fabs.{fab.id}.packaging_wafers_per_month"] = fab.packaging_wafers_per_month * k
        overrides[f"fabs.{fab.id}.hbm_stacks_per_month"] = fab.hbm_stacks_per_month * k
        overrides[f"fabs.{fab.id}.hbm_stacks_stock"] = fab.hbm_stacks_stock * k
        for node, spec in fab.nodes.items():
            overrides[f"fabs.{fab.id}.nodes.{node}.wafers_per_month"] = spec.wafers_per_month * k
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    print(f"chipsim core benchmark, {date.today()}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")

    scenario = load_scenario(BASELINE).scenario
    setups, runs = [], []
    for seed in range(args.repeats):
        setup_s, run_s, model, _shipments = timed_run(scenario, seed)
        setups.append(setup_s)
        runs.append(run_s)
    ticks = model.end_month - model.start_month + 1
    agents = len(model.agents_by_id)
    edges = model.network.edge_count
    setup_s, run_s = statistics.median(setups), statistics.median(runs)
    print(f"\nbaseline to {scenario.end}: {agents} agents, {edges} edges, {ticks} monthly ticks "
          f"(median of {args.repeats})")
    print(f"  set-up {setup_s:.3f} s, run {run_s:.3f} s, model time {setup_s + run_s:.3f} s (target < 0.5 s)")
    print(f"  {ticks / run_s:,.0f} ticks/s, {agents * ticks / run_s:,.0f} agent-steps/s, "
          f"{edges * ticks / run_s:,.0f} edge-steps/s")

    print("\nscaling (populations x k; one run each):")
    print(f"  {'k':>3} {'agents':>8} {'edges':>8} {'set-up s':>9} {'ms/tick':>8} {'agents x':>9} {'edges x':>8} "
          f"{'shipments x':>12} {'tick time x':>12} {'us/shipment':>12}")
    first = None
    for k in args.scales:
        scaled = load_scenario(BASELINE, overrides=scaled_overrides(k)).scenario
        setup_s, run_s, model, shipments = timed_run(scaled, 0)
        agents = len(model.agents_by_id)
        edges = model.network.edge_count
        per_tick = run_s / ticks
        first = first or (agents, edges, per_tick, shipments)
        print(f"  {k:>3} {agents:>8} {edges:>8} {setup_s:>9.3f} {per_tick * 1e3:>8.2f} {agents / first[0]:>9.1f} "
              f"{edges / first[1]:>8.1f} {shipments / first[3]:>12.1f} {per_tick / first[2]:>12.1f} "
              f"{run_s / shipments * 1e6:>12.1f}")


if __name__ == "__main__":
    main()
