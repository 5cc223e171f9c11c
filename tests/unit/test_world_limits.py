"""Worlds that cannot be built are refused by validation, so ``validate`` and ``run`` both say why, with exit code 2:
an id a population's expansion would repeat, and a world too big for memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.world_size import BYTES_PER_AGENT, BYTES_PER_ROUTE, LIMIT_VARIABLE
from tests.conftest import run_cli_measured, tiny_dict, write_yaml


def _data_center_population(pop_id: str, count: int) -> dict:
    return {"id": pop_id, "country": "CN", "count": count, "total_budget_usd_per_month": 1.0e6,
            "budget_growth_factor_per_year": 1.0, "size_distribution": {"sigma": 1.0}, "vendors": ["cnv"],
            "source": "assumption: test"}


def _with_colliding_ids() -> dict:
    data = tiny_dict()
    data["populations"] = {"data_centers": [_data_center_population("cn_lab", 12)]}
    data["data_centers"].append({**data["data_centers"][1], "id": "cn_lab_01"})
    return data


@pytest.mark.parametrize("command", ["validate", "run"])
def test_an_id_a_population_would_repeat_is_refused_naming_both(tmp_path: Path, capsys, command: str) -> None:
    """``run`` used to crash with an AttributeError traceback after ``validate`` had passed the file."""
    path = write_yaml(tmp_path / "collide.yaml", _with_colliding_ids())
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
    assert "data_centers[3].id = 'cn_lab_01'" in err
    assert "member of the population 'cn_lab' at populations.data_centers[0]" in err
    assert "cn_lab_01 to cn_lab_12" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("other_id", ["cn_lab_1", "cn_lab_13", "cn_lab_00", "cn_lab_x1", "cn_labs_01"])
def test_ids_that_only_look_like_members_are_accepted(tmp_path: Path, other_id: str) -> None:
    data = _with_colliding_ids()
    data["data_centers"][-1]["id"] = other_id
    load_scenario(write_yaml(tmp_path / "ok.yaml", data))


def test_a_population_named_like_a_member_of_another_is_refused(tmp_path: Path) -> None:
    data = _with_colliding_ids()
    data["data_centers"].pop()
    data["populations"]["data_centers"].append(_data_center_population("cn_lab_07", 3))
    with pytest.raises(ScenarioError, match="the id 'cn_lab_07' is also the id of a member of the population"):
        load_scenario(write_yaml(tmp_path / "collide.yaml", data))


def _huge_world() -> dict:
    data = tiny_dict()
    data["populations"] = {"data_centers": [_data_center_population(f"pop{i}", 1_000_000) for i in range(16)]}
    return data


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_world_too_big_for_memory_is_refused_up_front(tmp_path: Path, command: str) -> None:
    """16 populations of a million (beside the tiny world's 9 agents) passed ``validate``; ``run`` reached 7.6 GB
    and died with MemoryError."""
    path = write_yaml(tmp_path / "huge.yaml", _huge_world())
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    code, output, seconds, peak_mb = run_cli_measured(args)
    assert code == 2, output
    assert str(path) in output and "Traceback" not in output
    assert "16,000,009 agents" in output and "the limit is 1,024 MB" in output and LIMIT_VARIABLE in output
    assert seconds < 20 and peak_mb < 200, (seconds, peak_mb)
    assert not (tmp_path / "out").exists()


def test_the_world_size_limit_is_set_by_the_environment(tmp_path: Path, monkeypatch) -> None:
    data = tiny_dict()
    data["populations"] = {"data_centers": [_data_center_population("pop", 20_000)]}
    path = write_yaml(tmp_path / "mid.yaml", data)
    load_scenario(path)  # about 40 MB: under the default limit
    monkeypatch.setenv(LIMIT_VARIABLE, "10")
    # 20,009 agents and 20,004 routes at the measured bytes per agent and per route, in MiB
    expected_mb = round((20_009 * BYTES_PER_AGENT + 20_004 * BYTES_PER_ROUTE) / 2**20)
    with pytest.raises(ScenarioError, match=rf"20,009 agents .* about {expected_mb} MB .* the limit is 10 MB"):
        load_scenario(path)
    monkeypatch.setenv(LIMIT_VARIABLE, "lots")
    with pytest.raises(ScenarioError, match=f"{LIMIT_VARIABLE} = 'lots' must be a whole number of MB"):
        load_scenario(path)
