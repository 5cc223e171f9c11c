"""The five kinds of agent that trade chips over the network."""

from sim.agents.datacenter import DataCenterAgent
from sim.agents.enforcement import EnforcementAgent
from sim.agents.fab import FabAgent
from sim.agents.intermediary import IntermediaryAgent
from sim.agents.vendor import VendorAgent

__all__ = ["DataCenterAgent", "EnforcementAgent", "FabAgent", "IntermediaryAgent", "VendorAgent"]
