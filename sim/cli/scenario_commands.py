"""Commands on scenario files and their calibration: ``validate``, ``calibrate`` (and ``--fit``), ``project``
and ``sources``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from sim.cli.console import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    progress_bar,
    stderr_console,
    stdout_console,
)
from sim.style import figure, rounded


def command_validate(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError, load_scenario

    failures = 0
    for path in args.scenarios:
        try:
            loaded = load_scenario(path)
        except ScenarioError as error:
            # Text, not markup: messages quote patterns and values such as '^[a-z]...$' or '[/red]' verbatim
            stderr_console().print(Text.assemble(("invalid", "red"), f" {error}"))
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
        stderr_console().print(f"error: {', '.join(given)} only apply with --fit", markup=False)
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
    stdout_console().print(table)
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
    with progress_bar("best loss {task.fields[loss]}, {task.fields[met]} targets met", args.quiet) as progress:
        task = progress.add_task(f"fitting {args.scenario}", total=settings.budget, loss="-", met="-")

        def report(done: int, budget: int, loss: float, met: int) -> None:
            progress.update(task, completed=done, total=budget, loss=f"{loss:.3g}", met=met)

        try:
            outcome = fit_scenario(args.scenario, args.out, settings, progress=report)
        except ScenarioError:
            raise  # reported by main, as every scenario error
        except (SweepBusyError, ValueError) as error:
            stderr_console().print(f"error: {error}", markup=False)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            stderr_console().print(f"interrupted: {RESUME_HINT}", markup=False)
            return EXIT_INTERRUPTED
    for note in outcome.notes:
        stderr_console().print(f"note: {note}", markup=False)
    fitted, kept = write_fit_results(outcome)
    _print_fit(outcome, fitted, kept)
    return EXIT_OK if outcome.met else 1


def _print_fit(outcome, fitted: Path, kept: Path | None) -> None:
    from sim.fit.search import FIT_TARGETS
    from sim.fit.summary import parameter_table, target_table

    console = stdout_console()
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
    with Progress(console=stdout_console(), transient=True) as progress:
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
    stdout_console().print(f"wrote {args.out}", markup=False)
    return EXIT_OK


def command_sources(args: argparse.Namespace) -> int:
    from sim.sources import registry

    table = Table(title="Sources behind scenario numbers (cite these ids)", title_justify="left")
    for column in ("id", "value", "unit", "origin", "confidence"):
        table.add_column(column, overflow="fold")
    for source in registry().values():
        table.add_row(*(Text(str(text)) for text in (source.id, source.value, source.unit, source.origin,
                                                     source.confidence)))
    stdout_console().print(table)
    return EXIT_OK
