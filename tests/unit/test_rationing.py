"""Rationing in plain Python gives exactly the shares of the numpy largest-remainder rule it stands in for."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.agents.market import ration_quantities
from sim.world import largest_remainder

requests = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=40)


@given(requested=requests, available_share=st.floats(min_value=0, max_value=1.2))
def test_rationing_matches_largest_remainder(requested: list[int], available_share: float) -> None:
    available = int(sum(requested) * available_share)
    shares = ration_quantities(available, requested)
    if sum(requested) <= available:
        assert shares == requested
    else:
        assert shares == largest_remainder(available, np.array(requested)).tolist()
        assert sum(shares) == available
        assert all(0 <= share <= wanted for share, wanted in zip(shares, requested, strict=True))


@given(requested=st.lists(st.just(7), min_size=2, max_size=9))
def test_ties_go_to_the_earlier_orders(requested: list[int]) -> None:
    shares = ration_quantities(len(requested) - 1, requested)
    assert shares == [1] * (len(requested) - 1) + [0]
