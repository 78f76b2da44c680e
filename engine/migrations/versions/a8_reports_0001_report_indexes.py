"""indexes for the reports' range scans

Revision ID: a8_reports_0001
Revises: a5_red_0001
Create Date: 2026-11-23 06:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a8_reports_0001'
down_revision = 'a5_red_0001'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_tickets_created_at", "tickets", ["created_at"]),
    ("ix_tickets_closed_at", "tickets", ["closed_at"]),
    ("ix_tickets_status_created_at", "tickets", ["status", "created_at"]),
    ("ix_sla_clocks_met_at", "sla_clocks", ["met_at"]),
    ("ix_sla_clocks_breached_at", "sla_clocks", ["breached_at"]),
    ("ix_human_tasks_completed_at", "human_tasks", ["completed_at"]),
    ("ix_human_tasks_state_due_at", "human_tasks", ["state", "due_at"]),
    ("ix_customers_account_manager_id", "customers", ["account_manager_id"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
