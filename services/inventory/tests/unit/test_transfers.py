"""The pure rules of stock transfers and purchase receipts: challan or branch transfer by GSTIN and PAN, the
transfer price in force, its value to the paisa, the arrival date, a receiver's count, a short receipt; and
stock sent out of bins (never reserved units) and received into them."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from o2c.india.effective import row_in_force
from o2c.inventory.domain import IST, Bin, BinKind, ConflictingState, InvalidValue, ItemStock, ReservationKey
from o2c.inventory.domain.transfers import (
    ArrivalCount,
    PurchaseLineCount,
    TransferKind,
    TransferPrice,
    expected_arrival,
    taxable_value,
    transfer_kind,
)

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=IST)
TODAY = date(2026, 6, 30)


def test_one_gstin_is_a_challan_two_of_one_pan_a_branch_transfer_another_pan_no_transfer() -> None:
    assert transfer_kind("27AABCR1718E1ZP", "27AABCR1718E1ZP") is TransferKind.DELIVERY_CHALLAN
    assert transfer_kind("27AABCR1718E1ZP", "29AABCR1718E1ZL") is TransferKind.BRANCH_TRANSFER
    assert transfer_kind("27AABCR1718E1ZP", "27AABCR1718E2ZO") is TransferKind.BRANCH_TRANSFER  # 2nd in one state
    with pytest.raises(InvalidValue) as other:
        transfer_kind("27AABCR1718E1ZP", "24AUTPV8831F1ZZ")
    assert other.value.field == "to_warehouse_id"


def test_the_transfer_price_in_force_values_the_line_to_the_paisa_half_up() -> None:
    prices = [TransferPrice("PUMP", Decimal("100.00"), date(2026, 4, 1)),
              TransferPrice("PUMP", Decimal("101.25"), date(2026, 7, 1))]
    assert row_in_force(prices, TODAY) == prices[0]
    assert row_in_force(prices, date(2026, 7, 1)) == prices[1]
    assert row_in_force(prices, date(2026, 3, 31)) is None
    assert taxable_value(Decimal("0.333"), Decimal("1.50")) == Decimal("0.50")  # 0.4995 → 0.50
    assert taxable_value(Decimal("3"), Decimal("1234.56")) == Decimal("3703.68")
    with pytest.raises(InvalidValue):
        TransferPrice("PUMP", Decimal("0"), TODAY)


def test_the_goods_arrive_one_day_per_km_per_day_or_part_of_it() -> None:
    assert expected_arrival(TODAY, 150, Decimal(300)) == date(2026, 7, 1)
    assert expected_arrival(TODAY, 601, Decimal(300)) == date(2026, 7, 3)
    assert expected_arrival(TODAY, None, Decimal(300)) == date(2026, 7, 1)


def test_the_receiver_counts_received_damaged_and_the_rest_is_short() -> None:
    assert ArrivalCount(Decimal(10), Decimal(7), Decimal(2)).short == 1
    with pytest.raises(InvalidValue):
        ArrivalCount(Decimal(10), Decimal(9), Decimal(2))
    assert PurchaseLineCount(Decimal(10), Decimal(6)).shortfall == 4
    assert PurchaseLineCount(Decimal(10), Decimal(12)).excess == 2


def test_stock_sent_out_leaves_free_units_first_expiry_first_and_arrives_confirmed() -> None:
    stock = ItemStock("PNQ", "PUMP")
    stock.count(Decimal(5), Bin("A-01"), NOW)
    stock.count(Decimal(5), Bin("A-02"), NOW)
    stock.reserve(ReservationKey("SO-1", 1), Decimal(4), TODAY)  # from A-01 (bin order)
    sent = stock.send_out(Decimal(5), NOW, "trf-1")
    assert [(a.bin_code, a.quantity) for a in sent] == [("A-01", 1), ("A-02", 4)]
    assert stock.confirmed == 5 and stock.reserved == 4 and stock.available_to_promise(TODAY) == 1
    with pytest.raises(ConflictingState):
        stock.send_out(Decimal(2), NOW, "trf-2")

    there = ItemStock("BOM", "PUMP")
    there.receive_transferred(Decimal(3), Bin("A-01"), NOW, None, "TRF/26-27/000001")
    there.receive_transferred(Decimal(1), Bin("QC", BinKind.QUARANTINE), NOW, None, "TRF/26-27/000001")
    assert there.confirmed == 4 and there.available_to_promise(TODAY) == 3
    assert {loc: c for loc, (c, _) in there.replay_ledger().items()} == {
        loc: b.confirmed for loc, b in there.balances.items()}
