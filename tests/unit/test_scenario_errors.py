"""Bad scenario files get one clear error naming the file, the key path, the value and what is allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import BASELINE, REPO, assert_refused, tiny_dict, write_yaml

# An allied toolmaker in a country the tiny world declares (the cases below make it wrong one way at a time).
_ALLY = {"id": "toolco", "name": "Toolmaker", "country": "US", "product": "tools", "china_revenue_usd_per_year": 1.0e9,
         "share_at_stake": 0.5, "decision_lag_months": 6, "source": "assumption: test world"}

# (case id, mutation of the tiny world's raw mapping, path expected in the error, words expected in the error)
CASES = [
    ("unknown_top_level_key", lambda d: d.update(horizon="2030-12"), "horizon", "allowed keys here are: name"),
    ("unknown_nested_key", lambda d: d["fabs"][0].update(wafer_capacity=5), "fabs[0].wafer_capacity",
     "allowed keys here are: source, id, name, country, nodes"),
    ("wrong_type_string_for_number", lambda d: d["data_centers"][0].update(budget_usd_per_month="500000"),
     "data_centers[0].budget_usd_per_month", "'500000'"),
    ("negative_capacity", lambda d: d["fabs"][0]["nodes"]["N4"].update(wafers_per_month=-5.0),
     "fabs[0].nodes.N4.wafers_per_month", "greater than or equal to 0"),
    ("share_above_one", lambda d: d["fabs"][0]["nodes"]["N4"].update(yield_fraction=1.2),
     "fabs[0].nodes.N4.yield_fraction", "less than or equal to 1"),
    ("unknown_bloc", lambda d: d["countries"]["SG"].update(bloc="asean"), "countries.SG.bloc",
     "'us_allies', 'china' or 'rest'"),
    ("unknown_country_in_agent", lambda d: d["data_centers"][0].update(country="FR"), "data_centers[0].country",
     "unknown country; declared: CN, SG, US"),
    ("unknown_supplier", lambda d: d["data_centers"][0].update(suppliers=["nobody"]),
     "data_centers[0].suppliers[0]", "'nobody'"),
    ("end_before_start", lambda d: d.update(start="2026-01", end="2025-06"), "end", "must be after start (2026-01)"),
    ("month_out_of_range", lambda d: d.update(end="2025-13"), "end", "YYYY-MM"),
    ("year_out_of_range", lambda d: d.update(end="2230-01"), "end", "outside the supported range"),
    ("unknown_source_id", lambda d: d["catalog"]["big"].update(source="made_up_figure"), "catalog.big",
     "unknown source id 'made_up_figure'"),
    ("missing_required_key", lambda d: d["parameters"].pop("chip_lifetime_months"),
     "parameters.chip_lifetime_months", "required key is missing"),
    ("nan_value", lambda d: d["fabs"][0].update(packaging_wafers_per_month=float("nan")),
     "fabs[0].packaging_wafers_per_month", "finite number"),
    ("parameter_out_of_range", lambda d: d["parameters"]["frontier_growth_per_year"].update(value=0.5),
     "parameters", "must be > 1"),
    ("duplicate_ids", lambda d: d["data_centers"][1].update(id="usdc"), "(top level)", "'usdc' is used 2 times"),
    ("unknown_policy_type", lambda d: d["policies"].append(
        {"type": "ban_everything", "announce": "2025-01", "effective": "2025-02", "source": "assumption: x"}),
     "policies[0].type", "known types are: alliance_pressure, cloud_access, compute_monitoring"),
    ("unknown_policy_parameter", lambda d: d["policies"].append(
        {"type": "export_control", "announce": "2025-01", "effective": "2025-02", "source": "assumption: x",
         "params": {"tpp_threshold": 4800.0, "destination_tiers": [3], "tpp_limit": 1.0}}),
     "policies[0].params.tpp_limit", "unknown key; allowed keys here are: destination_tiers, destination_countries, "
     "origin_blocs, tpp_threshold, density_threshold"),
    ("policy_effective_before_announce", lambda d: d["policies"].append(
        {"type": "export_control", "announce": "2025-05", "effective": "2025-02", "source": "assumption: x",
         "params": {"tpp_threshold": 4800.0, "destination_tiers": [3]}}),
     "policies[0].effective", "must not be before announce (2025-05)"),
    ("product_line_wrong_node", lambda d: d["vendors"][0]["product_lines"][0].update(node="N2"),
     "vendors[0].product_lines[0].node", "unknown node of fab 'usfab'; declared: N4"),
    ("chiplet_line_without_packaging", lambda d: d["vendors"][1]["product_lines"][0].update(
        chiplet={"dies_per_package": 4}), "vendors[1].product_lines[0]",
     "a chiplet line needs chips_per_packaging_wafer"),
    ("chiplet_of_one_die", lambda d: d["vendors"][0]["product_lines"][0].update(chiplet={"dies_per_package": 1}),
     "vendors[0].product_lines[0].chiplet.dies_per_package", "greater than or equal to 2"),
    ("packaging_yield_of_nothing", lambda d: d["fabs"][1].update(packaging_yield_fraction=0.0),
     "fabs[1].packaging_yield_fraction", "greater than 0"),
    ("ally_of_unknown_product", lambda d: d.update(allies=[dict(_ALLY, product="wafers")]), "allies[0].product",
     "'tools' or 'hbm'"),
    ("ally_selling_hbm_to_an_unknown_fab", lambda d: d.update(allies=[dict(_ALLY, product="hbm",
     hbm_stacks_to_china_per_month=10.0, hbm_customers=["smic"])]), "allies[0].hbm_customers[0]",
     "unknown fab; declared: cnfab, usfab"),
    ("pressure_on_an_unknown_ally", lambda d: d.update(allies=[_ALLY], policies=[
        {"type": "alliance_pressure", "announce": "2025-01", "effective": "2025-02", "source": "assumption: x",
         "params": {"pressure_usd_per_year": 1.0e9, "allies": ["asml"]}}]),
     "policies[0].params.allies[0]", "unknown ally; declared: toolco"),
]


@pytest.mark.parametrize("mutate, path, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_scenario_names_file_path_value_and_allowed(tmp_path: Path, mutate, path: str, words: str) -> None:
    data = tiny_dict()
    mutate(data)
    scenario_file = write_yaml(tmp_path / "bad.yaml", data)
    assert_refused(scenario_file, path, words)


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "the file is empty"),
        ("name: [unclosed\n", "not valid YAML at line"),
        ("- just\n- a list\n", "top level must be a mapping"),
        ("name: a\nname: b\n", "duplicate key 'name'"),
        ("!!python/object/apply:os.system ['echo pwned']\n", "not valid YAML"),
    ],
    ids=["empty", "not_yaml", "not_a_mapping", "duplicate_key", "python_tag"],
)
def test_unreadable_files_are_clear_errors(tmp_path: Path, text: str, words: str) -> None:
    scenario_file = tmp_path / "bad.yaml"
    scenario_file.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=words):
        load_scenario(scenario_file)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nowhere.yaml")


def test_missing_extends_target_names_it(tmp_path: Path) -> None:
    scenario_file = write_yaml(tmp_path / "child.yaml", {"extends": "missing_parent.yaml", "name": "child"})
    with pytest.raises(ScenarioError, match="no such scenario file") as caught:
        load_scenario(scenario_file)
    assert "extends = 'missing_parent.yaml'" in str(caught.value)


def test_cyclic_extends_is_reported_with_the_cycle(tmp_path: Path) -> None:
    write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "a"})
    write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    with pytest.raises(ScenarioError, match="extends forms a cycle") as caught:
        load_scenario(tmp_path / "a.yaml")
    assert "a.yaml -> " in str(caught.value) and "b.yaml" in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = tiny_dict()
    data["fabs"][0]["nodes"]["N4"]["wafers_per_month"] = -1.0
    data["data_centers"][0]["budget_usd_per_month"] = -2.0
    scenario_file = write_yaml(tmp_path / "bad.yaml", data)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario_file)
    assert len(caught.value.problems) == 2


def test_validation_never_rewrites_a_value(tmp_path: Path) -> None:
    """An integer where a float is expected is kept as written, and a number-like string is refused."""
    data = tiny_dict()
    data["fabs"][0]["packaging_wafers_per_month"] = 1000
    loaded = load_scenario(write_yaml(tmp_path / "ok.yaml", data))
    assert loaded.scenario.fabs[0].packaging_wafers_per_month == 1000
    data["fabs"][0]["packaging_wafers_per_month"] = "1000"
    with pytest.raises(ScenarioError, match="'1000'"):
        load_scenario(write_yaml(tmp_path / "bad.yaml", data))


def test_cli_exits_2_with_the_error_and_no_traceback(tmp_path: Path, capsys) -> None:
    data = tiny_dict()
    data["fabs"][0]["nodes"]["N4"]["wafers_per_month"] = -5.0
    scenario_file = write_yaml(tmp_path / "bad.yaml", data)
    for argv in (["run", str(scenario_file), "--out", str(tmp_path / "out")], ["validate", str(scenario_file)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "fabs[0].nodes.N4.wafers_per_month = -5.0" in err
        assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_rejects_until_out_of_range(tmp_path: Path, capsys) -> None:
    assert main(["run", str(BASELINE), "--until", "2023-06", "--out", str(tmp_path)]) == 2
    assert "until = '2023-06': must not be before the scenario start (2024-01)" in capsys.readouterr().err
    assert main(["run", str(BASELINE), "--until", "June", "--out", str(tmp_path)]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_installed_command_reports_bad_input_with_exit_2(tmp_path: Path) -> None:
    scenario_file = tmp_path / "bad.yaml"
    scenario_file.write_text("name: [unclosed\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "sim.cli", "validate", str(scenario_file)], capture_output=True, text=True
    )
    assert completed.returncode == 2
    assert "not valid YAML" in completed.stderr and "Traceback" not in completed.stderr


@pytest.mark.parametrize("name, shown", [("[/red]", "name = '[/red]'"), ("Bad Name", "^[a-z][a-z0-9_]*$"),
                                         ("[bold]x", "name = '[bold]x'")])
def test_cli_prints_error_text_verbatim_not_as_markup(tmp_path: Path, capsys, name: str, shown: str) -> None:
    """Messages quote patterns and values with brackets: read as rich markup, '^[a-z][a-z0-9_]*$' showed as '^*$'
    and a name of '[/red]' crashed ``validate`` with a MarkupError."""
    scenario_file = write_yaml(tmp_path / "bad.yaml", tiny_dict(name=name))
    for argv in (["validate", str(scenario_file)], ["run", str(scenario_file), "--out", str(tmp_path / "out")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert str(scenario_file) in err and shown in err, err
        assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_rejects_until_after_the_end(tmp_path: Path, tiny_file: Path, capsys) -> None:
    """The scenario's end is the last month it describes; --until past it used to simulate on silently."""
    assert main(["run", str(tiny_file), "--until", "2026-06", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(tiny_file) in err
    assert "until = '2026-06': must not be after the scenario end (2025-12)" in err
    assert "allowed: a month from 2025-01 to 2025-12" in err
    assert not (tmp_path / "out").exists()


def test_a_sweep_until_after_the_scenario_end_is_refused_before_any_run(tmp_path: Path, tiny_file: Path) -> None:
    from sim.sweep.inputs import load_sweep

    sweep_file = write_yaml(tmp_path / "sweep.yaml", {"name": "late", "base": tiny_file.name, "until": "2026-06"})
    refusal = r"until = '2026-06': must not be after the end of policy 'base' \(2025-12\)"
    with pytest.raises(ScenarioError, match=refusal):
        load_sweep(sweep_file)


EXPORT_RULE = {"id": "export_rule", "type": "export_control", "announce": "2025-01", "effective": "2025-02",
               "source": "assumption: x", "params": {"tpp_threshold": 4800.0, "destination_tiers": [3]}}


def test_a_variants_policy_error_names_the_policy_by_id_and_the_file_that_set_it(tmp_path: Path) -> None:
    """The merged list's index (``policies[6]``) appears in no file; the policy's id and its file do."""
    base = tiny_dict()
    base["policies"] = [{**EXPORT_RULE, "id": f"rule_{index}"} for index in range(3)] + [EXPORT_RULE]
    write_yaml(tmp_path / "base.yaml", base)
    variant = write_yaml(tmp_path / "variant.yaml", {
        "extends": "base.yaml", "name": "variant",
        "policies": [{"id": "export_rule", "params": {"tpp_threshold": -1.0, "tpp_limit": 3.0}}]})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(variant)
    message = str(caught.value)
    assert message.startswith(str(variant))
    assert "policies.export_rule.params.tpp_threshold = -1.0: Input should be greater than 0" in message
    assert "policies.export_rule.params.tpp_limit = 3.0: unknown key; allowed keys here are:" in message
    assert "policies[3]" not in message

    child = write_yaml(tmp_path / "child.yaml", {"extends": "variant.yaml", "name": "child"})
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert f"(policy 'export_rule', set in {variant})" in str(caught.value)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_sweep_file_given_as_a_scenario_says_to_use_chipsim_sweep(tmp_path: Path, capsys, command: str) -> None:
    """It used to get ten unrelated errors (name, start, end, parameters ... missing; base, levers ... unknown)."""
    sweep_file = REPO / "scenarios" / "sweeps" / "quick.yaml"
    args = [command, str(sweep_file)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(sweep_file) in err and "Traceback" not in err
    assert "1 problem" in err and "this is a sweep file" in err and "use chipsim sweep" in err
    assert not (tmp_path / "out").exists()


def test_the_keys_that_tell_a_sweep_file_are_those_only_sweep_files_have() -> None:
    from sim.scenario.load import SWEEP_ONLY_KEYS
    from sim.scenario.schema import Scenario
    from sim.sweep.spec import SweepSpec

    assert set(SweepSpec.model_fields) - set(Scenario.model_fields) == SWEEP_ONLY_KEYS


def test_a_file_read_again_is_the_file_as_written_whatever_the_last_reader_did(tmp_path: Path) -> None:
    # Parsed files are kept per process by the hash of their bytes: a reader that changes its mapping (merging,
    # overrides) must not change what the next reader gets, and an edited file is read anew.
    from sim.scenario.load import read_yaml_mapping

    path = write_yaml(tmp_path / "tiny.yaml", tiny_dict())
    first = read_yaml_mapping(path)
    first["name"] = "changed by a reader"
    first["parameters"]["demand_noise_sigma"]["value"] = 99.0
    again = read_yaml_mapping(path)
    assert again["name"] == "tiny" and again["parameters"]["demand_noise_sigma"]["value"] == 0.0
    write_yaml(path, tiny_dict(name="edited"))
    assert read_yaml_mapping(path)["name"] == "edited"


def test_a_refused_file_is_refused_again_after_it_is_fixed_and_broken(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="bad.yaml"):
        load_scenario(path)
    write_yaml(path, tiny_dict())
    assert load_scenario(path).scenario.name == "tiny"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="bad.yaml"):
        load_scenario(path)
