"""Hostile paths and YAML the loader must refuse by itself, whatever the YAML library's version does.

Each case runs the real command in a fresh process and checks what a user sees: exit code 2, the file named, no
traceback, an answer within seconds and a process that stays under 200 MB.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import sim.scenario.load as load_module
from sim.scenario import load_scenario
from tests.conftest import run_cli_measured, tiny_dict, write_yaml

MAX_SECONDS = 20.0  # on a busy 2-core machine; the refusals take about a second, mostly the imports
MAX_PEAK_MB = 200.0


def _chained_merges(lines: int) -> str:
    """Each mapping merges the one before: PyYAML 6.0.4 builds this in time and memory quadratic in the lines."""
    return "l0: &l0 {k0: 0}\n" + "".join(f"l{i}: &l{i} {{<<: *l{i - 1}, k{i}: 0}}\n" for i in range(1, lines))


def _assert_refused(code: int, output: str, seconds: float, peak_mb: float, named: Path) -> None:
    assert code == 2, output
    assert str(named) in output, output
    assert "Traceback" not in output, output
    assert seconds < MAX_SECONDS, f"took {seconds:.1f} s"
    assert peak_mb < MAX_PEAK_MB, f"peaked at {peak_mb:.0f} MB"


@pytest.mark.parametrize("command", ["validate", "run"])
def test_chained_merge_keys_are_refused_in_seconds_with_little_memory(tmp_path: Path, command: str) -> None:
    path = tmp_path / "merges.yaml"
    path.write_text(_chained_merges(7800), encoding="utf-8")
    assert path.stat().st_size > 280_000  # the size that took 166 s and 1.43 GB to build before
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    code, output, seconds, peak_mb = run_cli_measured(args)
    _assert_refused(code, output, seconds, peak_mb, path)
    assert "YAML merge keys ('<<') are not allowed" in output
    assert not (tmp_path / "out").exists()


def _not_a_regular_file(tmp_path: Path, kind: str) -> Path:
    if kind == "dev_zero":
        return Path("/dev/zero")
    path = tmp_path / f"{kind}.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink_loop":
        os.symlink(tmp_path / "other.yaml", path)
        os.symlink(path, tmp_path / "other.yaml")
    elif kind == "folder":
        path.mkdir()
    return path


SAID = {"dev_zero": "is a character device, not a regular file", "fifo": "is a FIFO (named pipe), not a regular file",
        "symlink_loop": "is a loop of symbolic links", "folder": "is a folder, not a regular file"}


@pytest.mark.parametrize("via", ["named", "extends"])
@pytest.mark.parametrize("kind", list(SAID))
def test_only_regular_files_are_read(tmp_path: Path, kind: str, via: str) -> None:
    """/dev/zero used to be read until memory ran out, a FIFO to hang forever, a symlink loop to end in a
    RuntimeError traceback; through ``extends`` each was "no such scenario file". Now each says what it is."""
    target = _not_a_regular_file(tmp_path, kind)
    path = target
    if via == "extends":
        path = write_yaml(tmp_path / "variant.yaml", {"extends": os.path.relpath(target, tmp_path), "name": "v"})
    for args in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "out")]):
        code, output, seconds, peak_mb = run_cli_measured(args, timeout_s=60.0)
        _assert_refused(code, output, seconds, peak_mb, target)
        assert SAID[kind] in output, output
    assert not (tmp_path / "out").exists()


def test_the_recorded_file_hash_is_of_the_bytes_that_were_parsed(tmp_path: Path, monkeypatch) -> None:
    """summary.json records ``file_sha256``: it must describe what was run even if the file is rewritten meanwhile."""
    path = write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    parsed = path.read_bytes()
    validate = load_module.validate

    def validate_while_the_file_is_rewritten(*args):
        path.write_text(path.read_text(encoding="utf-8").replace("name: tiny", "name: rewritten"), encoding="utf-8")
        return validate(*args)

    monkeypatch.setattr(load_module, "validate", validate_while_the_file_is_rewritten)
    loaded = load_scenario(path)
    assert path.read_bytes() != parsed
    assert loaded.scenario.name == "tiny"
    assert loaded.file_sha256 == hashlib.sha256(parsed).hexdigest()
