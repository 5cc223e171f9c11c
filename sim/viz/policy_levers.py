"""The page's levers that are each one policy type of issue 21 (model weights, run monitoring, packaging tools, HBM,
alliance pressure): switched on or off (a checkbox), or one of the policy's numbers (a slider, 0 meaning off).

What the scenario does is read from its last enabled policy of the type. A changed lever edits that policy's number
(its dates and other settings stay) or switches every policy of the type off; a lever the scenario lacks adds the
policy with the values of the scenario file that ships it (``shipped_in``: scenarios/<type>.yaml, the baseline for
the HBM rule), read from that file, so the page's 'on' means what that file means. The dates of an added policy
are the caller's (``levers.py``), the same as for the older levers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from sim.scenario import load_scenario

SHIPPED_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
USD_PER_BILLION = 1e9


def _flop(value: float) -> str:
    return f"{value:.0e}".replace("e+", "e")


def _weight_security(params: dict) -> str:
    licensees = " with their licensees' copies" if params.get("licensees") else ""
    return f"SL{params['security_level']}{licensees}, {params['budget_share']:.0%} of compute"


def _weight_export(params: dict) -> str:
    tiers = [str(tier) for tier in (1, 2, 3) if params.get(f"tier_{tier}_threshold_flop") is not None]
    lowest = min(params[f"tier_{tier}_threshold_flop"] for tier in tiers)
    return f"weights over {_flop(lowest)} FLOP kept out of Tier {'+'.join(tiers)}"


def _monitoring(params: dict) -> str:
    return f"runs over {_flop(params.get('threshold_flop', 1e25))} FLOP, {len(params['coverage'])} countries"


def _packaging(params: dict) -> str:
    return f"{params['reduction']:.0%} of China's packaging growth stopped"


def _hbm(params: dict) -> str:
    return f"{params['compliance']:.0%} of HBM sales to China stopped"


def _pressure(params: dict) -> str:
    return (f"{params['pressure_usd_per_year'] / USD_PER_BILLION:g}B USD a year, "
            f"{params.get('compensation_share', 0.0):.0%} compensated")


@dataclass(frozen=True)
class PolicyLever:
    name: str
    policy_type: str
    describe: Callable[[dict], str]  # the scenario's policy in a few words
    shipped_in: str  # the scenario file (in scenarios/) whose policy of the type an added policy copies
    parameter: str | None = None  # the slider's parameter; None for a checkbox
    scale: float = 1.0  # the parameter's value for a slider value of 1 (the slider in B USD, the policy in USD)

    def added_params(self) -> dict:
        """An added policy's settings: those of the last enabled policy of the type in ``shipped_in`` (validated
        afresh each time; only the file's parse is cached by ``sim.scenario``)."""
        shipped = load_scenario(SHIPPED_SCENARIOS / self.shipped_in).scenario.policies
        return self.enabled([policy.model_dump() for policy in shipped])[-1]["params"]

    def off_value(self) -> float | bool:
        return False if self.parameter is None else 0.0

    def enabled(self, policies: list[dict]) -> list[dict]:
        return [p for p in policies if p.get("enabled", True) and p.get("type") == self.policy_type]

    def in_scenario(self, policies: list[dict]) -> tuple[float | bool, dict] | None:
        """The control's value and the policy it comes from, or None when the scenario does not have the policy."""
        found = self.enabled(policies)
        if not found:
            return None
        policy = found[-1]
        # The slider's parameters are required by their policies (sim/policies/), so a valid scenario has them.
        value = True if self.parameter is None else float(policy["params"][self.parameter]) / self.scale
        return value, policy

    def apply(self, policies: list[dict], value: float | bool, added: Callable[[str, dict], dict],
              countries: Collection[str]) -> None:
        """Set the lever to ``value`` in ``policies`` (edited in place); ``added`` makes a new policy entry."""
        found = self.enabled(policies)
        if not value:  # off, or a slider at 0
            for policy in found:
                policy["enabled"] = False
            return
        if found and self.parameter is not None:
            found[-1]["params"][self.parameter] = float(value) * self.scale
        elif not found:
            params = self.added_params()
            if self.parameter is not None:
                params[self.parameter] = float(value) * self.scale
            if "coverage" in params:  # only the countries this scenario has
                params["coverage"] = {code: share for code, share in params["coverage"].items() if code in countries}
            policies.append(added(self.policy_type, params))


POLICY_LEVERS = (
    PolicyLever("weight_security", "weight_security", _weight_security, "weight_security.yaml"),
    PolicyLever("weight_export_control", "weight_export_control", _weight_export, "weight_export_control.yaml"),
    PolicyLever("training_run_monitoring", "training_run_monitoring", _monitoring, "training_run_monitoring.yaml"),
    PolicyLever("packaging_controls", "packaging_controls", _packaging, "packaging_controls.yaml", "reduction"),
    PolicyLever("hbm_export_control", "hbm_export_control", _hbm, "baseline.yaml", "compliance"),
    PolicyLever("alliance_pressure", "alliance_pressure", _pressure, "alliance_pressure.yaml",
                "pressure_usd_per_year", USD_PER_BILLION),
)
POLICY_LEVER_BY_NAME = {lever.name: lever for lever in POLICY_LEVERS}
