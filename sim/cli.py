"""The ``chipsim`` command line.

Files are written through ``sim.storage`` (atomically). Bad input exits with code 2 and a message that names the
file, the key path, the value and what is allowed.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from sim.style import compact, figure, rounded
from sim.table_names import TABLES

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_STORAGE = 3  # results could not be written (disk full, read-only folder): the message says what was kept
EXIT_INTERRUPTED = 130

TABLE_FORMATS = ("parquet", "csv")


PIPE_WIDTH = 160  # rich assumes 80 columns when output is not a terminal; tables read better wider in logs


def _console() -> Console:
    return Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)


def _error_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _progress_bar(detail: str, quiet: bool) -> Progress:
    """A progress bar on stderr (so tables on stdout stay clean) that disappears when done."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(detail),
        TimeRemainingColumn(),
        console=_error_console(),
        transient=True,
        disable=quiet,
    )


def _usd(value: float) -> str:
    """Dollars as an analyst reads them: billions as '2.50B', less as compact() has it."""
    return f"{value / 1e9:,.2f}B" if abs(value) >= 1e9 else compact(value)


def _print_summary(console: Console, result) -> None:
    from sim.report import alliance_table, china_sources_table, summary_table

    table = Table(title=f"{result.scenario.name}, seed {result.seed}: effective compute in H100e", title_justify="left")
    for column in ("date", "US+allies", "China", "Rest", "US:China", "lead (months)"):
        table.add_column(column, justify="right")
    for date, row in summary_table(result).iterrows():
        table.add_row(
            date,
            compact(row.us_allies_h100e),
            compact(row.china_h100e),
            compact(row.rest_h100e),
            f"{row.us_china_ratio:,.1f}x",
            f"{row.lead_months:,.1f}",
        )
    console.print(table)
    sources = china_sources_table(result)
    by_source = Table(title="China's effective compute by source, H100e", title_justify="left")
    by_source.add_column("date", justify="right")
    for name in sources.columns:
        by_source.add_column(name.replace("_", " "), justify="right")
    for date, row in sources.iterrows():
        by_source.add_row(date, *(compact(value) for value in row))
    console.print(by_source)
    allies = alliance_table(result)
    if allies is not None:
        friction = Table(title="Allies (year to date, USD and HBM stacks) and China's capacity (a month)",
                         title_justify="left")
        for column in ("date", "tools aligned", "allies lost", "US paid back", "tools to China", "HBM to China",
                       "China wafers", "China packaging"):
            friction.add_column(column, justify="right")
        for date, row in allies.iterrows():
            friction.add_row(date, f"{row.tools_alignment:.0%}", _usd(row.revenue_lost_usd),
                             _usd(row.compensation_usd), _usd(row.tools_to_china_usd),
                             compact(row.hbm_stacks_to_china), compact(row.china_wafers_per_month),
                             compact(row.china_packaging_wafers_per_month))
        console.print(friction)


def command_run(args: argparse.Namespace) -> int:
    from sim.outputs import write_run_outputs
    from sim.run import resolve_until, run_scenario
    from sim.scenario import load_scenario

    loaded = load_scenario(args.scenario)
    until = resolve_until(loaded.scenario, args.until, origin=str(args.scenario))
    console = _console()
    with _progress_bar("{task.fields[date]}", args.quiet) as progress:
        task = progress.add_task(f"running {loaded.scenario.name}", total=None, date="")

        def report(done: int, total: int, date: str) -> None:
            progress.update(task, completed=done, total=total, date=date)

        result = run_scenario(loaded, seed=args.seed, until=until, progress=report, tables=args.tables)
    run_dir = write_run_outputs(result, loaded, Path(args.out))
    if not args.quiet:
        _print_summary(console, result)
    console.print(f"results: {run_dir}  ({result.wall_time_s:.2f} s of model time)", markup=False)
    return EXIT_OK


def command_sweep(args: argparse.Namespace) -> int:
    from sim.sweep.runner import SweepExistsError, run_sweep

    with _progress_bar("{task.fields[failed]} failed", args.quiet) as progress:
        task = progress.add_task("sweep", total=None, failed=0)

        def report(done: int, failed: int, total: int) -> None:
            progress.update(task, completed=done + failed, total=total, failed=failed)

        try:
            outcome = run_sweep(args.sweep, out=args.out, workers=args.workers, executor=args.executor,
                                scheduler=args.scheduler, resume=args.resume, progress=report, force=args.force)
        except (SweepExistsError, ValueError) as error:
            _error_console().print(f"error: {error}", markup=False)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            _error_console().print(
                "interrupted: finished runs are kept; run the same command with --resume to finish the sweep",
                markup=False,
            )
            return EXIT_INTERRUPTED
    for note in outcome.notes:
        _error_console().print(f"note: {note}", markup=False)
    retry = " - run the same command with --resume to retry them" if outcome.failed else ""
    _console().print(
        f"sweep {outcome.folder.name}: {outcome.total} runs, {outcome.skipped} already done, {outcome.done} ran, "
        f"{outcome.failed} failed (see manifest.jsonl){retry}\nresults: {outcome.folder}", markup=False
    )
    if outcome.done + outcome.skipped:
        _console().print(f"next: chipsim report {outcome.folder}", markup=False)
    return EXIT_OK if outcome.failed == 0 else 1


def command_report(args: argparse.Namespace) -> int:
    from sim.outputs import write_sweep_report
    from sim.sweep.outcomes import Target

    try:
        target = Target(ratio=args.target_ratio, lead_months=args.target_lead)
        page, notes = write_sweep_report(args.sweep_output, target, force=args.force)
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        _error_console().print(f"error: {error}", markup=False)
        return EXIT_BAD_INPUT
    for note in notes:
        _error_console().print(f"note: {note}", markup=False)
    _console().print(f"report: {page}", markup=False)
    return EXIT_OK


def command_network(args: argparse.Namespace) -> int:
    from sim.network_analysis import analysis_figure, chokepoints, diverted_compute, hub_betweenness
    from sim.outputs import read_run_network, write_figure

    try:
        graph = read_run_network(args.run_folder)
        destination = args.run_folder / "network_analysis.png"
        if destination.exists() and not args.force:
            raise FileExistsError(f"{destination} exists; add --force to replace it")
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        _error_console().print(f"error: {error}", markup=False)
        return EXIT_BAD_INPUT
    by_item, by_country = diverted_compute(graph)
    hubs = hub_betweenness(graph)
    cut = chokepoints(graph)
    console, top = _console(), args.top
    name = graph.graph.get("name", args.run_folder.name)
    console.print(_frame_table(f"{name}: diverted compute by hub country", by_country.head(top),
                               {"country": "country", "h100e": "H100e", "chips": "chips"}))
    console.print(_frame_table("Intermediaries that diverted the most", by_item.head(top),
                               {"intermediary": "intermediary", "country": "country", "h100e": "H100e",
                                "chips": "chips"}))
    console.print(_frame_table("Transit hubs by flow-weighted betweenness (US vendors to China's data centers)",
                               hubs.head(top), {"intermediary": "intermediary", "country": "country",
                                                "betweenness": "routes through it"}))
    console.print(_frame_table(
        f"Minimum cut between the US bloc's vendors and China's data centers: {compact(cut.h100e)} H100e over "
        f"{len(cut.edges)} relationships", cut.edges.head(top),
        {"source": "from", "target": "to", "kind": "kind", "source_country": "from country", "h100e": "H100e"}))
    figure = analysis_figure(graph, by_country, hubs, cut, f"{name}: where compute leaked to China")
    console.print(f"figure: {write_figure(figure, destination, force=args.force)}")
    return EXIT_OK


def _frame_table(title: str, frame, columns: dict[str, str]) -> Table:
    """A rich table of ``frame``'s ``columns`` (name -> heading); numbers compact, text as it is."""
    table = Table(title=title, title_justify="left", min_width=min(len(title), PIPE_WIDTH))
    for heading in columns.values():
        table.add_column(heading, justify="left" if heading in ("from", "to", "intermediary", "country") else "right")
    for row in frame.itertuples(index=False):
        values = row._asdict()
        table.add_row(*(compact(values[name]) if isinstance(values[name], (int, float)) else str(values[name])
                        for name in columns))
    if frame.empty:
        table.add_row(*(["(none)"] + [""] * (len(columns) - 1)))
    return table


def command_viz(args: argparse.Namespace) -> int:
    import subprocess

    from sim.scenario import load_scenario
    from sim.viz.serve import page_environment, solara_command

    load_scenario(args.scenario)  # a bad file is reported here, not as a blank page
    _console().print(f"chipsim viz: open http://{args.host}:{args.port} (Ctrl-C to stop)", markup=False)
    try:
        return subprocess.call(solara_command(args.host, args.port), env=page_environment(args.scenario))
    except KeyboardInterrupt:
        return EXIT_OK


def command_validate(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError, load_scenario

    failures = 0
    for path in args.scenarios:
        try:
            loaded = load_scenario(path)
        except ScenarioError as error:
            # Text, not markup: messages quote patterns and values such as '^[a-z]...$' or '[/red]' verbatim
            _error_console().print(Text.assemble(("invalid", "red"), f" {error}"))
            failures += 1
            continue
        scenario = loaded.scenario
        enabled = sum(policy.enabled for policy in scenario.policies)
        print(
            f"ok {path}: scenario {scenario.name!r}, {scenario.start} to {scenario.end}, "
            f"{len(scenario.countries)} countries, {len(scenario.catalog)} chips, {enabled} policies in use"
        )
    return EXIT_BAD_INPUT if failures else EXIT_OK


def command_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration import LAST_MONTH_NEEDED, check, require_horizon
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    if args.fit:
        return _calibrate_fit(args)
    given = [option for option, value in (("--budget", args.budget), ("--keep", args.keep),
                                          ("--workers", args.workers), ("--quick", args.quick)) if value]
    if given:
        _error_console().print(f"error: {', '.join(given)} only apply with --fit", markup=False)
        return EXIT_BAD_INPUT
    loaded = load_scenario(args.scenario)
    require_horizon(loaded.scenario, str(args.scenario))
    seeds = args.seeds or FIT_DEFAULTS["seeds"]
    results = [run_scenario(loaded, seed=seed, until=LAST_MONTH_NEEDED) for seed in range(seeds)]
    report = check(results)
    table = Table(title=f"{loaded.scenario.name}: model vs calibration targets ({seeds} seeds)",
                  title_justify="left")
    for column in ("target", "source", "model (median)", "model range", "target range", ""):
        table.add_column(column, overflow="fold")
    for row in report.itertuples():
        table.add_row(
            Text(row.description), Text(row.source), figure(row.model_median, row.unit),
            f"{figure(row.model_min, row.unit)} to {figure(row.model_max, row.unit)}",
            f"{figure(row.low, row.unit)} to {figure(row.high, row.unit)}",
            ("ok" if row.ok else "out (info)") if row.informational
            else ("[green]ok[/green]" if row.ok else "[red]OUT[/red]"),
        )
    _console().print(table)
    return EXIT_OK if report.loc[~report["informational"], "ok"].all() else 1


# 400 candidates: about 8 generations of 50 for the baseline's 10 uncertain parameters (5 a parameter); 3 seeds tame
# the runs' noise
FIT_DEFAULTS = {"seeds": 3, "budget": 400}
# A check of the whole machinery, for CI: one seed, the scenario's own values and one Latin hypercube population
# (budget None: the smallest a fit takes).
QUICK_FIT = {"seeds": 1, "budget": None}


def _calibrate_fit(args: argparse.Namespace) -> int:
    from sim.fit.search import RESUME_HINT, FitSettings, fit_scenario
    from sim.outputs import write_fit_results
    from sim.scenario import ScenarioError
    from sim.sweep.lock import SweepBusyError

    defaults = QUICK_FIT if args.quick else FIT_DEFAULTS
    settings = FitSettings(seeds=args.seeds or defaults["seeds"], budget=args.budget or defaults["budget"],
                           workers=args.workers, keep=args.keep or 0)
    with _progress_bar("best loss {task.fields[loss]}, {task.fields[met]} targets met", args.quiet) as progress:
        task = progress.add_task(f"fitting {args.scenario}", total=settings.budget, loss="-", met="-")

        def report(done: int, budget: int, loss: float, met: int) -> None:
            progress.update(task, completed=done, total=budget, loss=f"{loss:.3g}", met=met)

        try:
            outcome = fit_scenario(args.scenario, args.out, settings, progress=report)
        except ScenarioError:
            raise  # reported by main, as every scenario error
        except (SweepBusyError, ValueError) as error:
            _error_console().print(f"error: {error}", markup=False)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            _error_console().print(f"interrupted: {RESUME_HINT}", markup=False)
            return EXIT_INTERRUPTED
    for note in outcome.notes:
        _error_console().print(f"note: {note}", markup=False)
    fitted, kept = write_fit_results(outcome)
    _print_fit(outcome, fitted, kept)
    return EXIT_OK if outcome.met else 1


def _print_fit(outcome, fitted: Path, kept: Path | None) -> None:
    from sim.fit.search import FIT_TARGETS
    from sim.fit.summary import parameter_table, target_table

    console = _console()
    parameters = Table(title=f"{outcome.scenario.name}: fitted values ({outcome.settings.seeds} seeds per candidate)",
                       title_justify="left")
    for column in ("key path", "range", "scenario", "fitted", ""):
        parameters.add_column(column, overflow="fold")
    for row in parameter_table(outcome).itertuples():
        parameters.add_row(Text(row.path), f"{rounded(row.low)} to {rounded(row.high)} ({row.scale})",
                           rounded(row.scenario), rounded(row.fitted), row.note)
    console.print(parameters)
    # The fit holds every seed to the band (stricter than `chipsim calibrate`'s median), so the verdict says so.
    targets = Table(title="calibration targets at the fitted values", title_justify="left")
    for column in ("target", "model (median)", "model range", "target range", "every seed in band", "why"):
        targets.add_column(column, overflow="fold")
    for row in target_table(outcome).itertuples():
        verdict = (("ok" if row.ok else "out (info)") if row.informational
                   else ("[green]ok[/green]" if row.ok else "[red]OUT[/red]"))
        targets.add_row(Text(row.description), figure(row.model_median, row.unit),
                        f"{figure(row.model_min, row.unit)} to {figure(row.model_max, row.unit)}",
                        f"{figure(row.low, row.unit)} to {figure(row.high, row.unit)}", verdict, Text(row.why))
    console.print(targets)
    best, reference = outcome.best, outcome.reference
    lines = [
        f"fit: loss {best['loss']:.3g}, {best['targets_met']} of {FIT_TARGETS} targets met on every seed "
        f"(the scenario as written: loss {reference['loss']:.3g}, {reference['targets_met']} met); "
        f"{outcome.asked} of {outcome.budget} evaluations, {outcome.ran} run now, "
        f"{outcome.asked - outcome.ran} from the checkpoint; {outcome.wall_time_s:.0f} s",
        f"fitted scenario: {fitted}",
        f"evaluations: {outcome.folder / 'evaluations.jsonl'}",
    ]
    if kept is not None:
        lines.append(f"kept {len(outcome.kept)} of {outcome.settings.keep} sets meeting every target: {kept}")
    console.print("\n".join(lines), markup=False)



def command_project(args: argparse.Namespace) -> int:
    import os

    from rich.progress import Progress

    from sim.calibration import require_horizon
    from sim.outputs import write_projections
    from sim.projections import library_runs, read_kept_sets, validation_figures
    from sim.scenario import load_scenario

    paths = sorted(args.scenarios) if args.scenarios else sorted(Path("scenarios").glob("*.yaml"))
    kept_sets = read_kept_sets(args.kept) if args.kept else []
    require_horizon(load_scenario(args.baseline).scenario, str(args.baseline))
    for path in [args.baseline, *paths]:
        for overrides in kept_sets or [{}]:
            load_scenario(path, overrides)  # every bad file, and every kept set a scenario cannot take, before any run
    workers = args.workers or os.cpu_count() or 1
    runs_per_scenario = args.seeds * max(1, len(kept_sets))
    with Progress(console=_console(), transient=True) as progress:
        calibration = progress.add_task("calibration runs", total=runs_per_scenario)
        figures = validation_figures(args.baseline, args.seeds, kept_sets, workers,
                                     lambda done: progress.update(calibration, completed=done))
        library = progress.add_task(f"{len(paths)} scenarios x {runs_per_scenario} runs",
                                    total=len(paths) * runs_per_scenario)
        runs = library_runs(paths, args.seeds, kept_sets, workers,
                            lambda done: progress.update(library, completed=done))
    command = f"chipsim project --seeds {args.seeds}" + (f" --kept {args.kept}" if kept_sets else "")
    over = (f"{args.seeds} seed{'s' * (args.seeds != 1)}"
            + (f" x {len(kept_sets)} kept parameter sets ({args.kept})" if kept_sets else ""))
    write_projections(args.out, command, over, figures, runs)
    _console().print(f"wrote {args.out}", markup=False)
    return EXIT_OK


def command_sources(args: argparse.Namespace) -> int:
    from sim.sources import registry

    table = Table(title="Sources behind scenario numbers (cite these ids)", title_justify="left")
    for column in ("id", "value", "unit", "origin", "confidence"):
        table.add_column(column, overflow="fold")
    for source in registry().values():
        table.add_row(*(Text(str(text)) for text in (source.id, source.value, source.unit, source.origin,
                                                     source.confidence)))
    _console().print(table)
    return EXIT_OK


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
        _error_console().print(f"error: {error}", markup=False)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error_console().print("interrupted: no partial results were kept", markup=False)
        return EXIT_INTERRUPTED
    except StorageError as error:
        _error_console().print(f"error: {error}", markup=False)
        return EXIT_STORAGE
    except OSError as error:
        _error_console().print(f"error: {error}", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
