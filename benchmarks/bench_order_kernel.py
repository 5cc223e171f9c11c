"""What compiling would buy: the data centers' monthly ordering, numpy against one compiled C loop, same month.

Ordering (``place_orders``, ``sim/ordering.py``) is the largest phase of a synthetic world's tick. This benchmark runs
a synthetic world (``sim/synthetic.py``) for ``--warm-months`` months, then works out the next month's orders both
ways from the same state: chipsim's numpy path (``plan_orders``: the pool of quoted rows, then a logit over every
data center's offers), and the same rule as one C loop over the offers (``benchmarks/order_kernel.c``, compiled here
with ``cc``), the pool built the same way and the order columns gathered after. It checks that both give the same
orders, column for column, and prints each one's time (median of ``--repeats``), the time per offer row, and the
ratio. Beside it, the anchor kernel (``../shared/bench/anchor_kernel.py``) runs at the same size, to set the
compiled loop's time against the time a whole tick may take under the issue's targets (4x the anchor's Mesa
version, 0.15x its numpy version).

The C loop is not part of chipsim: it is a measurement, for deciding whether chipsim should have a compiled core.

usage: python benchmarks/bench_order_kernel.py [--agents 10000] [--warm-months 300] [--repeats 20]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from bench_scale import DEFAULT_ANCHOR, _synthetic_world, run_anchor

from sim.agents.market import MAX_CHIPS_PER_ORDER, Orders
from sim.installed import SOURCE_DOMESTIC, SOURCE_INDEX, installed_source
from sim.model import ChipSupplyModel
from sim.ordering import _OfferPool, plan_orders
from sim.scenario.fields import BLOCS

KERNEL = Path(__file__).resolve().parent / "order_kernel.c"
INT64 = np.ctypeslib.ndpointer(dtype=np.int64, flags="C_CONTIGUOUS")
FLOAT64 = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
UINT8 = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")


def compile_kernel(build_dir: Path) -> ctypes.CDLL:
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        raise SystemExit(f"no C compiler ({compiler}) on this machine: set CC or install gcc to run this benchmark")
    library = build_dir / "order_kernel.so"
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(KERNEL), "-lm"], check=True)
    kernel = ctypes.CDLL(str(library))
    kernel.plan_orders.restype = ctypes.c_int64
    kernel.plan_orders.argtypes = [ctypes.c_int64, INT64, INT64, INT64, INT64, INT64, FLOAT64, FLOAT64, FLOAT64,
                                   INT64, ctypes.c_int64, UINT8, FLOAT64, ctypes.c_double, FLOAT64, INT64, INT64, INT64]
    return kernel


def model_before_ordering(agents: int, warm_months: int) -> ChipSupplyModel:
    """A synthetic world run ``warm_months`` months, then up to the phase that places the month's orders."""
    model = ChipSupplyModel(_synthetic_world(agents, ticks=warm_months + 2, suppliers=4), seed=0)
    for _ in range(warm_months):
        model.step()
    for phase in model.PHASES[:model.PHASES.index("_place_orders")]:
        getattr(model, phase)()
    if model.rules.promoted_bloc_preference.any() or model.rules.announced_controls:
        raise SystemExit("this month has promoted hardware or an announced ban, which the C loop leaves out: "
                         "choose other --warm-months")
    return model


def kernel_arguments(model: ChipSupplyModel) -> tuple[_OfferPool, tuple]:
    """The month's pool of quoted rows (built as chipsim builds it) and the C loop's arguments over it."""
    pool = _OfferPool(model, model.month)
    routes, chips, blocs = pool.routes, model.chips, len(BLOCS)
    chip_count = len(chips.h100e)
    domestic = installed_source(chips, np.repeat(np.arange(chip_count), blocs), np.tile(np.arange(blocs), chip_count))
    offer_rows = int(pool.block_size[routes.edge_block].sum())
    buffers = (np.empty(offer_rows, dtype=dtype) for dtype in (np.float64, np.int64, np.int64, np.int64))
    return pool, (len(routes.edge_block), routes.edge_block, routes.edge_center, pool.block_start, pool.block_size,
                  np.asarray(pool.chip, dtype=np.int64), np.asarray(pool.price, dtype=np.float64),
                  model.center_arrays.cash_usd,
                  1.0 - model.center_arrays.home_vendor_preference,
                  np.asarray(model.center_arrays.owner_bloc_code, dtype=np.int64),
                  blocs, (domestic == SOURCE_INDEX[SOURCE_DOMESTIC]).astype(np.uint8),
                  np.asarray(chips.h100e, dtype=np.float64), float(model.params.buyer_price_sensitivity), *buffers)


def compiled_orders(model: ChipSupplyModel, kernel: ctypes.CDLL) -> Orders:
    """The month's orders by the C loop, the order columns gathered after it as chipsim gathers them."""
    pool, arguments = kernel_arguments(model)
    placed = kernel.plan_orders(*arguments)
    route, pool_row, quantity = (column[:placed] for column in arguments[-3:])
    routes = pool.routes
    return Orders(buyer=model.network.center_node[routes.edge_center[route]], seller=routes.edge_seller[route],
                  edge=routes.edge_network[route], seller_cell=pool.cell[pool_row], chip=pool.chip[pool_row],
                  requested=np.minimum(quantity, MAX_CHIPS_PER_ORDER), unit_price_usd=pool.price[pool_row])


def median_seconds(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10000)
    parser.add_argument("--warm-months", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--anchor", type=Path, default=DEFAULT_ANCHOR)
    args = parser.parse_args()
    print(f"# bench_order_kernel {date.today()} on {platform.node()} ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores), python {platform.python_version()}, numpy {np.__version__}")
    with tempfile.TemporaryDirectory() as build_dir:
        kernel = compile_kernel(Path(build_dir))
        model = model_before_ordering(args.agents, args.warm_months)
        expected = plan_orders(model, model.month)
        compiled = compiled_orders(model, kernel)
        _pool, arguments = kernel_arguments(model)
        offer_rows = len(arguments[-1])
        differing = [name for name in Orders.column_names()
                     if not np.array_equal(getattr(expected, name), getattr(compiled, name))]
        verdict = "the same, column for column" if not differing else f"NOT the same in {differing}"
        print(f"S{args.agents // 1000}k, month {args.warm_months + 1}: {offer_rows} offer rows, {len(expected)} "
              f"orders; the C loop's orders are {verdict}")
        timings = {"numpy (plan_orders)": median_seconds(lambda: plan_orders(model, model.month), args.repeats),
                   "C loop with the pool and columns": median_seconds(lambda: compiled_orders(model, kernel),
                                                                        args.repeats),
                   "C loop alone": median_seconds(lambda: kernel.plan_orders(*arguments), args.repeats),
                   "the pool of quoted rows (both build it)": median_seconds(
                       lambda: _OfferPool(model, model.month), args.repeats)}
        numpy_s = timings["numpy (plan_orders)"]
        for name, seconds in timings.items():
            print(f"  {name:<40} {1000 * seconds:7.2f} ms  {1e9 * seconds / offer_rows:6.1f} ns an offer row   "
                  f"numpy/this = {numpy_s / seconds:5.2f}x")
    loop_s = timings["C loop alone"]
    if not args.anchor.exists():
        print(f"anchor kernel not found at {args.anchor}: no tick budgets (give --anchor PATH)")
        return
    for impl, target in (("mesa", 4.0), ("np", 0.15)):
        anchor = run_anchor(args.anchor, impl, args.agents, 520)
        if anchor is None:
            continue
        budget_s = 1.0 / (target * anchor["ticks_per_s"])
        print(f"  anchor {impl:<4} {anchor['ticks_per_s']:8.1f} ticks/s: {target}x of it allows "
              f"{1000 * budget_s:.2f} ms for a whole tick; the C loop alone takes {loop_s / budget_s:.2f}x that")


if __name__ == "__main__":
    main()
