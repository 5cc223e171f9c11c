"""Vendors' wafer bookings worked out for all vendors at once are exactly those of the per-vendor rule.

The reference is the rule as first written, one vendor at a time: for each chip due (released within a production
lead time), wanted chips = expected demand + (target stock - stock - production under way) / ADJUSTMENT_MONTHS, the
target being lead time + cover months of expected demand (a first forecast is the lines' full output), at least the
lines' full output when the chip sells at or above list price, shared over the chip's lines by capacity, each line
within its open reservation; a line ramping up books its open reservation in full.
"""

from __future__ import annotations

import math

import pytest

from sim.agents.market import MAX_CHIPS_PER_ORDER
from sim.agents.product_lines import line_ramp_factor, line_windows
from sim.agents.vendor_arrays import ADJUSTMENT_MONTHS
from sim.calendar import parse_month
from sim.model import ChipSupplyModel
from tests.conftest import check_before_phase, shipped_model, synthetic_model


def reference_bookings(model: ChipSupplyModel) -> list[tuple]:
    params, month = model.params, model.month
    lead = params.production_lead_time_months
    bookings = []
    for vendor in model.vendors:
        forecasts = vendor.expected_demand
        for chip in vendor.chips:
            if model.catalog[chip].release_month > month + lead:
                continue
            lines = [line for line in vendor.product_lines if line.chip == chip]
            capacity = [vendor.full_reservation_output(line, month) for line in lines]
            expected = forecasts.get(chip, sum(capacity))
            position = vendor.inventory[chip] + vendor.in_production[chip]
            target = expected * (lead + params.vendor_inventory_cover_months)
            wanted = max(0.0, expected + (target - position) / ADJUSTMENT_MONTHS)
            if vendor.price_usd[chip] >= model.catalog[chip].list_price_usd:  # short of chips: all it reserved
                wanted = max(wanted, min(sum(capacity), MAX_CHIPS_PER_ORDER))
            for line, line_capacity in zip(lines, capacity, strict=True):
                if sum(capacity) <= 0:
                    continue
                share = wanted * line_capacity / sum(capacity)
                good_per_wafer = line.chips_per_wafer * model.agents_by_id[line.fab].yield_fraction[line.node]
                wafers = min(vendor.open_reservation(line, month), share / good_per_wafer if good_per_wafer else 0.0)
                ramp_up = line.ramp_up
                if ramp_up is not None and 0 <= month - parse_month(ramp_up.start) < ramp_up.months:
                    wafers = vendor.open_reservation(line, month)  # a ramp-up is booked in full
                bookings.append((vendor.agent_id, line.fab, chip, wafers))
    return bookings


def _same_bookings(model: ChipSupplyModel) -> int:
    expected = reference_bookings(model)
    table = model.vendor_arrays.bookings(model.month)
    booked = [(model.vendors[vendor].agent_id, model.fabs[fab].agent_id, model.chips.ids[chip], wafers)
              for vendor, fab, chip, wafers in zip(table.vendor.tolist(), table.fab.tolist(), table.chip.tolist(),
                                                   table.wafers_requested.tolist(), strict=True)]
    assert booked == expected, f"bookings differ in {model.date}"
    assert not any(math.isnan(wafers) for *_, wafers in booked)
    return len(booked)


def _compare_every_month(model: ChipSupplyModel, months: int) -> int:
    return check_before_phase(model, months, "_book_and_produce", _same_bookings)


# Baseline: front companies, variants under ratchets; tight: SME controls on fabs.
@pytest.mark.parametrize("name", ["baseline", "tight", "loose"])
def test_bookings_match_the_per_vendor_rule_in_shipped_scenarios(name: str) -> None:
    assert _compare_every_month(shipped_model(name), months=48) > 100


def test_bookings_match_the_per_vendor_rule_in_a_synthetic_world() -> None:
    assert _compare_every_month(synthetic_model(), months=6) > 100


def test_fixed_reservations_grow_every_month_through_variant_launches() -> None:
    # Baseline: variants launch under ratchets, and each launch re-works out the product lines.
    model = shipped_model("baseline")
    expected: dict[int, float] = {}
    launched = 0
    for _ in range(48):
        model.step()
        for vendor in model.vendors:
            for line in vendor.product_lines:
                if line.reservation_share_of_node is not None:
                    continue
                new = id(line) not in expected  # a line of the start, or a variant launched this month
                if new:
                    expected[id(line)] = line.max_wafers_per_month
                    launched += model.month != model.start_month
                # Every month but the first, growth (a variant launches before the month's growth), once the
                # line's ramp-up has begun.
                grows = line.reservation_growth_factor_per_year is not None and (
                    line.ramp_up is None or model.month > parse_month(line.ramp_up.start))
                if grows and not (new and model.month == model.start_month):
                    expected[id(line)] *= line.reservation_growth_factor_per_year ** (1 / 12)
                assert vendor.reservation(line) == expected[id(line)], (vendor.agent_id, line.chip, model.date)
    assert launched > 0


def _line(**windows):
    from sim.scenario.schema import ProductLine
    return ProductLine(chip="c", fab="f", node="N3", chips_per_wafer=30, max_wafers_per_month=100.0,
                       reservation_growth_factor_per_year=1.0, source="assumption: a test line", **windows)


def test_a_generation_ramps_up_and_winds_down_linearly_over_its_windows() -> None:
    line = _line(ramp_up={"start": "2026-07", "months": 4}, wind_down={"start": "2027-07", "months": 2})
    windows = line_windows([line])
    open_share = {date: float(line_ramp_factor(*windows, parse_month(date))[0])
                  for date in ("2026-06", "2026-07", "2026-08", "2026-10", "2027-06", "2027-07", "2027-08")}
    assert open_share == {"2026-06": 0.0, "2026-07": 0.25, "2026-08": 0.5, "2026-10": 1.0, "2027-06": 1.0,
                          "2027-07": 0.5, "2027-08": 0.0}


def test_a_line_without_windows_is_open_in_full_in_every_month() -> None:
    windows = line_windows([_line()])
    assert all(float(line_ramp_factor(*windows, month)[0]) == 1.0 for month in (-5000, 0, 24_000, 90_000))


def test_a_line_cannot_wind_down_before_it_ramps_up() -> None:
    with pytest.raises(ValueError, match="wind_down starts"):
        _line(ramp_up={"start": "2027-01", "months": 3}, wind_down={"start": "2026-01", "months": 3})
