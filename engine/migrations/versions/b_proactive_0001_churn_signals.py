"""churn_signals, churn_scores, announcement_recipients: pre-churn signals and scores; who an announcement reaches

Revision ID: b_proactive_0001
Revises: b_staffpages_0001
Create Date: 2026-12-04 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b_proactive_0001'
down_revision = 'b_staff_0003'  # chained in the order the branches were merged
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'churn_signals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=64), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('observed_on', sa.Date(), nullable=False),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('reported_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['reported_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('reference'),
    )
    op.create_index('ix_churn_signals_customer_observed', 'churn_signals', ['customer_id', 'observed_on'])
    op.create_table(
        'churn_scores',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('weights', sa.JSON(), nullable=False),
        sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('plan_ticket_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['plan_ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('customer_id'),
    )
    op.create_index('ix_churn_scores_scored_at', 'churn_scores', ['scored_at'])
    op.create_table(
        'announcement_recipients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('address', sa.String(length=256), nullable=False),
        sa.Column('name', sa.String(length=256), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id', 'customer_id', 'channel', 'address'),
    )
    op.create_index('ix_announcement_recipients_pending', 'announcement_recipients',
                    ['ticket_id', 'queued_at', 'id'])


def downgrade():
    op.drop_index('ix_announcement_recipients_pending', table_name='announcement_recipients')
    op.drop_table('announcement_recipients')
    op.drop_index('ix_churn_scores_scored_at', table_name='churn_scores')
    op.drop_table('churn_scores')
    op.drop_index('ix_churn_signals_customer_observed', table_name='churn_signals')
    op.drop_table('churn_signals')
