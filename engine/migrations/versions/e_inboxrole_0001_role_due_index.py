"""inbox index: a role's tasks still waiting, in the inbox's order (role, due_at NULLS LAST, id), so that a queue's
first page reads its own rows, however many tasks of other roles are due sooner

Revision ID: e_inboxrole_0001
Revises: d_inboxpage_0001
Create Date: 2026-12-04 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e_inboxrole_0001'
down_revision = 'd_inboxpage_0001'
branch_labels = None
depends_on = None

ACTIVE = sa.text("state IN ('open', 'claimed')")


def upgrade():
    op.create_index('ix_human_tasks_role_due', 'human_tasks', ['role', 'due_at', 'id'], unique=False,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade():
    op.drop_index('ix_human_tasks_role_due', table_name='human_tasks')
