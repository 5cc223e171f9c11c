"""Batch sweeps that compare policies under uncertainty: sweep files, sampling, parallel execution, results."""

from sim.sweep.inputs import load_sweep
from sim.sweep.runner import SweepOutcome, run_model, run_sweep
from sim.sweep.spec import SweepSpec

__all__ = ["SweepOutcome", "SweepSpec", "load_sweep", "run_model", "run_sweep"]
