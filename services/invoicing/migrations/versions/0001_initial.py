"""invoicing: messaging tables, number series, HSN rates (seeded), invoices, credit notes, returns, PDFs

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from o2c.kit.messaging.schema import create_messaging_tables
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = True, now: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=sa.func.now() if now else None)


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "document_series",
        sa.Column("supplier_gstin", sa.Text, primary_key=True),
        sa.Column("financial_year", sa.Text, primary_key=True),
        sa.Column("prefix", sa.Text, primary_key=True),
        sa.Column("width", sa.Integer, nullable=False, server_default="6"),
        sa.Column("last_sequence", sa.BigInteger, nullable=False, server_default="0"),
        _ts("updated_at", nullable=False, now=True),
    )
    # Filled from sales' GST rate master (GstRateRecorded), never seeded here: 0004.
    op.create_table(
        "hsn_rate",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("hsn", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("gst_rate", sa.Numeric(6, 3), nullable=False),
        sa.Column("cess_rate", sa.Numeric(6, 3), nullable=False, server_default="0"),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date),
        sa.UniqueConstraint("hsn", "effective_from", name="hsn_rate_from"),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("shipment_id", sa.Text, nullable=False, unique=True),
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
        _ts("irn_claimed_at"),
        sa.Column("ewaybill_no", sa.Text),
        sa.Column("ewaybill_active", sa.Boolean, nullable=False, server_default=sa.false()),
        _ts("dispatched_at"),
        _ts("cancelled_at"),
        sa.Column("cancel_reason", sa.Text),
        sa.Column("cancel_remarks", sa.Text),
        sa.Column("irn_cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        _ts("created_at", nullable=False, now=True),
        sa.UniqueConstraint("supplier_gstin", "financial_year", "invoice_no", name="invoice_number_once"),
    )
    op.create_index("invoice_order", "invoice", ["order_id"])
    op.create_index("invoice_customer", "invoice", ["customer_id"])
    op.create_index("invoice_period", "invoice", ["supplier_gstin", "invoice_date"])
    op.create_index("invoice_irn_pending", "invoice", ["id"],
                    postgresql_where=sa.text("irn_status IN ('pending', 'registering')"))
    op.create_table(
        "credit_note",
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
        _ts("created_at", nullable=False, now=True),
        sa.UniqueConstraint("supplier_gstin", "financial_year", "credit_note_no", name="credit_note_number_once"),
    )
    op.create_index("credit_note_invoice", "credit_note", ["invoice_id"])
    op.create_index("credit_note_period", "credit_note", ["supplier_gstin", "credit_note_date"])
    op.create_table(
        "return_request",
        sa.Column("return_id", sa.Text, primary_key=True),
        sa.Column("return_no", sa.Text, nullable=False),
        sa.Column("invoice_id", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("credit_note_id", sa.Text),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        _ts("updated_at", nullable=False, now=True),
    )
    op.create_table(
        "invoice_pdf",
        sa.Column("invoice_id", sa.Text, sa.ForeignKey("invoice.id"), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        _ts("rendered_at", nullable=False, now=True),
    )


def downgrade() -> None:
    for name in ("invoice_pdf", "return_request", "credit_note", "invoice", "hsn_rate", "document_series"):
        op.drop_table(name)
