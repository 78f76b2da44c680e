"""retention_plans, retention_results: the retention plan library supervisors maintain and the closed plans recorded
against it; the five plans the choose form listed until now become the company's entries

Revision ID: c_proactive_0001
Revises: b_proactive_0001
Create Date: 2026-12-04 03:20:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c_proactive_0001'
down_revision = 'c_diagram_0001'  # chained in merge order
branch_labels = None
depends_on = None

SHIPPED = [  # as engine/retention_library/library.py SHIPPED (a migration does not import the application)
    ("loyalty_discount", "Loyalty discount", "忠诚折扣", "10-20 % off the monthly fee for a 12-month commitment",
     "承诺在网 12 个月，月费优惠 10–20%"),
    ("bundle_upgrade", "Bundle upgrade", "套餐升级",
     "A richer bundle (more bandwidth, more lines) at the current price", "原价升级更高套餐（带宽、线路）"),
    ("service_recovery", "Service recovery", "服务补救",
     "Remove the causes of the complaints: a senior engineer owns the account for three months",
     "消除投诉根源：高级工程师专人负责三个月"),
    ("executive_visit", "Executive visit", "高层拜访", "A visit by the branch's management with a tailored offer",
     "分公司领导拜访并提供定制方案"),
    ("contract_bonus", "Contract extension bonus", "续约奖励",
     "Points or free months for extending the contract by a year", "续约一年赠送积分或免费月份"),
]


def upgrade():
    plans = op.create_table(
        'retention_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('name_en', sa.String(length=200), nullable=False),
        sa.Column('name_zh', sa.String(length=200), nullable=False),
        sa.Column('description_en', sa.Text(), nullable=False),
        sa.Column('description_zh', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=True),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id']),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_index('ix_retention_plans_branch_id', 'retention_plans', ['branch_id'])
    op.create_table(
        'retention_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('plan_code', sa.String(length=64), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('churn_reason', sa.String(length=64), nullable=True),
        sa.Column('effectiveness', sa.String(length=16), nullable=True),
        sa.Column('lessons', sa.Text(), nullable=False),
        sa.Column('cost', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id']),
        sa.ForeignKeyConstraint(['plan_id'], ['retention_plans.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id'),
    )
    op.create_index('ix_retention_results_plan_id', 'retention_results', ['plan_id'])
    op.create_index('ix_retention_results_closed_at', 'retention_results', ['closed_at'])
    now = datetime.now(timezone.utc)
    op.bulk_insert(plans, [{"code": c, "name_en": ne, "name_zh": nz, "description_en": de, "description_zh": dz,
                            "active": True, "changed_at": now} for c, ne, nz, de, dz in SHIPPED])


def downgrade():
    op.drop_index('ix_retention_results_closed_at', table_name='retention_results')
    op.drop_index('ix_retention_results_plan_id', table_name='retention_results')
    op.drop_table('retention_results')
    op.drop_index('ix_retention_plans_branch_id', table_name='retention_plans')
    op.drop_table('retention_plans')
