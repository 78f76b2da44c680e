"""live_events: the rows behind the staff pages' live notices (engine/live), purged after an hour

Revision ID: c_live_0001
Revises: b_proactive_0001
Create Date: 2026-12-04 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c_live_0001'
down_revision = 'c_proactive_0001'  # chained in merge order
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'live_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('txid', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id'], name=op.f('fk_live_events_task_id_human_tasks')),
        sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_live_events_assignee_id_users')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_live_events_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_live_events')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_live_events_position', 'live_events', ['txid', 'id'])
    op.create_index(op.f('ix_live_events_created_at'), 'live_events', ['created_at'])


def downgrade():
    op.drop_index(op.f('ix_live_events_created_at'), table_name='live_events')
    op.drop_index('ix_live_events_position', table_name='live_events')
    op.drop_table('live_events')
