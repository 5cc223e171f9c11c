"""Fabs' output worked out for all fabs at once is exactly that of the per-fab rule.

The reference is the rule as first written, one fab at a time, over its bookings in booking order: foundry KYC
refuses front-company bookings (one draw each); each node grants wafers pro rata when oversubscribed; wafers are
started only for chips the back end (packaging pro rata, HBM pro rata from stock plus this month's deliveries) can
finish; the yield is drawn binomially per booking; a lucky draw is trimmed to the back end; at a fab whose packaging
bonds with a yield below 1, each booking's packages work with that yield to the power of their dies (one binomial draw
each, their HBM spent either way). Every month, from the state the phase starts with and the same draws, the chips
each fab ships to each vendor and its HBM stock after.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.model import ChipSupplyModel
from sim.trade import KIND_CODE
from sim.world import EDGE_PRODUCTION
from tests.conftest import shipped_model, synthetic_model


def _pro_rata(capacity: float, demands: np.ndarray) -> np.ndarray:
    total = demands.sum()
    return demands.copy() if total <= capacity or total <= 0 else demands * (capacity / total)


def reference_output(fab, bookings: list[dict], kyc_draws, yield_draws, bonding_draws) -> tuple[list[int], float]:
    """Chips made for each of the fab's bookings, and its HBM stock after."""
    hbm_available = fab.hbm_stacks_stock + fab.hbm_stacks_per_month
    if not bookings:
        return [], hbm_available
    requested = np.array([b["wafers"] for b in bookings])
    fronts = [i for i, b in enumerate(bookings) if b["front"]]
    if fronts:
        for i, draw in zip(fronts, kyc_draws.random(len(fronts)), strict=True):
            if draw < fab.front_company_detection:
                requested[i] = 0.0
    granted = np.zeros(len(bookings))
    for node in dict.fromkeys(b["node"] for b in bookings):
        on_node = np.array([b["node"] == node for b in bookings])
        granted[on_node] = _pro_rata(fab.wafers_per_month[node], requested[on_node])
    yields = np.array([fab.yield_fraction[b["node"]] for b in bookings])
    per_wafer = np.array([b["chips_per_wafer"] for b in bookings])
    per_packaging_wafer = np.array([b["chips_per_packaging_wafer"] for b in bookings])
    stacks = np.array([b["stacks"] for b in bookings], dtype=float)

    def caps(chips: np.ndarray) -> np.ndarray:
        packaged = per_packaging_wafer > 0
        need = np.where(packaged, chips / np.where(packaged, per_packaging_wafer, 1.0), 0.0)
        packaging = np.where(packaged, _pro_rata(fab.packaging_wafers_per_month, need) * per_packaging_wafer, np.inf)
        hbm = _pro_rata(hbm_available, chips * stacks)
        return np.minimum(packaging, np.where(stacks > 0, hbm / np.where(stacks > 0, stacks, 1.0), np.inf))

    expected_good = granted * per_wafer * yields
    finishable = np.minimum(expected_good, caps(expected_good))
    wafers = granted * np.divide(finishable, expected_good, out=np.zeros_like(finishable), where=expected_good > 0)
    good = yield_draws.binomial((wafers * per_wafer).astype(np.int64), yields)
    limit = caps(good.astype(float))
    packaged = [int(g) if np.isinf(c) else int(min(g, np.floor(c + 1e-9))) for g, c in zip(good, limit, strict=True)]
    made = packaged
    if fab.packaging_yield_fraction < 1.0:
        works = [fab.packaging_yield_fraction ** (b["dies"] if b["chips_per_packaging_wafer"] > 0 else 0)
                 for b in bookings]
        made = bonding_draws.binomial(np.array(packaged, dtype=np.int64), works).tolist()
    return made, max(0.0, hbm_available - sum(p * b["stacks"] for p, b in zip(packaged, bookings, strict=True)))


def _expected(model: ChipSupplyModel) -> tuple[list[tuple], dict[str, float]]:
    table = model.vendor_arrays.bookings(model.month)
    by_fab: dict[int, list[dict]] = {}
    for row in range(len(table)):
        by_fab.setdefault(int(table.fab[row]), []).append({
            "vendor": model.vendors[table.vendor[row]].agent_id, "chip": model.chips.ids[table.chip[row]],
            "node": model.fab_nodes.names[table.node[row]], "front": bool(table.via_front_company[row]),
            "wafers": float(table.wafers_requested[row]), "chips_per_wafer": float(table.chips_per_wafer[row]),
            "chips_per_packaging_wafer": float(table.chips_per_packaging_wafer[row]),
            "stacks": int(table.hbm_stacks_per_chip[row]), "dies": int(table.dies_per_package[row])})
    shipped, hbm_after = [], {}
    for fab in model.fabs:
        bookings = by_fab.get(fab.index, [])
        made, hbm_after[fab.agent_id] = reference_output(
            fab, bookings, copy.deepcopy(model.streams[f"foundry_kyc.{fab.agent_id}"]),
            copy.deepcopy(model.streams[f"fab_yield.{fab.agent_id}"]),
            copy.deepcopy(model.streams[f"fab_packaging_yield.{fab.agent_id}"]))
        shipped += [(fab.agent_id, b["vendor"], b["chip"], m) for b, m in zip(bookings, made, strict=True) if m]
    return shipped, hbm_after


def _compare_every_month(model: ChipSupplyModel, months: int) -> int:
    compared = 0
    for _ in range(months):
        for phase in model.PHASES:
            if phase != "_book_and_produce":
                getattr(model, phase)()
                continue
            expected, hbm_after = _expected(model)
            first_row = len(model.network.shipped_this_tick)
            model._book_and_produce()
            sent = model.network.shipped_this_tick.take(slice(first_row, None))
            assert (sent.kind == KIND_CODE[EDGE_PRODUCTION]).all()
            shipped = [(model.nodes[s].agent_id, model.nodes[t].agent_id, model.chips.ids[c], n)
                       for s, t, c, n in zip(sent.source.tolist(), sent.target.tolist(), sent.chip.tolist(),
                                             sent.count.tolist(), strict=True)]
            assert shipped == expected, f"fab output differs in {model.date}"
            assert {fab.agent_id: fab.hbm_stacks_stock for fab in model.fabs} == hbm_after, model.date
            assert {fab.agent_id: fab.chips_made_this_month for fab in model.fabs} == {
                fab.agent_id: sum(n for f, *_rest, n in expected if f == fab.agent_id) for fab in model.fabs}
            compared += len(shipped)
    return compared


# Baseline: front companies under foundry KYC, variants under ratchets; tight: SME controls on fabs.
@pytest.mark.parametrize("name", ["baseline", "tight"])
def test_output_matches_the_per_fab_rule_in_shipped_scenarios(name: str) -> None:
    assert _compare_every_month(shipped_model(name), months=48) > 100


def test_output_matches_the_per_fab_rule_in_a_synthetic_world() -> None:
    # Many product lines per fab and node: the pro-rata sums run over more than eight bookings.
    assert _compare_every_month(synthetic_model(), months=6) > 100


def test_packaging_grows_at_its_early_rate_until_the_month_then_at_its_own() -> None:
    # 2x a year to 2025-06, then 1.0: packaging grows from the second month through 2025-06 (five months of
    # growth) and stays there after.
    from tests.conftest import tiny

    model = ChipSupplyModel(tiny(**{
        "fabs.usfab.packaging_growth_until": {"until": "2025-06", "growth_factor_per_year": 2.0}}), seed=0)
    fab = next(fab for fab in model.fabs if fab.agent_id == "usfab")
    seen = []
    for _ in range(9):
        model.step()
        seen.append(fab.packaging_wafers_per_month)
    assert seen[0] == 1000.0
    assert seen[5] == pytest.approx(1000.0 * 2.0 ** (5 / 12))
    assert seen[8] == seen[5]
