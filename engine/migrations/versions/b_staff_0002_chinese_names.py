"""human_tasks.name_zh, process_models.name_zh: the Chinese names (BPMN name_zh property) shown to Chinese users

Revision ID: b_staff_0002
Revises: b_staff_0001
Create Date: 2026-12-04 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b_staff_0002'
down_revision = 'b_staff_0001'
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD COLUMNs: a batch copy would trip the foreign keys that point at these tables on SQLite.
    # Existing rows keep NULL and show their name; the next deployment of a process fills its model's.
    op.add_column('human_tasks', sa.Column('name_zh', sa.String(length=256), nullable=True))
    op.add_column('process_models', sa.Column('name_zh', sa.String(length=256), nullable=True))


def downgrade():
    op.drop_column('process_models', 'name_zh')
    op.drop_column('human_tasks', 'name_zh')
