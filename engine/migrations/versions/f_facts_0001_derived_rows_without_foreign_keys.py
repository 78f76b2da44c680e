"""the rows a step derives — report facts and live events — name their rows by id without foreign keys, so that
the database no longer looks each of them up again on every step (engine/report_facts.py says why)

Revision ID: f_facts_0001
Revises: e_inboxrole_0001
Create Date: 2026-12-05 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f_facts_0001'
down_revision = 'e_inboxrole_0001'
branch_labels = None
depends_on = None

# table -> [(column, referenced table)]
FOREIGN_KEYS = {
    'ticket_facts': [('ticket_id', 'tickets'), ('branch_id', 'branches'), ('customer_id', 'customers'),
                     ('manager_id', 'users')],
    'task_facts': [('task_id', 'human_tasks'), ('ticket_id', 'tickets'), ('branch_id', 'branches'),
                   ('completed_by_id', 'users')],
    'sla_facts': [('clock_id', 'sla_clocks'), ('ticket_id', 'tickets'), ('branch_id', 'branches'),
                  ('member_id', 'users')],
    'live_events': [('task_id', 'human_tasks'), ('assignee_id', 'users'), ('actor_id', 'users')],
}
# SQLite rebuilds a table to change its constraints: live_events keeps AUTOINCREMENT (an id is never reused)
TABLE_OPTIONS = {'live_events': {'sqlite_autoincrement': True}}


def upgrade():
    for table, keys in FOREIGN_KEYS.items():
        with op.batch_alter_table(table, table_kwargs=TABLE_OPTIONS.get(table, {})) as batch_op:
            for column, referred in keys:
                batch_op.drop_constraint(batch_op.f(f'fk_{table}_{column}_{referred}'), type_='foreignkey')


def downgrade():
    for table, keys in FOREIGN_KEYS.items():
        with op.batch_alter_table(table, table_kwargs=TABLE_OPTIONS.get(table, {})) as batch_op:
            for column, referred in keys:
                batch_op.create_foreign_key(batch_op.f(f'fk_{table}_{column}_{referred}'), referred, [column], ['id'])
