"""What moved over each edge of the trade network in a run: the flows by edge number, and the network as a
networkx graph carrying them."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

# What moves over an edge, as ``EdgeFlows`` names it (each with ``_total`` and ``_this_month``).
FLOW_NAMES = ("chips", "h100e", "licensed_chips", "licensed_h100e", "rented_h100e_months")


@dataclass(frozen=True)
class EdgeFlows:
    """What moved over each edge of the trade network, by edge number (arrays named ``<flow>_total`` since the start
    and ``<flow>_this_month``, flows as in ``FLOW_NAMES``): chips and H100e shipped (seized ones included: they
    left), the part of those shipped under licence, and H100e-months of compute rented."""

    graph: nx.DiGraph  # the trade network (frozen)
    node_ids: list[str]
    edge_source: np.ndarray  # node number, by edge number
    edge_target: np.ndarray
    flows: dict[str, np.ndarray]

    def to_graph(self) -> nx.DiGraph:
        """A copy of the trade network (unfrozen, a dict per edge) whose edges carry these flows as attributes."""
        graph = self.graph.copy()  # graph attributes come with the copy
        columns = {name: values.tolist() for name, values in self.flows.items()}
        ids = self.node_ids
        for edge, (source, target) in enumerate(zip(self.edge_source.tolist(), self.edge_target.tolist(),
                                                    strict=True)):
            graph.edges[ids[source], ids[target]].update({name: values[edge] for name, values in columns.items()})
        return graph
