"""Benchmark at scale: synthetic worlds of 1k, 10k and 100k agents, side by side with the anchor kernel.

Each world (``sim/synthetic.py``: the ``tight`` scenario, every policy on, grown to N agents with the design's mix and
about 4 suppliers per buyer) runs in a fresh process for ``--ticks`` ticks (520 by default), or until
``--budget-seconds`` is spent, whichever comes first: ticks per second are measured over the ticks done. Printed per
size: set-up time, ticks/s, agent-steps/s, edge-steps/s, peak memory (and per agent, and split into the imports, the
set-up and the months run), and the state the model holds once set up, per agent (traced, in a process of its own).

The anchor kernel (``../shared/bench/anchor_kernel.py`` beside the project, or ``--anchor``) is a minimal
fab -> vendor -> intermediary -> data center chain in three implementations (Mesa agents, plain Python, numpy). It runs
right after each world, on the same machine, at the same size, with deg=4 and the same number of ticks; the ratios
printed are the figures that count, since these machines are noisy.

Note: chipsim's tick is a calendar month, so "520 ticks" is 520 months, not 520 weeks; the cost per tick is what
is compared.

usage: python benchmarks/bench_scale.py [--sizes 1000 10000 100000] [--ticks 520] [--budget-seconds 120]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ANCHOR = REPO.parent / "shared" / "bench" / "anchor_kernel.py"


def measure_world(agents: int, ticks: int, budget_seconds: float, suppliers: int) -> dict:
    """In this process: build the synthetic world and run it; return the figures."""
    from sim.model import ChipSupplyModel

    imports_mb = _peak_mb()  # the interpreter with numpy, pandas (and pyarrow), Mesa (and SciPy, networkx)
    started = time.perf_counter()
    scenario = _synthetic_world(agents, ticks, suppliers)
    generated = time.perf_counter()
    model = ChipSupplyModel(scenario, seed=0)
    phase_seconds = _time_phases(model)
    built = time.perf_counter()
    setup_mb = _peak_mb()
    done = orders = shipments = 0
    while done < ticks and model.running and time.perf_counter() - built < budget_seconds:
        model.step()
        done += 1
        orders += model.orders_placed_this_month
        shipments += len(model.network.shipped_this_tick)  # already joined for the month's record
    run_s = time.perf_counter() - built
    count = len(model.agents_by_id)
    edges = model.network.edge_count
    peak_mb = _peak_mb()
    anonymous_mb, file_mb = _resident_split_mb()
    return {"agents": count, "edges": edges, "generate_s": generated - started, "setup_s": built - generated,
            "ticks": done, "run_s": run_s, "ticks_per_s": done / run_s, "agent_steps_per_s": count * done / run_s,
            "edge_steps_per_s": edges * done / run_s, "peak_mb": peak_mb, "kb_per_agent": peak_mb * 1024 / count,
            "orders_per_tick": orders / max(done, 1), "shipments_per_tick": shipments / max(done, 1),
            "imports_mb": imports_mb, "setup_mb": setup_mb, "anonymous_mb": anonymous_mb, "file_mb": file_mb,
            "phase_share": {name: seconds / run_s for name, seconds in phase_seconds.items()}}


def _synthetic_world(agents: int, ticks: int, suppliers: int):
    """The validated synthetic scenario of ``agents`` agents (imported here: the parent process never loads sim)."""
    from sim.scenario import validate
    from sim.synthetic import synthetic_scenario

    return validate(synthetic_scenario(agents, suppliers_per_buyer=suppliers, ticks=ticks), "synthetic")


def _peak_mb() -> float:
    """The process's peak resident memory so far (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resident_split_mb() -> tuple[float | None, float | None]:
    """Resident memory now, split into anonymous pages (the model's arrays, Python's objects, the heap) and pages
    mapped from files (the libraries' code and data). The second depends on the page cache: right after a fresh
    install, this kernel (large folios) maps shared libraries in bigger pieces, and the same imports read ~30 MB more
    than once the cache is dropped (``sync; echo 3 > /proc/sys/vm/drop_caches``). Linux only; None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as stream:
            fields = dict(line.split(":", 1) for line in stream if line.startswith(("RssAnon", "RssFile")))
    except OSError:
        return None, None
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("RssAnon", "RssFile"))


def measure_state(agents: int, ticks: int, suppliers: int) -> dict:
    """In this process: the bytes the model holds once set up (traced by tracemalloc, the scenario it was given
    left out), per agent, edges included: what the world costs before any month is recorded."""
    import gc
    import tracemalloc

    from sim.model import ChipSupplyModel

    scenario = _synthetic_world(agents, ticks, suppliers)
    gc.collect()
    tracemalloc.start()
    before, _peak = tracemalloc.get_traced_memory()
    model = ChipSupplyModel(scenario, seed=0)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    count = len(model.agents_by_id)
    return {"agents": count, "edges": model.network.edge_count, "state_mb": (held - before) / 2**20,
            "bytes_per_agent": (held - before) / count, "setup_peak_mb": (peak - before) / 2**20}


def _time_phases(model) -> dict[str, float]:
    """Wrap each phase of the model's tick with a timer; return the dict the timers add their seconds to."""
    seconds = dict.fromkeys(model.PHASES, 0.0)

    def timed(name: str, phase):
        def run() -> None:
            started = time.perf_counter()
            phase()
            seconds[name] += time.perf_counter() - started

        return run

    for name in model.PHASES:
        setattr(model, name, timed(name, getattr(model, name)))
    return seconds


def run_anchor(anchor: Path, impl: str, agents: int, ticks: int) -> dict | None:
    command = [sys.executable, str(anchor), f"impl={impl}", f"n={agents}", "deg=4", f"steps={ticks}", "collect=0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        print(f"  anchor impl={impl} failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--ticks", type=int, default=520)
    parser.add_argument("--budget-seconds", type=float, default=120.0, help="per world; ticks/s over the ticks done")
    parser.add_argument("--suppliers", type=int, default=4, help="suppliers per buyer")
    parser.add_argument("--anchor", type=Path, default=DEFAULT_ANCHOR)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one world in this process
    parser.add_argument("--state-of", type=int, help=argparse.SUPPRESS)  # internal: one world's state, traced
    args = parser.parse_args()
    if args.ticks < 2:  # a scenario must end after the month it starts in
        parser.error(f"--ticks {args.ticks}: a world runs at least 2 months (its end must come after its start)")
    if args.one:
        print(json.dumps(measure_world(args.one, args.ticks, args.budget_seconds, args.suppliers)))
        return
    if args.state_of:
        print(json.dumps(measure_state(args.state_of, args.ticks, args.suppliers)))
        return

    print(f"chipsim scale benchmark, {time.strftime('%Y-%m-%d')}, {platform.machine()} Python "
          f"{platform.python_version()}, {args.ticks} ticks, budget {args.budget_seconds:.0f} s per world, "
          f"{args.suppliers} suppliers per buyer")
    anchor = args.anchor if args.anchor.exists() else None
    if anchor is None:
        print(f"anchor kernel not found at {args.anchor}: no ratios (give --anchor PATH)")
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size), "--ticks", str(args.ticks), "--budget-seconds",
                   str(args.budget_seconds), "--suppliers", str(args.suppliers)]
        world = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
        print(f"\nS{size // 1000}k: {world['agents']} agents, {world['edges']} edges; generated in "
              f"{world['generate_s']:.2f} s, set up in {world['setup_s']:.2f} s; {world['ticks']} ticks in "
              f"{world['run_s']:.1f} s")
        print(f"  chipsim      {world['ticks_per_s']:10.2f} ticks/s {world['agent_steps_per_s']:12.0f} agent-steps/s "
              f"{world['edge_steps_per_s']:12.0f} edge-steps/s   peak {world['peak_mb']:.0f} MB "
              f"({world['kb_per_agent']:.1f} KB per agent)")
        print(f"  memory: peak {world['peak_mb']:.0f} MB = imports {world['imports_mb']:.0f} + scenario and set-up "
              f"{world['setup_mb'] - world['imports_mb']:.0f} + {world['ticks']} months "
              f"{world['peak_mb'] - world['setup_mb']:.0f} (resident; libraries' pages included)")
        if world["anonymous_mb"] is not None:
            print(f"  resident at the end: {world['anonymous_mb']:.0f} MB anonymous (arrays, objects, heap) + "
                  f"{world['file_mb']:.0f} MB mapped from files (libraries; more right after an install, see "
                  f"_resident_split_mb)")
        state_command = [sys.executable, __file__, "--state-of", str(size), "--ticks", str(args.ticks), "--suppliers",
                         str(args.suppliers)]
        state = json.loads(subprocess.run(state_command, capture_output=True, text=True,
                                          check=True).stdout.splitlines()[-1])
        print(f"  state after set-up (tracemalloc, agents and edges): {state['state_mb']:.1f} MB, "
              f"{state['bytes_per_agent'] / 1024:.2f} KB per agent; set-up's own peak {state['setup_peak_mb']:.1f} MB")
        tick_ns = 1e9 / world["ticks_per_s"]
        print(f"  work per tick: {world['orders_per_tick']:.0f} orders (data centers' and restocking) and "
              f"{world['shipments_per_tick']:.0f} shipments; {tick_ns / max(world['orders_per_tick'], 1):.0f} ns a "
              f"tick per order, against the anchor's one multiply-add per edge")
        shares = sorted(world["phase_share"].items(), key=lambda item: -item[1])
        print("  where the time goes: " + ", ".join(f"{name.strip('_')} {share:.0%}" for name, share in shares[:6]))
        if anchor is None:
            continue
        for impl in ("mesa", "py", "np"):
            result = run_anchor(anchor, impl, size, args.ticks)
            if result is None:
                continue
            ratio = world["ticks_per_s"] / result["ticks_per_s"]
            print(f"  anchor {impl:<5} {result['ticks_per_s']:10.2f} ticks/s {result['agent_steps_per_s']:12.0f} "
                  f"agent-steps/s {result['edge_steps_per_s']:12.0f} edge-steps/s   peak {result['maxrss_mb']:.0f} MB"
                  f"   chipsim/anchor = {ratio:.4f}x")


if __name__ == "__main__":
    main()
