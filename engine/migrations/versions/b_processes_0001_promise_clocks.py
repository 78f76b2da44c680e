"""promise clocks: an SLA clock of a ticket names the element whose completion keeps the promise

Revision ID: b_processes_0001
Revises: b_serving_0001
Create Date: 2026-12-03 21:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b_processes_0001'
down_revision = 'b_directory_0001'  # chained after the directory migration, merged first
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('until', sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_column('until')
