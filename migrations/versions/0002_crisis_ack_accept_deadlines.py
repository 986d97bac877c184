"""crisis acknowledgement, accept deadlines, notification context

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:41:57.441207

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed: additive only; existing rows get escalation_level 0 and NULL elsewhere.
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accept_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_assignments_open_due', ['status', 'accept_by'], unique=False)

    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_intakes_acknowledged_by_user_id_users'), 'users', ['acknowledged_by_user_id'], ['id'])

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context', sa.JSON(), nullable=True))

    with op.batch_alter_table('oncall_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_oncall_shifts_span', ['starts_at', 'ends_at'], unique=False)



def downgrade():
    # Reviewed: additive only; existing rows get escalation_level 0 and NULL elsewhere.
    with op.batch_alter_table('oncall_shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_oncall_shifts_span')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('context')

    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_intakes_acknowledged_by_user_id_users'), type_='foreignkey')
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('acknowledged_by_user_id')
        batch_op.drop_column('acknowledged_at')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_open_due')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('accept_by')

