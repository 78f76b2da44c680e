"""users.open_next: after Complete, the ticket's next step that the same person may do opens for them

Revision ID: b_staffpages_0001
Revises: b_serving_0001
Create Date: 2026-12-03 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b_staffpages_0001'
down_revision = 'b_processes_0001'  # chained after the processes migration, merged first
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD COLUMN: a batch copy of users would trip the foreign keys that point at it on SQLite
    op.add_column('users', sa.Column('open_next', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    op.drop_column('users', 'open_next')
