"""tickets leave a quarter of each page free (fillfactor 75), so that a step's update of its ticket stays on the
ticket's page (a HOT update: no new entry in any of the ticket's eleven indexes); PostgreSQL only

Revision ID: h_tickets_0001
Revises: g_tasklist_0001
Create Date: 2026-12-05 11:15:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'h_tickets_0001'
down_revision = 'g_tasklist_0001'
branch_labels = None
depends_on = None


def upgrade():
    # Pages written from now on keep the room; existing pages get it when rewritten (VACUUM FULL tickets, optional).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE tickets SET (fillfactor = 75)')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE tickets RESET (fillfactor)')
