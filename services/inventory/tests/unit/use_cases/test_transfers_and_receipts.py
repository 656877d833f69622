"""Stock transfers between warehouses and receipts against purchase orders, on the in-memory unit of work."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from o2c.contracts.v1.inventory import BackorderFilled, BackorderRescheduled, StockTransferDispatched, TransferKind
from o2c.india.supply import TaxRegime
from o2c.inventory.domain import ConflictingState, InvalidValue
from o2c.inventory.domain.transfers import TransferPrice
from o2c.inventory.service_layer import orders
from o2c.inventory.service_layer import stock as floor
from o2c.inventory.service_layer import transfers as moves

from .conftest import BINS, NOW, TODAY, InMemoryInventory, confirmed

MUMBAI_GSTIN = "27AABCR1718E1ZP"  # the same registration as Pune: one GSTIN, two places of business


async def _mumbai(inventory: InMemoryInventory) -> None:
    await floor.register_warehouse(inventory.uow(), floor.NewWarehouse(
        "BOM", "Mumbai DC", "27", "400001", MUMBAI_GSTIN, bins=BINS))


def _send(source: str, target: str, *lines: tuple[str, int], arrival: date | None = None) -> moves.TransferRequest:
    return moves.TransferRequest(source, target, [moves.TransferLineRequest(c, Decimal(q)) for c, q in lines],
                                 arrival)


def _atp(inventory: InMemoryInventory, warehouse: str, item: str) -> Decimal:
    slot = (warehouse, item)
    return inventory.stocks.rows[slot].available_to_promise(TODAY) if slot in inventory.stocks.rows else Decimal(0)


async def test_a_transfer_within_one_gstin_travels_under_a_numbered_delivery_challan(
        inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ")
    await _mumbai(inventory)
    await inventory.item("PUMP")
    await inventory.put_stock("PNQ", "PUMP", 10)

    answer, sent = await inventory.run(moves.dispatch_transfer, _send("PNQ", "BOM", ("PUMP", 4)), "wh-1", NOW)
    again, _ = await inventory.run(moves.dispatch_transfer, _send("PNQ", "BOM", ("PUMP", 1)), "wh-1", NOW)

    assert (answer["transfer_no"], again["transfer_no"]) == ("TRF/26-27/000001", "TRF/26-27/000002")
    assert answer["kind"] == "delivery_challan" and answer["status"] == "in_transit"
    challan = answer["challan"]
    assert challan["challan_no"] == "TRF/26-27/000001"
    assert challan["consignor"]["gstin"] == challan["consignee"]["gstin"] == MUMBAI_GSTIN
    assert [(ln["item_code"], ln["hsn"], ln["quantity"]) for ln in challan["lines"]] == [("PUMP", "84137010", "4")]
    assert challan["copies"][0] == "Original for consignee"
    [event] = [m for m in sent if isinstance(m, StockTransferDispatched)]
    assert event.kind is TransferKind.DELIVERY_CHALLAN and event.tax_regime is None
    assert event.lines[0].batches[0].bin_code == "A-01"
    # In transit: gone from Pune, not yet promisable in Mumbai.
    assert _atp(inventory, "PNQ", "PUMP") == 5
    assert _atp(inventory, "BOM", "PUMP") == 0


async def test_goods_in_transit_are_promised_only_once_received_with_short_and_damaged_recorded(
        inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ")
    await _mumbai(inventory)
    await inventory.item("PUMP")
    await inventory.put_stock("PNQ", "PUMP", 10)
    sent, _ = await inventory.run(moves.dispatch_transfer, _send("PNQ", "BOM", ("PUMP", 10)), "wh-1", NOW)

    received, _ = await inventory.run(moves.receive_transfer, sent["transfer_id"], [
        moves.ArrivalLine(1, Decimal(7), "A-01", Decimal(2), "QC")], "wh-2", NOW + timedelta(days=1))

    assert received["status"] == "received"
    assert [(ln["received"], ln["damaged"], ln["short"]) for ln in received["lines"]] == [("7", "2", "1")]
    stock = inventory.stock("BOM", "PUMP")
    assert _atp(inventory, "BOM", "PUMP") == 7  # the damaged two sit in quarantine, never promised
    assert stock.confirmed == 9
    with pytest.raises(ConflictingState):
        await inventory.run(moves.receive_transfer, sent["transfer_id"], [
            moves.ArrivalLine(1, Decimal(7), "A-01")], "wh-2", NOW)


async def test_a_receipt_must_count_every_line_and_no_more_than_was_sent(inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ")
    await _mumbai(inventory)
    await inventory.item("PUMP")
    await inventory.put_stock("PNQ", "PUMP", 10)
    sent, _ = await inventory.run(moves.dispatch_transfer, _send("PNQ", "BOM", ("PUMP", 5)), "wh-1", NOW)
    with pytest.raises(InvalidValue) as more:
        await inventory.run(moves.receive_transfer, sent["transfer_id"], [
            moves.ArrivalLine(1, Decimal(6), "A-01")], "wh-2", NOW)
    with pytest.raises(InvalidValue) as damaged:
        await inventory.run(moves.receive_transfer, sent["transfer_id"], [
            moves.ArrivalLine(1, Decimal(4), "A-01", Decimal(1), "A-02")], "wh-2", NOW)
    assert (more.value.field, damaged.value.field) == ("lines.0.received", "lines.0.damaged_bin_code")


async def test_a_branch_transfer_is_valued_from_the_transfer_price_list_and_taxed_by_place_of_supply(
        inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ", "BLR")
    await inventory.item("PUMP")
    await inventory.put_stock("PNQ", "PUMP", 10)
    with pytest.raises(InvalidValue) as unpriced:
        await inventory.run(moves.dispatch_transfer, _send("PNQ", "BLR", ("PUMP", 3)), "wh-1", NOW)
    assert unpriced.value.field == "lines.0.item_code"
    await inventory.run(moves.set_transfer_price, TransferPrice("PUMP", Decimal("1234.56"), TODAY), "fin-head")

    answer, sent = await inventory.run(moves.dispatch_transfer, _send("PNQ", "BLR", ("PUMP", 3)), "wh-1", NOW)

    [event] = [m for m in sent if isinstance(m, StockTransferDispatched)]
    assert event.kind is TransferKind.BRANCH_TRANSFER
    assert (event.supplier.gstin, event.recipient.gstin) == ("27AABCR1718E1ZP", "29AABCR1718E1ZL")
    assert (event.place_of_supply, event.tax_regime) == ("29", TaxRegime.IGST)
    line = event.lines[0]
    assert (line.hsn, line.quantity.value, line.unit_value, line.taxable_value) == (
        "84137010", Decimal(3), Decimal("1234.56"), Decimal("3703.68"))
    assert event.total_taxable_value == Decimal("3703.68")
    assert event.distance_km is not None and event.distance_km > 600
    assert event.expected_arrival > TODAY
    assert answer["tax_invoice"]["status"] == "not yet raised" and "challan" not in answer


async def test_stock_cannot_be_transferred_to_another_pan_or_beyond_what_is_unreserved(
        inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ")
    await floor.register_warehouse(inventory.uow(), floor.NewWarehouse(
        "XAMD", "Someone else's godown", "24", "380001", "24AUTPV8831F1ZZ", bins=BINS))
    await _mumbai(inventory)
    await inventory.item("PUMP")
    await inventory.put_stock("PNQ", "PUMP", 5)
    await inventory.run(orders.reserve_order, confirmed("o-1", [("PUMP", 4)]), NOW)
    with pytest.raises(InvalidValue) as other_pan:
        await inventory.run(moves.dispatch_transfer, _send("PNQ", "XAMD", ("PUMP", 1)), "wh-1", NOW)
    with pytest.raises(ConflictingState):
        await inventory.run(moves.dispatch_transfer, _send("PNQ", "BOM", ("PUMP", 2)), "wh-1", NOW)
    assert other_pan.value.field == "to_warehouse_id"
    assert inventory.series.rows == {}  # a refused transfer takes no number


async def test_a_backorder_filled_by_a_transfer_expects_its_arrival_and_is_filled_when_it_is_received(
        inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ")
    await _mumbai(inventory)
    await inventory.item("PUMP", lead_time_days=14)
    await inventory.put_stock("PNQ", "PUMP", 6)
    await inventory.put_stock("BOM", "PUMP", 4)
    await floor.set_safety_stock(inventory.uow(), "BOM", "PUMP", Decimal(4))  # Mumbai's own reserve: not promised
    await inventory.run(orders.reserve_order, confirmed("o-1", [("PUMP", 6)]), NOW)
    await inventory.run(orders.reserve_order, confirmed("o-2", [("PUMP", 4)], at=NOW + timedelta(minutes=1)), NOW)
    assert inventory.backorders.rows[("o-2", 1)].expected_date == TODAY + timedelta(days=14)

    arrival = TODAY + timedelta(days=2)
    sent, published = await inventory.run(moves.dispatch_transfer,
                                          _send("BOM", "PNQ", ("PUMP", 4), arrival=arrival), "wh-1", NOW)

    [moved] = [m for m in published if isinstance(m, BackorderRescheduled)]
    assert (moved.order_id, moved.transfer_no, moved.lines[0].expected_date) == ("o-2", sent["transfer_no"], arrival)
    assert moved.lines[0].short.value == 4
    assert inventory.backorders.rows[("o-2", 1)].expected_date == arrival
    _, arrived = await inventory.run(moves.receive_transfer, sent["transfer_id"], [
        moves.ArrivalLine(1, Decimal(4), "A-01")], "wh-2", NOW + timedelta(days=2))
    [filled] = [m for m in arrived if isinstance(m, BackorderFilled)]
    assert filled.order_id == "o-2" and filled.allocations[0].warehouse_id == "PNQ"
    assert inventory.backorders.rows[("o-2", 1)].status == "filled"


async def test_a_short_receipt_against_a_purchase_order_records_its_shortfall_and_fills_backorders(
        inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("PUMP")
    await inventory.item("SEAL", batch_tracked=True)
    await inventory.run(orders.reserve_order, confirmed("o-1", [("PUMP", 3)]), NOW)

    answer, published = await inventory.run(moves.receive_purchase, moves.PurchaseReceipt(
        "PNQ", "Kirloskar Pumps", "PO/26-27/0042", TODAY - timedelta(days=5), [
            moves.PurchaseLine(1, "PUMP", Decimal(10), Decimal(6), "A-01"),
            moves.PurchaseLine(2, "SEAL", Decimal(50), Decimal(50), "DOCK", "B-7", TODAY + timedelta(days=365))],
        "29AABCR1718E1ZL"), "wh-1", NOW)

    assert answer["receipt_no"] == "GRN/26-27/000001" and answer["short_receipt"] is True
    assert [(ln["item_code"], ln["received"], ln["shortfall"], ln["put_away"]) for ln in answer["lines"]] == [
        ("PUMP", "6.000", "4.000", True), ("SEAL", "50.000", "0.000", False)]
    assert answer["backorders_filled"] == 1
    assert [m.order_id for m in published if isinstance(m, BackorderFilled)] == ["o-1"]
    assert _atp(inventory, "PNQ", "PUMP") == 3  # six put away, three of them went to the backorder
    assert inventory.stock("PNQ", "SEAL").expected == 50 and _atp(inventory, "PNQ", "SEAL") == 0
    assert [m["type"] for m in inventory.stocks.ledger[("PNQ", "PUMP")]] == ["purchase_receipt", "putaway"]


async def test_a_purchase_receipt_refuses_more_than_ordered_and_a_wrong_gstin_by_field(
        inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("PUMP")
    line = moves.PurchaseLine(1, "PUMP", Decimal(10), Decimal(11), "A-01")
    with pytest.raises(InvalidValue) as excess:
        await inventory.run(moves.receive_purchase, moves.PurchaseReceipt(
            "PNQ", "Kirloskar", "PO-1", TODAY, [line]), "wh-1", NOW)
    with pytest.raises(InvalidValue) as gstin:
        await inventory.run(moves.receive_purchase, moves.PurchaseReceipt(
            "PNQ", "Kirloskar", "PO-1", TODAY, [line], "29AAFCA7488L1Z0"), "wh-1", NOW)
    assert (excess.value.field, gstin.value.field) == ("lines.0.quantity", "supplier_gstin")


async def test_a_branch_transfer_within_one_state_between_two_registrations_is_cgst_and_sgst(
        inventory: InMemoryInventory) -> None:
    await inventory.warehouse("PNQ")
    await floor.register_warehouse(inventory.uow(), floor.NewWarehouse(
        "BOM2", "Mumbai DC, second registration", "27", "400001", "27AABCR1718E2ZO", bins=BINS))
    await inventory.item("PUMP")
    await inventory.put_stock("PNQ", "PUMP", 2)
    await inventory.run(moves.set_transfer_price, TransferPrice("PUMP", Decimal("10"), TODAY), "fin-head")
    _, sent = await inventory.run(moves.dispatch_transfer, _send("PNQ", "BOM2", ("PUMP", 2)), "wh-1", NOW)
    [event] = [m for m in sent if isinstance(m, StockTransferDispatched)]
    assert (event.kind, event.place_of_supply, event.tax_regime) == (
        TransferKind.BRANCH_TRANSFER, "27", TaxRegime.CGST_SGST)
