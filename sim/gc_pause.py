"""Pausing Python's cyclic garbage collector around the model's heavy calls (set-up and a month)."""

from __future__ import annotations

import functools
import gc


def without_cyclic_gc(method):
    """Run ``method`` with Python's cyclic garbage collector paused, and back on afterwards.

    Building a world and stepping it create hundreds of thousands of small objects (cohorts, orders, shipments) that
    live on or are freed by reference counting. Each burst of allocations set off the cyclic collector, which walks
    every tracked object of the model, again and again: half the set-up and over a quarter of a tick at 10k agents
    (benchmarks/bench_scale.py). Paused for the call, it runs at most once after it. Results do not change.
    """

    @functools.wraps(method)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return method(*args, **kwargs)
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            gc.enable()

    return paused
