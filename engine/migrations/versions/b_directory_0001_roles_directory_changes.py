"""directory: roles as a table (seeded with the roles of earlier releases), the directory audit trail,
branch deactivation, one-time passwords, the sign-in failure counters and sign-in through LDAP

Revision ID: b_directory_0001
Revises: a9_reports_0002
"""
from alembic import op
import sqlalchemy as sa

import engine.db
from engine.models import SEED_ROLES


revision = 'b_directory_0001'
down_revision = 'b_imports_0001'  # chained after the imports migration, merged first
branch_labels = None
depends_on = None


def upgrade():
    roles = op.create_table('roles',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_roles'))
    )
    op.bulk_insert(roles, [{'key': key, 'name': name, 'name_zh': zh, 'active': True}
                           for key, (name, zh) in SEED_ROLES.items()])
    op.create_table('directory_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('old', sa.String(length=256), nullable=True),
    sa.Column('new', sa.String(length=256), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_directory_changes_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_changes'))
    )
    with op.batch_alter_table('directory_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_changes_at'), ['at'], unique=False)
        batch_op.create_index('ix_directory_changes_subject', ['kind', 'subject'], unique=False)
    op.create_table('sign_in_counters',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('since', engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_sign_in_counters'))
    )
    # plain ALTER TABLE ADD COLUMN: a batch would copy branches, which SQLite refuses while rows point at it
    op.add_column('branches', sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False))
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), server_default=sa.text('false'),
                                     nullable=False))
    op.add_column('users', sa.Column('sign_in_via', sa.String(length=8), server_default='local', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sign_in_via')
        batch_op.drop_column('must_change_password')
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.drop_column('active')
    with op.batch_alter_table('directory_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_directory_changes_subject')
        batch_op.drop_index(batch_op.f('ix_directory_changes_at'))
    op.drop_table('sign_in_counters')
    op.drop_table('directory_changes')
    op.drop_table('roles')
