"""The ``chipsim`` command line.

Its arguments and ``main`` are here; the commands are in ``run_commands`` (runs and sweeps) and
``scenario_commands`` (scenario files and their calibration), what they print in ``console``. Files are written
through ``sim.storage`` (atomically). Bad input exits with code 2 and a message that names the file, the key path,
the value and what is allowed.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

from sim.cli.console import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_STORAGE, stderr_console
from sim.cli.run_commands import command_network, command_report, command_run, command_sweep, command_viz
from sim.cli.scenario_commands import (
    FIT_DEFAULTS,
    QUICK_FIT,
    command_calibrate,
    command_project,
    command_sources,
    command_validate,
)
from sim.table_names import TABLES

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_STORAGE", "build_parser", "main"]


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def _number(text: str) -> float:
    """A number typed on the command line; NaN when it is not one (the caller says what was expected)."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def _target_ratio(text: str) -> float:
    value = _number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0 (a US:China ratio, e.g. 10), got {text!r}")
    return value


def _target_lead(text: str) -> float:
    value = _number(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number of months (a US lead, e.g. 12), got {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chipsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", type=Path, help="scenario YAML file, e.g. scenarios/baseline.yaml")
    run.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    run.add_argument("--until", metavar="YYYY-MM", help="last month to simulate (default: the scenario's end)")
    run.add_argument("--out", default="outputs", help="results folder (default: outputs)")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary table")
    run.add_argument("--tables", nargs="*", choices=TABLES, metavar="NAME",
                     help=f"record and write only these tables besides blocs and world, which always are "
                          f"({', '.join(TABLES)}; default: all); large worlds run faster and lighter without the "
                          "per-vendor ones")
    run.set_defaults(handler=command_run)

    sweep = sub.add_parser("sweep", help="run a sweep file: policies x levers x uncertainties x seeds, in parallel")
    sweep.add_argument("sweep", type=Path, help="sweep YAML file, e.g. scenarios/sweeps/quick.yaml")
    sweep.add_argument("--workers", type=_positive_int, default=None,
                       help="parallel workers (default: all cores; at most 4 per core, or 256 on a Dask cluster)")
    sweep.add_argument("--executor", choices=["process", "dask"], default="process",
                       help="process pool (default) or Dask (a LocalCluster, or --scheduler)")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://host:8786 "
                       "(or set DASK_SCHEDULER_ADDRESS)")
    sweep.add_argument("--resume", action="store_true", help="run only the runs not already done")
    sweep.add_argument("--force", action="store_true", help="delete this sweep's existing results and start over")
    sweep.add_argument("--out", default="outputs/sweeps", help="results folder (default: outputs/sweeps)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=command_sweep)

    report = sub.add_parser("report", help="write an HTML report of a sweep's results")
    report.add_argument("sweep_output", type=Path, help="a sweep's output folder, e.g. outputs/sweeps/quick")
    target = report.add_mutually_exclusive_group()
    target.add_argument("--target-ratio", type=_target_ratio, default=None,
                        help="US:China ratio a policy should reach (default 10); a run below it is a failure")
    target.add_argument("--target-lead", type=_target_lead, default=None, metavar="MONTHS",
                        help="US lead in months a policy should keep; a run below it is a failure")
    report.add_argument("--force", action="store_true", help="replace an existing report.html")
    report.set_defaults(handler=command_report)

    network = sub.add_parser("network", help="where compute leaked: hubs, betweenness and the minimum cut of a run")
    network.add_argument("run_folder", type=Path, help="a run's output folder, e.g. outputs/baseline/<run-id>")
    network.add_argument("--top", type=_positive_int, default=10, help="rows per table (default 10)")
    network.add_argument("--force", action="store_true", help="replace an existing network_analysis.png")
    network.set_defaults(handler=command_network)

    viz = sub.add_parser("viz", help="serve the browser visualization on this machine")
    viz.add_argument("scenario", nargs="?", type=Path, default=Path("scenarios/baseline.yaml"))
    viz.add_argument("--port", type=_positive_int, default=8765)
    viz.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    viz.set_defaults(handler=command_viz)

    validate = sub.add_parser("validate", help="check scenario files and say what is wrong")
    validate.add_argument("scenarios", nargs="+", type=Path)
    validate.set_defaults(handler=command_validate)

    calibrate = sub.add_parser("calibrate", help="compare a scenario's 2024-26 figures with the calibration targets")
    calibrate.add_argument("scenario", nargs="?", type=Path, default=Path("scenarios/baseline.yaml"))
    calibrate.add_argument("--seeds", type=_positive_int, default=None,
                           help="number of seeds (default 3; 1 with --quick); a fit runs every candidate on each")
    calibrate.add_argument("--fit", action="store_true",
                           help="estimate the scenario's uncertain: parameters against the targets (resumable)")
    calibrate.add_argument("--budget", type=_positive_int, default=None,
                           help=f"with --fit: the most candidates to evaluate (default {FIT_DEFAULTS['budget']}; "
                                "with --quick, the scenario's own values and one population: 5 per parameter)")
    calibrate.add_argument("--workers", type=_positive_int, default=None,
                           help="with --fit: parallel worker processes (default: all cores)")
    calibrate.add_argument("--keep", type=_positive_int, default=None,
                           help="with --fit: keep up to N parameter sets meeting every target in kept.csv, "
                                "for a sweep's sample_from")
    calibrate.add_argument("--quick", action="store_true",
                           help=f"with --fit: {QUICK_FIT['seeds']} seed and the smallest budget, a Latin hypercube "
                                "search without generations (a check of the machinery rather than a fit)")
    calibrate.add_argument("--out", default="outputs/calibrate",
                           help="with --fit: folder for <scenario>/evaluations.jsonl, fitted.yaml, kept.csv "
                                "(default: outputs/calibrate)")
    calibrate.add_argument("--quiet", action="store_true", help="with --fit: no progress bar")
    calibrate.set_defaults(handler=command_calibrate)

    project = sub.add_parser("project", help="validation and projection tables of the scenario library (markdown)")
    project.add_argument("scenarios", nargs="*", type=Path, help="scenario files (default: scenarios/*.yaml)")
    project.add_argument("--baseline", type=Path, default=Path("scenarios/baseline.yaml"),
                         help="the scenario checked against the calibration targets")
    project.add_argument("--seeds", type=_positive_int, default=3, help="seeds per scenario (default 3)")
    project.add_argument("--kept", type=Path, default=None,
                         help="the parameter sets a fit kept (CSV from `calibrate --fit --keep N`): every run is "
                              "repeated under each, so the bands carry the calibration's uncertainty")
    project.add_argument("--workers", type=_positive_int, default=None, help="processes (default: one per core)")
    project.add_argument("--out", type=Path, default=Path("docs/validation_and_projections.md"))
    project.set_defaults(handler=command_project)
    sources = sub.add_parser("sources", help="list the source ids scenario files can cite")
    sources.set_defaults(handler=command_sources)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from sim.scenario import ScenarioError
    from sim.storage import StorageError

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ScenarioError as error:
        stderr_console().print(f"error: {error}", markup=False)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        stderr_console().print("interrupted: no partial results were kept", markup=False)
        return EXIT_INTERRUPTED
    except StorageError as error:
        stderr_console().print(f"error: {error}", markup=False)
        return EXIT_STORAGE
    except OSError as error:
        stderr_console().print(f"error: {error}", markup=False)
        return 1
