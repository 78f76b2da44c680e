"""pg_trgm indexes for the ticket search: a ticket's number and title, matched anywhere (PostgreSQL only)

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it without a superuser.

Revision ID: b_staff_0003
Revises: b_staff_0002
Create Date: 2026-12-04 00:35:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b_staff_0003'
down_revision = 'b_staff_0002'
branch_labels = None
depends_on = None

COLUMNS = ("number", "title")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no trigram indexes: its search scans, which is fine at one machine's sizes
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        # the search's ILIKE '%text%' reads a gin_trgm_ops index on the column as it is (no lower() needed)
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_tickets_{column}_trgm ON tickets USING gin ({column} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_tickets_{column}_trgm")
