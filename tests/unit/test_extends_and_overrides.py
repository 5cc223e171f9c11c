"""Variant scenarios extend a base and override a few keys; code can override by key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import run_scenario
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.load import merge
from tests.conftest import BASELINE, write_yaml


def test_variant_overrides_only_what_it_names(tmp_path: Path) -> None:
    variant = write_yaml(tmp_path / "variant.yaml", {
        "extends": str(BASELINE),
        "name": "variant",
        "fabs": [{"id": "tsmc", "packaging_wafers_per_month": 90000}],
    })
    base, child = load_scenario(BASELINE).scenario, load_scenario(variant).scenario
    assert child.name == "variant"
    tsmc = {fab.id: fab for fab in child.fabs}["tsmc"]
    assert tsmc.packaging_wafers_per_month == 90000
    assert tsmc.nodes == {fab.id: fab for fab in base.fabs}["tsmc"].nodes
    assert [fab.id for fab in child.fabs] == [fab.id for fab in base.fabs]
    assert child.catalog == base.catalog


def test_merge_rules() -> None:
    base = {"a": {"x": 1, "y": 2}, "items": [{"id": "p", "v": 1}, {"id": "q", "v": 2}], "plain": [1, 2]}
    over = {"a": {"y": 3}, "items": [{"id": "q", "v": 5}, {"id": "r", "v": 6}], "plain": [9]}
    assert merge(base, over) == {
        "a": {"x": 1, "y": 3},
        "items": [{"id": "p", "v": 1}, {"id": "q", "v": 5}, {"id": "r", "v": 6}],
        "plain": [9],
    }


def test_a_variant_adds_an_item_beside_base_items_that_share_a_key() -> None:
    # A vendor makes one chip at two fabs (the die bank): a variant may still add a line, or change the other one.
    base = {"lines": [{"chip": "a", "fab": "x"}, {"chip": "a", "fab": "y"}, {"chip": "b", "fab": "x"}]}
    added = merge(base, {"lines": [{"chip": "c", "fab": "x"}, {"chip": "b", "fab": "z"}]})
    assert added == {"lines": [{"chip": "a", "fab": "x"}, {"chip": "a", "fab": "y"}, {"chip": "b", "fab": "z"},
                               {"chip": "c", "fab": "x"}]}
    # Naming the repeated chip is ambiguous: the variant's list replaces the base's, as before.
    assert merge(base, {"lines": [{"chip": "a", "fab": "z"}]}) == {"lines": [{"chip": "a", "fab": "z"}]}


def test_override_by_key_path_selects_list_items_by_id() -> None:
    loaded = load_scenario(BASELINE, overrides={
        "fabs.tsmc.packaging_growth_factor_per_year": 2.0,
        "parameters.demand_noise_sigma.value": 0.25,
    })
    assert {fab.id: fab for fab in loaded.scenario.fabs}["tsmc"].packaging_growth_factor_per_year == 2.0
    assert loaded.scenario.parameters.demand_noise_sigma.value == 0.25
    assert loaded.overrides["parameters.demand_noise_sigma.value"] == 0.25


@pytest.mark.parametrize(
    "override, words",
    [
        ({"fabs.intel.packaging_wafers_per_month": 1.0}, "no item 'intel' here; items are: tsmc, smic"),
        ({"parameters.no_such_parameter.value": 1.0}, "parameters.no_such_parameter: unknown key"),
        ({"fabs.tsmc.packaging_wafers_per_month": -1.0}, "greater than or equal to 0"),
        ({"start.year": 2026}, "is a value, not a section"),
    ],
)
def test_bad_overrides_are_clear_errors(override: dict, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        load_scenario(BASELINE, overrides=override)


def test_override_changes_the_run() -> None:
    base = run_scenario(BASELINE, seed=1, until="2025-12").blocs
    richer = run_scenario(
        BASELINE, seed=1, until="2025-12",
        overrides={"populations.data_centers.cn_cloud.total_budget_usd_per_month": 3.0e9},
    ).blocs

    def china_budget(frame):
        return frame[frame["bloc"] == "china"]["budget_usd"].sum()

    assert china_budget(richer) > china_budget(base)


def test_product_lines_merge_by_chip_and_files_can_carry_overrides(tmp_path: Path) -> None:
    variant = write_yaml(tmp_path / "variant.yaml", {
        "extends": str(BASELINE),
        "name": "variant",
        "vendors": [{"id": "nvidia", "product_lines": [{"chip": "h20", "max_wafers_per_month": 1}]}],
        "overrides": {"vendors.nvidia.product_lines.b200.reservation_growth_factor_per_year": 2.5},
    })
    nvidia = {v.id: v for v in load_scenario(variant).scenario.vendors}["nvidia"]
    lines = {line.chip: line for line in nvidia.product_lines}
    # the baseline's order
    assert list(lines) == ["h100", "b200", "b300", "rubin", "rubin_ultra", "feynman", "h200", "h20"]
    assert lines["h20"].max_wafers_per_month == 1 and lines["h20"].chips_per_wafer == 60
    assert lines["b200"].reservation_growth_factor_per_year == 2.5


def test_file_overrides_must_be_a_mapping(tmp_path: Path) -> None:
    variant = write_yaml(tmp_path / "variant.yaml", {"extends": str(BASELINE), "overrides": ["not", "a", "mapping"]})
    with pytest.raises(ScenarioError, match="must be a mapping of dotted key paths"):
        load_scenario(variant)
