from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
from o2c.dispatch.domain import (
    IST,
    ConflictingState,
    InvalidValue,
    PickList,
    PickRequest,
    Shipment,
    ShipmentStatus,
    ShortReason,
    walking_key,
)

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=IST)


def request(line: int, bin_code: str | None, qty: int = 5, batch: str | None = None) -> PickRequest:
    return PickRequest(line, f"ITEM-{line}", f"Item {line}", Decimal(qty), bin_code, batch)


def test_pick_list_walks_bins_by_aisle_rack_and_level() -> None:
    pick_list = PickList.issue("PL-1", "SHP-1", "PNQ", [
        request(1, "B-01-01"), request(2, "A-10-01"), request(3, "A-02-03"), request(4, None),
        request(5, "A-02-01"),
    ], NOW)
    assert [(ln.pick_line_no, ln.request.bin_code) for ln in pick_list.lines] == [
        (1, "A-02-01"), (2, "A-02-03"), (3, "A-10-01"), (4, "B-01-01"), (5, None)]


def test_walking_order_is_natural_not_alphabetical() -> None:
    codes = ["A-10-1", "A-2-1", "a-02-02", "B-1-1"]
    assert sorted(codes, key=walking_key) == ["A-2-1", "a-02-02", "A-10-1", "B-1-1"]


def test_all_lines_confirmed_means_picked(shipment: Callable[..., Shipment]) -> None:
    s = shipment(request(1, "A-01-01"), request(2, "A-01-02"))
    s.confirm_pick(1, 5, "picker-1", NOW)
    assert s.status is ShipmentStatus.PICKING
    s.confirm_pick(2, 5, "picker-1", NOW)
    assert s.status is ShipmentStatus.PICKED


def test_over_picking_is_refused(shipment: Callable[..., Shipment]) -> None:
    with pytest.raises(InvalidValue) as refused:
        shipment().confirm_pick(1, 21, "picker-1", NOW)
    assert refused.value.field == "picked"


def test_scanned_bin_and_batch_must_match_the_list(shipment: Callable[..., Shipment]) -> None:
    s = shipment(request(1, "A-01-01", batch="DEC26"))
    with pytest.raises(InvalidValue) as wrong_bin:
        s.confirm_pick(1, 5, "picker-1", NOW, bin_code="A-01-02")
    assert wrong_bin.value.field == "bin_code"
    with pytest.raises(InvalidValue) as wrong_batch:
        s.confirm_pick(1, 5, "picker-1", NOW, bin_code="A-01-01", batch_no="JAN27")
    assert wrong_batch.value.field == "batch_no"
    s.confirm_pick(1, 5, "picker-1", NOW, bin_code="a-01-01", batch_no="dec26")


def test_short_pick_needs_a_reason_and_records_the_shortfall(shipment: Callable[..., Shipment]) -> None:
    s = shipment()
    with pytest.raises(InvalidValue) as refused:
        s.confirm_pick(1, 17, "picker-1", NOW)
    assert refused.value.field == "reason"

    confirmation = s.confirm_pick(1, 17, "picker-1", NOW, reason=ShortReason.BIN_SHORT, note="only 17 in bin")

    assert (confirmation.picked, confirmation.short, confirmation.reason) == (17, 3, ShortReason.BIN_SHORT)
    assert s.status is ShipmentStatus.PICKING  # waiting until the shortfall is accepted as a backorder


def test_an_accepted_shortfall_ships_short_with_a_backorder(shipment: Callable[..., Shipment]) -> None:
    s = shipment()
    s.confirm_pick(1, 17, "picker-1", NOW, reason=ShortReason.BIN_SHORT)

    assert s.accept_shortfall(1) == 3
    assert s.accept_shortfall(1) == 0

    assert s.status is ShipmentStatus.PICKED
    [line] = s.picked_lines()
    assert (line.released, line.picked, line.backordered) == (20, 17, 3)


def test_repeated_confirmation_changes_nothing_but_a_different_one_is_refused(
    shipment: Callable[..., Shipment],
) -> None:
    s = shipment()
    first = s.confirm_pick(1, 20, "picker-1", NOW)
    assert s.confirm_pick(1, 20, "picker-1", NOW) is first
    with pytest.raises(ConflictingState):
        s.confirm_pick(1, 19, "picker-1", NOW, reason=ShortReason.OTHER)


def test_nothing_picked_at_all_is_a_full_shortfall(shipment: Callable[..., Shipment]) -> None:
    s = shipment()
    s.confirm_pick(1, 0, "picker-1", NOW, reason=ShortReason.EXPIRED)
    s.accept_shortfall(1)
    assert s.status is ShipmentStatus.PICKED and not s.has_goods


def test_empty_pick_list_is_refused() -> None:
    with pytest.raises(InvalidValue):
        PickList.issue("PL", "SHP", "PNQ", [], NOW)


def test_batch_and_expiry_travel_to_the_picked_lines(shipment: Callable[..., Shipment]) -> None:
    s = shipment(PickRequest(1, "SYRUP", "Cough syrup", Decimal(4), "A-01-01", "DEC26", date(2026, 12, 31)))
    s.confirm_pick(1, 4, "picker-1", NOW)
    [line] = s.picked_lines()
    assert [(b.batch_no, b.expiry_date) for b in line.batches] == [("DEC26", date(2026, 12, 31))]
