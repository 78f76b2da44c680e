"""inbox due-time index: the tasks still waiting for a person, in the inbox's order (due_at NULLS LAST, id)

Revision ID: b_serving_0001
Revises: a9_reports_0002
Create Date: 2026-12-03 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b_serving_0001'
down_revision = 'a9_reports_0002'
branch_labels = None
depends_on = None

ACTIVE = sa.text("state IN ('open', 'claimed')")


def upgrade():
    op.create_index('ix_human_tasks_active_due', 'human_tasks', ['due_at', 'id'], unique=False,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade():
    op.drop_index('ix_human_tasks_active_due', table_name='human_tasks')
