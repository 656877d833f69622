"""Invoicing's tables, on the service's own registry (so seven services share one test process).

An invoice row keeps the `InvoiceIssued` payload as its document (it carries every fact of the tax
invoice; the domain object is rebuilt from it) next to the columns that are searched, locked or
changed later (IRN, e-way bill, dispatch, cancellation). Nothing is deleted: a cancellation is
columns set on the row, the number stays used."""

from __future__ import annotations

import sqlalchemy as sa
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import SQLModel


class InvoicingRecord(SQLModel, registry=registry()):
    pass


metadata = InvoicingRecord.metadata
MESSAGING = messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)

_now = sa.func.now()

document_series = sa.Table(
    "document_series", metadata,
    sa.Column("supplier_gstin", sa.Text, primary_key=True),
    sa.Column("financial_year", sa.Text, primary_key=True),
    sa.Column("prefix", sa.Text, primary_key=True),
    sa.Column("width", sa.Integer, nullable=False, server_default="6"),
    sa.Column("last_sequence", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
)

hsn_rate = sa.Table(
    "hsn_rate", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("hsn", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("gst_rate", sa.Numeric(6, 3), nullable=False),
    sa.Column("cess_rate", sa.Numeric(6, 3), nullable=False, server_default="0"),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("effective_to", sa.Date),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.UniqueConstraint("hsn", "effective_from", name="hsn_rate_from"),
)

invoice = sa.Table(
    "invoice", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    # One live invoice per shipment (a cancelled one may be re-issued: invoice_live_per_shipment).
    sa.Column("shipment_id", sa.Text, nullable=False),
    sa.Column("invoice_no", sa.Text, nullable=False),
    sa.Column("supplier_gstin", sa.Text, nullable=False),
    sa.Column("financial_year", sa.Text, nullable=False),
    sa.Column("invoice_date", sa.Date, nullable=False),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("buyer_gstin", sa.Text),
    sa.Column("supply_type", sa.Text, nullable=False),
    sa.Column("grand_total", sa.Numeric(16, 2), nullable=False),
    sa.Column("document", JSONB, nullable=False),
    sa.Column("irn_status", sa.Text, nullable=False),
    sa.Column("irn", JSONB),
    sa.Column("irn_error_code", sa.Text),
    sa.Column("irn_error_message", sa.Text),
    sa.Column("irn_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("irn_claimed_at", sa.DateTime(timezone=True)),
    # The process instance (settings.instance) whose IRP call holds the claim: taken back when it restarts.
    sa.Column("irn_claimed_by", sa.Text),
    sa.Column("ewaybill_no", sa.Text),
    sa.Column("ewaybill_active", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("dispatched_at", sa.DateTime(timezone=True)),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("cancel_remarks", sa.Text),
    sa.Column("irn_cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    sa.Column("ready", JSONB),  # the ShipmentReady it was issued from (a re-issue starts from it)
    sa.Column("shipment_cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.UniqueConstraint("supplier_gstin", "financial_year", "invoice_no", name="invoice_number_once"),
    sa.Index("invoice_live_per_shipment", "shipment_id", unique=True, postgresql_where=sa.text("cancelled_at IS NULL")),
    sa.Index("invoice_by_shipment", "shipment_id"),
    sa.Index("invoice_order", "order_id"),
    sa.Index("invoice_customer", "customer_id"),
    sa.Index("invoice_period", "supplier_gstin", "invoice_date"),
    sa.Index("invoice_irn_pending", "id", postgresql_where=sa.text("irn_status IN ('pending', 'registering')")),
)

credit_note = sa.Table(
    "credit_note", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("credit_note_no", sa.Text, nullable=False),
    sa.Column("invoice_id", sa.Text, sa.ForeignKey("invoice.id"), nullable=False),
    sa.Column("return_id", sa.Text, unique=True),
    sa.Column("supplier_gstin", sa.Text, nullable=False),
    sa.Column("financial_year", sa.Text, nullable=False),
    sa.Column("credit_note_date", sa.Date, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("grand_total", sa.Numeric(16, 2), nullable=False),
    sa.Column("document", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
    sa.Column("irn_status", sa.Text, nullable=False, server_default="not_required"),
    sa.Column("irn", JSONB),
    sa.Column("irn_error_code", sa.Text),
    sa.Column("irn_error_message", sa.Text),
    sa.Column("irn_claimed_at", sa.DateTime(timezone=True)),
    sa.Column("irn_claimed_by", sa.Text),
    sa.UniqueConstraint("supplier_gstin", "financial_year", "credit_note_no", name="credit_note_number_once"),
    sa.Index("credit_note_invoice", "invoice_id"),
    sa.Index("credit_note_period", "supplier_gstin", "credit_note_date"),
    sa.Index("credit_note_irn_pending", "id", postgresql_where=sa.text("irn_status IN ('pending', 'registering')")),
)

return_request = sa.Table(
    "return_request", metadata,
    sa.Column("return_id", sa.Text, primary_key=True),
    sa.Column("return_no", sa.Text, nullable=False),
    sa.Column("invoice_id", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    # authorised (ReturnAuthorised seen) | credited | refused
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("credit_note_id", sa.Text),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
)

refused_shipment = sa.Table(
    # A ready shipment invoicing would not invoice (InvoiceRefused), kept so it is invoiced once the cause is put
    # right: a rate for its HSN entered in sales' master retries it (docs/domain.md, "GST rates").
    "refused_shipment", metadata,
    sa.Column("shipment_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("refusal", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("message", JSONB, nullable=False),  # the ShipmentReady as dispatch sent it
    sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
)

invoice_pdf = sa.Table(
    "invoice_pdf", metadata,
    sa.Column("invoice_id", sa.Text, sa.ForeignKey("invoice.id"), primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
)
