"""The two measures of a chip: TPP for the rules, dense 8-bit throughput (H100e) for compute."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.catalog import H100_DENSE_8BIT_TOPS, H100_TPP, ChipModel, build_catalog
from sim.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def _chip(**fields) -> ChipModel:
    base = dict(id="x", name="X", vendor_id="v", tpp=60_000.0, list_price_usd=40_000.0, node="N4",
                release_month=0, hbm_stacks_per_chip=8)
    return ChipModel(**(base | fields))


def test_h100_is_one_h100e_in_both_measures():
    assert H100_TPP / 8 == H100_DENSE_8BIT_TOPS
    assert _chip(tpp=H100_TPP).h100e == 1.0


def test_a_chip_whose_tpp_is_set_by_4_bit_counts_its_8_bit_throughput():
    # A GB300-like chip: TPP 60,000 from FP4, 5,000 dense FP8 TOPS.
    chip = _chip(tpp=60_000.0, dense_8bit_tops_given=5_000.0)
    assert chip.h100e == pytest.approx(5_000 / 1_979)
    assert chip.h100e < chip.tpp / H100_TPP  # the rules see more than the compute a lab trains with
    assert chip.tpp == 60_000.0


def test_without_an_8_bit_figure_h100e_is_tpp_over_15832_to_the_last_bit():
    catalog = build_catalog(load_scenario(BASELINE).scenario)
    for chip in catalog.values():
        if chip.dense_8bit_tops_given is None:
            assert chip.h100e == chip.tpp / H100_TPP, chip.id
