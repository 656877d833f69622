"""The e-way bill use cases on fakes: an in-memory repository and the domain sandbox as the portal."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from o2c.contracts import samples
from o2c.contracts.envelope import Message
from o2c.contracts.types import Quantity
from o2c.contracts.v1.common import Address, TransportDetails
from o2c.contracts.v1.dispatch import VehicleChanged
from o2c.contracts.v1.ewaybill import (
    EwayBillCancelReason,
    EwayBillGenerated,
    EwayBillNotRequired,
    EwayBillRejected,
    EwayBillUpdated,
)
from o2c.contracts.v1.invoicing import InvoiceIssued, InvoiceLine, InvoiceTotals
from o2c.ewaybill.adapters.gateway import GatewayUnavailable
from o2c.ewaybill.domain.errors import NOT_ACTIVE, portal_error
from o2c.ewaybill.domain.gstin import gstin_check_character
from o2c.ewaybill.domain.lifecycle import ExtensionReason
from o2c.ewaybill.domain.sandbox import EwayBillSandbox
from o2c.ewaybill.domain.seed import SEED_THRESHOLDS
from o2c.ewaybill.service_layer import use_cases
from o2c.ewaybill.service_layer.ports import EwayBillRecord, PortalReply
from o2c.india.calendar import IST
from o2c.india.ewaybill import EwayBillThreshold, Movement, valid_until
from o2c.india.portal import portal_datetime

D = Decimal
NOW = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
TRANSPORTER = "29AAACV2234K1Z" + gstin_check_character("29AAACV2234K1Z")
_BUYER = "29AABCK4321F1Z"
MYSURU = Address(name="Kaveri Stores", line1="22 Sayyaji Rao Road", place="Mysuru", state_code="29",
                 pincode="570001", gstin=_BUYER + gstin_check_character(_BUYER))


def invoice(invoice_id: str = "inv-1", taxable: str = "45000.00", rate: str = "18", *,
            vehicle_no: str | None = "KA01AB1234", distance_km: int = 150, inter_state: bool = False
            ) -> InvoiceIssued:
    value = D(taxable)
    tax = (value * D(rate) / 100).quantize(D("0.01"))
    half = (tax / 2).quantize(D("0.01"))
    buyer = samples.SHIP_TO if inter_state else MYSURU
    rates: dict[str, Any] = ({"igst_rate": D(rate), "igst_amount": tax} if inter_state else
                             {"cgst_rate": D(rate) / 2, "sgst_rate": D(rate) / 2, "cgst_amount": half,
                              "sgst_amount": tax - half})
    line = InvoiceLine(line_no=1, item_code="BAT", item_name="Battery", hsn="85071000",
                       quantity=Quantity(value="30", unit="NOS"), unit_price=D("1500.00"), taxable_value=value,
                       gst_rate=D(rate), line_total=value + tax, **rates)
    totals = InvoiceTotals(taxable_value=value, grand_total=value + tax,
                           **({"igst": tax} if inter_state else {"cgst": half, "sgst": tax - half}))
    return samples.sample(InvoiceIssued).model_copy(update={
        "invoice_id": invoice_id, "invoice_no": "INV/" + invoice_id, "order_id": "ord-" + invoice_id,
        "shipment_id": "shp-" + invoice_id, "invoice_date": date(2026, 11, 5), "bill_to": buyer, "ship_to": buyer,
        "buyer_gstin": buyer.gstin, "lines": [line], "totals": totals,
        "transport": TransportDetails(vehicle_no=vehicle_no, transporter_id=TRANSPORTER, transporter_name="VRL",
                                      lr_no="LR-1", lr_date=date(2026, 11, 5), distance_km=distance_km),
    })


class FakeRepository:
    def __init__(self, thresholds: Sequence[EwayBillThreshold] = SEED_THRESHOLDS) -> None:
        self.rows: dict[str, EwayBillRecord] = {}
        self.rules = list(thresholds)
        self.attempts: list[tuple[str, str, dict[str, Any], str]] = []

    async def thresholds(self) -> Sequence[EwayBillThreshold]:
        return self.rules

    async def by_invoice(self, invoice_id: str) -> EwayBillRecord | None:
        return next((dataclasses.replace(r) for r in self.rows.values() if r.invoice_id == invoice_id), None)

    async def get(self, ewaybill_id: str, *, for_update: bool = False) -> EwayBillRecord | None:
        found = self.rows.get(ewaybill_id)
        return dataclasses.replace(found) if found else None

    async def active_for_shipment(self, shipment_id: str) -> EwayBillRecord | None:
        return next((dataclasses.replace(r) for r in self.rows.values()
                     if r.shipment_id == shipment_id and r.status == "generated"), None)

    async def add(self, record: EwayBillRecord) -> bool:
        if any(r.invoice_id == record.invoice_id for r in self.rows.values()):
            return False
        self.rows[record.id] = dataclasses.replace(record)
        return True

    async def save(self, record: EwayBillRecord) -> None:
        self.rows[record.id] = dataclasses.replace(record)

    async def record_attempt(self, ewaybill_id: str, action: str, request: dict[str, Any], outcome: str,
                             code: str | None, message: str | None) -> None:
        self.attempts.append((ewaybill_id, action, request, outcome))

    async def find(self, *, status: str | None = None, order_id: str | None = None,
                   shipment_id: str | None = None, limit: int = 200) -> list[EwayBillRecord]:
        return [r for r in self.rows.values() if status in (None, r.status) and order_id in (None, r.order_id)
                and shipment_id in (None, r.shipment_id)][:limit]


class SandboxGateway:
    """The domain's sandbox portal called in-process (the HTTP adapter is covered by integration tests)."""

    def __init__(self, clock: datetime = NOW) -> None:
        # Bengaluru → Mysuru 153 km, Bengaluru → Chennai 365 km (as the pincode directory estimates them).
        self.portal = EwayBillSandbox(pincode_distance=lambda a, b: 153 if b == "570001" else 365)
        self.clock = clock
        self.calls: list[tuple[str, Mapping[str, Any]]] = []
        self.down = False

    async def generate(self, request: Mapping[str, Any]) -> PortalReply:
        if self.down:
            raise GatewayUnavailable("timeout")
        self.calls.append(("generate", request))
        outcome = self.portal.generate(request, self.clock)
        if outcome.response is None:
            return PortalReply(errors=outcome.errors)
        return PortalReply(data=outcome.response)

    async def generated_for_document(self, doc_type: str, doc_no: str) -> PortalReply:
        self.calls.append(("by_document", {"docNo": doc_no}))
        for (_, kind, number), ebn in self.portal.issued_documents.items():
            if (kind, number) == (doc_type, doc_no.upper()):
                return PortalReply(data={"ewayBillNo": ebn, "ewayBillDate": portal_datetime(self.clock),
                                         "validUpto": portal_datetime(valid_until(self.clock, 150))})
        return PortalReply(errors=(portal_error(NOT_ACTIVE),))

    async def cancel(self, ebn: str, reason_code: str, remarks: str) -> PortalReply:
        self.calls.append(("cancel", {"ebn": ebn}))
        return PortalReply(data={"ewayBillNo": ebn})

    async def update_part_b(self, request: Mapping[str, Any]) -> PortalReply:
        self.calls.append(("part_b", request))
        return PortalReply(data={"vehUpdDate": "x"})

    async def extend(self, request: Mapping[str, Any]) -> PortalReply:
        self.calls.append(("extend", request))
        return PortalReply(data={"validUpto": "x"})


class Published(list[Message]):
    async def __call__(self, message: Message) -> None:
        self.append(message)


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


@pytest.fixture
def portal() -> SandboxGateway:
    return SandboxGateway()


async def test_above_threshold_generates_with_part_b_as_typed(repo: FakeRepository, portal: SandboxGateway) -> None:
    published = Published()
    record = await use_cases.decide_for_invoice(invoice(), repo, portal, published, NOW)
    assert record.status == "generated" and record.consignment_value == D("53100.00")
    [event] = published
    assert isinstance(event, EwayBillGenerated)
    assert event.valid_until == valid_until(NOW, 150).astimezone(UTC)
    assert event.valid_until.astimezone(IST).date() == date(2026, 11, 6)
    request = portal.calls[0][1]
    assert (request["vehicleNo"], request["transporterId"], request["transDocNo"], request["transDistance"]) == (
        "KA01AB1234", TRANSPORTER, "LR-1", "150")


@pytest.mark.parametrize(("taxable", "inter_state", "required"), [
    ("42000.00", False, False), ("45000.00", False, True), ("49000.00", True, True), ("40000.00", True, False)])
async def test_threshold_on_value_with_tax(taxable: str, inter_state: bool, required: bool, repo: FakeRepository,
                                           portal: SandboxGateway) -> None:
    published = Published()
    await use_cases.decide_for_invoice(invoice(taxable=taxable, inter_state=inter_state, distance_km=350 if
                                               inter_state else 150), repo, portal, published, NOW)
    assert isinstance(published[0], EwayBillGenerated if required else EwayBillNotRequired)


async def test_a_state_threshold_in_force_overrides_the_national_one(portal: SandboxGateway) -> None:
    repo = FakeRepository([*SEED_THRESHOLDS, EwayBillThreshold(
        value_above=D("100000"), effective_from=date(2026, 4, 1), state_code="29", movement=Movement.INTRA_STATE)])
    published = Published()
    await use_cases.decide_for_invoice(invoice(), repo, portal, published, NOW)
    assert isinstance(published[0], EwayBillNotRequired) and published[0].threshold == D("100000")
    assert portal.calls == []


async def test_same_invoice_twice_is_one_decision(repo: FakeRepository, portal: SandboxGateway) -> None:
    published = Published()
    await use_cases.decide_for_invoice(invoice(), repo, portal, published, NOW)
    await use_cases.decide_for_invoice(invoice(), repo, portal, published, NOW)
    assert len(repo.rows) == 1 and len(published) == 1 and len(portal.calls) == 1


async def test_after_a_crash_the_portals_bill_is_taken_back_not_generated_twice(repo: FakeRepository,
                                                                                 portal: SandboxGateway) -> None:
    # The portal generated it, but our transaction was lost: the retry meets 604 and asks for the bill.
    await use_cases.decide_for_invoice(invoice(), FakeRepository(), portal, Published(), NOW)
    published = Published()
    record = await use_cases.decide_for_invoice(invoice(), repo, portal, published, NOW)
    assert record.status == "generated"
    assert [c[0] for c in portal.calls] == ["generate", "generate", "by_document"]
    assert isinstance(published[0], EwayBillGenerated)


async def test_bad_vehicle_rejected_304_then_retry_after_correction(repo: FakeRepository,
                                                                    portal: SandboxGateway) -> None:
    published = Published()
    record = await use_cases.decide_for_invoice(invoice(vehicle_no="KA1234"), repo, portal, published, NOW)
    assert record.status == "rejected" and record.rejection_code == "304"
    assert isinstance(published[0], EwayBillRejected) and published[0].code == "304"
    retried = await use_cases.retry(record.id, use_cases.Corrections(vehicle_no="ka-01-ab-9876"), repo, portal,
                                    published, NOW)
    assert retried.status == "generated" and retried.transport["vehicle_no"] == "KA01AB9876"
    assert isinstance(published[1], EwayBillGenerated) and published[1].vehicle_no == "KA01AB9876"
    with pytest.raises(use_cases.UseCaseError) as refused:
        await use_cases.retry(record.id, use_cases.Corrections(), repo, portal, published, NOW)
    assert refused.value.status == 409


async def test_distance_beyond_tolerance_rejected_702_then_corrected(repo: FakeRepository,
                                                                     portal: SandboxGateway) -> None:
    published = Published()
    record = await use_cases.decide_for_invoice(invoice(distance_km=200), repo, portal, published, NOW)
    assert record.rejection_code == "702"
    retried = await use_cases.retry(record.id, use_cases.Corrections(distance_km=160), repo, portal, published, NOW)
    assert retried.status == "generated" and retried.distance_km == 160


async def test_missing_vehicle_is_303_without_asking_the_portal(repo: FakeRepository, portal: SandboxGateway) -> None:
    record = await use_cases.decide_for_invoice(invoice(vehicle_no=None), repo, portal, Published(), NOW)
    assert record.rejection_code == "303" and portal.calls == []


async def test_portal_down_is_transient(repo: FakeRepository, portal: SandboxGateway) -> None:
    portal.down = True
    with pytest.raises(GatewayUnavailable):
        await use_cases.decide_for_invoice(invoice(), repo, portal, Published(), NOW)


async def test_cancel_at_23_hours_ok_at_25_refused(repo: FakeRepository, portal: SandboxGateway) -> None:
    first = await use_cases.decide_for_invoice(invoice("a"), repo, portal, Published(), NOW)
    second = await use_cases.decide_for_invoice(invoice("b"), repo, portal, Published(), NOW)
    with pytest.raises(use_cases.UseCaseError) as refused:
        await use_cases.cancel_bill(first.id, EwayBillCancelReason.DATA_ENTRY_MISTAKE, "", repo, portal,
                                    Published(), NOW + timedelta(hours=25))
    assert refused.value.status == 409 and "within 24 hours" in refused.value.reason
    published = Published()
    done = await use_cases.cancel_bill(second.id, EwayBillCancelReason.ORDER_CANCELLED, "", repo, portal,
                                       published, NOW + timedelta(hours=23))
    assert done.status == "cancelled" and published[0].TYPE == "EwayBillCancelled"


async def test_extend_only_inside_the_window(repo: FakeRepository, portal: SandboxGateway) -> None:
    record = await use_cases.decide_for_invoice(invoice(), repo, portal, Published(), NOW)
    assert record.valid_until is not None
    args = (40, "Mandya", "571401", "29", ExtensionReason.ACCIDENT, "")
    with pytest.raises(use_cases.UseCaseError) as early:
        await use_cases.extend_bill(record.id, *args, repo, portal, Published(), record.valid_until - timedelta(
            hours=9))
    assert "can be extended only between" in early.value.reason
    published = Published()
    extended = await use_cases.extend_bill(record.id, *args, repo, portal, published,
                                           record.valid_until - timedelta(hours=2))
    assert extended.valid_until is not None and extended.valid_until > record.valid_until
    assert extended.extensions == 1 and published[0].TYPE == "EwayBillExtended"


async def test_vehicle_changed_updates_part_b_or_keeps_the_refusal(repo: FakeRepository,
                                                                   portal: SandboxGateway) -> None:
    record = await use_cases.decide_for_invoice(invoice(), repo, portal, Published(), NOW)
    changed = samples.sample(VehicleChanged).model_copy(update={
        "shipment_id": record.shipment_id, "transport": invoice().transport.model_copy(update={
            "vehicle_no": "KA05MN4321"}), "from_place": "Mandya", "from_state_code": "29",
        "changed_at": NOW + timedelta(hours=3)})
    published = Published()
    updated = await use_cases.on_vehicle_changed(changed, repo, portal, published, NOW)
    assert updated is not None and len(updated.movements) == 2
    assert isinstance(published[0], EwayBillUpdated) and published[0].transport.vehicle_no == "KA05MN4321"
    late = changed.model_copy(update={"changed_at": NOW + timedelta(days=3)})
    refused = await use_cases.on_vehicle_changed(late, repo, portal, Published(), NOW)
    assert refused is not None and refused.last_refusal and "expired" in refused.last_refusal


async def test_expiring_lists_active_bills_soonest_first(repo: FakeRepository, portal: SandboxGateway) -> None:
    near = await use_cases.decide_for_invoice(invoice("near"), repo, portal, Published(), NOW)
    await use_cases.decide_for_invoice(invoice("far", inter_state=True, distance_km=350), repo,
                                       portal, Published(), NOW)
    assert near.valid_until is not None
    due = await use_cases.expiring(repo, near.valid_until - timedelta(hours=4), timedelta(hours=8))
    assert [r.id for r in due] == [near.id]


async def test_vehicle_corrected_at_dispatch_regenerates_a_rejected_bill(repo: FakeRepository,
                                                                         portal: SandboxGateway) -> None:
    record = await use_cases.decide_for_invoice(invoice(vehicle_no="KA1234"), repo, portal, Published(), NOW)
    assert record.status == "rejected"
    changed = samples.sample(VehicleChanged).model_copy(update={
        "shipment_id": record.shipment_id, "transport": invoice().transport.model_copy(update={
            "vehicle_no": "KA01AB4321"}), "changed_at": NOW})
    published = Published()
    regenerated = await use_cases.on_vehicle_changed(changed, repo, portal, published, NOW)
    assert regenerated is not None and regenerated.status == "generated"
    assert isinstance(published[0], EwayBillGenerated) and published[0].vehicle_no == "KA01AB4321"
