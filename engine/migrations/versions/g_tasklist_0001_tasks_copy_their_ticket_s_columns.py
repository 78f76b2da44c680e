"""tasks copy the columns of their ticket the task list shows and scopes by (number, title, channel, branch), so
that a page of the list reads the tasks alone; the tasks already there get them from their tickets

Revision ID: g_tasklist_0001
Revises: f_facts_0001
Create Date: 2026-12-05 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'g_tasklist_0001'
down_revision = 'f_facts_0001'
branch_labels = None
depends_on = None

COPIES = {  # the task's column: (its type, the ticket's column)
    'ticket_number': (sa.String(length=32), 'number'),
    'ticket_title': (sa.String(length=256), 'title'),
    'ticket_channel': (sa.String(length=8), 'channel'),
    'ticket_branch_id': (sa.Integer(), 'branch_id'),
}


def upgrade():
    for column, (type_, _) in COPIES.items():
        op.add_column('human_tasks', sa.Column(column, type_, nullable=True))
    copied = ', '.join(f'{column} = (SELECT tickets.{source} FROM tickets WHERE tickets.id = human_tasks.ticket_id)'
                       for column, (_, source) in COPIES.items())
    op.execute(f'UPDATE human_tasks SET {copied}')


def downgrade():
    for column in reversed(COPIES):
        op.drop_column('human_tasks', column)
