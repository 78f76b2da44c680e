"""armed-timer index: a step finds its ticket's armed timers without visiting every armed timer

Revision ID: b_perf_0001
Revises: b_staffpages_0001
Create Date: 2026-12-04 00:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b_perf_0001'
down_revision = 'b_contracts_0001'  # chained in the order the branches were merged
branch_labels = None
depends_on = None

ARMED = sa.text("state = 'armed'")


def upgrade():
    op.create_index('ix_timers_armed_ticket', 'timers', ['ticket_id', 'kind'], unique=False,
                    postgresql_where=ARMED, sqlite_where=ARMED)


def downgrade():
    op.drop_index('ix_timers_armed_ticket', table_name='timers')
