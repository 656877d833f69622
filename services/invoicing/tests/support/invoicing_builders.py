"""Builders for invoicing's use-case tests (`o2c.testsupport.invoicing.invoicing_builders`): a company registered
in Maharashtra (Pune warehouse), buyers in several states, ready shipments and returns whose fields a test
overrides as needed, and the steps most tests start from."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from o2c.contracts.samples import sample
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1.common import Address, SupplyType
from o2c.contracts.v1.dispatch import ReadyLine, ShipmentReady
from o2c.contracts.v1.inventory import GoodsCondition, GoodsReturned, ReturnedLine
from o2c.india.calendar import IST
from o2c.india.gstin import gstin_check_character
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import InvoiceRecord, UnitOfWork

D = Decimal


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


SUPPLIER_MH = gstin("27", "AAACO1234C")
BUYER_MH = gstin("27", "AABCB5678D")
BUYER_KA = gstin("29", "AABCK4321F")
THIRD_PARTY_GJ = gstin("24", "AABCT9999E")
PUNE = Address(name="Orbit Distributors Pvt Ltd", line1="Plot 12, MIDC Chakan", place="Pune", state_code="27",
               pincode="410501", gstin=SUPPLIER_MH)
MUMBAI = Address(name="Bharat Retail LLP", line1="14 Linking Road", place="Mumbai", state_code="27",
                 pincode="400050", gstin=BUYER_MH)
BENGALURU = Address(name="Kaveri Stores Pvt Ltd", line1="22 MG Road", place="Bengaluru", state_code="29",
                    pincode="560001", gstin=BUYER_KA)
GUJARAT_SITE = Address(name="Tapi Projects Ltd", line1="Site 4, GIDC", place="Surat", state_code="24",
                       pincode="394221", gstin=THIRD_PARTY_GJ)
WALK_IN_GOA = Address(name="A. Fernandes", line1="House 7", place="Bardez", state_code="30", pincode="403516")
NOV_5 = datetime(2026, 11, 5, 10, tzinfo=IST)
POLICY = uc.Policy()


def line(line_no: int, picked: str, released: str | None = None, *, price: str = "100.00", hsn: str = "84713010",
         discount: str = "0", gst: str = "18") -> ReadyLine:
    return ReadyLine(
        line_no=line_no, item_code=f"ITEM-{line_no}", item_name=f"Item {line_no}", hsn=hsn,
        quantity=Quantity(value=D(picked), unit=Uqc.NOS),
        released_quantity=Quantity(value=D(released or picked), unit=Uqc.NOS), unit_price=D(price),
        discount=D(discount), gst_rate=D(gst), promised_date=date(2026, 11, 5),
    )


def ready(*lines: ReadyLine, shipment_id: str = "shp-1", ship_to: Address = MUMBAI, bill_to: Address | None = None,
          supply_type: SupplyType = SupplyType.B2B, **overrides: Any) -> ShipmentReady:
    values: dict[str, Any] = dict(
        order_id=f"ord-{shipment_id}", shipment_id=shipment_id, warehouse_id="WH-PUN", warehouse_gstin=SUPPLIER_MH,
        dispatch_from=PUNE, customer_id="cus-1", bill_to=bill_to or ship_to, ship_to=ship_to,
        place_of_supply=(bill_to or ship_to).state_code, supply_type=supply_type,
        lines=list(lines) or [line(1, "17", "20")],
    )
    values.update(overrides)
    return sample(ShipmentReady).model_copy(update=values)


def returned(record: InvoiceRecord, return_id: str, quantity: str) -> GoodsReturned:
    return GoodsReturned(
        return_id=return_id, return_no=return_id.upper(), order_id=record.issued.order_id, customer_id="cus-1",
        invoice_id=record.id, invoice_no=record.issued.invoice_no, invoice_date=record.issued.invoice_date,
        warehouse_id="WH-PUN", lines=[ReturnedLine(invoice_line_no=1, item_code="ITEM-1", quantity=Quantity(
            value=D(quantity), unit=Uqc.NOS), condition=GoodsCondition.SALEABLE)], received_at=NOV_5)


async def issue(uow: UnitOfWork, msg: ShipmentReady, at: datetime = NOV_5) -> InvoiceRecord:
    """The shipment invoiced (the test fails if it is refused)."""
    record = await uc.issue_invoice(uow, msg, now=at, policy=POLICY)
    assert record is not None, f"shipment {msg.shipment_id} was refused"
    return record


async def claimed(uow: UnitOfWork) -> InvoiceRecord:
    """The one invoice waiting for its IRN, claimed for registration as the IRN worker would."""
    now = datetime.now(UTC)
    [record] = await uow.irn_queue.claim_invoices(now, now, 10, "invoicing-test")
    return record
