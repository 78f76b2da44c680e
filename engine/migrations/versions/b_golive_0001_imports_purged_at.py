"""imports: purged_at, when an uncommitted preview expired and its stored rows were dropped

Revision ID: b_golive_0001
Revises: b_directory_0001
Create Date: 2026-12-04 00:00:00

"""
from alembic import op
import sqlalchemy as sa

import engine.db


# revision identifiers, used by Alembic.
revision = 'b_golive_0001'
down_revision = 'b_staffpages_0001'  # chained in the order the branches were merged
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', engine.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('imports', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
