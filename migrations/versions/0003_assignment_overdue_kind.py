"""overdue offers get their own notification kind

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00.000000

Until now an offer not accepted in time was an 'escalation' row told apart by its context
({"why": "not_accepted"}); it is now kind 'assignment_overdue'. notifications.kind is a plain
VARCHAR(32) with no check constraint, so only the existing rows move. Overdue rows are the ones
whose dedupe key is 'overdue:<assignment>:<user>' (crisis escalations use 'escalation:...').
Data only; SQLite and PostgreSQL alike.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

notifications = sa.table(
    'notifications',
    sa.column('id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('dedupe_key', sa.String),
    sa.column('context', sa.JSON),
)


def upgrade():
    op.execute(
        notifications.update()
        .where(
            notifications.c.kind == 'escalation',
            notifications.c.dedupe_key.like('overdue:%'),
        )
        .values(kind='assignment_overdue')
    )


def downgrade():
    # The code before 0003 tells an overdue escalation by context.why: rows written since then
    # have no 'why', so it is put back with the kind.
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(notifications.c.id, notifications.c.context).where(
            notifications.c.kind == 'assignment_overdue'
        )
    ).all()
    if not rows:
        return
    bind.execute(
        notifications.update()
        .where(notifications.c.id == sa.bindparam('row_id'))
        .values(kind='escalation', context=sa.bindparam('row_context', type_=sa.JSON)),
        [
            {'row_id': row_id, 'row_context': {**(context or {}), 'why': 'not_accepted'}}
            for row_id, context in rows
        ],
    )
