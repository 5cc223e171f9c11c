"""Same scenario + same seed = identical results, in this process or another; another seed differs."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from sim import run_scenario
from tests.conftest import BASELINE, REPO

UNTIL = "2026-06"


def _tables(seed: int) -> dict[str, pd.DataFrame]:
    return run_scenario(BASELINE, seed=seed, until=UNTIL).tables


def test_same_seed_same_results_in_one_process() -> None:
    first, second = _tables(5), _tables(5)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_exact=True, obj=name)


def test_different_seed_changes_the_stochastic_parts() -> None:
    first, second = _tables(5), _tables(6)
    assert not first["blocs"]["installed_h100e"].equals(second["blocs"]["installed_h100e"])
    assert not first["blocs"]["budget_usd"].equals(second["blocs"]["budget_usd"])


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_same_seed_same_results_across_processes(tmp_path, hash_seed: str) -> None:
    """A fresh interpreter (with a different string-hash seed) reproduces this process's run bit for bit."""
    out = tmp_path / "blocs.parquet"
    code = (
        "from sim import run_scenario; "
        f"run_scenario({str(BASELINE)!r}, seed=5, until={UNTIL!r}).tables['blocs'].to_parquet({str(out)!r})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env={"PYTHONHASHSEED": hash_seed,
                                                                          "PATH": "/usr/bin:/bin"})
    pd.testing.assert_frame_equal(pd.read_parquet(out), _tables(5)["blocs"], check_exact=True)
