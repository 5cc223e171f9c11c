"""Location verification on the tiny world: a verified US chip diverted into China gives its diverter away."""

from __future__ import annotations

from sim import run_scenario
from tests.conftest import CONTROL, smuggling_world


def _verification(effective: str = "2025-01", **params) -> dict:
    return {"type": "location_verification", "announce": "2025-01", "effective": effective,
            "source": "assumption: test", "params": {"monthly_detection": 1.0, **params}}


def _smuggled_and_listed(*policies: dict) -> tuple[list[int], list[int]]:
    world = run_scenario(smuggling_world(policies=[CONTROL, *policies]), seed=0).world
    return world["smuggled_chips"].tolist(), world["intermediaries_listed"].tolist()


def test_the_diverter_is_listed_the_month_after_its_first_verified_consignment_arrives_and_reports() -> None:
    unverified_smuggled, unverified_listed = _smuggled_and_listed()
    assert unverified_smuggled == [0, 6, 10, 13, 15, 17, 18, 18, 19, 19, 19, 20]
    assert unverified_listed == [0] * 12
    smuggled, listed = _smuggled_and_listed(_verification())
    # 6 chips leave in February and arrive in March, where they report (detection 1.0); the diverter is listed at the
    # start of April, so it still ships March's 10 and nothing after.
    assert smuggled == [0, 6, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert listed == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]


def test_only_chips_shipped_while_it_is_in_force_carry_verification() -> None:
    smuggled, listed = _smuggled_and_listed(_verification(effective="2025-04"))
    # February's and March's consignments were never fitted; April's arrive in May and report: listed from June.
    assert smuggled == [0, 6, 10, 13, 15, 0, 0, 0, 0, 0, 0, 0]
    assert listed == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]


def test_chips_of_blocs_it_does_not_cover_never_report() -> None:
    assert _smuggled_and_listed(_verification(origin_blocs=["china"])) == _smuggled_and_listed()

