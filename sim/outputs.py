"""What a run and a sweep report write, composed from the figures and pages chipsim renders and written through
``sim.storage`` (atomically: complete or not at all). The CLI is the only caller; this module sits above the
renderers (``sim.report``, ``sim.sweep``) and below the CLI, so ``sim.storage`` stays a layer of file operations that
imports nothing of chipsim's.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import yaml

from sim.storage import atomic_write_bytes, writing_to


def _run_id(seed: int, resolved_sha256: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-seed{seed}-{resolved_sha256[:8]}-{uuid.uuid4().hex[:4]}"


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def write_run_outputs(result, loaded, out_root: Path) -> Path:
    """Write a run's tables, figure, resolved scenario and summary.json atomically; return the final folder."""
    scenario = result.scenario
    run_dir = out_root / scenario.name / _run_id(result.seed, loaded.resolved_sha256)
    if run_dir.exists():
        raise FileExistsError(f"{run_dir} already exists; results are never overwritten")
    partial = run_dir.with_name(f".{run_dir.name}.partial")
    with writing_to(out_root, "Nothing was kept: free space or choose another folder (--out) and run again."):
        partial.mkdir(parents=True)
        try:
            _fill_run_folder(partial, result, loaded)
            os.replace(partial, run_dir)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return run_dir


def _fill_run_folder(partial: Path, result, loaded) -> None:
    """Write a run's files into its hidden ``.partial`` folder (the caller removes it if anything fails)."""
    from sim.provenance import environment
    from sim.report import compute_figure, summary_table

    scenario = result.scenario
    for name, frame in result.tables.items():
        frame.to_parquet(partial / f"{name}.parquet", index=False)
        frame.to_csv(partial / f"{name}.csv", index=False)
    (partial / "scenario.resolved.yaml").write_text(
        yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    figure = compute_figure(result)
    figure.savefig(partial / "compute_by_bloc.png", dpi=120)
    if result.network is not None:
        nx.write_graphml(result.network.to_graph(), partial / "network.graphml")
    last = summary_table(result).iloc[-1]
    summary = {
        "scenario": scenario.name,
        "scenario_file": str(loaded.path) if loaded.path else None,
        "scenario_file_sha256": loaded.file_sha256,
        "resolved_scenario_sha256": loaded.resolved_sha256,
        "overrides": loaded.overrides,
        "seed": result.seed,
        "start": scenario.start,
        "until": result.until,
        "months": len(result.world),
        "tables": list(result.tables),
        "wall_time_s": round(result.wall_time_s, 4),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "final": {
            "date": result.until,
            "us_allies_h100e": float(last.us_allies_h100e),
            "china_h100e": float(last.china_h100e),
            "rest_h100e": float(last.rest_h100e),
            "us_china_ratio": float(last.us_china_ratio),
            "lead_months": float(last.lead_months),
        },
        "provenance": environment(),
        "files": sorted(p.name for p in partial.iterdir()) + ["summary.json"],
    }
    # summary.json is written last: its presence marks a complete result.
    _write_json(partial / "summary.json", summary)


def write_sweep_report(folder: Path, target, destination: Path | None = None,
                       force: bool = False) -> tuple[Path, list[str]]:
    """Build the sweep's HTML report from its results and write it (atomically) into the sweep folder; return where,
    and notes on damaged files that were left out. ``target`` is a ``sim.sweep.outcomes.Target``. An existing report
    is replaced only with ``force``."""
    from sim.provenance import environment
    from sim.sweep.findings import analyse_sweep
    from sim.sweep.report import render_html

    folder = Path(folder)
    destination = destination or folder / "report.html"
    if destination.exists() and not force:
        raise FileExistsError(f"{destination} already exists; use --force to replace it")
    findings = analyse_sweep(folder, target)
    page = render_html(findings, environment())
    with writing_to(destination.parent, "The previous report, if any, is untouched."):
        atomic_write_bytes(destination, page.encode("utf-8"))
    return destination, findings.notes


def read_run_network(run_folder: Path):
    """The trade network a run wrote (``network.graphml``), as a networkx graph; FileNotFoundError or ValueError
    saying what is wrong with the folder or the file."""
    path = Path(run_folder) / "network.graphml"
    if not Path(run_folder).is_dir():
        raise FileNotFoundError(f"{run_folder}: no such run folder (chipsim run writes one per run under outputs/)")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found; is {run_folder} a run folder written by chipsim run?")
    try:
        return nx.read_graphml(path)
    except Exception as error:  # noqa: BLE001 - the XML parser's and networkx's errors alike: say which file
        raise ValueError(f"{path}: not a readable GraphML file ({type(error).__name__}: {error})") from None


def write_figure(figure, path: Path, force: bool = False) -> Path:
    """Save a matplotlib figure as PNG, atomically; an existing file is replaced only with ``force``."""

    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; add --force to replace it")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    with writing_to(path.parent, "Nothing was written."):
        atomic_write_bytes(path, buffer.getvalue())
    return path


def write_projections(path: Path, command: str, over: str, figures: list[dict[str, float]], runs) -> Path:
    """The validation and projection tables (``chipsim project``) as one markdown page, written atomically;
    ``figures`` are the calibration runs' target figures, ``runs`` the library's rows."""
    from sim.projections import projections_page

    page = projections_page(command, datetime.now(UTC).date().isoformat(), over, figures, runs)
    with writing_to(Path(path).parent, "The previous page, if any, is untouched."):
        atomic_write_bytes(Path(path), page.encode("utf-8"))
    return Path(path)


FITTED_SCENARIO_FILE = "fitted.yaml"
KEPT_SETS_FILE = "kept.csv"


def write_fit_results(outcome) -> tuple[Path, Path | None]:
    """Write a fit's scenario (``fitted.yaml``, extending the original) and, if sets were kept, ``kept.csv`` into the
    fit's folder, atomically; return their paths. Both are rebuilt from the checkpoint by every fit, so they are
    replaced."""
    from sim.fit.summary import fitted_scenario, kept_table

    folder = outcome.folder
    fitted = folder / FITTED_SCENARIO_FILE
    kept = folder / KEPT_SETS_FILE if outcome.settings.keep else None
    text = "# Written by chipsim calibrate --fit; run it with chipsim run, or check it with chipsim calibrate.\n"
    text += yaml.safe_dump(fitted_scenario(outcome, folder), sort_keys=False, allow_unicode=True, width=120)
    with writing_to(folder, "The evaluations are kept in evaluations.jsonl: run the same command again."):
        atomic_write_bytes(fitted, text.encode("utf-8"))
        if kept is not None:
            atomic_write_bytes(kept, kept_table(outcome).to_csv(index=False).encode("utf-8"))
    return fitted, kept
