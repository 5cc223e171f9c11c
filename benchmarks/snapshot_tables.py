"""Every table of every shipped scenario (and of a synthetic world), written to a folder or compared with one.

A refactor that promises "results unchanged" proves it with this: snapshot before, snapshot after, compare. Tables are
compared bit for bit (same columns, dtypes, index and values; NaN equal to NaN).

    .venv/bin/python benchmarks/snapshot_tables.py write /tmp/before            # on the commit before
    .venv/bin/python benchmarks/snapshot_tables.py compare /tmp/before          # on the change
    ... --seeds 2 5 --synthetic 1000 --synthetic-months 48 --scenarios scenarios/tight.yaml
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _worlds(args: argparse.Namespace):
    """(name, scenario) for each shipped scenario file and the synthetic world."""
    from sim.scenario import load_scenario, validate
    from sim.synthetic import synthetic_scenario

    files = [Path(f) for f in args.scenarios] if args.scenarios else sorted((REPO / "scenarios").glob("*.yaml"))
    for path in files:
        yield path.stem, load_scenario(path).scenario
    if args.synthetic:
        raw = synthetic_scenario(args.synthetic, ticks=args.synthetic_months)
        yield f"synthetic_{args.synthetic}", validate(raw, "synthetic")


def _snapshot(args: argparse.Namespace, folder: Path) -> int:
    from sim.run import run_scenario

    count = 0
    for name, scenario in _worlds(args):
        for seed in args.seeds:
            result = run_scenario(scenario, seed=seed)
            target = folder / f"{name}-seed{seed}"
            target.mkdir(parents=True, exist_ok=True)
            for table, frame in result.tables.items():
                frame.to_pickle(target / f"{table}.pkl")  # pickle keeps every dtype and index exactly
                count += 1
    return count


def _compare(before: Path, after: Path) -> list[str]:
    differences = []
    files = sorted(p.relative_to(before) for p in before.rglob("*.pkl"))
    if not files:
        return [f"{before}: no tables to compare"]
    for relative in files:
        other = after / relative
        if not other.exists():
            differences.append(f"{relative}: missing after")
            continue
        old, new = pd.read_pickle(before / relative), pd.read_pickle(other)
        try:
            pd.testing.assert_frame_equal(old, new, check_exact=True)
        except AssertionError as error:
            differences.append(f"{relative}: {str(error).splitlines()[0]}")
    extra = sorted(p.relative_to(after) for p in after.rglob("*.pkl") if not (before / p.relative_to(after)).exists())
    differences += [f"{p}: new table" for p in extra]
    print(f"compared {len(files)} tables")
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["write", "compare"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[2])
    parser.add_argument("--scenarios", nargs="*", help="scenario files (default: every scenarios/*.yaml)")
    parser.add_argument("--synthetic", type=int, default=1000, help="agents in the synthetic world (0: none)")
    parser.add_argument("--synthetic-months", type=int, default=48)
    args = parser.parse_args()
    if args.action == "write":
        print(f"wrote {_snapshot(args, args.folder)} tables to {args.folder}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        _snapshot(args, Path(scratch))
        differences = _compare(args.folder, Path(scratch))
    for line in differences:
        print(line)
    print("bit for bit identical" if not differences else f"{len(differences)} tables differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
