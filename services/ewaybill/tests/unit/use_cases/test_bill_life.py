"""The e-way bill use cases on an in-memory unit of work and the domain sandbox as the portal: the decision per
invoice, rejections and retries, and the bill's life (cancel, extend, Part B, expiring)."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest
from o2c.contracts import samples
from o2c.contracts.envelope import Message
from o2c.contracts.v1.common import TransportMode
from o2c.contracts.v1.dispatch import VehicleChanged
from o2c.contracts.v1.ewaybill import (
    EwayBillCancelReason,
    EwayBillGenerated,
    EwayBillNotRequired,
    EwayBillRejected,
    EwayBillUpdated,
)
from o2c.contracts.v1.invoicing import InvoiceIssued
from o2c.ewaybill.adapters.gateway import GatewayUnavailable
from o2c.ewaybill.domain.lifecycle import ExtensionReason, VehicleChangeReason
from o2c.ewaybill.domain.seed import SEED_THRESHOLDS
from o2c.ewaybill.service_layer import use_cases
from o2c.ewaybill.service_layer.ports import EwayBillRecord
from o2c.india.calendar import IST
from o2c.india.ewaybill import EwayBillThreshold, Movement, valid_until
from o2c.testsupport.ewaybill.fakes import NOW, TRANSPORTER, D, InMemoryEwayBills, SandboxGateway, invoice


async def decide(ewb: InMemoryEwayBills, portal: SandboxGateway, issued: InvoiceIssued
                 ) -> tuple[EwayBillRecord, list[Message]]:
    uow = ewb.uow()
    record = await use_cases.decide_for_invoice(uow, issued, portal, NOW)
    return record, ewb.commit(uow)


async def test_above_threshold_generates_with_part_b_as_typed(ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    record, published = await decide(ewb, portal, invoice())
    assert record.status == "generated" and record.consignment_value == D("53100.00")
    [event] = published
    assert isinstance(event, EwayBillGenerated)
    assert event.valid_until == valid_until(NOW, 150).astimezone(UTC)
    assert event.valid_until.astimezone(IST).date() == date(2026, 11, 6)
    request = portal.calls[0][1]
    assert (request["vehicleNo"], request["transporterId"], request["transDocNo"], request["transDistance"]) == (
        "KA01AB1234", TRANSPORTER, "LR-1", "150")
    [logged] = ewb.attempts.rows
    assert (logged.ewaybill_id, logged.action, logged.outcome) == (record.id, "generate", "generated")


@pytest.mark.parametrize(("taxable", "inter_state", "required"), [
    ("42000.00", False, False), ("45000.00", False, True), ("49000.00", True, True), ("40000.00", True, False)])
async def test_threshold_on_value_with_tax(taxable: str, inter_state: bool, required: bool, ewb: InMemoryEwayBills,
                                           portal: SandboxGateway) -> None:
    _, published = await decide(ewb, portal, invoice(taxable=taxable, inter_state=inter_state,
                                                     distance_km=350 if inter_state else 150))
    assert isinstance(published[0], EwayBillGenerated if required else EwayBillNotRequired)


async def test_a_state_threshold_in_force_overrides_the_national_one(portal: SandboxGateway) -> None:
    ewb = InMemoryEwayBills([*SEED_THRESHOLDS, EwayBillThreshold(
        value_above=D("100000"), effective_from=date(2026, 4, 1), state_code="29", movement=Movement.INTRA_STATE)])
    _, published = await decide(ewb, portal, invoice())
    assert isinstance(published[0], EwayBillNotRequired) and published[0].threshold == D("100000")
    assert portal.calls == []


async def test_same_invoice_twice_is_one_decision(ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    await decide(ewb, portal, invoice())
    await decide(ewb, portal, invoice())
    assert len(ewb.bills.rows) == 1 and len(ewb.committed) == 1 and len(portal.calls) == 1


async def test_after_a_crash_the_portals_bill_is_taken_back_not_generated_twice(ewb: InMemoryEwayBills,
                                                                                 portal: SandboxGateway) -> None:
    # The portal generated it, but our transaction was lost: the retry meets 604 and asks for the bill.
    await decide(InMemoryEwayBills(), portal, invoice())
    record, published = await decide(ewb, portal, invoice())
    assert record.status == "generated"
    assert [c[0] for c in portal.calls] == ["generate", "generate", "by_document"]
    assert isinstance(published[0], EwayBillGenerated)


async def test_bad_vehicle_rejected_304_then_retry_after_correction(ewb: InMemoryEwayBills,
                                                                    portal: SandboxGateway) -> None:
    record, published = await decide(ewb, portal, invoice(vehicle_no="KA1234"))
    assert record.status == "rejected" and record.rejection_code == "304"
    assert isinstance(published[0], EwayBillRejected) and published[0].code == "304"
    uow = ewb.uow()
    retried = await use_cases.retry(uow, record.id, use_cases.Corrections(vehicle_no="ka-01-ab-9876"), portal, NOW)
    assert retried.status == "generated" and retried.transport["vehicle_no"] == "KA01AB9876"
    [generated] = uow.messages
    assert isinstance(generated, EwayBillGenerated) and generated.vehicle_no == "KA01AB9876"
    with pytest.raises(use_cases.UseCaseError) as refused:
        await use_cases.retry(ewb.uow(), record.id, use_cases.Corrections(), portal, NOW)
    assert refused.value.status == 409


async def test_distance_beyond_tolerance_rejected_702_then_corrected(ewb: InMemoryEwayBills,
                                                                     portal: SandboxGateway) -> None:
    record, _ = await decide(ewb, portal, invoice(distance_km=200))
    assert record.rejection_code == "702"
    retried = await use_cases.retry(ewb.uow(), record.id, use_cases.Corrections(distance_km=160), portal, NOW)
    assert retried.status == "generated" and retried.distance_km == 160


async def test_missing_vehicle_is_303_without_asking_the_portal(ewb: InMemoryEwayBills,
                                                                portal: SandboxGateway) -> None:
    record, _ = await decide(ewb, portal, invoice(vehicle_no=None))
    assert record.rejection_code == "303" and portal.calls == []


async def test_portal_down_is_transient(ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    portal.down = True
    with pytest.raises(GatewayUnavailable):
        await decide(ewb, portal, invoice())


async def test_cancel_at_23_hours_ok_at_25_refused(ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    first, _ = await decide(ewb, portal, invoice("a"))
    second, _ = await decide(ewb, portal, invoice("b"))
    with pytest.raises(use_cases.UseCaseError) as refused:
        await use_cases.cancel_bill(ewb.uow(), first.id, EwayBillCancelReason.DATA_ENTRY_MISTAKE, "", portal,
                                    NOW + timedelta(hours=25))
    assert refused.value.status == 409 and "within 24 hours" in refused.value.reason
    uow = ewb.uow()
    done = await use_cases.cancel_bill(uow, second.id, EwayBillCancelReason.ORDER_CANCELLED, "", portal,
                                       NOW + timedelta(hours=23))
    assert done.status == "cancelled" and uow.messages[0].TYPE == "EwayBillCancelled"


async def test_extend_only_inside_the_window(ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    record, _ = await decide(ewb, portal, invoice())
    assert record.valid_until is not None
    args = (40, "Mandya", "571401", "29", ExtensionReason.ACCIDENT, "")
    with pytest.raises(use_cases.UseCaseError) as early:
        await use_cases.extend_bill(ewb.uow(), record.id, *args, portal, record.valid_until - timedelta(hours=9))
    assert "can be extended only between" in early.value.reason
    uow = ewb.uow()
    extended = await use_cases.extend_bill(uow, record.id, *args, portal, record.valid_until - timedelta(hours=2))
    assert extended.valid_until is not None and extended.valid_until > record.valid_until
    assert extended.extensions == 1 and uow.messages[0].TYPE == "EwayBillExtended"


async def test_vehicle_changed_updates_part_b_or_keeps_the_refusal(ewb: InMemoryEwayBills,
                                                                   portal: SandboxGateway) -> None:
    record, _ = await decide(ewb, portal, invoice())
    changed = samples.sample(VehicleChanged).model_copy(update={
        "shipment_id": record.shipment_id, "transport": invoice().transport.model_copy(update={
            "vehicle_no": "KA05MN4321"}), "from_place": "Mandya", "from_state_code": "29",
        "changed_at": NOW + timedelta(hours=3)})
    uow = ewb.uow()
    updated = await use_cases.on_vehicle_changed(uow, changed, portal, NOW)
    assert updated is not None and len(updated.movements) == 2
    assert isinstance(uow.messages[0], EwayBillUpdated) and uow.messages[0].transport.vehicle_no == "KA05MN4321"
    late = changed.model_copy(update={"changed_at": NOW + timedelta(days=3)})
    refused = await use_cases.on_vehicle_changed(ewb.uow(), late, portal, NOW)
    assert refused is not None and refused.last_refusal and "expired" in refused.last_refusal
    kept = await ewb.uow().bills.get(record.id)
    assert kept is not None and kept.last_refusal == refused.last_refusal


async def test_a_vehicle_typed_by_hand_keeps_what_was_not_given(ewb: InMemoryEwayBills,
                                                                portal: SandboxGateway) -> None:
    record, _ = await decide(ewb, portal, invoice())
    uow = ewb.uow()
    updated = await use_cases.update_vehicle_by_hand(
        uow, record.id, use_cases.NewVehicle(vehicle_no="KA05MN4321", mode=TransportMode.ROAD),
        VehicleChangeReason.BREAKDOWN, "", "Mandya", "29", portal, NOW + timedelta(hours=3))
    assert (updated.transport["vehicle_no"], updated.transport["lr_no"]) == ("KA05MN4321", "LR-1")
    assert portal.calls[-1][0] == "part_b" and isinstance(uow.messages[0], EwayBillUpdated)
    with pytest.raises(use_cases.UseCaseError) as missing:
        await use_cases.update_vehicle_by_hand(
            ewb.uow(), "ewb-none", use_cases.NewVehicle(vehicle_no="KA05MN4321", mode=TransportMode.ROAD),
            VehicleChangeReason.BREAKDOWN, "", "Mandya", "29", portal, NOW)
    assert missing.value.status == 404


async def test_expiring_lists_active_bills_soonest_first(ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    near, _ = await decide(ewb, portal, invoice("near"))
    await decide(ewb, portal, invoice("far", inter_state=True, distance_km=350))
    assert near.valid_until is not None
    due = await use_cases.expiring(ewb.uow(), near.valid_until - timedelta(hours=4), timedelta(hours=8))
    assert [r.id for r in due] == [near.id]


async def test_vehicle_corrected_at_dispatch_regenerates_a_rejected_bill(ewb: InMemoryEwayBills,
                                                                         portal: SandboxGateway) -> None:
    record, _ = await decide(ewb, portal, invoice(vehicle_no="KA1234"))
    assert record.status == "rejected"
    changed = samples.sample(VehicleChanged).model_copy(update={
        "shipment_id": record.shipment_id, "transport": invoice().transport.model_copy(update={
            "vehicle_no": "KA01AB4321"}), "changed_at": NOW})
    uow = ewb.uow()
    regenerated = await use_cases.on_vehicle_changed(uow, changed, portal, NOW)
    assert regenerated is not None and regenerated.status == "generated"
    assert isinstance(uow.messages[0], EwayBillGenerated) and uow.messages[0].vehicle_no == "KA01AB4321"
