"""Commands on runs and sweeps: ``run``, ``sweep``, ``report``, ``network`` and ``viz``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sim.cli.console import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    frame_table,
    progress_bar,
    stderr_console,
    stdout_console,
    usd,
)
from sim.style import compact


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
            friction.add_row(date, f"{row.tools_alignment:.0%}", usd(row.revenue_lost_usd),
                             usd(row.compensation_usd), usd(row.tools_to_china_usd),
                             compact(row.hbm_stacks_to_china), compact(row.china_wafers_per_month),
                             compact(row.china_packaging_wafers_per_month))
        console.print(friction)


def command_run(args: argparse.Namespace) -> int:
    from sim.outputs import write_run_outputs
    from sim.run import resolve_until, run_scenario
    from sim.scenario import load_scenario

    loaded = load_scenario(args.scenario)
    until = resolve_until(loaded.scenario, args.until, origin=str(args.scenario))
    console = stdout_console()
    with progress_bar("{task.fields[date]}", args.quiet) as progress:
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

    with progress_bar("{task.fields[failed]} failed", args.quiet) as progress:
        task = progress.add_task("sweep", total=None, failed=0)

        def report(done: int, failed: int, total: int) -> None:
            progress.update(task, completed=done + failed, total=total, failed=failed)

        try:
            outcome = run_sweep(args.sweep, out=args.out, workers=args.workers, executor=args.executor,
                                scheduler=args.scheduler, resume=args.resume, progress=report, force=args.force)
        except (SweepExistsError, ValueError) as error:
            stderr_console().print(f"error: {error}", markup=False)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            stderr_console().print(
                "interrupted: finished runs are kept; run the same command with --resume to finish the sweep",
                markup=False,
            )
            return EXIT_INTERRUPTED
    for note in outcome.notes:
        stderr_console().print(f"note: {note}", markup=False)
    retry = " - run the same command with --resume to retry them" if outcome.failed else ""
    stdout_console().print(
        f"sweep {outcome.folder.name}: {outcome.total} runs, {outcome.skipped} already done, {outcome.done} ran, "
        f"{outcome.failed} failed (see manifest.jsonl){retry}\nresults: {outcome.folder}", markup=False
    )
    if outcome.done + outcome.skipped:
        stdout_console().print(f"next: chipsim report {outcome.folder}", markup=False)
    return EXIT_OK if outcome.failed == 0 else 1


def command_report(args: argparse.Namespace) -> int:
    from sim.outputs import write_sweep_report
    from sim.sweep.outcomes import Target

    try:
        target = Target(ratio=args.target_ratio, lead_months=args.target_lead)
        page, notes = write_sweep_report(args.sweep_output, target, force=args.force)
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        stderr_console().print(f"error: {error}", markup=False)
        return EXIT_BAD_INPUT
    for note in notes:
        stderr_console().print(f"note: {note}", markup=False)
    stdout_console().print(f"report: {page}", markup=False)
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
        stderr_console().print(f"error: {error}", markup=False)
        return EXIT_BAD_INPUT
    by_item, by_country = diverted_compute(graph)
    hubs = hub_betweenness(graph)
    cut = chokepoints(graph)
    console, top = stdout_console(), args.top
    name = graph.graph.get("name", args.run_folder.name)
    console.print(frame_table(f"{name}: diverted compute by hub country", by_country.head(top),
                               {"country": "country", "h100e": "H100e", "chips": "chips"}))
    console.print(frame_table("Intermediaries that diverted the most", by_item.head(top),
                               {"intermediary": "intermediary", "country": "country", "h100e": "H100e",
                                "chips": "chips"}))
    console.print(frame_table("Transit hubs by flow-weighted betweenness (US vendors to China's data centers)",
                               hubs.head(top), {"intermediary": "intermediary", "country": "country",
                                                "betweenness": "routes through it"}))
    console.print(frame_table(
        f"Minimum cut between the US bloc's vendors and China's data centers: {compact(cut.h100e)} H100e over "
        f"{len(cut.edges)} relationships", cut.edges.head(top),
        {"source": "from", "target": "to", "kind": "kind", "source_country": "from country", "h100e": "H100e"}))
    figure = analysis_figure(graph, by_country, hubs, cut, f"{name}: where compute leaked to China")
    console.print(f"figure: {write_figure(figure, destination, force=args.force)}")
    return EXIT_OK


def command_viz(args: argparse.Namespace) -> int:
    import subprocess

    from sim.scenario import load_scenario
    from sim.viz.serve import page_environment, solara_command

    load_scenario(args.scenario)  # a bad file is reported here, not as a blank page
    stdout_console().print(f"chipsim viz: open http://{args.host}:{args.port} (Ctrl-C to stop)", markup=False)
    try:
        return subprocess.call(solara_command(args.host, args.port), env=page_environment(args.scenario))
    except KeyboardInterrupt:
        return EXIT_OK
