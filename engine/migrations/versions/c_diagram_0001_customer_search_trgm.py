"""pg_trgm indexes for the ticket search's customers: a customer's name and code, matched anywhere (PostgreSQL only)

The ticket search finds the matching customers first and then their tickets by customer_id; without these
indexes every search read the whole customers table (ILIKE '%text%' can use no B-tree).

Revision ID: c_diagram_0001
Revises: b_proactive_0001
Create Date: 2026-12-04 03:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c_diagram_0001'
down_revision = 'b_proactive_0001'
branch_labels = None
depends_on = None

COLUMNS = ("name", "code")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no trigram indexes: its search scans, which is fine at one machine's sizes
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_customers_{column}_trgm ON customers USING gin ({column} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_customers_{column}_trgm")
