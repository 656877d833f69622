"""sales: the GST rate master owns every rate (issue 16). Rates get a version, a description and an optional last
day; the rate history invoicing used to seed itself with moves here (so old invoices keep their rates); every rate
is then published (once per version) as GstRateRecorded on the compacted rate topic, from which invoicing rebuilds
its copy.

Revision ID: 0004
Revises: 0003
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
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
    # Every rate is published once by the running service (not here: a migration does not know the topic
    # prefix): rows with published_version < version go out as GstRateRecorded at start.
    op.add_column("gst_rate", sa.Column("published_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for column in ("published_version", "version", "description", "effective_to"):
        op.drop_column("gst_rate", column)
