"""sales: the GST rate master owns every rate (issue 16). Rates get a version, a description and an optional last
day; the rate history invoicing used to seed itself with moves here (so old invoices keep their rates); and every
rate is published once as GstRateRecorded on the compacted rate topic, from which invoicing rebuilds its copy.

Revision ID: 0002
Revises: 0001
"""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import Service
from o2c.contracts.v1.sales import GST_RATES, GstRateRecorded

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GST_LAUNCH = date(2017, 7, 1)
RATIONALISATION = date(2025, 9, 22)

# The history invoicing was seeded with (docs/domain.md, "GST rates"): the rate before the rationalisation of
# 22 September 2025 (with compensation cess) and after it, per HSN heading. Data, not logic.
# (hsn, description, gst before, cess before, gst from 22 Sep 2025)
_RATE_CHANGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("0902", "Tea", "5", "0", "5"),
    ("0405", "Butter, ghee and other milk fats", "12", "0", "5"),
    ("1905", "Biscuits, bread and bakers' wares", "18", "0", "5"),
    ("2201", "Packaged drinking water", "18", "0", "5"),
    ("2202", "Aerated waters with added sugar or flavouring", "28", "12", "40"),
    ("3004", "Medicaments in measured doses", "12", "0", "5"),
    ("3305", "Hair oil and shampoo", "18", "0", "5"),
    ("3306", "Toothpaste and oral hygiene preparations", "18", "0", "5"),
    ("3401", "Toilet soap", "18", "0", "5"),
    ("2523", "Portland cement", "28", "0", "18"),
    ("8415", "Air conditioners", "28", "0", "18"),
    ("850710", "Lead-acid accumulators (batteries)", "28", "0", "18"),
    ("8528", "Television sets and monitors", "28", "0", "18"),
    ("870321", "Motor cars, petrol, up to 1000 cc", "28", "1", "18"),
    ("8471", "Computers and units thereof", "18", "0", "18"),
    ("8517", "Telephone sets, including mobile phones", "18", "0", "18"),
)


def upgrade() -> None:
    op.add_column("gst_rate", sa.Column("effective_to", sa.Date()))
    op.add_column("gst_rate", sa.Column("description", sa.Text(), nullable=False, server_default=""))
    op.add_column("gst_rate", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    bind = op.get_bind()
    insert = sa.text(
        "INSERT INTO gst_rate (hsn_prefix, effective_from, rate, cess_rate, description) "
        "VALUES (:hsn, :start, :rate, :cess, :description) ON CONFLICT (hsn_prefix, effective_from) "
        "DO UPDATE SET description = EXCLUDED.description WHERE gst_rate.description = ''"
    )
    for hsn, description, before, cess_before, after in _RATE_CHANGES:
        bind.execute(insert, {"hsn": hsn, "start": GST_LAUNCH, "rate": before, "cess": cess_before,
                              "description": description})
        bind.execute(insert, {"hsn": hsn, "start": RATIONALISATION, "rate": after, "cess": "0",
                              "description": description})
    # Every rate, published once through the outbox (the relay sends it; the topic keeps it forever).
    now = datetime.now(UTC)
    rows = bind.execute(sa.text(
        "SELECT hsn_prefix, effective_from, effective_to, rate, cess_rate, description, version FROM gst_rate "
        "ORDER BY hsn_prefix, effective_from"
    )).all()
    outbox = sa.text(
        "INSERT INTO outbox (message_id, topic, key, type, value, headers) "
        "VALUES (:message_id, :topic, :key, :type, :value, CAST(:headers AS jsonb))"
    )
    for r in rows:
        message = GstRateRecorded(
            rate_id=f"{r.hsn_prefix}@{r.effective_from.isoformat()}", hsn_prefix=r.hsn_prefix,
            effective_from=r.effective_from, effective_to=r.effective_to, rate=Decimal(r.rate).normalize(),
            cess_rate=Decimal(r.cess_rate).normalize(), description=r.description, version=r.version, set_at=now,
        )
        envelope = Envelope.wrap(message, producer=Service.SALES.value)
        headers = json.dumps({h: v.decode() for h, v in envelope.headers()})
        bind.execute(outbox, {"message_id": envelope.message_id, "topic": GST_RATES, "key": envelope.key,
                              "type": envelope.type, "value": envelope.to_bytes(), "headers": headers})


def downgrade() -> None:
    for column in ("version", "description", "effective_to"):
        op.drop_column("gst_rate", column)
