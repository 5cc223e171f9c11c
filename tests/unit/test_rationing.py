"""Rationing gives every order its exact pro-rata share rounded by largest remainder, in plain Python and in numpy."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.agents.market import _order_by_remainder, ration_groups, ration_quantities
from sim.columns import SMALL_SORT_ROWS, order_within_groups, stable_order

requests = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=40)


def hamilton_shares(available: int, requested: list[int]) -> list[int]:
    """The largest-remainder rule worked out with exact fractions: whole parts first, then one more chip each to the
    largest remainders, ties to the earlier order."""
    exact = [Fraction(available * count, sum(requested)) for count in requested]
    whole = [int(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: whole[i] - exact[i])
    for index in by_remainder[:available - sum(whole)]:
        whole[index] += 1
    return whole


@given(requested=requests, available_share=st.floats(min_value=0, max_value=1.2))
def test_rationing_gives_exact_largest_remainder_shares(requested: list[int], available_share: float) -> None:
    available = int(sum(requested) * available_share)
    shares = ration_quantities(available, requested)
    if sum(requested) <= available:
        assert shares == requested
    else:
        assert shares == hamilton_shares(available, requested)
        assert sum(shares) == available
        assert all(0 <= share <= wanted for share, wanted in zip(shares, requested, strict=True))


@given(requested=st.lists(st.just(7), min_size=2, max_size=9))
def test_ties_go_to_the_earlier_orders(requested: list[int]) -> None:
    shares = ration_quantities(len(requested) - 1, requested)
    assert shares == [1] * (len(requested) - 1) + [0]


def test_equal_remainders_tie_even_when_whole_parts_differ() -> None:
    # 4 chips for 1 + 4 + 1 asked: exact shares 2/3, 2 + 2/3, 2/3. The three remainders are equal (in floating point
    # they are not: 8/3 rounds differently), so the two chips left go to the first two orders.
    assert ration_quantities(4, [1, 4, 1]) == [1, 3, 0]
    assert ration_groups(np.array([4]), np.array([0, 0, 0]), np.array([1, 4, 1])).tolist() == [1, 3, 0]


# Several sellers' chips at once: stock may be short, ample, empty or (an accounting bug's symptom) negative.
groups = st.lists(st.tuples(st.integers(min_value=-5, max_value=10**12),
                            st.lists(st.integers(min_value=0, max_value=10**12), max_size=8)), min_size=1, max_size=8)


@given(groups=groups, scale=st.floats(min_value=0, max_value=1.2))
def test_rationing_many_groups_at_once_matches_one_group_at_a_time(groups, scale: float) -> None:
    available = [min(stock, int(sum(requested) * scale)) for stock, requested in groups]
    group = np.array([g for g, (_stock, requested) in enumerate(groups) for _ in requested], dtype=np.int64)
    requested = np.array([q for _stock, wanted in groups for q in wanted], dtype=np.int64)
    expected = [q for stock, (_s, wanted) in zip(available, groups, strict=True)
                for q in ration_quantities(stock, wanted)]
    assert ration_groups(np.array(available), group, requested).tolist() == expected


def test_rationing_many_groups_splits_each_groups_stock_among_its_own_orders() -> None:
    # Group 0: 10 chips for 6 + 9 asked; group 1: plenty; group 2: 2 chips, three ties of 1.
    filled = ration_groups(np.array([10, 100, 2]), np.array([0, 0, 1, 2, 2, 2]), np.array([6, 9, 5, 1, 1, 1]))
    assert filled.tolist() == [4, 6, 5, 1, 1, 0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 70_000), st.floats(-0.999999, 0.0)), max_size=300))
def test_rows_ordered_within_groups_as_lexsort_orders_them(drawn: list) -> None:
    # Few distinct remainders (ties broken by row) and run numbers past 16 bits both occur; repeated, the rows are
    # also enough for the radix sorts (small sets go to lexsort itself).
    repeats = 1 if len(drawn) % 2 else SMALL_SORT_ROWS // max(1, len(drawn)) + 1
    rows = sorted(drawn * repeats, key=lambda row: row[0])  # runs come in order, as in ration_groups
    run = np.array([r for r, _ in rows], dtype=np.int64)
    remainder = np.array([round(x, 2) for _, x in rows], dtype=float)
    expected = np.lexsort((np.arange(len(rows)), remainder, run))
    for runs_count in (int(run.max(initial=0)) + 1, 1 << 17):
        assert order_within_groups(run, remainder, runs_count).tolist() == expected.tolist()
        whole = np.round(remainder * 100).astype(np.int64)  # whole numbers too, negative ones included
        assert order_within_groups(run, whole, runs_count).tolist() == np.lexsort(
            (np.arange(len(rows)), whole, run)).tolist()


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**62), st.integers(1, 5000), st.integers(0, 2**32))
def test_stable_order_is_numpys_stable_argsort(span: int, rows: int, seed: int) -> None:
    keys = np.random.default_rng(seed).integers(-span // 2 - 1, span // 2 + 1, size=rows)  # ties when span is small
    assert stable_order(keys).tolist() == np.argsort(keys, kind="stable").tolist()


@pytest.mark.parametrize("span_bits", [4, 20, 48, 49, 62])
def test_stable_order_agrees_whether_keys_and_rows_pack_into_63_bits_or_not(span_bits: int) -> None:
    # 20,000 rows take 15 bits: keys spanning up to 48 bits are packed with their row numbers and sorted; wider ones
    # go through the radix passes. Ties (narrow spans) and negative keys included.
    keys = np.random.default_rng(span_bits).integers(-(1 << span_bits), 1 << span_bits, size=20_000) // 2
    assert stable_order(keys).tolist() == np.argsort(keys, kind="stable").tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 1000)), min_size=1, max_size=200),
       st.sampled_from([1001, 1 << 40, 1 << 61]))
def test_rows_ranked_by_remainder_within_runs_largest_first(drawn: list, largest_wanted: int) -> None:
    # Both ways of ranking (one packed key, or lexsort when run and remainder do not fit 62 bits together).
    rows = sorted(drawn, key=lambda row: row[0])
    run = np.unique([r for r, _ in rows], return_inverse=True)[1].astype(np.int64)
    remainder = np.array([x for _, x in rows], dtype=np.int64)
    expected = sorted(range(len(rows)), key=lambda i: (run[i], -remainder[i], i))
    assert _order_by_remainder(run, remainder, largest_wanted).tolist() == expected
