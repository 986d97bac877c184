"""worklist counts: partial indexes over open work and unacknowledged crisis alerts

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:00:00.000000

The staff list's counts are capped (intake/queries.py, "10,000+") and each reads an index whose
predicate matches it, so none reads every row of a table of a million intakes:
`ix_intakes_open_worklist` (open work in the list's keyset order: the default list and the
needs-action tab), `ix_intakes_open_queues` (open work per service line, modality and urgency)
and `ix_intakes_crisis_open` (crisis alerts not acknowledged on open intakes). The statuses are
queries.OPEN_STATUSES. Additive only.

On PostgreSQL the indexes are built CONCURRENTLY (outside the migration's transaction), so
submits are not blocked while a large table is read; a failed concurrent build leaves an
INVALID index behind, which the downgrade's DROP INDEX IF EXISTS removes.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OPEN = "status IN ('submitted', 'assigned', 'accepted', 'contacted')"
INDEXES = (
    (
        "ix_intakes_open_worklist",
        ["urgency_rank", "submitted_at", "id"],
        f"{OPEN} AND submitted_at IS NOT NULL",
    ),
    (
        "ix_intakes_open_queues",
        ["service_line", "modality", "urgency"],
        f"{OPEN} AND submitted_at IS NOT NULL",
    ),
    (
        "ix_intakes_crisis_open",
        ["status", "submitted_at"],
        f"crisis_at IS NOT NULL AND acknowledged_at IS NULL AND {OPEN}",
    ),
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            for name, columns, where in INDEXES:
                op.create_index(
                    name,
                    "intakes",
                    columns,
                    unique=False,
                    postgresql_where=sa.text(where),
                    postgresql_concurrently=True,
                    if_not_exists=True,
                )
        return
    for name, columns, where in INDEXES:
        op.create_index(name, "intakes", columns, unique=False, sqlite_where=sa.text(where))


def downgrade():
    for name, _columns, _where in INDEXES:
        op.drop_index(name, table_name="intakes", if_exists=True)
