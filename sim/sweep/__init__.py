"""Batch sweeps that compare policies under uncertainty: sweep files, sampling, parallel execution, results."""

from sim.sweep.findings import SweepFindings, analyse_sweep
from sim.sweep.inputs import load_sweep
from sim.sweep.runner import SweepOutcome, run_model, run_sweep
from sim.sweep.spec import SweepSpec

__all__ = ["SweepFindings", "SweepOutcome", "SweepSpec", "analyse_sweep", "load_sweep", "run_model", "run_sweep"]
