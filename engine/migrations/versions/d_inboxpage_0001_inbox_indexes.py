"""inbox indexes: a person's tasks still waiting, in the inbox's order (assignee_id, due_at NULLS LAST, id), for
"Mine"; the tasks in SLA warning by due time, for the supervisors' "about to breach" strip

Revision ID: d_inboxpage_0001
Revises: c_live_0001
Create Date: 2026-12-04 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd_inboxpage_0001'
down_revision = 'c_live_0001'
branch_labels = None
depends_on = None

ACTIVE = sa.text("state IN ('open', 'claimed')")
WARNED = sa.text("state IN ('open', 'claimed') AND sla_state = 'warned'")


def upgrade():
    op.create_index('ix_human_tasks_mine_due', 'human_tasks', ['assignee_id', 'due_at', 'id'], unique=False,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)
    op.create_index('ix_human_tasks_warned_due', 'human_tasks', ['due_at', 'id'], unique=False,
                    postgresql_where=WARNED, sqlite_where=WARNED)


def downgrade():
    op.drop_index('ix_human_tasks_warned_due', table_name='human_tasks')
    op.drop_index('ix_human_tasks_mine_due', table_name='human_tasks')
