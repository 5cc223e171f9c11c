"""chipsim: an agent-based simulation of the AI-chip supply chain and the policies that try to control it.

The Python API for notebooks::

    from sim import load_scenario, run_scenario
    loaded = load_scenario("scenarios/baseline.yaml", overrides={"parameters.demand_noise_sigma.value": 0.2})
    result = run_scenario(loaded, seed=3, until="2027-12")
    result.blocs      # per month and bloc: installed H100e by source, acquisitions, retirements, spending
    result.world      # per month: US:China ratio, lead in months, chip balance
"""

from importlib.metadata import PackageNotFoundError, version

from sim.run import RunResult, run_scenario
from sim.scenario import LoadedScenario, ScenarioError, load_scenario

try:
    __version__ = version("chipsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["LoadedScenario", "RunResult", "ScenarioError", "__version__", "load_scenario", "run_scenario"]
