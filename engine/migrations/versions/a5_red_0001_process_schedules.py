"""process schedules: the timer start events the scheduler starts tickets from

Revision ID: a5_red_0001
Revises: a6_customers_0001
Create Date: 2026-11-23 07:00:00

"""
from alembic import op
import sqlalchemy as sa

import engine.db


# revision identifiers, used by Alembic.
revision = 'a5_red_0001'
down_revision = 'a6_customers_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('process_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('element_id', sa.String(length=128), nullable=False),
    sa.Column('timer', sa.String(length=256), nullable=False),
    sa.Column('anchor', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('interval', sa.String(length=64), nullable=True),
    sa.Column('cycles', sa.Integer(), nullable=True),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('next_due', engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('started', sa.Integer(), nullable=False),
    sa.Column('last_ticket_id', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['last_ticket_id'], ['tickets.id'], name=op.f('fk_process_schedules_last_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['model_id'], ['process_models.id'], name=op.f('fk_process_schedules_model_id_process_models')),
    sa.ForeignKeyConstraint(['version_id'], ['process_versions.id'], name=op.f('fk_process_schedules_version_id_process_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_schedules')),
    sa.UniqueConstraint('model_id', 'element_id', name=op.f('uq_process_schedules_model_id'))
    )
    with op.batch_alter_table('process_schedules', schema=None) as batch_op:
        batch_op.create_index('ix_process_schedules_due', ['next_due'], unique=False,
                              postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))


def downgrade():
    with op.batch_alter_table('process_schedules', schema=None) as batch_op:
        batch_op.drop_index('ix_process_schedules_due', postgresql_where=sa.text('active'),
                            sqlite_where=sa.text('active'))
    op.drop_table('process_schedules')
