"""The trade network: who supplies whom, in which order, over which kind of edge, and where shipments may go."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.catalog import ChipIndex, build_catalog
from sim.trade import KIND_CODE, Rentals, TradeNetwork
from sim.world import EDGE_LEGAL, EDGE_PRODUCTION, EDGE_RENTED, EDGE_SMUGGLED, EdgeSpec, relationship_graph
from tests.conftest import tiny

# Each node's kind, country and bloc, as the world builder gives them.
NODE_ATTRIBUTES = {"fab": ("fab", "TW", "us_allies"), "vendor": ("vendor", "US", "us_allies"),
                   "hub": ("intermediary", "SG", "rest"), "dc_a": ("data_center", "CN", "china"),
                   "dc_b": ("data_center", "US", "us_allies")}
NODES = list(NODE_ATTRIBUTES)
COUNTRIES = ("US", "CN", "TW", "SG")


def _network(edges: list[EdgeSpec]) -> TradeNetwork:
    nodes = [(node, {"kind": kind, "country": country, "bloc": bloc})
             for node, (kind, country, bloc) in NODE_ATTRIBUTES.items()]
    return TradeNetwork(relationship_graph(edges, nodes), ChipIndex(build_catalog(tiny())), COUNTRIES)


def test_each_node_is_numbered_within_its_kind_with_its_country_and_bloc() -> None:
    network = _network([EdgeSpec("fab", "vendor", EDGE_PRODUCTION, 3)])
    assert network.node_vendor.tolist() == [-1, 0, -1, -1, -1]
    assert network.node_intermediary.tolist() == [-1, -1, 0, -1, -1]
    assert network.node_center.tolist() == [-1, -1, -1, 0, 1]
    assert (network.fab_node.tolist(), network.vendor_node.tolist(), network.center_node.tolist()) == ([0], [1], [3, 4])
    assert network.node_country.tolist() == [2, 0, 3, 1, 0]
    assert network.node_bloc_code.tolist() == [0, 0, 2, 1, 0]


def test_suppliers_and_customers_come_in_the_order_the_edges_were_given() -> None:
    network = _network([
        EdgeSpec("fab", "vendor", EDGE_PRODUCTION, 3),
        EdgeSpec("vendor", "dc_a", EDGE_LEGAL, 1),
        EdgeSpec("hub", "dc_a", EDGE_SMUGGLED, 1),
        EdgeSpec("vendor", "hub", EDGE_LEGAL, 1),
        EdgeSpec("dc_b", "dc_a", EDGE_RENTED, 0),
    ])
    assert network.suppliers_of("dc_a") == ["vendor", "hub", "dc_b"]
    assert network.customers_of("vendor") == ["dc_a", "hub"]
    assert network.suppliers_of("fab") == [] and network.customers_of("dc_a") == []
    assert network.edge_kind("hub", "dc_a") == EDGE_SMUGGLED
    assert network.edge_lead_time_months("fab", "vendor") == 3
    assert network.edge_lead_time_months("dc_b", "dc_a") == 1  # nothing arrives in the month it was sent
    assert network.edge_count == 5


def test_a_repeated_edge_keeps_its_place_and_takes_the_later_kind() -> None:
    network = _network([
        EdgeSpec("vendor", "dc_a", EDGE_LEGAL, 1),
        EdgeSpec("hub", "dc_a", EDGE_LEGAL, 1),
        EdgeSpec("vendor", "dc_a", EDGE_SMUGGLED, 2),
    ])
    assert network.suppliers_of("dc_a") == ["vendor", "hub"]
    assert network.edge_kind("vendor", "dc_a") == EDGE_SMUGGLED
    assert network.edge_count == 2


EDGES = st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES),
                           st.sampled_from([EDGE_LEGAL, EDGE_SMUGGLED, EDGE_RENTED, EDGE_PRODUCTION]),
                           st.integers(0, 6)), max_size=30)


@given(EDGES)
def test_the_network_answers_as_a_plain_reading_of_its_edge_list(given_edges) -> None:
    # The reference: edges in the order first given, each with the kind and lead time it was given last.
    network = _network([EdgeSpec(*edge) for edge in given_edges])
    latest: dict[tuple[str, str], tuple[str, int]] = {}
    for source, target, kind, lead in given_edges:
        latest[source, target] = (kind, max(1, lead))
    assert network.edge_count == len(latest)
    for node in NODES:
        assert network.suppliers_of(node) == [source for source, target in latest if target == node]
        assert network.customers_of(node) == [target for source, target in latest if source == node]
        for kinds in ((EDGE_SMUGGLED,), (EDGE_LEGAL, EDGE_PRODUCTION)):
            assert network.suppliers_of(node, kinds) == [
                source for (source, target), (kind, _lead) in latest.items() if target == node and kind in kinds]
            assert network.customers_of(node, kinds) == [
                target for (source, target), (kind, _lead) in latest.items() if source == node and kind in kinds]
    for source in NODES:
        for target in NODES:
            if (source, target) in latest:
                kind, lead = latest[source, target]
                assert network.edge_kind(source, target) == kind
                assert network.edge_lead_time_months(source, target) == lead
            else:
                with pytest.raises(KeyError, match=f"{source}->{target}"):
                    network.edge_kind(source, target)


def test_edges_to_unknown_agents_and_shipments_off_the_network_are_refused() -> None:
    with pytest.raises(KeyError, match="ghost"):
        _network([EdgeSpec("vendor", "ghost", EDGE_LEGAL, 1)])
    network = _network([EdgeSpec("vendor", "dc_a", EDGE_LEGAL, 2)])
    number = network.node_number
    one = np.ones(1, dtype=np.int64)
    with pytest.raises(KeyError, match="vendor->dc_b"):
        network.ship(number["vendor"] * one, number["dc_b"] * one, 0 * one, one, 5, one * 1.0, one * 1.0)
    network.ship(number["vendor"] * one, number["dc_a"] * one, 0 * one, one, 5, one * 1.0, one * 1.0)
    shipped = network.shipped_this_tick
    assert shipped.arrival_month.tolist() == [7] and shipped.kind.tolist() == [KIND_CODE[EDGE_LEGAL]]


def _rentals(network: TradeNetwork, hosts: list[str], tenants: list[str], h100e: list[float]) -> Rentals:
    number = network.node_number  # a host that is no node is given number 99
    return Rentals(host=np.array([number.get(host, 99) for host in hosts]),
                   tenant=np.array([number[tenant] for tenant in tenants]),
                   h100e=np.array(h100e), value_usd=5.0 * np.array(h100e))


def rentals_by_id(network: TradeNetwork) -> list[tuple[str, str, float, float]]:
    """The month's rentals as (host id, tenant id, H100e-months, USD)."""
    rented, ids = network.rented_this_tick, network.node_ids
    return [(ids[host], ids[tenant], h100e, value_usd) for host, tenant, h100e, value_usd in zip(
        rented.host.tolist(), rented.tenant.tolist(), rented.h100e.tolist(), rented.value_usd.tolist(), strict=True)]


def test_rentals_are_recorded_only_over_edges_and_a_bad_pair_is_named() -> None:
    network = _network([EdgeSpec("dc_b", "dc_a", EDGE_RENTED, 0), EdgeSpec("vendor", "dc_a", EDGE_LEGAL, 1)])
    network.record_rentals(_rentals(network, ["dc_b"], ["dc_a"], [2.0]))
    network.record_rentals(_rentals(network, ["dc_b"], ["dc_a"], [1.0]))  # a month's rentals add up
    assert rentals_by_id(network) == [("dc_b", "dc_a", 2.0, 10.0), ("dc_b", "dc_a", 1.0, 5.0)]
    for hosts, tenants, named in ((["dc_b", "dc_a"], ["dc_a", "dc_b"], "dc_a->dc_b"),
                                  (["dc_b", "ghost"], ["dc_a", "dc_a"], r"\(node 99: not in the network\)->dc_a")):
        with pytest.raises(KeyError, match=f"no rented edge {named}"):
            network.record_rentals(_rentals(network, hosts, tenants, [1.0, 1.0]))
    assert len(network.rented_this_tick) == 2  # a refused batch records nothing
    network.begin_tick()
    assert len(network.rented_this_tick) == 0  # a new month starts with none


@given(st.lists(st.tuples(st.sampled_from(["dc_a", "dc_b"]), st.integers(1, 2**40), st.integers(0, 1)),
                min_size=1, max_size=20))
def test_shipments_arrive_exactly_as_sent_whatever_width_they_are_filed_in(sent) -> None:
    # Filed shipments are kept in the narrowest integers that hold them; what arrives (and what is pending) must be
    # the rows sent, in order, as int64 ready for arithmetic, counts of any size included.
    network = _network([EdgeSpec("vendor", "dc_a", EDGE_LEGAL, 1), EdgeSpec("vendor", "dc_b", EDGE_SMUGGLED, 2)])
    number = network.node_number
    network.chips.numbers(list(network.chips.catalog)[:2])
    rows = len(sent)
    target = np.array([number[name] for name, _count, _chip in sent], dtype=np.int64)
    count = np.array([count for _name, count, _chip in sent], dtype=np.int64)
    chip = np.array([chip for _name, _count, chip in sent], dtype=np.int64)
    network.ship(np.full(rows, number["vendor"]), target, chip, count, 5, count * 0.5, count * 2.0)
    network.begin_tick()  # files last month's shipments
    pending = network.pending()  # earliest arrival first
    by_month = {6: target == number["dc_a"], 7: target == number["dc_b"]}
    assert pending.count.tolist() == count[by_month[6]].tolist() + count[by_month[7]].tolist() and all(
        getattr(pending, name).dtype == np.int64 for name in pending.column_names()
        if name not in pending.FLOAT_COLUMNS)
    arrived = [network.arrivals(month) for month in (6, 7)]
    for month, arriving in zip((6, 7), arrived, strict=True):
        assert arriving.count.dtype == np.int64 and arriving.target.dtype == np.int64
        assert arriving.count.tolist() == count[by_month[month]].tolist()
        assert arriving.chip.tolist() == chip[by_month[month]].tolist()
        assert arriving.h100e.tolist() == (count[by_month[month]] * 0.5).tolist()
    assert network.in_transit_by_chip().tolist() == [0] * len(network.in_transit_by_chip())


@given(st.lists(st.tuples(st.sampled_from(["dc_a", "dc_b"]), st.integers(1, 2**40), st.booleans()),
                min_size=1, max_size=20))
def test_seized_shipments_never_arrive_and_leave_transit_at_once(sent) -> None:
    network = _network([EdgeSpec("vendor", "dc_a", EDGE_LEGAL, 1), EdgeSpec("vendor", "dc_b", EDGE_SMUGGLED, 2)])
    number = network.node_number
    network.chips.numbers(list(network.chips.catalog)[:1])
    target = np.array([number[name] for name, _count, _seized in sent], dtype=np.int64)
    count = np.array([count for _name, count, _seized in sent], dtype=np.int64)
    seized = np.array([seized for _name, _count, seized in sent], dtype=bool)
    rows = len(sent)
    network.ship(np.full(rows, number["vendor"]), target, np.zeros(rows, dtype=np.int64), count, 5, count * 1.0,
                 count * 2.0)
    network.seize(np.flatnonzero(seized))
    assert network.in_transit_by_chip()[0] == count[~seized].sum()
    network.begin_tick()  # files last month's shipments, less the seized ones
    assert network.in_transit_by_chip()[0] == count[~seized].sum()
    for month, to in ((6, "dc_a"), (7, "dc_b")):
        expected = ~seized & (target == number[to])
        assert network.arrivals(month).count.tolist() == count[expected].tolist()  # in the order sent
    assert network.in_transit_by_chip()[0] == 0
    assert len(network.pending()) == 0
