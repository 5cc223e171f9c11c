"""The SolaraViz page: the supply network, the compute race and leakage, with the main levers as controls.

Serve it with ``chipsim viz [SCENARIO]`` (it runs ``solara run`` on this file). Mesa's SolaraViz rebuilds the model as
``ChipSupplyViz(**controls)`` on RESET, so every control is an argument of that class: a changed lever takes effect on
reset. The scenario files offered are those of the scenarios folder; the levers are added to the chosen scenario as
policies in force from its first month.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.model import ChipSupplyModel
from sim.scenario import load_scenario
from sim.scenario.load import resolve_extends
from sim.viz.live import live_figures
from sim.viz.tabs import use_forget_tab_on_close

SCENARIO_DIR = Path(os.environ.get("CHIPSIM_SCENARIO_DIR", Path(__file__).resolve().parents[2] / "scenarios"))
DEFAULT_SCENARIO = os.environ.get("CHIPSIM_VIZ_SCENARIO", "baseline.yaml")


def lever_policies(start: str, base_policies: list[dict], enforcement_funding: float, export_threshold_tpp: int,
                   cloud_kyc: bool, sme_coordinated: bool, distillation_ban: bool) -> list[dict]:
    """The scenario's policies with the page's levers applied, all in force from the scenario's first month."""
    policies = [dict(policy, params=dict(policy.get("params", {}))) for policy in base_policies]
    lever = {"announce": start, "effective": start, "source": "assumption: set in the browser"}
    for policy in policies:
        if policy.get("id") == "controls_3a090" or (
            policy.get("type") == "export_control" and "tpp_threshold" in policy["params"]
            and policy["params"].get("ratchet_cadence_months") is None
        ):
            policy["params"]["tpp_threshold"] = float(export_threshold_tpp)
            break
    for policy in policies:
        if policy.get("type") == "sme_controls":
            policy["params"]["coordinated"] = bool(sme_coordinated)
    if enforcement_funding != 1.0:
        funding = {"budget_multiplier": float(enforcement_funding)}
        policies.append({**lever, "type": "enforcement_funding", "params": funding})
    if cloud_kyc:
        policies.append({**lever, "type": "cloud_access", "params": {"kyc_detection": 0.8, "remote_access_rule": True}})
    if distillation_ban:
        policies.append({**lever, "type": "distillation_ban", "params": {"compliance": 0.5, "detection": 0.5}})
    return policies


class ChipSupplyViz(ChipSupplyModel):
    """ChipSupplyModel built from the page's controls."""

    def __init__(self, scenario: str = DEFAULT_SCENARIO, seed: int = 0, enforcement_funding: float = 1.0,
                 export_threshold_tpp: int = 4800, cloud_kyc: bool = False, sme_coordinated: bool = False,
                 distillation_ban: bool = False) -> None:
        path = SCENARIO_DIR / scenario
        raw = resolve_extends(path)
        policies = lever_policies(raw["start"], raw.get("policies", []), enforcement_funding, export_threshold_tpp,
                                  cloud_kyc, sme_coordinated, distillation_ban)
        super().__init__(load_scenario(path, {"policies": policies}).scenario, seed=int(seed))


@solara.component
def DateBanner(model: ChipSupplyModel) -> None:
    update_counter.get()
    shown = model.date if model.month >= model.start_month else f"before {model.scenario.start}"
    summary = ""
    if model.recorder.world_rows:
        world = model.recorder.world_rows[-1]
        china = next(row for row in reversed(model.recorder.bloc_rows) if row["bloc"] == "china")
        summary = (f" <small class='chipsim-summary'>US:China {world['us_china_ratio']:.3f}x, lead "
                   f"{world['lead_months']:.2f} months, China {china['effective_h100e'] / 1e6:.3f}M H100e</small>")
    # Plain HTML: solara.Markdown would fetch KaTeX from a CDN, which fails offline.
    solara.HTML(tag="h2", unsafe_innerHTML=f"{model.scenario.name}: <span class='chipsim-date'>{shown}</span>{summary}")


def _show(name: str, model: ChipSupplyModel) -> None:
    solara.Image(live_figures(model).png(name, model), format="png")


@solara.component
def NetworkView(model: ChipSupplyModel) -> None:
    update_counter.get()
    _show("network", model)


@solara.component
def ComputeView(model: ChipSupplyModel) -> None:
    update_counter.get()
    _show("compute", model)


@solara.component
def LeadView(model: ChipSupplyModel) -> None:
    update_counter.get()
    _show("lead", model)


@solara.component
def LeakageView(model: ChipSupplyModel) -> None:
    update_counter.get()
    _show("leakage", model)


def model_params() -> dict[str, Any]:
    scenarios = sorted(path.name for path in SCENARIO_DIR.glob("*.yaml"))
    return {
        "scenario": {"type": "Select", "value": DEFAULT_SCENARIO, "values": scenarios, "label": "scenario"},
        "seed": {"type": "SliderInt", "value": 0, "min": 0, "max": 99, "step": 1, "label": "seed"},
        "enforcement_funding": {"type": "SliderFloat", "value": 1.0, "min": 0.25, "max": 10.0, "step": 0.25,
                                "label": "enforcement funding (x)"},
        "export_threshold_tpp": {"type": "SliderInt", "value": 4800, "min": 1600, "max": 40000, "step": 400,
                                 "label": "export threshold (TPP)"},
        "cloud_kyc": {"type": "Checkbox", "value": False, "label": "cloud KYC + remote-access rule"},
        "sme_coordinated": {"type": "Checkbox", "value": False, "label": "SME controls coordinated with allies"},
        "distillation_ban": {"type": "Checkbox", "value": False, "label": "distillation ban"},
    }


def make_page(model: ChipSupplyViz | solara.Reactive):
    return SolaraViz(
        model,
        components=[DateBanner, NetworkView, ComputeView, LeadView, LeakageView],
        model_params=model_params(),
        name="chipsim",
        play_interval=300,
    )


@solara.component
def Page():
    """The page solara serves: a model of its own for every browser tab (a module-level model would be shared by
    every tab, so two people would step the same run)."""
    model = solara.use_reactive(solara.use_memo(ChipSupplyViz, dependencies=[]))  # RESET replaces its value
    use_forget_tab_on_close(model)
    return make_page(model)
