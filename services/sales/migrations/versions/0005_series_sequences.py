"""sales: quotation and order numbers from a PostgreSQL sequence per series and financial year (no row lock
held by every placement until it commits); each sequence continues from the counter row it replaces

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from o2c.sales.adapters.db import SEQUENCED_SERIES, series_sequence

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rows = op.get_bind().execute(sa.text("SELECT prefix, financial_year, last_issued FROM document_series"))
    for prefix, year, last in rows:
        if prefix in SEQUENCED_SERIES:
            op.execute(f'CREATE SEQUENCE IF NOT EXISTS "{series_sequence(prefix, year)}" START WITH {int(last) + 1}')


def downgrade() -> None:
    rows = op.get_bind().execute(sa.text(
        "SELECT sequencename, last_value FROM pg_sequences WHERE sequencename LIKE 'document\\_no\\_%'"))
    for name, last in rows:
        prefix = next((p for p in SEQUENCED_SERIES if name.startswith(series_sequence(p, 0)[:-1])), None)
        if prefix is not None and last is not None:
            op.execute(sa.text(
                "INSERT INTO document_series (prefix, financial_year, last_issued) VALUES (:p, :y, :n) "
                "ON CONFLICT (prefix, financial_year) DO UPDATE SET last_issued = excluded.last_issued"
            ).bindparams(p=prefix, y=int(name.rsplit("_", 1)[1]), n=int(last)))
        op.execute(f'DROP SEQUENCE IF EXISTS "{name}"')
