"""saved_filters.list: the ticket list's saved views beside the inbox's saved filters, each list with its own names

Revision ID: b_staff_0001
Revises: b_staffpages_0001
Create Date: 2026-12-04 00:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b_staff_0001'
down_revision = 'b_perf_0001'  # chained in the order the branches were merged
branch_labels = None
depends_on = None


def upgrade():
    # nothing points at saved_filters, so SQLite's batch copy is safe here; existing rows are the inbox's
    with op.batch_alter_table('saved_filters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list', sa.String(length=16), server_default='inbox', nullable=False))
        batch_op.drop_constraint('uq_saved_filters_user_id', type_='unique')
        batch_op.create_unique_constraint('uq_saved_filters_user_id', ['user_id', 'list', 'name'])


def downgrade():
    # a ticket view whose name an inbox filter also has would break the old constraint: those views go
    op.execute("DELETE FROM saved_filters WHERE list <> 'inbox'")
    with op.batch_alter_table('saved_filters', schema=None) as batch_op:
        batch_op.drop_constraint('uq_saved_filters_user_id', type_='unique')
        batch_op.create_unique_constraint('uq_saved_filters_user_id', ['user_id', 'name'])
        batch_op.drop_column('list')
