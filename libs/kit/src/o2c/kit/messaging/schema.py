"""The messaging tables every service database has: outbox, inbox, dead letters and parked keys."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

OUTBOX_CHANNEL = "o2c_outbox"


def messaging_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Declare the kit's tables on a service's metadata (so Alembic and repositories see them)."""
    return {"outbox": _outbox(metadata), **consumer_tables(metadata)}


def _outbox(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "outbox", metadata,
        # The bigserial id is the publish order: one relay publishes in id order, so per-key order holds.
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Index("outbox_unsent", "id", postgresql_where=sa.text("published_at IS NULL")),
    )


def consumer_tables(metadata: sa.MetaData, prefix: str = "") -> dict[str, sa.Table]:
    """One consumer group's inbox, dead letters and parked keys. A second group in the same database (a read
    model beside the use cases) has its own, under a prefix: both claim the same message ids, and a failure of
    one never parks or dead-letters the other's messages."""
    inbox = sa.Table(
        f"{prefix}inbox", metadata,
        sa.Column("message_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    dead_letter = sa.Table(
        f"{prefix}dead_letter", metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("message_id", sa.Text),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("key", sa.Text),
        sa.Column("type", sa.Text),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("error_class", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        # open: waiting for a person; parked: held behind an earlier open one of its key; replayed; discarded
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.Text),
        sa.UniqueConstraint("topic", "partition", "offset", name=f"{prefix}dead_letter_position"),
    )
    parked_key = sa.Table(
        f"{prefix}parked_key", metadata,
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("dead_letter_id", sa.BigInteger, nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    return {"inbox": inbox, "dead_letter": dead_letter, "parked_key": parked_key}


# Outbox rows used to wake the relay with a trigger calling pg_notify. PostgreSQL serialises the commits of
# all notifying transactions (one lock for the notification queue, held across the WAL flush), which capped every
# service together at roughly one commit per fsync. The relay is now woken in-process after commit and polls
# briefly otherwise; these statements remove the old trigger wherever an earlier revision created it.
KIT_SCHEMA_FIXUPS = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS o2c_outbox_notify()",
)


def create_messaging_tables(op: Any) -> None:
    """Used by each service's first Alembic revision (`op` is alembic.op)."""
    metadata = sa.MetaData()
    tables = messaging_tables(metadata)
    bind = op.get_bind()
    for table in tables.values():
        table.create(bind)


def create_consumer_tables(op: Any, prefix: str) -> None:
    """A further consumer group's tables (`op` is alembic.op)."""
    bind = op.get_bind()
    for table in consumer_tables(sa.MetaData(), prefix).values():
        table.create(bind)


class MessagingTables:
    """The tables as seen by the kit's own code, bound to a private metadata (`prefix`: another consumer
    group's inbox, dead letters and parked keys; the outbox is the service's one)."""

    def __init__(self, prefix: str = "") -> None:
        metadata = sa.MetaData()
        t = {"outbox": _outbox(metadata), **consumer_tables(metadata, prefix)}
        self.prefix = prefix
        self.outbox, self.inbox, self.dead_letter, self.parked_key = (
            t["outbox"], t["inbox"], t["dead_letter"], t["parked_key"],
        )


TABLES = MessagingTables()
