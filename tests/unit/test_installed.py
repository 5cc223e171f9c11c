"""The array-held installed base agrees with the plain per-cohort bookkeeping it replaced."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from sim.installed import INSTALLED_SOURCES, InstalledBase

H100E = {"a": 1.0, "b": 0.25, "c": 3.5}
CATALOG = {chip: SimpleNamespace(h100e=h100e) for chip, h100e in H100E.items()}


@dataclass
class Cohort:
    center: int
    chip: str
    source: str
    count: int
    month: int


def _install(base: InstalledBase, cohorts: list[Cohort], month: int) -> None:
    base.install([c.center for c in cohorts], [c.chip for c in cohorts], [c.source for c in cohorts],
                 [c.count for c in cohorts], month)


def _reference_retire(cohorts: list[Cohort], month: int, lifetime: int) -> list[Cohort]:
    """The per-agent rule: each center pops its oldest cohorts while they have reached the lifetime."""
    retired = [c for c in cohorts if month - c.month >= lifetime]
    cohorts[:] = [c for c in cohorts if month - c.month < lifetime]
    return retired


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_installed_base_matches_per_cohort_bookkeeping_month_by_month(seed: int) -> None:
    rng = np.random.default_rng(seed)
    centers, lifetime = 7, 5
    base = InstalledBase(centers, CATALOG)
    reference: list[Cohort] = []
    # Chips already installed at the start, some older than the lifetime (all of those retire in the first month).
    for _ in range(30):
        cohort = Cohort(int(rng.integers(centers)), str(rng.choice(list(H100E))), str(rng.choice(INSTALLED_SOURCES)),
                        int(rng.integers(1, 1000)), int(-rng.integers(0, 9)))
        reference.append(cohort)
        _install(base, [cohort], cohort.month)
    for month in range(24):
        arriving = [Cohort(int(rng.integers(centers)), str(rng.choice(list(H100E))),
                           str(rng.choice(INSTALLED_SOURCES)), int(rng.integers(1, 1000)), month)
                    for _ in range(int(rng.integers(0, 12)))]
        reference.extend(arriving)
        _install(base, arriving, month)  # one batch, repeats of a holding included
        assert (np.diff(base.keys) > 0).all()  # new holdings went in where they sort, once each
        expected_retired = _reference_retire(reference, month, lifetime)
        retired = base.retire(month, lifetime)

        retired_by_center = np.bincount(retired.center, weights=retired.chips, minlength=centers)
        expected_by_center = np.bincount([c.center for c in expected_retired],
                                         weights=[c.count for c in expected_retired], minlength=centers)
        assert retired_by_center.tolist() == expected_by_center.tolist()
        assert retired.h100e.sum() == pytest.approx(sum(c.count * H100E[c.chip] for c in expected_retired))

        chips = defaultdict(int)
        h100e = defaultdict(float)
        for c in reference:
            chips[c.center] += c.count
            h100e[c.center, c.source] += c.count * H100E[c.chip]
        assert base.total_chips() == sum(chips.values())
        assert base.chips_by_center().tolist() == [chips[center] for center in range(centers)]
        by_source = base.h100e_by_center_and_source()
        for center in range(centers):
            assert base.center_chips(center) == chips[center]
            for index, source in enumerate(INSTALLED_SOURCES):
                assert by_source[center, index] == pytest.approx(h100e[center, source])
                assert base.center_h100e_by_source(center)[source] == pytest.approx(h100e[center, source])
            holdings = {(source, chip): count for source, chip, count in base.center_holdings(center)}
            expected = defaultdict(int)
            for c in reference:
                if c.center == center:
                    expected[c.source, c.chip] += c.count
            assert holdings == dict(expected)
        assert base.fewest_chips() >= 0


def test_a_center_with_nothing_installed_holds_nothing() -> None:
    base = InstalledBase(3, CATALOG)
    _install(base, [Cohort(1, "a", "import", 10, 0)], month=0)
    assert base.chips_by_center().tolist() == [0, 10, 0]
    assert list(base.center_holdings(0)) == []
    assert base.center_h100e_by_source(2) == dict.fromkeys(INSTALLED_SOURCES, 0.0)
    assert len(base.retire(month=1, lifetime_months=5).chips) == 0


def test_cohorts_too_large_for_32_bits_retire_exactly() -> None:
    base = InstalledBase(2, CATALOG)
    huge = 3 * 2**31 + 7
    base.install([1, 0], ["a", "b"], ["import", "domestic"], [huge, 5], month=0)
    base.install([1], ["a"], ["import"], [2], month=1)
    assert base.total_chips() == huge + 7
    retired = base.retire(3, lifetime_months=3)
    assert sorted(zip(retired.center.tolist(), retired.chips.tolist(), strict=True)) == [(0, 5), (1, huge)]
    assert base.total_chips() == 2 and base.center_chips(1) == 2


def test_h100e_by_center_and_source_follows_every_install_and_retirement() -> None:
    # The answer is kept between asks (the rental market and the record both ask each month): it must not be kept
    # past a change.
    base = InstalledBase(2, CATALOG)
    domestic, smuggled = INSTALLED_SOURCES.index("domestic"), INSTALLED_SOURCES.index("smuggled")
    assert base.h100e_by_center_and_source().sum() == 0.0
    _install(base, [Cohort(1, "c", "smuggled", 2, 0)], month=0)
    assert base.h100e_by_center_and_source()[1, smuggled] == 7.0
    _install(base, [Cohort(0, "a", "domestic", 3, 1)], month=1)
    assert base.h100e_by_center_and_source()[0, domestic] == 3.0
    base.retire(month=5, lifetime_months=5)  # the month-0 cohort
    expected = [[0.0] * len(INSTALLED_SOURCES) for _center in range(2)]
    expected[0][domestic] = 3.0  # only the domestic cohort of center 0 is left
    assert base.h100e_by_center_and_source().tolist() == expected
    with pytest.raises(ValueError):
        base.h100e_by_center_and_source()[0, 0] = 1.0  # shared by its callers: read-only
