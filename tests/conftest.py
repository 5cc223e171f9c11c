"""Shared fixtures: a tiny hand-built world whose flows can be written out by hand.

Yields are 1.0 and demand noise is 0, so every flow in it is exact; tests change one thing with ``tiny(...)``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.scenario import Scenario, validate
from sim.scenario.load import apply_overrides

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
BASELINE = REPO / "scenarios" / "baseline.yaml"


def _param(value: float) -> dict:
    return {"value": value, "source": "assumption: test world"}


TINY: dict[str, Any] = {
    "name": "tiny",
    "start": "2025-01",
    "end": "2025-12",
    "parameters": {
        "frontier_growth_per_year": _param(4.5),
        "chip_lifetime_months": _param(60),
        "production_lead_time_months": _param(1),
        "shipping_lead_time_months": _param(1),
        "demand_noise_sigma": _param(0.0),
        "buyer_price_sensitivity": _param(3.0),
        "vendor_price_response": _param(0.0),
        "vendor_price_floor_ratio": _param(0.5),
        "vendor_price_ceiling_ratio": _param(2.0),
        "vendor_inventory_cover_months": _param(0.0),
        "intermediary_cover_months": _param(0.0),
        "budget_carryover_months": _param(0.0),
        "stockpile_spending_multiplier": _param(1.0),
        "rental_price_usd_per_h100e_month": _param(1000.0),
        "distillation_gap_share": _param(0.0),
        "distillation_cap_share_of_own": _param(1.0),
        "smuggling_price_markup": _param(1.5),
        "smuggling_fine_usd_per_chip": _param(20000.0),
        "perceived_detection_initial": _param(0.1),
        "perceived_detection_learning_rate": _param(0.5),
    },
    "countries": {
        "US": {"name": "United States", "bloc": "us_allies", "tier": 1, "source": "diffusion_tier1"},
        "CN": {"name": "China", "bloc": "china", "tier": 3, "source": "diffusion_tier3"},
        "SG": {"name": "Singapore", "bloc": "rest", "tier": 2, "source": "assumption: test world"},
    },
    "catalog": {
        "big": {"name": "Big", "vendor": "usv", "tpp": 15832.0, "price_usd": 10000.0, "node": "N4",
                "release": "2024-01", "hbm_stacks_per_chip": 2, "source": "assumption: test world"},
        "dom": {"name": "Domestic", "vendor": "cnv", "tpp": 7916.0, "price_usd": 10000.0, "node": "N7",
                "release": "2024-01", "hbm_stacks_per_chip": 0, "source": "assumption: test world"},
    },
    "fabs": [
        {"id": "usfab", "name": "US fab", "country": "US",
         "nodes": {"N4": {"wafers_per_month": 1000.0, "growth_factor_per_year": 1.0, "yield_fraction": 1.0,
                          "source": "assumption: test world"}},
         "packaging_wafers_per_month": 1000.0, "packaging_growth_factor_per_year": 1.0,
         "hbm_stacks_per_month": 1.0e9, "hbm_growth_factor_per_year": 1.0, "source": "assumption: test world"},
        {"id": "cnfab", "name": "CN fab", "country": "CN",
         "nodes": {"N7": {"wafers_per_month": 1000.0, "growth_factor_per_year": 1.0, "yield_fraction": 1.0,
                          "source": "assumption: test world"}},
         "packaging_wafers_per_month": 0.0, "packaging_growth_factor_per_year": 1.0,
         "hbm_stacks_per_month": 0.0, "hbm_growth_factor_per_year": 1.0, "uses_controlled_equipment": True,
         "source": "assumption: test world"},
    ],
    "vendors": [
        {"id": "usv", "name": "US vendor", "country": "US", "source": "assumption: test world",
         "product_lines": [{"chip": "big", "fab": "usfab", "node": "N4", "chips_per_wafer": 10.0,
                            "chips_per_packaging_wafer": 10.0, "max_wafers_per_month": 10.0,
                            "reservation_growth_factor_per_year": 1.0, "source": "assumption: test world"}]},
        {"id": "cnv", "name": "CN vendor", "country": "CN", "source": "assumption: test world",
         "product_lines": [{"chip": "dom", "fab": "cnfab", "node": "N7", "chips_per_wafer": 10.0,
                            "max_wafers_per_month": 5.0, "reservation_growth_factor_per_year": 1.0,
                            "source": "assumption: test world"}]},
    ],
    "intermediaries": [
        {"id": "sgdist", "country": "SG", "vendors": ["usv"], "markup_fraction": 0.1,
         "source": "assumption: test world"},
    ],
    "data_centers": [
        {"id": "usdc", "country": "US", "budget_usd_per_month": 500000.0, "budget_growth_factor_per_year": 1.0,
         "suppliers": ["usv"], "source": "assumption: test world",
         "initial_installed": [{"chip": "big", "count": 100, "age_months": 10, "source": "assumption: test world"}]},
        {"id": "cndc", "country": "CN", "budget_usd_per_month": 500000.0, "budget_growth_factor_per_year": 1.0,
         "suppliers": ["cnv"], "source": "assumption: test world"},
        {"id": "sgdc", "country": "SG", "budget_usd_per_month": 220000.0, "budget_growth_factor_per_year": 1.0,
         "suppliers": ["sgdist"], "source": "assumption: test world"},
    ],
    "enforcement": [
        {"id": "agency", "name": "Agency", "country": "US", "jurisdiction": ["US", "SG"],
         "budget_usd_per_year": 1.2e6, "cost_per_inspection_usd": 10000.0, "chips_per_inspection": 10.0,
         "detection_efficacy": 0.5, "targeting": 1.0, "source": "assumption: test world"},
    ],
    "policies": [],
}


def tiny_dict(**overrides: Any) -> dict:
    """The tiny world as a raw mapping, with dotted-path overrides applied."""
    return apply_overrides(copy.deepcopy(TINY), overrides, "tiny") if overrides else copy.deepcopy(TINY)


def tiny(**overrides: Any) -> Scenario:
    """The tiny world, validated, with dotted-path overrides (e.g. ``{"fabs.usfab.packaging_wafers_per_month": 1}``)."""
    return validate(tiny_dict(**overrides), "tiny")


CONTROL = {  # US chips at or above 4,800 TPP may not be sold to Tier 3 (so the CN buyer cannot buy "big")
    "type": "export_control", "announce": "2024-01", "effective": "2024-01", "source": "assumption: test",
    "params": {"tpp_threshold": 4800.0, "destination_tiers": [3]},
}


def smuggling_world(**overrides: Any) -> Scenario:
    """The tiny world in which the Singapore distributor can divert up to 20 US chips a month to the Chinese buyer
    (the US control stops legal sales to it), with no enforcement."""
    return tiny(**{
        "intermediaries.sgdist.diversion_capacity_chips_per_month": 20,
        "intermediaries.sgdist.smuggling_routes": ["cndc"],
        "policies": [CONTROL],
        "enforcement.agency.budget_usd_per_year": 0.0,
        **overrides,
    })


LAB = {  # one US lab on all of usdc's compute; a new model every 3 months from a 2-month run on half of it
    "id": "uslab", "name": "US lab", "country": "US", "trains_on": ["usdc"], "compute_share": 1.0,
    "training_share": 0.5, "training_months": 2, "model_cadence_months": 3, "security_level": 2,
    "source": "assumption: test world",
}
LICENSEE = {"data_center": "sgdc", "start": "2025-01", "security_level": 2, "source": "assumption: test world"}


def weights_world(lab: dict | None = None, **overrides: Any) -> Scenario:
    """The tiny world with one US lab (``LAB``, changed by ``lab``). Theft is certain at SL1 and SL2, impossible from
    SL3, so thefts do not depend on draws; a model's worth halves every 8 months."""
    return tiny(**{
        "model_weights": {
            "monthly_theft_probability": {"sl1": 1.0, "sl2": 1.0, "sl3": 0.0, "sl4": 0.0, "sl5": 0.0},
            "value_halving_months": 8.0, "labs": [{**LAB, **(lab or {})}], "source": "assumption: test world",
        },
        **overrides,
    })


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def assert_refused(scenario_file: Path, path: str, words: str) -> None:
    """Loading the file fails with the project's error: the file named first, a line starting with the key path,
    and the words saying what is allowed."""
    from sim.scenario import ScenarioError, load_scenario

    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario_file)
    message = str(caught.value)
    assert message.startswith(str(scenario_file))
    assert any(line.strip().startswith(path) for line in message.splitlines()[1:]), message
    assert words in message


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "tiny.yaml", tiny_dict())


def shipped_model(name: str, seed: int = 3):
    """A model of the shipped scenario ``scenarios/<name>.yaml``."""
    from sim.model import ChipSupplyModel
    from sim.scenario import load_scenario

    return ChipSupplyModel(load_scenario(f"scenarios/{name}.yaml").scenario, seed=seed)


def synthetic_model(agents: int = 1000, ticks: int = 12, seed: int = 1):
    """A model of the synthetic world of ``agents`` agents (every ``tight`` policy on, smuggling routes)."""
    from sim.model import ChipSupplyModel
    from sim.synthetic import synthetic_scenario

    return ChipSupplyModel(validate(synthetic_scenario(agents, ticks=ticks), "synthetic"), seed=seed)


def check_before_phase(model, months: int, phase: str, check) -> int:
    """Run ``months`` months of ``model``; each month, just before ``phase``, call ``check(model)`` (which asserts what
    it compares and returns how many things it compared). Returns the total compared."""
    compared = 0
    for _ in range(months):
        for name in model.PHASES:
            if name == phase:
                compared += check(model)
            getattr(model, name)()
    return compared


CHILD_ADDRESS_SPACE_BYTES = 4 * 2**30  # a safety net: a runaway child fails fast instead of eating the machine


def run_cli_measured(args: list[str], timeout_s: float = 60.0) -> tuple[int, str, float, float]:
    """Run ``chipsim ARGS`` in a fresh process: (exit code, stdout + stderr, wall seconds, peak resident MB).

    A child that outlives ``timeout_s`` is killed and reported with exit code -9, so a hang fails the test rather
    than stopping the suite.
    """
    import resource
    import subprocess
    import sys
    import time

    # VmHWM, not getrusage: Linux carries ru_maxrss over from the forking process (pytest, hundreds of MB) into the
    # child, while VmHWM is the high-water mark of the child's own memory since exec.
    script = ("import sys\n"
              "from sim.cli import main\n"
              "try:\n"
              "    code = main(sys.argv[1:])\n"
              "finally:\n"
              "    with open('/proc/self/status') as status:\n"
              "        hwm = next(line.split()[1] for line in status if line.startswith('VmHWM:'))\n"
              "    print(f'peak_rss_kb={hwm}', file=sys.stderr)\n"
              "sys.exit(code)\n")

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE_BYTES, CHILD_ADDRESS_SPACE_BYTES))

    started = time.perf_counter()
    try:
        completed = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                                   timeout=timeout_s, cwd=REPO, preexec_fn=limit_memory)
    except subprocess.TimeoutExpired:
        return -9, f"(killed after {timeout_s} s)", time.perf_counter() - started, float("nan")
    seconds = time.perf_counter() - started
    output = completed.stdout + completed.stderr
    peak = [line for line in output.splitlines() if line.startswith("peak_rss_kb=")]
    peak_mb = int(peak[-1].split("=")[1]) / 1024 if peak else float("nan")
    return completed.returncode, output, seconds, peak_mb
