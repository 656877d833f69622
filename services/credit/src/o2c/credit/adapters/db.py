"""Credit's tables on credit's own registry, with the kit's messaging tables (outbox, inbox, dead letters).

One row per customer (`credit_account`) holds the whole CustomerAccount as JSONB: it is the unit the service
layer locks (`SELECT … FOR UPDATE`) inside the batch or request transaction, so one customer's decisions are
serialised even when that customer's orders sit on different partitions. Sanction requests are rows of their
own (the finance queue is searched by status and deadline); payments keep their idempotency key; receipt numbers
come from a gapless series per financial year.
"""

from __future__ import annotations

import sqlalchemy as sa
from o2c.kit.idempotency import idempotency_table
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry

credit_registry = registry()
metadata = credit_registry.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)
idempotent_request = idempotency_table(metadata)

_TS = sa.DateTime(timezone=True)

credit_account = sa.Table(
    "credit_account", metadata,
    sa.Column("customer_id", sa.Text, primary_key=True),
    sa.Column("customer_name", sa.Text, nullable=False, server_default=""),
    sa.Column("master_revision", sa.Integer, nullable=False, server_default="0"),
    sa.Column("limit_set_by_finance", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("doc", JSONB, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("updated_at", _TS, nullable=False, server_default=sa.func.now()),
)

sanction_request = sa.Table(
    "sanction_request", metadata,
    sa.Column("sanction_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False, index=True),
    sa.Column("customer_id", sa.Text, nullable=False, index=True),
    sa.Column("customer_name", sa.Text, nullable=False, server_default=""),
    sa.Column("order_revision", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("amount", sa.Numeric(16, 2), nullable=False),
    sa.Column("requested_at", _TS, nullable=False),
    sa.Column("escalation_due_at", _TS, nullable=False),
    sa.Column("escalated_at", _TS),
    sa.Column("expires_at", _TS, nullable=False),
    sa.Column("decided_at", _TS),
    sa.Column("doc", JSONB, nullable=False),
    sa.Column("view", JSONB),
    sa.Index("sanction_queue", "status", "requested_at"),
    sa.Index("sanction_pending_deadlines", "expires_at", "escalation_due_at",
             postgresql_where=sa.text("status = 'pending'")),
)

payment = sa.Table(
    "payment", metadata,
    sa.Column("payment_id", sa.Text, primary_key=True),
    sa.Column("receipt_no", sa.Text, nullable=False, unique=True),
    sa.Column("customer_id", sa.Text, nullable=False, index=True),
    sa.Column("idempotency_key", sa.Text, unique=True),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", _TS, nullable=False),
    sa.Column("doc", JSONB, nullable=False),
)

document_series = sa.Table(
    "document_series", metadata,
    sa.Column("series", sa.Text, primary_key=True),
    sa.Column("last_number", sa.BigInteger, nullable=False),
)
