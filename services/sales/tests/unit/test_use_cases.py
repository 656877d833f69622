"""Use cases on an in-memory repository: customers, catalog, quotations, orders and the coordinator."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1 import credit, dispatch, inventory, invoicing, notify, sales
from o2c.contracts.v1.common import WarehouseAllocation
from o2c.india.supply import TaxRegime
from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.catalog import PriceEntry, QuantitySlabScheme, SchemeScope, Slab
from o2c.sales.domain.customer import GstCategory, ShipPolicy, ShortagePolicy
from o2c.sales.domain.errors import InvalidValue, RuleViolation, TransitionRefused
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.quotation import LineRequest, StockView, WarehouseAtp
from o2c.sales.service_layer import catalog, coordinator, customers, orders
from o2c.testsupport.sales.directory import FakeDirectory, address
from o2c.testsupport.sales.fakes import InMemoryRepository
from o2c.testsupport.sales.use_case_story import (
    COORD,
    HEAD,
    NOW,
    SETUP,
    WAREHOUSE,
    approved,
    feed,
    item,
    new_uow,
    place,
    rejected,
    repo,
    reserved,
    reserved_lines,
    seeded,
    shortfall,
    types,
)

__all__ = ["repo"]  # the fixture, shared with the coordinator's other tests

# --- customers and catalog -------------------------------------------------------------------------


async def test_customer_approved_by_another_sales_head_and_changes_are_audited(repo: InMemoryRepository) -> None:
    customer_id = await seeded(repo)
    assert repo.audit[customer_id][-1].field == "status"
    uow = new_uow(repo)
    customer, entries = await customers.change_customer(
        uow, customer_id, customers.ChangeCustomer(payment_terms_days=45, ship_policy=ShipPolicy.SHIP_COMPLETE),
        COORD, NOW + timedelta(hours=1), FakeDirectory())
    assert [e.field for e in entries] == ["payment_terms_days", "ship_policy"]
    assert types(uow) == ["CustomerUpdated"]
    update = uow.messages[0]
    assert isinstance(update, sales.CustomerUpdated)
    assert update.changed_fields == ["payment_terms_days", "ship_policy"] and update.revision == customer.revision
    stored = await repo.get_customer(customer_id)
    assert stored is not None and stored.payment_terms_days == 45 and len(stored.audit) == 4


async def test_the_sales_head_names_the_partners_serving_a_customer_audited_and_announced(
        repo: InMemoryRepository) -> None:
    customer_id = await seeded(repo)
    with pytest.raises(RuleViolation, match="sales head"):
        await customers.serve_by_partners(new_uow(repo), customer_id, ["P-1"], COORD, NOW)
    with pytest.raises(InvalidValue) as bad:
        await customers.serve_by_partners(new_uow(repo), customer_id, ["P-1", " "], HEAD, NOW)
    assert bad.value.field == "partner_ids[1]"
    for unfit in ("acme.in", "acme_in", "Acme Traders", "-acme", "x" * 65):  # could not name the partner's topic
        with pytest.raises(InvalidValue):
            await customers.serve_by_partners(new_uow(repo), customer_id, [unfit], HEAD, NOW)
    uow = new_uow(repo)
    customer = await customers.serve_by_partners(uow, customer_id, ["P-2", "P-1", "P-2"], HEAD, NOW)
    assert customer.partner_ids == ("P-1", "P-2")
    [update] = uow.messages
    assert isinstance(update, sales.CustomerUpdated)
    assert (update.partner_ids, update.sales_owner, update.changed_fields) == (["P-1", "P-2"], "asha",
                                                                               ["partner_ids"])
    assert repo.audit[customer_id][-1].field == "partner_ids" and repo.audit[customer_id][-1].after == "P-1, P-2"
    again = new_uow(repo)
    await customers.serve_by_partners(again, customer_id, ["P-1", "P-2"], HEAD, NOW)
    assert again.messages == []  # no change, no message, no audit


async def test_announce_all_sends_every_approved_customer_again_with_its_scope(repo: InMemoryRepository) -> None:
    customer_id = await seeded(repo)
    await customers.serve_by_partners(new_uow(repo), customer_id, ["P-1"], HEAD, NOW)
    stored = await repo.get_customer(customer_id)
    assert stored is not None
    uow = new_uow(repo)
    assert await customers.announce_all(uow, NOW) == 1
    [update] = uow.messages
    assert isinstance(update, sales.CustomerUpdated)
    assert (update.customer_id, update.revision, update.partner_ids) == (customer_id, stored.revision, ["P-1"])


async def test_creator_cannot_approve_and_nothing_is_published(repo: InMemoryRepository) -> None:
    await seeded(repo)
    uow = new_uow(repo)
    both = Actor.of("meera", Role.SALES_HEAD, Role.SALES_COORDINATOR)
    from o2c.sales.domain.gstin import Pan

    cmd = customers.RegisterCustomer(
        code="NEW", legal_name="New Traders", pan=Pan("AAACR5055K"), gst_category=GstCategory.REGISTERED,
        addresses=(address(),), payment_terms_days=30, price_list_code="STD", sales_owner="meera",
        ship_policy=ShipPolicy.SHIP_PARTIAL)
    customer = await customers.register_customer(uow, cmd, both, NOW, FakeDirectory())
    with pytest.raises(RuleViolation, match="someone other than"):
        await customers.approve_customer(uow, customer.customer_id, both, NOW)
    assert types(uow) == []


async def test_unknown_price_list_is_refused_naming_the_field(repo: InMemoryRepository) -> None:
    from o2c.sales.domain.gstin import Pan

    cmd = customers.RegisterCustomer(
        code="X", legal_name="X", pan=Pan("AAACR5055K"), gst_category=GstCategory.REGISTERED,
        addresses=(address(),), payment_terms_days=30, price_list_code="NOPE", sales_owner="a",
        ship_policy=ShipPolicy.SHIP_PARTIAL)
    with pytest.raises(InvalidValue) as caught:
        await customers.register_customer(new_uow(repo), cmd, COORD, NOW, FakeDirectory())
    assert caught.value.field == "price_list_code"


async def test_a_catalogue_of_1200_items_in_one_call(repo: InMemoryRepository) -> None:
    uow = new_uow(repo)
    await catalog.create_items(uow, [item(f"SKU-{i:04d}", "spares") for i in range(1200)], NOW)
    assert types(uow).count("ItemCreated") == 1200
    first = uow.messages[0]
    assert isinstance(first, sales.ItemCreated) and first.gst_rate == Decimal(18)
    with pytest.raises(RuleViolation, match="already exist"):
        await catalog.create_items(new_uow(repo), [item("SKU-0001", "spares")], NOW)
    with pytest.raises(InvalidValue, match="repeat"):
        await catalog.create_items(new_uow(repo), [item("NEW-1"), item("NEW-1")], NOW)


async def test_item_update_publishes_changed_fields_and_revision(repo: InMemoryRepository) -> None:
    await seeded(repo)
    uow = new_uow(repo)
    record = await catalog.update_item(uow, "PUMP-1", {"lead_time_days": 12, "name": "Item PUMP-1"}, NOW)
    assert record.revision == 2
    assert isinstance(uow.messages[0], sales.ItemUpdated) and uow.messages[0].changed_fields == ["lead_time_days"]


async def test_overlapping_prices_refused(repo: InMemoryRepository) -> None:
    await seeded(repo)
    with pytest.raises(RuleViolation, match="already has a price"):
        await catalog.add_prices(new_uow(repo), "STD", [PriceEntry("PUMP-1", Decimal("90.00"), date(2025, 1, 1))])


async def test_an_open_ended_price_can_be_ended_then_followed_by_a_new_one(repo: InMemoryRepository) -> None:
    await seeded(repo)
    with pytest.raises(InvalidValue, match="before valid_from"):
        await catalog.end_price(new_uow(repo), "STD", "PUMP-1", None, date(2020, 4, 1), date(2020, 3, 31),
                                "meera", NOW, "typo")
    ended = await catalog.end_price(new_uow(repo), "STD", "PUMP-1", None, date(2020, 4, 1), date(2024, 12, 31),
                                    "meera", NOW, "new price from 2025")
    assert ended.valid_to == date(2024, 12, 31)
    assert repo.ended_prices == [("STD", "PUMP-1", "meera", "new price from 2025")]
    with pytest.raises(InvalidValue, match="only end earlier"):
        await catalog.end_price(new_uow(repo), "STD", "PUMP-1", None, date(2020, 4, 1), date(2025, 6, 30),
                                "meera", NOW, "later")
    await catalog.add_prices(new_uow(repo), "STD", [PriceEntry("PUMP-1", Decimal("90.00"), date(2025, 1, 1))])


# --- quotations and orders -------------------------------------------------------------------------


async def test_240_line_quotation_with_expired_negotiated_price_and_slab_scheme(repo: InMemoryRepository) -> None:
    customer_id = await seeded(repo, items=240)
    uow = new_uow(repo)
    await catalog.add_prices(uow, "STD", [
        PriceEntry("PUMP-1", Decimal("80.00"), date(2026, 1, 1), date(2026, 3, 31), customer_id),  # expired
        PriceEntry("PUMP-2", Decimal("90.00"), date(2026, 1, 1), date(2026, 12, 31), customer_id),  # active
    ])
    await catalog.create_scheme(uow, QuantitySlabScheme(
        "PUMP10", "10 % from 50", SchemeScope(frozenset({"PUMP-3"})), date(2026, 4, 1), date(2026, 6, 30),
        (Slab(Decimal(50), Decimal(10)),)))
    stock = StockView({"PUMP-1": [WarehouseAtp("WH-1", Decimal(100))]})
    lines = [LineRequest(f"PUMP-{i}", Decimal(60 if i == 3 else 1)) for i in range(1, 241)]
    quotation = await orders.create_quotation(uow, customer_id=customer_id, ship_to_id="mumbai", lines=lines,
                                              stock=stock, by=COORD, at=NOW, setup=SETUP)
    assert quotation.number.text == "QTN/26-27/000001"
    first, second, third = quotation.lines[:3]
    assert first.unit_price == Decimal("100.00") and first.priced.price_source.value == "standard"
    assert second.unit_price == Decimal("90.00") and second.priced.price_source.value == "negotiated"
    assert third.discount == Decimal("600.00") and third.taxable_value == Decimal("5400.00")
    assert first.promise.basis.value == "in_stock" and second.promise.basis.value == "stock_unknown"
    assert len(quotation.lines) == 240 and types(uow)[-1] == "QuotationIssued"
    issued = uow.messages[-1]
    assert isinstance(issued, sales.QuotationIssued) and len(issued.lines) == 240
    # After the validity date the quotation cannot be converted.
    late = NOW + timedelta(days=16)
    with pytest.raises(RuleViolation, match="expired"):
        await orders.convert_quotation(new_uow(repo), quotation.quotation_id, idempotency_key=None,
                                       customer_po_no=None, by=COORD, at=late, setup=SETUP)
    order, created = await orders.convert_quotation(new_uow(repo), quotation.quotation_id, idempotency_key="k",
                                                    customer_po_no="PO-1", by=COORD, at=NOW, setup=SETUP)
    assert created and order.lines[2].taxable_value == Decimal("5400.00") and order.quotation_id


async def test_revision_keeps_history(repo: InMemoryRepository) -> None:
    customer_id = await seeded(repo)
    q = await orders.create_quotation(new_uow(repo), customer_id=customer_id, ship_to_id="mumbai",
                                      lines=[LineRequest("PUMP-1", Decimal(1))], stock=StockView.unknown(), by=COORD,
                                      at=NOW, setup=SETUP)
    revised = await orders.revise_quotation(new_uow(repo), q.quotation_id, lines=[LineRequest("PUMP-2", Decimal(5))],
                                            ship_to_id=None, stock=StockView.unknown(), by=COORD,
                                            at=NOW + timedelta(days=1), setup=SETUP)
    assert revised.revision == 2 and revised.history[0].lines[0].item_code == "PUMP-1"
    assert revised.number == q.number
    # The order converted from it carries the converted revision's facts (tracking needs no join, no lock).
    uow = new_uow(repo)
    await orders.convert_quotation(uow, q.quotation_id, idempotency_key=None, customer_po_no=None, by=COORD,
                                   at=NOW + timedelta(days=2), setup=SETUP)
    confirmed = uow.messages[-1]
    assert isinstance(confirmed, sales.OrderConfirmed) and confirmed.quotation is not None
    assert confirmed.quotation.quotation_no == q.number.text
    assert confirmed.quotation.issued_at == NOW + timedelta(days=1)
    assert confirmed.quotation.valid_until == revised.valid_until
    assert confirmed.quotation.gross_value == revised.totals.gross_value


async def test_same_idempotency_key_gives_one_order_and_one_saga(repo: InMemoryRepository) -> None:
    customer_id = await seeded(repo)
    first, uow1 = await place(repo, customer_id, key="asha:po-1")
    second, uow2 = await place(repo, customer_id, key="asha:po-1")
    assert first == second and len(repo.orders) == 1 and len(repo.sagas) == 1
    assert types(uow1) == ["OrderConfirmed"] and types(uow2) == []


async def test_pending_customer_cannot_order(repo: InMemoryRepository) -> None:
    customer_id = await seeded(repo)
    await customers.block_customer(new_uow(repo), customer_id, "cheque bounced", HEAD, NOW)
    with pytest.raises(RuleViolation, match="cheque bounced"):
        await place(repo, customer_id)


# --- the coordinator -------------------------------------------------------------------------------


async def test_released_only_when_credit_cleared_and_stock_reserved_and_once(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    assert types(await feed(repo, reserved(order_id))) == []
    uow = await feed(repo, approved(order_id))
    assert types(uow) == ["OrderReleased"]
    release = uow.messages[0]
    assert isinstance(release, sales.OrderReleased)
    assert release.shipments[0].shipment_id == f"{order_id}-1-1"
    assert release.shipments[0].lines[0].promised_date is not None
    assert types(await feed(repo, approved(order_id))) == []  # a duplicate approval
    order = await repo.get_order(order_id)
    assert order is not None and order.status.value == "released" and order.credit_cleared_revision == 1


async def test_credit_answering_before_inventory_clears_the_revision_and_the_order_waits_for_stock(
        repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    assert types(await feed(repo, approved(order_id))) == []
    waiting = await repo.get_order(order_id)
    assert waiting is not None and (waiting.status.value, waiting.credit_cleared_revision) == ("confirmed", 1)
    assert types(await feed(repo, reserved(order_id))) == ["OrderReleased"]
    released = await repo.get_order(order_id)
    assert released is not None and released.status.value == "released"


async def test_each_shipment_is_taxed_from_its_warehouse_state_and_the_order_shows_that_split(
        repo: InMemoryRepository) -> None:
    """The Mumbai buyer's line 1 leaves from Ahmedabad (Gujarat), line 2 from Bhiwandi (Maharashtra): the order
    was estimated from the Maharashtra registration; once the warehouses are decided line 1 is IGST, and each
    shipment carries the split its invoice must have."""
    from o2c.india.gstin import gstin_check_character

    order_id, _ = await place(repo, await seeded(repo))
    before = await repo.get_order(order_id)
    assert before is not None and all(line.tax.cgst and not line.tax.igst for line in before.lines)
    gujarat = "24AAACR5055K1Z" + gstin_check_character("24AAACR5055K1Z")
    ahmedabad = WAREHOUSE.model_copy(update={"name": "Ahmedabad DC", "state_code": "24", "pincode": "382405",
                                             "gstin": gujarat})
    await feed(repo, inventory.StockReserved(order_id=order_id, decided_at=NOW, allocations=[
        WarehouseAllocation(warehouse_id="WH-AMD", warehouse_gstin=gujarat, dispatch_from=ahmedabad,
                            lines=reserved_lines({1: 3})),
        WarehouseAllocation(warehouse_id="WH-1", warehouse_gstin="27AAACR5055K1Z7", dispatch_from=WAREHOUSE,
                            lines=reserved_lines({2: 10}))]))
    [release] = (await feed(repo, approved(order_id))).messages
    assert isinstance(release, sales.OrderReleased)
    regimes = {s.warehouse_id: s.tax_regime for s in release.shipments}
    assert regimes == {"WH-AMD": TaxRegime.IGST, "WH-1": TaxRegime.CGST_SGST}
    after = await repo.get_order(order_id)
    assert after is not None
    first, second = after.lines
    assert first.dispatch_state == StateCode("24") and first.tax.igst == Decimal("54.00") and not first.tax.cgst
    assert second.dispatch_state == StateCode("27") and second.tax == before.lines[1].tax
    assert after.gross_value == before.gross_value  # the split moved, not the amount


async def test_rejection_after_reservation_releases_stock_and_cancels(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, reserved(order_id))
    uow = await feed(repo, rejected(order_id))
    assert types(uow) == ["OrderCancelled", "ReleaseReservation"]
    command = uow.messages[1]
    assert isinstance(command, sales.ReleaseReservation) and command.request_id in repo.commands
    ack = inventory.ReservationReleased(order_id=order_id, request_id=command.request_id, released_at=NOW)
    assert types(await feed(repo, ack)) == []
    assert command.request_id in repo.replied
    record = await repo.get_saga(order_id)
    assert record is not None and not record.saga.awaiting


async def test_sanction_expired_cancels_with_its_reason(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    uow = await feed(repo, rejected(order_id, credit.RejectionReason.SANCTION_EXPIRED))
    cancelled = uow.messages[0]
    assert isinstance(cancelled, sales.OrderCancelled)
    assert cancelled.reason is sales.CancellationReason.SANCTION_TIMEOUT


@pytest.mark.parametrize("shortage", [ShortagePolicy.BACKORDER, ShortagePolicy.CANCEL])
async def test_reservation_failed(repo: InMemoryRepository, shortage: ShortagePolicy) -> None:
    order_id, _ = await place(repo, await seeded(repo, shortage=shortage))
    failed = inventory.StockReservationFailed(order_id=order_id, decided_at=NOW,
                                              shortfalls=[shortfall(1, 3, 3), shortfall(2, 10, 10)])
    first = await feed(repo, failed)
    expected = "OrderBackordered" if shortage is ShortagePolicy.BACKORDER else "OrderCancelled"
    assert types(first) == [expected]  # exposure waits for credit to have counted the order
    second = await feed(repo, approved(order_id))
    assert types(second) == ["ReleaseCreditExposure"]
    command = second.messages[0]
    order = await repo.get_order(order_id)
    assert order is not None and isinstance(command, sales.ReleaseCreditExposure)
    assert command.amount == order.gross_value


async def test_partial_reservation_ship_partial_releases_part_and_backorders_rest(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    partial = inventory.StockPartiallyReserved(
        order_id=order_id, decided_at=NOW, allocations=reserved(order_id, {1: 3, 2: 4}).allocations,
        shortfalls=[shortfall(2, 10, 6)])
    await feed(repo, approved(order_id))
    uow = await feed(repo, partial)
    assert types(uow) == ["OrderReleased", "OrderBackordered", "ReleaseCreditExposure"]
    exposure = uow.messages[2]
    assert isinstance(exposure, sales.ReleaseCreditExposure)
    assert exposure.lines[0].line_no == 2 and exposure.lines[0].quantity.value == Decimal(6)


async def test_ship_complete_hold_expires_on_the_timer(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo, ship_policy=ShipPolicy.SHIP_COMPLETE))
    await feed(repo, approved(order_id))
    partial = inventory.StockPartiallyReserved(
        order_id=order_id, decided_at=NOW, allocations=reserved(order_id, {1: 3}).allocations,
        shortfalls=[shortfall(2, 10, 10)])
    assert types(await feed(repo, partial)) == []
    record = await repo.get_saga(order_id)
    assert record is not None and record.next_check_at == NOW + timedelta(hours=48)
    later = NOW + timedelta(hours=49)
    assert await repo.due_sagas(NOW, 10) == [] and await repo.due_sagas(later, 10) == [order_id]
    uow = new_uow(repo)
    await coordinator.recheck(uow, order_id, later)
    assert types(uow) == ["OrderBackordered", "ReleaseReservation", "ReleaseCreditExposure"]


async def test_unanswered_command_resent_then_saga_failed_as_exception(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, reserved(order_id))
    await feed(repo, rejected(order_id))
    policy = coordinator.CoordinatorPolicy(command_retry_after=timedelta(minutes=1), command_max_attempts=2)
    uow = new_uow(repo)
    assert await coordinator.resend_unanswered(uow, NOW + timedelta(seconds=30), policy) == 0
    assert await coordinator.resend_unanswered(uow, NOW + timedelta(minutes=2), policy) == 1
    resent = uow.messages[0]
    assert isinstance(resent, sales.ReleaseReservation) and resent.request_id.endswith("release-reservation")
    uow = new_uow(repo)
    assert await coordinator.resend_unanswered(uow, NOW + timedelta(minutes=4), policy) == 0
    record = await repo.get_saga(order_id)
    assert record is not None and record.saga.status.value == "failed"
    assert any("keeps failing" in e["reason"] for e in record.exceptions)
    # Published once, for the order page and the SRE's failed-saga queue.
    (raised,) = [m for m in uow.messages if isinstance(m, sales.OrderExceptionRaised)]
    assert raised.order_id == order_id and raised.kind is sales.OrderExceptionKind.FAILED_COMPENSATION
    assert "keeps failing" in raised.reason and raised.key == f"{order_id}:failed"
    uow = new_uow(repo)
    await coordinator.recheck(uow, order_id, NOW + timedelta(minutes=6))
    assert not [m for m in uow.messages if isinstance(m, sales.OrderExceptionRaised)]


async def test_dispatched_invoiced_and_notified_closes_the_order_and_allows_a_return(
    repo: InMemoryRepository,
) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, reserved(order_id))
    await feed(repo, approved(order_id))
    shipment_id = f"{order_id}-1-1"
    invoice = sample(invoicing.InvoiceIssued).model_copy(update={"order_id": order_id, "shipment_id": shipment_id})
    await feed(repo, invoice)
    gone = sample(dispatch.ShipmentDispatched).model_copy(update={"order_id": order_id, "shipment_id": shipment_id})
    assert types(await feed(repo, gone)) == []
    told = sample(notify.CustomerNotified).model_copy(update={"order_id": order_id, "shipment_id": shipment_id})
    uow = await feed(repo, told)
    assert types(uow) == ["OrderClosed"]
    closed = uow.messages[0]
    assert isinstance(closed, sales.OrderClosed) and closed.invoice_nos == [invoice.invoice_no]
    order = await repo.get_order(order_id)
    assert order is not None and order.status.value == "closed"
    with pytest.raises(RuleViolation, match="gate-out"):
        await orders.cancel_order(new_uow(repo), order_id, "changed mind", COORD, NOW)
    uow = new_uow(repo)
    ret = await orders.authorise_return(
        uow, order_id=order_id, invoice_id=invoice.invoice_id, warehouse_id=None, by=COORD, at=NOW,
        lines=[orders.ReturnLineRequest(1, 1, Decimal(1), sales.ReturnReason.DAMAGED)])
    assert ret.return_no == "RMA/26-27/000001" and types(uow) == ["ReturnAuthorised"]
    with pytest.raises(InvalidValue, match="at most"):
        await orders.authorise_return(
            new_uow(repo), order_id=order_id, invoice_id=invoice.invoice_id, warehouse_id=None, by=COORD, at=NOW,
            lines=[orders.ReturnLineRequest(1, 1, Decimal(99), sales.ReturnReason.DAMAGED)])


async def test_customer_cancels_after_release(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, reserved(order_id))
    await feed(repo, approved(order_id))
    uow = new_uow(repo)
    await orders.cancel_order(uow, order_id, "no longer needed", COORD, NOW)
    assert types(uow) == ["OrderCancelled", "CancelPickList"]
    shipment_id = f"{order_id}-1-1"
    done = dispatch.PickListCancelled(order_id=order_id, shipment_id=shipment_id, pick_list_id="pl-1",
                                      request_id=f"{order_id}:shipment-{shipment_id}:cancel-pick-list",
                                      cancelled_at=NOW)
    assert types(await feed(repo, done)) == ["ReleaseReservation", "ReleaseCreditExposure"]


async def test_amendment_upward_needs_credit_again(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, approved(order_id))
    uow = new_uow(repo)
    await orders.amend_order(uow, order_id, orders.Amend("more", (orders.QuantityChange(1, Decimal(6)),)),
                             StockView.unknown(), COORD, NOW, SETUP)
    assert types(uow) == ["OrderAmended"]
    amended = uow.messages[0]
    assert isinstance(amended, sales.OrderAmended) and amended.revision == 2
    assert amended.totals.gross_value > amended.previous_gross_value
    assert types(await feed(repo, reserved(order_id, {1: 6, 2: 10}).model_copy(update={"order_revision": 2}))) == []
    assert types(await feed(repo, approved(order_id, revision=1))) == []  # an old revision's answer
    assert types(await feed(repo, approved(order_id, revision=2))) == ["OrderReleased"]


async def test_an_amended_released_order_waits_until_credit_clears_its_new_revision(
        repo: InMemoryRepository) -> None:
    """The old revision's shipments (their pick lists being cancelled) do not release revision 2: the order
    shows confirmed until credit clears it, then released through the order's own transition."""
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, reserved(order_id))
    await feed(repo, approved(order_id))
    await orders.amend_order(new_uow(repo), order_id, orders.Amend("more", (orders.QuantityChange(1, Decimal(6)),)),
                             StockView.unknown(), COORD, NOW, SETUP)
    await feed(repo, reserved(order_id, {1: 6, 2: 10}).model_copy(update={"order_revision": 2}))
    waiting = await repo.get_order(order_id)
    assert waiting is not None and (waiting.status.value, waiting.credit_cleared_revision) == ("confirmed", 1)
    shipment_id = f"{order_id}-1-1"
    await feed(repo, dispatch.PickListCancelled(
        order_id=order_id, shipment_id=shipment_id, pick_list_id="pl-1", cancelled_at=NOW,
        request_id=f"{order_id}:shipment-{shipment_id}:cancel-pick-list"))
    assert types(await feed(repo, approved(order_id, revision=2))) == ["OrderReleased"]
    released = await repo.get_order(order_id)
    assert released is not None and (released.status.value, released.credit_cleared_revision) == ("released", 2)
    assert released.status_reason == "saga: released"


async def test_the_coordinator_moves_the_order_only_through_its_transitions(repo: InMemoryRepository) -> None:
    """Nothing leaves a closed order: a release the saga would decide for it is refused by the order itself
    (the consumer dead-letters the reply) and its status is left as it was."""
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, reserved(order_id))
    repo.orders[order_id] = {**repo.orders[order_id], "status": "closed"}  # a row the saga does not expect
    with pytest.raises(TransitionRefused, match="cannot go from closed to released"):
        await feed(repo, approved(order_id))
    order = await repo.get_order(order_id)
    assert order is not None and order.status.value == "closed" and order.credit_cleared_revision is None


def test_every_reply_the_coordinator_follows_has_one_handler() -> None:
    assert set(coordinator.HANDLED_TYPES) == {cls.TYPE for cls in coordinator.REPLIES}
    assert len(coordinator.HANDLED_TYPES) == len(set(coordinator.HANDLED_TYPES))
    with pytest.raises(ValueError, match="already has a handler"):
        coordinator.applies(credit.CreditApproved)(lambda record, message, reply: record)


async def test_reply_for_unknown_order_is_ignored(repo: InMemoryRepository) -> None:
    assert types(await feed(repo, approved("ord-nobody"))) == []


async def test_contacts_travel_on_customer_and_order_messages(repo: InMemoryRepository) -> None:
    from o2c.sales.domain.customer import Contact

    customer_id = await seeded(repo)
    uow = new_uow(repo)
    with pytest.raises(InvalidValue) as caught:
        await customers.change_customer(uow, customer_id, customers.ChangeCustomer(
            contacts=(Contact("Desk", None, None, ("email",)),)), COORD, NOW)
    assert caught.value.field == "contacts[0]"
    desk = Contact("Purchase desk", "desk@ratan.example", "+919800000000", ("email", "whatsapp"))
    _, entries = await customers.change_customer(uow, customer_id, customers.ChangeCustomer(contacts=(desk,)),
                                                 COORD, NOW)
    assert entries[0].field == "contacts"
    updated = uow.messages[-1]
    assert isinstance(updated, sales.CustomerUpdated) and updated.contacts[0].email == "desk@ratan.example"
    order_id, placed = await place(repo, customer_id)
    confirmed = placed.messages[0]
    assert isinstance(confirmed, sales.OrderConfirmed) and confirmed.contact is not None
    await feed(repo, reserved(order_id))
    release = (await feed(repo, approved(order_id))).messages[0]
    assert isinstance(release, sales.OrderReleased) and release.contact == confirmed.contact


async def test_quotation_document_shows_number_lines_and_totals(repo: InMemoryRepository) -> None:
    from o2c.sales.entrypoints.document import quotation_html

    customer_id = await seeded(repo)
    q = await orders.create_quotation(new_uow(repo), customer_id=customer_id, ship_to_id="mumbai",
                                      lines=[LineRequest("PUMP-1", Decimal(2))], stock=StockView.unknown(), by=COORD,
                                      at=NOW, setup=SETUP)
    html = quotation_html(q)
    assert "QTN/26-27/000001" in html and "PUMP-1" in html and "stock not confirmed" in html
    assert f"{q.totals.gross_value:.2f}" in html and "Maharashtra" in html


def test_a_partner_id_sales_accepts_is_a_partner_name_the_contracts_accept() -> None:
    from o2c.contracts.topics import is_partner_name
    from o2c.sales.domain.customer import PARTNER_ID

    for candidate in ("P-1", "edi-gateway", "x" * 64, "x" * 65, "a.b", "a_b", "a b", "-a", "a-", "", "ä", "A9"):
        assert (PARTNER_ID.fullmatch(candidate) is not None) == is_partner_name(candidate), candidate
