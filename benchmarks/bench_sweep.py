"""Benchmark of sweeps: parallel throughput, and memory of workers and driver as runs pile up.

Prints runs per minute with 1 and with 2 workers (and the ratio; the target is at least 1.8x), the resident memory
of one worker process over 50 consecutive runs of the baseline (it should stay flat, under 300 MB), and the driver's
resident memory before and after a sweep (it should not grow with the number of runs: results stream to disk).

With ``--synthetic N``, the runs are of the synthetic world of N agents (``sim/synthetic.py``, as in bench_scale.py)
for ``--ticks`` months, on 2 workers: the sweep throughput at scale.

usage: python benchmarks/bench_sweep.py [--runs 24] [--until 2027-12]
       python benchmarks/bench_sweep.py --synthetic 10000 --runs 4 [--ticks 520]
"""

from __future__ import annotations

import argparse
import gc
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

from sim.sweep import run_sweep
from sim.sweep.execute import execute_run
from sim.sweep.inputs import load_sweep
from sim.sweep.plan import plan_runs
from sim.synthetic import synthetic_scenario

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"


def rss_mb() -> float:
    """Current resident memory of this process (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as stream:
        pages = int(stream.read().split()[1])
    return pages * 4096 / 2**20


def sweep_file(folder: Path, seeds: int, until: str, base: Path = BASELINE) -> Path:
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump({"name": "bench", "base": str(base), "seeds": seeds, "until": until}))
    return path


def measure_synthetic(agents: int, runs: int, ticks: int) -> None:
    """Runs per minute of a sweep of the synthetic world on 2 workers."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = synthetic_scenario(agents, ticks=ticks)
        base = folder / "synthetic.yaml"
        base.write_text(yaml.safe_dump(raw))
        path = sweep_file(folder, runs, raw["end"], base)
        started = time.perf_counter()
        outcome = run_sweep(path, out=folder / "out", workers=2)
        elapsed = time.perf_counter() - started
        per_run = elapsed * 2 / max(outcome.done, 1)  # seconds of one worker
        print(f"2 workers: {outcome.done} runs of the synthetic world of {agents} agents, {ticks} months each, in "
              f"{elapsed:.1f} s = {outcome.done / elapsed * 60:.2f} runs/min ({per_run:.1f} s of one worker per run; "
              "target >= 30 runs/min at 10k agents)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24)
    parser.add_argument("--until", default="2027-12")
    parser.add_argument("--synthetic", type=int, help="agents: sweep the synthetic world of this size instead")
    parser.add_argument("--ticks", type=int, default=520, help="months per synthetic run")
    args = parser.parse_args()
    print(f"chipsim sweep benchmark, {date.today()}, {platform.machine()}, Python {platform.python_version()}")
    if args.synthetic:
        measure_synthetic(args.synthetic, args.runs, args.ticks)
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = sweep_file(folder, args.runs, args.until)
        rates, steady = {}, {}
        for workers in (1, 2):
            finished: list[float] = []

            def note_finish(done: int, failed: int, total: int, finished: list[float] = finished) -> None:
                finished.append(time.perf_counter())

            started = time.perf_counter()
            outcome = run_sweep(path, out=folder / f"w{workers}", workers=workers, progress=note_finish)
            elapsed = time.perf_counter() - started
            rates[workers] = outcome.done / elapsed * 60
            # Steady state: from the first finished run to the last, so worker start-up (imports) is left out.
            steady[workers] = (outcome.done - 1) / (finished[-2] - finished[0]) * 60
            print(f"{workers} worker(s): {outcome.done} baseline runs to {args.until} in {elapsed:.1f} s "
                  f"= {rates[workers]:.1f} runs/min end to end, {steady[workers]:.1f} runs/min steady")
        print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x end to end, {steady[2] / steady[1]:.2f}x steady "
              "(target >= 1.8x)")

        runs = plan_runs(load_sweep(sweep_file(folder, 50, args.until)))
        samples = {}
        for index, run in enumerate(runs, start=1):
            outcome = execute_run(run)
            assert outcome["status"] == "ok", outcome.get("error")
            del outcome
            gc.collect()
            if index in (1, 10, 25, 50):
                samples[index] = rss_mb()
        print("worker memory over 50 consecutive runs (MB): "
              + ", ".join(f"run {k}: {v:.0f}" for k, v in samples.items())
              + f"; growth from run 10 to 50: {samples[50] - samples[10]:+.1f} MB (target: flat, < 300 MB)")

        before = rss_mb()
        driver_samples = []
        run_sweep(sweep_file(folder, 60, "2025-12"), out=folder / "driver", workers=2,
                  progress=lambda done, failed, total: driver_samples.append(rss_mb()))
        print(f"driver memory over a 60-run sweep (MB): before {before:.0f}, after 10 runs {driver_samples[9]:.0f}, "
              f"after 60 runs {driver_samples[-1]:.0f} (target: no growth with the number of runs)")


if __name__ == "__main__":
    main()
