"""The trade network as a networkx graph: exactly the agents and their relationships, with what flowed over them."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from sim import run_scenario
from sim.model import ChipSupplyModel
from sim.outputs import write_run_outputs
from sim.scenario import LoadedScenario
from tests.conftest import smuggling_world, tiny


def test_the_graphs_nodes_and_edges_are_exactly_the_agents_and_their_relationships() -> None:
    model = ChipSupplyModel(smuggling_world(), seed=0)
    graph = model.network.graph
    assert list(graph.nodes) == list(model.agents_by_id)
    for agent_id, agent in model.agents_by_id.items():
        node = graph.nodes[agent_id]
        assert (node["kind"], node["country"], node["bloc"], node["tier"]) == (
            agent.kind, agent.country, agent.bloc, agent.tier)
    assert graph.nodes["usdc"]["size"] == 500000.0 and graph.graph["size_unit_data_center"] == "budget_usd_per_month"
    # The tiny world's relationships, written out: fabs produce for their vendors, vendors sell to the distributor
    # and to data centers, the distributor sells to the Singapore center and smuggles to the Chinese one.
    assert {(source, target, kind) for source, target, kind in graph.edges(data="kind")} == {
        ("usfab", "usv", "production"), ("cnfab", "cnv", "production"),
        ("usv", "sgdist", "legal"), ("usv", "usdc", "legal"), ("cnv", "cndc", "legal"),
        ("sgdist", "sgdc", "legal"), ("sgdist", "cndc", "smuggled"),
    }
    assert graph.edges["usfab", "usv"]["lead_time_months"] == 1  # the tiny world's production lead time
    assert model.network.edge_count == graph.number_of_edges()


def test_the_network_is_frozen_and_its_edges_read_only() -> None:
    graph = ChipSupplyModel(tiny(), seed=0).network.graph
    with pytest.raises(nx.NetworkXError, match="Frozen"):
        graph.add_edge("usv", "cndc")
    with pytest.raises(TypeError):
        graph.edges["usv", "usdc"]["kind"] = "smuggled"
    copy = graph.copy()  # an analysis works on a copy, where each edge has a dict of its own
    copy.edges["usv", "usdc"]["weight"] = 1.0
    assert "weight" not in copy.edges["usv", "sgdist"] and "weight" not in graph.edges["usv", "usdc"]


def _flows_by_kind_and_blocs(graph: nx.DiGraph) -> pd.DataFrame:
    """Chips and H100e over the whole run by (kind, from bloc, to bloc), as the flows table counts them: a legal
    edge's licensed part counts as licensed."""
    rows = []
    for source, target, data in graph.edges(data=True):
        blocs = (graph.nodes[source]["bloc"], graph.nodes[target]["bloc"])
        licensed_chips, licensed_h100e = data["licensed_chips_total"], data["licensed_h100e_total"]
        rows.append((data["kind"], *blocs, data["chips_total"] - licensed_chips,
                     data["h100e_total"] - licensed_h100e))
        rows.append(("licensed", *blocs, licensed_chips, licensed_h100e))
    frame = pd.DataFrame(rows, columns=["kind", "from_bloc", "to_bloc", "chips", "h100e"])
    frame = frame[(frame["kind"] != "rented") & (frame["chips"] > 0)]
    return frame.groupby(["kind", "from_bloc", "to_bloc"])[["chips", "h100e"]].sum().sort_index()


def test_a_runs_graphml_reads_back_and_its_flows_add_up_to_the_flows_table(tmp_path: Path) -> None:
    scenario = smuggling_world()
    result = run_scenario(scenario, seed=2)
    folder = write_run_outputs(result, LoadedScenario(scenario, None, None, {}), tmp_path)
    graph = nx.read_graphml(folder / "network.graphml")
    assert set(graph.nodes) == set(ChipSupplyModel(scenario, seed=2).agents_by_id)
    table = result.tables["flows"].groupby(["kind", "from_bloc", "to_bloc"])[["chips", "h100e"]].sum().sort_index()
    from_graph = _flows_by_kind_and_blocs(graph)
    assert from_graph.index.tolist() == table.index.tolist()
    assert from_graph["chips"].tolist() == table["chips"].tolist()  # whole chips: exact
    assert from_graph["h100e"].tolist() == pytest.approx(table["h100e"].tolist(), rel=1e-12)
    assert "smuggled" in from_graph.index.get_level_values("kind")
    last_month = result.tables["flows"].query("date == @result.until")["chips"].sum()
    assert sum(data["chips_this_month"] for _s, _t, data in graph.edges(data=True)) == last_month
