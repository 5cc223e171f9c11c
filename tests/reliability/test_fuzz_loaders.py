"""Fuzzing the scenario and sweep loaders: malformed and hostile files end in a clear error or a valid run.

"Clear error" means a ScenarioError (what the CLI prints with exit code 2) that names the file; anything else (a
traceback, a hang, memory that grows without bound) fails these tests. Scenarios that load are run for a few months
and must stay finite and non-negative.
"""

from __future__ import annotations

import copy
import math
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sim.cli import main
from sim.model import ChipSupplyModel
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.load import MAX_FILE_BYTES
from sim.sweep.inputs import load_sweep
from sim.sweep.plan import plan_runs
from tests.conftest import TINY, tiny_dict, write_yaml

MONTHS_RUN = 3
# The ratio (and the lead it implies) is infinite by definition when China has no compute; nothing else may be.
MAY_BE_INFINITE = {"us_china_ratio", "lead_months", "weights_lead_months"}
# The lead is NaN by definition when the US bloc has no compute (sim.metrics.lead_months), and so is the part of it
# weights take away; nothing else may be.
MAY_BE_NAN = {"lead_months", "weights_lead_months"}


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a nested mapping/list, the root excluded."""
    found = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        found.append(prefix + (key,))
        found.extend(_paths(value, prefix + (key,)))
    return found


SCENARIO_PATHS = _paths(TINY)

ODD_STRINGS = ["", " ", "2025-13", "1999-12", "2101-01", "0000-00", "US", "usv", "assumption:", "assumption: x",
               "nan", "inf", "-1", "1e309", "ü€𝔘 ☃", "../../etc/passwd", "/tmp/x", "a" * 5000, "\x00", "\t\n",
               "true", "null", "~", "!!python/object:os.system", "{", "*alias"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e300, -1e300, 1e-300, 2**63, -(2**63), 10**30]),
    st.text(max_size=30),
    st.sampled_from(ODD_STRINGS),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _set(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _delete(data: Any, path: tuple) -> None:
    for key in path[:-1]:
        data = data[key]
    del data[path[-1]]


@st.composite
def mutated_scenarios(draw) -> dict:
    """The tiny world with one to three of its values replaced, removed, or given an unexpected neighbour."""
    data = tiny_dict()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        present = _paths(data)
        if not present:
            break
        path = draw(st.sampled_from(present))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        try:
            if action == "replace":
                _set(data, path, draw(values))
            elif action == "delete":
                _delete(data, path)
            else:
                parent = data
                for key in path[:-1]:
                    parent = parent[key]
                if isinstance(parent, dict):
                    parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
                else:
                    parent.append(draw(values))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation already changed what this path pointed at
    return data


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def assert_clear_error_or_sane_run(path: Path) -> None:
    try:
        loaded = load_scenario(path)
    except ScenarioError as error:
        text = str(error)
        assert str(path) in text and error.problems, text
        return
    model = ChipSupplyModel(loaded.scenario, seed=0)
    for _ in range(min(MONTHS_RUN, model.end_month - model.start_month + 1)):
        model.step()
        assert model.stocks.all_non_negative(), f"a stock went negative in {model.date}"
    assert_tables_sane(model.recorder.tables())


def assert_tables_sane(tables: dict) -> None:
    for name, table in tables.items():
        numbers = table.select_dtypes("number")
        nan = numbers.drop(columns=[c for c in numbers.columns if c in MAY_BE_NAN]).isna()
        assert not nan.any().any(), f"NaN in the {name} table: {list(nan.columns[nan.any()])}"
        if "lead_months" in table and "us_china_ratio" in table:
            undefined = table["lead_months"].isna()
            assert (table.loc[undefined, "us_china_ratio"] == 0).all(), "a NaN lead where the US bloc has compute"
        finite = numbers.drop(columns=[c for c in numbers.columns if c in MAY_BE_INFINITE])
        bad = [column for column in finite.columns if not np.isfinite(finite[column].to_numpy(dtype=float)).all()]
        assert not bad, f"infinite values in the {name} table: {bad}"


@given(mutated_scenarios())
def test_mutated_scenarios_end_in_a_clear_error_or_a_sane_run(tmp_path_factory, data: dict) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "scenario.yaml"
    path.write_text(_dump(data), encoding="utf-8")
    assert_clear_error_or_sane_run(path)


YAML_TOKENS = list("abc:-[]{}&*!|>'\"#%@`,?\n\t 019.eE_~<=") + ["!!", "&a ", "*a", "<<: ", "name: ", "start: ",
                                                                "- ", "\n  ", "!!python/object:x "]
YAML_TEXT = st.lists(st.sampled_from(YAML_TOKENS), max_size=80).map("".join)


@given(st.one_of(YAML_TEXT, st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_arbitrary_text_ends_in_a_clear_error(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "scenario.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)


@given(st.binary(min_size=1, max_size=64))
def test_bytes_that_are_not_utf8_end_in_a_clear_error(tmp_path_factory, garbage: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "scenario.yaml"
    path.write_bytes(b"name: tiny\n" + garbage + b"\xff\xfe")
    with pytest.raises(ScenarioError):
        load_scenario(path)


def _alias_bomb(levels: int, fan_out: int) -> str:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fan_out)}]")
    return "\n".join(lines) + "\n"


def _chained_merges(lines: int) -> str:
    """Each mapping merges the one before: PyYAML 6.0.4 builds it in time and memory quadratic in the lines."""
    return "l0: &l0 {k0: 0}\n" + "".join(f"l{i}: &l{i} {{<<: *l{i - 1}, k{i}: 0}}\n" for i in range(1, lines))


MERGE_REFUSED = "YAML merge keys ('<<') are not allowed"
HOSTILE = {
    "billion laughs": (_alias_bomb(9, 9), "expands to more than"),
    "wide alias bomb": (_alias_bomb(3, 200), "expands to more than"),
    "alias into itself": ("name: &n [*n]\n", "nested more than"),
    "deep flow nesting": ("name: " + "[" * 20_000 + "]" * 20_000 + "\n", "nested more than"),
    "deep block nesting": ("".join(f"{'  ' * depth}k{depth}:\n" for depth in range(60)) + "  " * 60 + "v: 1\n",
                           "nested more than"),
    "python object tag": ("name: !!python/object/apply:os.system ['echo owned']\n", "not valid YAML"),
    "python name tag": ("name: !!python/name:os.system\n", "not valid YAML"),
    "custom tag": ("name: !include /etc/passwd\n", "not valid YAML"),
    "duplicate key": ("name: a\nname: b\n", "duplicate key"),
    "merge key with alias": ("base: &b {name: x}\nthing:\n  <<: *b\n  <<: *b\n", MERGE_REFUSED),
    "one merge key": ("base: &b {name: x}\nthing:\n  <<: *b\n", MERGE_REFUSED),
    "chained merges": (_chained_merges(3000), MERGE_REFUSED),
    "merge key by explicit tag": ("thing: {!!merge x: {name: x}}\n", MERGE_REFUSED),
    "merge key by alias to '<<'": ("m: &m <<\nthing: {*m : {name: x}}\n", MERGE_REFUSED),
    "alias into its own mapping": ("name: &n {a: *n}\n", "nested more than"),
    "alias bomb in mappings": ("".join(f"m{i}: &m{i} {{a: *m{i - 1}, b: *m{i - 1}}}\n" if i else "m0: &m0 {a: 1}\n"
                                       for i in range(30)), "expands to more than"),
    "top-level list": ("- name\n- start\n", "must be a mapping"),
    "empty file": ("", "empty"),
    "unhashable key": ("? [a, b]\n: 1\n", "plain value"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_yaml_is_refused_quickly_with_bounded_memory(tmp_path: Path, name: str) -> None:
    text, expected = HOSTILE[name]
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert expected in str(caught.value)
    assert peak < 64 * 2**20, f"loading used {peak / 2**20:.0f} MB"


def test_python_tags_never_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "owned"
    path = tmp_path / "hostile.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)
    assert not marker.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("description: '" + "x" * (MAX_FILE_BYTES + 10) + "'\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="limited to"):
        load_scenario(path)


@pytest.mark.parametrize("value", ["1e400", "-1e400", ".nan", ".inf", "123456789012345678901234567890", "0x1F",
                                   "2025-01-01", "1_000", "!!binary aGVsbG8=", "!!set {a, b}"])
def test_odd_yaml_scalars_in_a_number_field_are_refused_or_taken_as_numbers(tmp_path: Path, value: str) -> None:
    text = _dump(tiny_dict()).replace("budget_usd_per_month: 500000.0", f"budget_usd_per_month: {value}", 1)
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    assert_clear_error_or_sane_run(path)


def test_the_cli_reports_a_hostile_file_with_exit_code_2_and_no_traceback(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb(9, 9), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "expands to more than" in captured.out + captured.err
    assert not (tmp_path / "out").exists()


# Sweep files ------------------------------------------------------------------------------------------------------

SWEEP = {
    "name": "fuzz",
    "base": "tiny.yaml",
    "levers": [{"name": "noise", "path": "parameters.demand_noise_sigma.value", "values": [0.0, 0.2]}],
    "uncertainties": [{"name": "fine", "path": "parameters.smuggling_fine_usd_per_chip.value",
                       "low": 1000.0, "high": 50000.0}],
    "sampling": {"method": "lhs", "samples": 2, "seed": 0},
    "seeds": 2,
    "until": "2025-03",
    "metrics": ["us_china_ratio"],
}
SWEEP_PATHS = _paths(SWEEP)


@st.composite
def mutated_sweeps(draw) -> dict:
    data = copy.deepcopy(SWEEP)
    path = draw(st.sampled_from(SWEEP_PATHS))
    replacement = draw(st.one_of(values, st.sampled_from(
        ["parameters.nope.value", "parameters", "fabs.0.nodes", "../tiny.yaml", "tiny.yaml", 10**7, 100_000,
         [0.0] * 3, {"method": "grid"}])))
    try:
        _set(data, path, replacement)
    except (KeyError, IndexError, TypeError):
        pass
    return data


@given(mutated_sweeps())
def test_mutated_sweep_files_end_in_a_clear_error_or_a_plan(tmp_path_factory, data: dict) -> None:
    folder = tmp_path_factory.mktemp("sweep")
    write_yaml(folder / "tiny.yaml", tiny_dict())
    path = folder / "sweep.yaml"
    path.write_text(_dump(data), encoding="utf-8")
    try:
        loaded = load_sweep(path)
    except ScenarioError as error:
        assert str(path) in str(error)
        return
    runs = plan_runs(loaded)
    assert len(runs) == loaded.spec.run_count
    assert all(math.isfinite(value) for run in runs for value in run.factors.values() if isinstance(value, float))


def test_a_sweep_too_big_to_plan_is_refused_before_planning(tmp_path: Path) -> None:
    write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    levers = [{"name": f"f{index}", "path": "parameters.demand_noise_sigma.value", "values": [0.0, 0.1, 0.2]}
              for index in range(20)]
    path = write_yaml(tmp_path / "sweep.yaml", {"name": "huge", "base": "tiny.yaml", "levers": levers})
    with pytest.raises(ScenarioError, match="the limit is"):
        load_sweep(path)
