"""contracts: a contract links the ticket it was signed through; contract_reminders keeps each expiry reminder sent

Revision ID: b_contracts_0001
Revises: b_staffpages_0001
Create Date: 2026-12-04 00:10:00

"""
from alembic import op
import sqlalchemy as sa

import engine.db


# revision identifiers, used by Alembic.
revision = 'b_contracts_0001'
down_revision = 'b_notices_0001'  # chained in the order the branches were merged
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer_contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customer_contracts_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_customer_contracts_ticket_id_tickets'), 'tickets', ['ticket_id'], ['id'])
    op.create_table(
        'contract_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('lead_days', sa.Integer(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('sent_at', engine.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['customer_contracts.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('contract_id', 'end_date', 'lead_days'),
    )


def downgrade():
    op.drop_table('contract_reminders')
    with op.batch_alter_table('customer_contracts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_customer_contracts_ticket_id_tickets', type_='foreignkey')
        batch_op.drop_index('ix_customer_contracts_ticket_id')
        batch_op.drop_column('ticket_id')
