"""uv.lock is what a fresh install gets: it must say what pyproject.toml asks for.

`./setup.sh` installs with `uv sync --frozen`, which never re-resolves: a dependency added to pyproject.toml but not
to the lock would be missing on a fresh machine, and a bound tightened in pyproject.toml but not in the lock would be
ignored. These tests read both files (no network) and fail until the lock is refreshed with `.tools/uv/bin/uv lock`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _lock() -> dict:
    return tomllib.loads((REPO / "uv.lock").read_text())


def _asked_for(project: dict) -> set[tuple[str, str, str]]:
    """(name, specifier, extra) for every requirement in pyproject.toml; extra is '' for the main dependencies."""
    asked = set()
    groups = {"": project["dependencies"], **project.get("optional-dependencies", {})}
    for extra, requirements in groups.items():
        for text in requirements:
            requirement = Requirement(text)
            asked.add((canonicalize_name(requirement.name), str(SpecifierSet(str(requirement.specifier))), extra))
    return asked


def _locked_for(lock: dict, project_name: str) -> set[tuple[str, str, str]]:
    """The same triples as the lock recorded them for the project when it was resolved."""
    (package,) = [p for p in lock["package"] if p["name"] == project_name]
    locked = set()
    for item in package["metadata"]["requires-dist"]:
        marker = item.get("marker", "")
        extra = marker.split("==")[1].strip(" '\"") if marker.startswith("extra ==") else ""
        locked.add((canonicalize_name(item["name"]), str(SpecifierSet(item.get("specifier", ""))), extra))
    return locked


def test_the_lock_was_resolved_from_the_requirements_in_pyproject() -> None:
    project = _project()
    asked, locked = _asked_for(project), _locked_for(_lock(), project["name"])
    refresh = "refresh the lock with .tools/uv/bin/uv lock"
    assert asked - locked == set(), f"in pyproject.toml but not in uv.lock ({refresh}): {asked - locked}"
    assert locked - asked == set(), f"in uv.lock but no longer in pyproject.toml ({refresh}): {locked - asked}"


def test_every_locked_direct_dependency_satisfies_its_bound() -> None:
    project, lock = _project(), _lock()
    versions = {canonicalize_name(p["name"]): Version(p["version"]) for p in lock["package"] if "version" in p}
    for name, specifier, _extra in _asked_for(project):
        assert name in versions, f"{name} is asked for but not locked"
        assert versions[name] in SpecifierSet(specifier), f"{name} {versions[name]} locked; pyproject asks {specifier}"


def test_the_lock_admits_the_same_pythons_as_pyproject() -> None:
    locked, asked = SpecifierSet(_lock()["requires-python"]), SpecifierSet(_project()["requires-python"])
    for version in ("3.10.14", "3.11.0", "3.11.7", "3.11.99", "3.12.0", "3.13.1"):
        assert (Version(version) in locked) == (Version(version) in asked), version
