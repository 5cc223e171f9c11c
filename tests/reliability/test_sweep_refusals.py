"""A sweep that cannot run as written is refused before anything runs: exit code 2, and a message naming the file,
the key path, the value and what is allowed. A failure at run time would only say "--resume to retry", which
cannot help when the input is wrong."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.cli import EXIT_BAD_INPUT, main
from tests.conftest import tiny_dict, write_yaml


def _refused(sweep: Path, capsys, *extra: str) -> str:
    """Run the sweep through the CLI; assert it is refused before anything ran; return the message."""
    out = sweep.parent / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet", *extra]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not (out / "small").exists(), "a refused sweep must not create its folder"
    return " ".join(err.split())  # the console wraps long lines


def test_repeated_seeds_are_refused(small_sweep_file: Callable[..., Path], capsys) -> None:
    sweep = small_sweep_file(seeds=[0, 0, 1])
    message = _refused(sweep, capsys)
    assert str(sweep) in message and "seeds = [0, 0, 1]: each seed may appear once; repeated: [0]" in message


def test_two_policies_that_are_one_scenario_are_refused(small_sweep_file: Callable[..., Path], capsys) -> None:
    # The same file twice, and a file that extends another without changing anything: the runs would share ids.
    sweep = small_sweep_file(policies={"open": "tiny.yaml", "again": "tiny.yaml", "controlled": "controlled.yaml"})
    assert "policies.again = 'tiny.yaml': is the same scenario as policy 'open'" in _refused(sweep, capsys)
    sweep = small_sweep_file(policies={"open": "tiny.yaml", "alias": "alias.yaml"})
    write_yaml(sweep.parent / "alias.yaml", {"extends": "tiny.yaml"})
    assert "policies.alias = 'alias.yaml': is the same scenario as policy 'open'" in _refused(sweep, capsys)


@pytest.mark.parametrize("changes, words", [
    ({"uncertainties": [{"name": "noise", "path": "parameters.demand_noise_sigma.value", "values": [0.1, 0.1]}]},
     "uncertainties[0].values = [0.1, 0.1]: each value may appear once; repeated: [0.1]"),
    ({"sampling": {"method": "lhs", "samples": 3},
      "uncertainties": [{"name": "noise", "path": "parameters.demand_noise_sigma.value", "low": 0.2, "high": 0.2}]},
     "every range has low == high, so the 3 samples would be the same point"),
])
def test_factors_that_repeat_a_point_are_refused(small_sweep_file: Callable[..., Path], capsys, changes: dict,
                                                 words: str) -> None:
    assert words in _refused(small_sweep_file(**changes), capsys)


def _second_policy(folder: Path, name: str, **overrides) -> None:
    data = tiny_dict(**overrides)
    data["name"] = name
    write_yaml(folder / f"{name}.yaml", data)


def test_every_policy_is_checked_not_just_the_first(small_sweep_file: Callable[..., Path], capsys) -> None:
    sweep = small_sweep_file()
    # An invalid second policy: its own file and key path are named.
    _second_policy(sweep.parent, "broken", **{"fabs.usfab.packaging_wafers_per_month": -5.0})
    broken = small_sweep_file(policies={"open": "tiny.yaml", "broken": "../inputs0/broken.yaml"})
    message = _refused(broken, capsys)
    assert "broken.yaml" in message and "fabs[0].packaging_wafers_per_month = -5.0" in message
    # A lever whose path the second policy lacks.
    lonely = tiny_dict()
    lonely["name"] = "lonely"
    lonely["intermediaries"] = []
    lonely["data_centers"][2]["suppliers"] = ["usv"]
    write_yaml(sweep.parent / "lonely.yaml", lonely)
    lever = small_sweep_file(policies={"open": "tiny.yaml", "lonely": "../inputs0/lonely.yaml"},
                             levers=[{"name": "markup", "path": "intermediaries.sgdist.markup_fraction",
                                      "values": [0.2]}])
    message = _refused(lever, capsys)
    assert "levers[0].path = 'intermediaries.sgdist.markup_fraction': markup = 0.2 does not fit policy 'lonely'" \
        in message and "no item 'sgdist' here" in message


def test_a_whole_number_key_sampled_by_a_latin_hypercube_is_refused(small_sweep_file: Callable[..., Path],
                                                                     capsys) -> None:
    sweep = small_sweep_file(sampling={"method": "lhs", "samples": 2}, uncertainties=[
        {"name": "lifetime", "path": "parameters.chip_lifetime_months.value", "low": 24, "high": 72}])
    message = _refused(sweep, capsys)
    assert "uncertainties[0].path = 'parameters.chip_lifetime_months.value': lifetime = " in message
    assert "must be a whole number of months" in message and "list the numbers to try under values" in message


def test_factor_values_that_clash_together_are_refused(small_sweep_file: Callable[..., Path], capsys) -> None:
    # Each value is fine alone; together the scenario would end before it starts (checked per point, not per factor).
    sweep = small_sweep_file(until=None, levers=[{"name": "start", "path": "start", "values": ["2025-01", "2025-06"]},
                                                 {"name": "end", "path": "end", "values": ["2025-03", "2025-12"]}])
    message = _refused(sweep, capsys)
    assert ("policies.open = 'tiny.yaml': point 2 (start = '2025-06', end = '2025-03') does not fit policy 'open'"
            in message and "end = '2025-03': must be after start (2025-06)" in message)


def test_a_horizon_before_a_sampled_start_is_refused(small_sweep_file: Callable[..., Path], capsys) -> None:
    sweep = small_sweep_file(levers=[{"name": "start", "path": "start", "values": ["2025-01", "2025-06"]}])
    message = _refused(sweep, capsys)
    assert "start = '2025-06' does not fit policy 'open'" in message
    assert "until = '2025-03' is before this scenario's start (2025-06)" in message


@pytest.mark.parametrize("base, words", [
    ("ghost.yaml", "base = 'ghost.yaml': no such scenario file"),
    ("other.yaml", "base = 'other.yaml': with policies, base must be one of their files"),
])
def test_a_base_that_is_missing_or_not_a_policy_is_refused(small_sweep_file: Callable[..., Path], capsys,
                                                           base: str, words: str) -> None:
    sweep = small_sweep_file(base=base)
    _second_policy(sweep.parent, "other")
    assert words in _refused(sweep, capsys)


@pytest.mark.parametrize("changes, words", [
    ({"bsae": "tiny.yaml"}, "bsae = 'tiny.yaml': unknown key; allowed keys here are: name, description, base, "
                            "policies, levers, uncertainties, sampling, sample_from, seeds, until, metrics"),
    ({"sampling": {"methd": "lhs"}},
     "sampling.methd = 'lhs': unknown key; allowed keys here are: method, samples, seed"),
    ({"levers": [{"name": "m", "path": "parameters.demand_noise_sigma.value", "value": [0.1]}]},
     "levers[0].value: unknown key; allowed keys here are: name, path, values, low, high"),
])
def test_a_misspelled_key_lists_the_allowed_ones(small_sweep_file: Callable[..., Path], capsys, changes: dict,
                                                 words: str) -> None:
    assert words in _refused(small_sweep_file(**changes), capsys)


def test_too_many_workers_are_refused_with_the_allowed_range(small_sweep_file: Callable[..., Path], capsys) -> None:
    message = _refused(small_sweep_file(), capsys, "--workers", "100000")
    assert "--workers 100000: allowed 1 to " in message and "per core on this machine" in message


@pytest.mark.parametrize("ratio", ["nan", "inf", "-inf", "0", "-3", "ten"])
def test_a_target_ratio_that_is_not_a_positive_number_is_refused(tmp_path: Path, capsys, ratio: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", str(tmp_path), f"--target-ratio={ratio}"])
    assert exited.value.code == EXIT_BAD_INPUT
    assert f"expected a finite number > 0 (a US:China ratio, e.g. 10), got '{ratio}'" in capsys.readouterr().err
    assert not math.isnan(10.0)  # the default stays a number
