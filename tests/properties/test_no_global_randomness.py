"""No global randomness in sim/: every draw comes from a named stream (sim.rng)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

SOURCES = sorted((REPO / "sim").rglob("*.py"))
# numpy.random names that build seeded generators rather than drawing from the global state.
ALLOWED_NUMPY_RANDOM = {"Generator", "SeedSequence", "PCG64", "default_rng"}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names]
            module = getattr(node, "module", None) or ""
            if "random" in names or module == "random":
                found.append(f"line {node.lineno}: imports the random module")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            if node.value.attr == "random" and getattr(node.value.value, "id", None) in ("np", "numpy"):
                if node.attr not in ALLOWED_NUMPY_RANDOM:
                    found.append(f"line {node.lineno}: np.random.{node.attr} uses the global random state")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "default_rng" and not node.args:
            found.append(f"line {node.lineno}: default_rng() without a seed")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(REPO)) for p in SOURCES])
def test_module_has_no_global_randomness(path: Path) -> None:
    assert _violations(path) == []


def test_the_checker_catches_global_randomness(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import random\nimport numpy as np\nx = np.random.uniform()\ny = np.random.default_rng()\n")
    assert len(_violations(bad)) == 3
