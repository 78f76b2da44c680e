"""customer notices: a customer's language; a customer or a contact who wants no SMS

Revision ID: b_notices_0001
Revises: b_staffpages_0001
Create Date: 2026-12-04 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b_notices_0001'
down_revision = 'b_golive_0001'  # chained in the order the branches were merged
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD COLUMNs: a batch copy of customers would trip the foreign keys that point at it on SQLite
    op.add_column('customers', sa.Column('language', sa.String(length=8), server_default='zh_CN', nullable=False))
    op.add_column('customers', sa.Column('no_sms', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('customer_contacts', sa.Column('no_sms', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('customer_contacts', 'no_sms')
    op.drop_column('customers', 'no_sms')
    op.drop_column('customers', 'language')
