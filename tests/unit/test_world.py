"""Population generators: totals are kept, members are local and seeded, and populations do not disturb each other."""

from __future__ import annotations

import numpy as np

from sim.catalog import build_catalog
from sim.rng import RandomStreams
from sim.world import build_world, largest_remainder
from tests.conftest import tiny

POPULATIONS = {
    "intermediaries": [
        {"id": "hub", "country": "SG", "count": 4, "vendors": ["usv"], "markup_fraction_low": 0.1,
         "markup_fraction_high": 0.3, "source": "assumption: test"},
    ],
    "data_centers": [
        {"id": "hubdc", "country": "SG", "count": 20, "total_budget_usd_per_month": 1.0e6,
         "budget_growth_factor_per_year": 1.2, "size_distribution": {"sigma": 1.0}, "intermediaries_per_buyer": 2,
         "initial_stock": [{"h100e_total": 1000.0, "chip": "big", "max_age_months": 12, "source": "assumption: t"}],
         "source": "assumption: test"},
    ],
}


def _world(seed: int, populations: dict = POPULATIONS):
    scenario = tiny(populations=populations)
    return build_world(scenario, RandomStreams(seed), build_catalog(scenario))


def _members(world, prefix: str):
    return [dc for dc in world.data_centers if dc.id.startswith(prefix)]


def test_population_keeps_its_totals() -> None:
    world = _world(1)
    members = _members(world, "hubdc_")
    assert len(members) == 20
    assert abs(sum(m.budget_usd_per_month for m in members) - 1.0e6) < 1e-6
    initial = world.initial_chips
    member_rows = np.isin(initial.center, [world.data_centers.index(m) for m in members])
    assert initial.count[member_rows].sum() == 1000  # 1000 H100e of a 1.0 H100e chip
    assert {world.initial_chip_ids[c] for c in initial.chip[member_rows]} == {"big"}
    assert (initial.age_months[member_rows] >= 0).all() and (initial.age_months[member_rows] <= 12).all()
    assert (initial.count > 0).all()
    # Spread over ages: a member with many chips has them at several ages.
    biggest = members.index(max(members, key=lambda m: m.budget_usd_per_month))
    assert len(set(initial.age_months[initial.center == world.data_centers.index(members[biggest])])) > 3


def test_listed_data_centers_start_with_their_cohorts() -> None:
    world = _world(1)
    initial = world.initial_chips
    listed = [(position, center) for position, center in enumerate(world.data_centers)
              if not center.id.startswith("hubdc_")]
    assert any(center.initial_installed for _position, center in listed)
    for position, center in listed:
        rows = initial.center == position
        assert sorted(zip(initial.age_months[rows].tolist(), initial.count[rows].tolist(), strict=True)) == sorted(
            (cohort.age_months, cohort.count) for cohort in center.initial_installed)


def test_members_buy_from_distinct_local_intermediaries() -> None:
    world = _world(1)
    local = {item.id for item in world.intermediaries if item.country == "SG"}
    for member in _members(world, "hubdc_"):
        assert len(member.suppliers) == 2 == len(set(member.suppliers))
        assert set(member.suppliers) <= local


def test_intermediary_markups_are_drawn_within_their_range() -> None:
    hubs = [item for item in _world(1).intermediaries if item.id.startswith("hub_")]
    assert len(hubs) == 4
    assert all(0.1 <= item.markup_fraction <= 0.3 for item in hubs)
    assert len({item.markup_fraction for item in hubs}) == 4


def test_same_seed_same_population_and_another_seed_another() -> None:
    sizes = [[m.budget_usd_per_month for m in _members(_world(seed), "hubdc_")] for seed in (3, 3, 4)]
    assert sizes[0] == sizes[1] != sizes[2]


def test_adding_a_population_leaves_the_others_unchanged() -> None:
    extra = {
        **POPULATIONS,
        "data_centers": [
            {**POPULATIONS["data_centers"][0], "id": "another", "count": 5},
            *POPULATIONS["data_centers"],
        ],
    }
    before = [m.budget_usd_per_month for m in _members(_world(3), "hubdc_")]
    after = [m.budget_usd_per_month for m in _members(_world(3, extra), "hubdc_")]
    assert before == after


def test_trade_edges_follow_supplier_lists() -> None:
    world = _world(1)
    legal = {(source, target) for source, target, kind in world.graph.edges(data="kind") if kind == "legal"}
    for member in world.data_centers:
        for supplier in member.suppliers:
            assert (supplier, member.id) in legal
    assert world.graph.edges["usfab", "usv"]["kind"] == "production"


def test_largest_remainder_split_is_exact() -> None:
    assert largest_remainder(10, [1, 1, 1]).tolist() == [4, 3, 3]
    assert largest_remainder(7, [0.5, 0.25, 0.25]).sum() == 7
    assert largest_remainder(0, [1, 2]).tolist() == [0, 0]
