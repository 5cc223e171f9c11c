"""The page's levers: what a scenario file already does with each of them, and the scenario's policies with the
user's changes applied.

A lever the user has not touched changes nothing: the run is the scenario exactly as ``chipsim run`` runs it. A
changed lever edits the scenario's own policy where the scenario has one (keeping that policy's dates and its other
settings) and otherwise adds a policy announced in ``LEVER_ANNOUNCE`` and in force from ``LEVER_EFFECTIVE``, the
dates the scenario files use for their levers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from sim.viz.policy_levers import POLICY_LEVER_BY_NAME, POLICY_LEVERS

LEVER_ANNOUNCE, LEVER_EFFECTIVE = "2025-07", "2026-01"
LEVER_SOURCE = "assumption: set on the browser page"


@dataclass(frozen=True)
class Lever:
    name: str
    label: str
    kind: Literal["slider", "checkbox"]
    group: str
    help: str  # one short line under the control: what the lever does when on
    minimum: float = 0.0
    maximum: float = 1.0
    step: float = 1.0
    shown: str = "{:g}"  # a slider's value in words, as str.format
    short: str = ""  # the lever in the run's title
    zero_is_off: bool = False  # a slider whose 0 switches its policy off (sim/viz/policy_levers.py)

    def value_text(self, value: object) -> str:
        if self.kind == "checkbox" or (self.zero_is_off and not value):
            return "on" if value else "off"
        return self.shown.format(float(value))


CHIPS, CLOUD, WEIGHTS = "Chips: export controls and enforcement", "Compute rented abroad", "Model weights"
LEVERS = (
    Lever("enforcement_funding", "Enforcement funding (x today's budgets)", "slider", CHIPS,
          "Every enforcement body's budget: more inspections, more smuggled chips seized.", 0.25, 10.0, 0.25,
          "{:g}x"),
    Lever("export_threshold_tpp", "Export-control threshold", "slider", CHIPS, "", 1600, 40000, 400,
          "{:,.0f} TPP"),
    Lever("sme_coordinated", "Chip-tool (SME) controls coordinated with allies", "checkbox", CHIPS,
          "Allied toolmakers align fully: China's fabs grow and learn yield more slowly.", short="SME coordinated"),
    Lever("packaging_controls", "Packaging-tool controls", "slider", CHIPS,
          "Share of China's advanced-packaging growth and bonding-yield learning that controls on bonders stop.",
          0.0, 1.0, 0.05, "{:.0%}", "packaging controls", True),
    Lever("hbm_export_control", "HBM export control", "slider", CHIPS,
          "Share of the HBM that Samsung and SK hynix would sell China's fabs that the rule stops.",
          0.0, 1.0, 0.05, "{:.0%}", "HBM control", True),
    Lever("alliance_pressure", "Alliance pressure on each ally", "slider", CHIPS,
          "What not aligning export controls costs each allied government a year; the US repays 25% of lost sales.",
          0.0, 10.0, 0.5, "{:g}B USD a year", "alliance pressure", True),
    Lever("cloud_kyc", "Cloud KYC + remote-access rule", "checkbox", CLOUD,
          "Cloud hosts refuse tenants from controlled countries, at home and offshore.", short="cloud KYC"),
    Lever("training_run_monitoring", "Training-run monitoring", "checkbox", CLOUD,
          "The US, its allies, Singapore and Malaysia report runs over 1e25 FLOP and refuse the Chinese tenants "
          "behind them.", short="run monitoring"),
    Lever("weight_security", "Weight vaults (SL4) at US labs", "checkbox", WEIGHTS,
          "US labs and their licensees abroad hold weights at RAND's SL4, for 2% of their compute.",
          short="weight vaults"),
    Lever("weight_export_control", "Export control on frontier weights", "checkbox", WEIGHTS,
          "Weights trained with 1e26 FLOP or more stay out of Tier 2 and 3 (ECCN 4E091).",
          short="weights control"),
    Lever("distillation_ban", "Distillation ban", "checkbox", WEIGHTS,
          "Takes back half of what China gains by distilling US frontier models.", short="distillation ban"),
)
LEVER_GROUPS = tuple(dict.fromkeys(lever.group for lever in LEVERS))
LEVER_BY_NAME = {lever.name: lever for lever in LEVERS}


@dataclass(frozen=True)
class LeverInScenario:
    """What a scenario file does with a lever: the control's value, and in words (with its dates)."""

    value: float | bool
    described: str
    in_scenario: bool  # False: the scenario leaves this lever alone


def _enabled(policies: list[dict], kind: str) -> list[dict]:
    return [p for p in policies if p.get("enabled", True) and p.get("type") == kind]


def _threshold_policy(policies: list[dict]) -> dict | None:
    """The export control that sets the main TPP threshold: the one in force last, if several."""
    candidates = [p for p in _enabled(policies, "export_control")
                  if p.get("params", {}).get("tpp_threshold") is not None
                  or p.get("params", {}).get("ratchet_cadence_months") is not None]
    return max(candidates, key=lambda p: p["effective"], default=None)


def _funding_policy(policies: list[dict]) -> dict | None:
    """The last enforcement-funding policy that covers every enforcement body."""
    every_body = [p for p in _enabled(policies, "enforcement_funding") if not p.get("params", {}).get("bodies")]
    return every_body[-1] if every_body else None


def _cloud_kyc_policies(policies: list[dict]) -> list[dict]:
    return [p for p in _enabled(policies, "cloud_access")
            if p.get("params", {}).get("kyc_detection") or p.get("params", {}).get("remote_access_rule")]


def _since(policy: dict, start: str) -> str:
    return f" from {policy['effective']}" if policy["effective"] > start else ""


def scenario_levers(policies: list[dict], start: str) -> dict[str, LeverInScenario]:
    """Each lever as the scenario (its resolved policies, first month ``start``) sets it."""
    levers = {}
    funding = _funding_policy(policies)
    some_bodies = [p for p in _enabled(policies, "enforcement_funding") if p.get("params", {}).get("bodies")]
    if funding is None and some_bodies:
        params = some_bodies[-1]["params"]
        levers["enforcement_funding"] = LeverInScenario(
            1.0, f"{params.get('budget_multiplier', 1.0):g}x for {', '.join(params['bodies'])} only (scenario)", False)
    elif funding is None:
        levers["enforcement_funding"] = LeverInScenario(1.0, "today's budgets (as in scenario)", False)
    else:
        multiplier = float(funding.get("params", {}).get("budget_multiplier", 1.0))
        levers["enforcement_funding"] = LeverInScenario(
            multiplier, f"{multiplier:g}x{_since(funding, start)} (scenario)", True)
    threshold = _threshold_policy(policies)
    if threshold is None:
        levers["export_threshold_tpp"] = LeverInScenario(4800.0, "no TPP threshold (as in scenario)", False)
    else:
        params = threshold["params"]
        if params.get("ratchet_cadence_months") is not None:
            value = float(params.get("tpp_threshold") or 4800.0)
            described = f"follows the frontier, every {params['ratchet_cadence_months']} months (scenario)"
        else:
            value = float(params["tpp_threshold"])
            described = f"{value:,.0f} TPP{_since(threshold, start)} (scenario)"
        levers["export_threshold_tpp"] = LeverInScenario(value, described, True)
    kyc = _cloud_kyc_policies(policies)
    levers["cloud_kyc"] = (LeverInScenario(True, f"on{_since(kyc[0], start)} (scenario)", True) if kyc
                           else LeverInScenario(False, "off (as in scenario)", False))
    sme = _enabled(policies, "sme_controls")
    if sme:
        coordinated = bool(sme[-1].get("params", {}).get("coordinated", False))
        levers["sme_coordinated"] = LeverInScenario(
            coordinated, ("coordinated" if coordinated else "US-led, partly aligned") + " (scenario)", True)
    else:
        levers["sme_coordinated"] = LeverInScenario(False, "no SME controls (as in scenario)", False)
    ban = _enabled(policies, "distillation_ban")
    levers["distillation_ban"] = (LeverInScenario(True, f"on{_since(ban[0], start)} (scenario)", True) if ban
                                  else LeverInScenario(False, "off (as in scenario)", False))
    for lever in POLICY_LEVERS:
        found = lever.in_scenario(policies)
        if found is None:
            levers[lever.name] = LeverInScenario(lever.off_value(), "off (as in scenario)", False)
        else:
            value, policy = found
            described = lever.describe(policy.get("params") or {})  # its own settings, not the page's defaults
            levers[lever.name] = LeverInScenario(value, f"{described}{_since(policy, start)} (scenario)", True)
    return levers


def _added(kind: str, params: dict, start: str) -> dict:
    effective = max(LEVER_EFFECTIVE, start)
    return {"type": kind, "announce": min(LEVER_ANNOUNCE, effective), "effective": effective, "params": params,
            "source": LEVER_SOURCE}


def apply_changes(policies: list[dict], changes: Mapping[str, object], start: str,
                  countries: Collection[str] = ()) -> list[dict]:
    """The scenario's policies with the changed levers applied (a new list; the scenario's own is left alone).
    ``countries``: the scenario's country codes (a lever covering countries covers only those)."""
    edited = [dict(policy, params=dict(policy.get("params") or {})) for policy in policies]
    if "enforcement_funding" in changes:
        multiplier = float(changes["enforcement_funding"])
        funding = _funding_policy(edited)
        if funding is not None:
            funding["params"]["budget_multiplier"] = multiplier
        else:
            edited.append(_added("enforcement_funding", {"budget_multiplier": multiplier}, start))
    if "export_threshold_tpp" in changes:
        tpp = float(changes["export_threshold_tpp"])
        threshold = _threshold_policy(edited)
        if threshold is not None:
            threshold["params"].update(tpp_threshold=tpp, ratchet_cadence_months=None,
                                       ratchet_frontier_fraction=None)
        else:
            edited.append(_added("export_control", {"tpp_threshold": tpp, "destination_tiers": [3]}, start))
    if "cloud_kyc" in changes:
        _set_cloud_kyc(edited, bool(changes["cloud_kyc"]), start)
    if "sme_coordinated" in changes:
        sme = _enabled(edited, "sme_controls")
        if sme:
            sme[-1]["params"]["coordinated"] = bool(changes["sme_coordinated"])
        elif changes["sme_coordinated"]:
            edited.append(_added("sme_controls", {"coordinated": True}, start))
    if "distillation_ban" in changes:
        bans = _enabled(edited, "distillation_ban")
        if changes["distillation_ban"] and not bans:
            edited.append(_added("distillation_ban", {"compliance": 0.5, "detection": 0.5}, start))
        for ban in bans if not changes["distillation_ban"] else ():
            ban["enabled"] = False
    for name, value in changes.items():
        if name in POLICY_LEVER_BY_NAME:
            POLICY_LEVER_BY_NAME[name].apply(edited, value, lambda kind, params: _added(kind, params, start),
                                             countries)
    return edited


def _set_cloud_kyc(policies: list[dict], on: bool, start: str) -> None:
    existing = _cloud_kyc_policies(policies)
    if on and not existing:
        policies.append(_added("cloud_access", {"kyc_detection": 0.8, "remote_access_rule": True}, start))
    for policy in existing if not on else ():
        params = policy["params"]
        params.update(kyc_detection=0.0, remote_access_rule=False)
        if params.get("foreign_access_cap") is None:  # nothing left for it to do: switch it off
            policy["enabled"] = False


def change_label(name: str, value: object) -> str:
    """A changed lever in a few words, for the run's title."""
    if name == "enforcement_funding":
        return f"enforcement x{float(value):g}"
    if name == "export_threshold_tpp":
        return f"threshold {float(value):,.0f} TPP"
    lever = LEVER_BY_NAME[name]
    return f"{lever.short} {lever.value_text(value)}"


def run_title(scenario_name: str, changes: Mapping[str, object]) -> str:
    """'tight + enforcement x2': the scenario and what the user changed in it."""
    parts = [change_label(lever.name, changes[lever.name]) for lever in LEVERS if lever.name in changes]
    return " + ".join([scenario_name, *parts])


def real_changes(changes: Mapping[str, object], in_scenario: Mapping[str, LeverInScenario]) -> dict[str, object]:
    """The changes that differ from what the scenario does (setting a lever back to the scenario's value is none)."""
    return {name: value for name, value in changes.items() if value is not None and value != in_scenario[name].value}
