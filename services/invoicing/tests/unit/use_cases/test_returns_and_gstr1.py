"""Credit notes for returned goods and the month's GSTR-1 (against its golden file), on an in-memory unit of
work."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from o2c.contracts.v1 import invoicing as ci
from o2c.contracts.v1.common import SupplyType
from o2c.india.calendar import IST
from o2c.india.portal import dumps
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import (
    IrnStatus,
)
from o2c.testsupport.invoicing.invoicing_builders import (
    MUMBAI,
    NOV_5,
    POLICY,
    SUPPLIER_MH,
    WALK_IN_GOA,
    issue,
    line,
    ready,
    returned,
)
from o2c.testsupport.invoicing.invoicing_fakes import FakeIrp, InMemoryUnitOfWork

D = Decimal
GOLDEN = Path(__file__).parent / "golden"


# --- returns ----------------------------------------------------------------------------------------


async def test_a_return_of_5_of_17_is_credited_and_a_second_of_13_is_refused() -> None:
    uow = InMemoryUnitOfWork()
    record = await issue(uow, ready(line(1, "17", "20", price="250.00")))
    later = NOV_5 + timedelta(days=3)
    note = await uc.credit_goods_returned(uow, returned(record, "r1", "5"), now=later, policy=POLICY)
    assert note is not None
    issued = note.issued
    assert (issued.original_invoice_no, issued.original_invoice_date) == (record.issued.invoice_no, NOV_5.date())
    assert issued.credit_note_no == "CRN/26-27/000001" and issued.lines[0].quantity.value == D("5")
    assert (issued.totals.cgst, issued.totals.sgst, issued.totals.igst) == (D("112.50"), D("112.50"), D("0"))
    assert isinstance(uow.messages[-1], ci.CreditNoteIssued)
    assert await uc.credit_goods_returned(uow, returned(record, "r1", "5"), now=later, policy=POLICY) == note

    refused = await uc.credit_goods_returned(uow, returned(record, "r2", "13"), now=later, policy=POLICY)
    assert refused is None
    assert uow.returns.rows["r2"].status == "refused" and "only 12" in uow.returns.rows["r2"].reason
    assert uow.series.rows[(SUPPLIER_MH, "2026-27", "CRN")].last_sequence == 1  # no number for the refusal
    rest = await uc.credit_goods_returned(uow, returned(record, "r3", "12"), now=later, policy=POLICY)
    assert rest is not None
    assert rest.issued.totals.taxable_value + issued.totals.taxable_value == record.issued.totals.taxable_value
    assert rest.issued.totals.cgst + issued.totals.cgst == record.issued.totals.cgst


async def test_a_credit_note_to_a_registered_buyer_is_reported_to_the_irp_as_crn() -> None:
    uow, irp = InMemoryUnitOfWork(), FakeIrp()
    record = await issue(uow, ready(line(1, "17", "20", price="250.00")))
    note = await uc.credit_goods_returned(uow, returned(record, "r1", "5"), now=NOV_5, policy=POLICY)
    assert note is not None and note.irn_status is IrnStatus.PENDING
    [claimed] = await uow.irn_queue.claim_credit_notes(NOV_5, NOV_5, 10, "invoicing-test")
    outcome = await uc.register_credit_note_at_irp(irp, claimed, record)
    payload = irp.generated[-1]
    assert payload["DocDtls"]["Typ"] == "CRN" and payload["DocDtls"]["No"] == note.issued.credit_note_no
    assert payload["RefDtls"]["PrecDocDtls"][0]["InvNo"] == record.issued.invoice_no
    await uc.record_credit_note_irn_outcome(uow, note.id, outcome)
    assert uow.credit_notes.rows[note.id].irn_status is IrnStatus.REGISTERED
    b2c = await issue(uow, ready(shipment_id="b2c", ship_to=WALK_IN_GOA, supply_type=SupplyType.B2C))
    b2c_note = await uc.credit_goods_returned(uow, returned(b2c, "r2", "1"), now=NOV_5, policy=POLICY)
    assert b2c_note is not None and b2c_note.irn_status is IrnStatus.NOT_REQUIRED


async def test_a_credit_note_after_30_november_of_the_next_year_is_refused() -> None:
    uow = InMemoryUnitOfWork()
    record = await issue(uow, ready())
    late = datetime(2027, 12, 1, 10, tzinfo=IST)
    assert await uc.credit_goods_returned(uow, returned(record, "late", "1"), now=late, policy=POLICY) is None
    assert "30/11/2027" in uow.returns.rows["late"].reason


# --- GSTR-1 (golden) --------------------------------------------------------------------------------


async def test_gstr1_for_november_2026_equals_the_golden_file() -> None:
    uow = InMemoryUnitOfWork()
    b2b = await issue(uow, ready(line(1, "17", "20", price="250.00"), line(2, "3", price="33.33", hsn="34011190"),
                                 shipment_id="b2b"))
    await issue(uow, ready(line(1, "1", price="127118.64"), shipment_id="b2cl", ship_to=WALK_IN_GOA,
                           supply_type=SupplyType.B2C), at=NOV_5 + timedelta(days=1))
    await issue(uow, ready(line(1, "2", price="500.00"), shipment_id="b2cs",
                           ship_to=MUMBAI.model_copy(update={"gstin": None, "name": "Walk-in"}),
                           supply_type=SupplyType.B2C), at=NOV_5 + timedelta(days=2))
    await uc.credit_goods_returned(uow, returned(b2b, "r1", "5"), now=NOV_5 + timedelta(days=5), policy=POLICY)
    report = await uc.gstr1(uow, SUPPLIER_MH, "2026-11", policy=POLICY)
    text = dumps(report) + "\n"  # the exact bytes the portal gets (amounts digit for digit, never floats)
    golden = GOLDEN / "gstr1_2026_11.json"
    if not golden.exists():  # pragma: no cover - written once, then reviewed and committed
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()
    assert [s for s in ("b2b", "b2cl", "b2cs", "cdnr") if s in report] == ["b2b", "b2cl", "b2cs", "cdnr"]
    register = await uc.invoice_register(uow, SUPPLIER_MH, "2026-11", policy=POLICY)
    assert register["reconciled"] is True
