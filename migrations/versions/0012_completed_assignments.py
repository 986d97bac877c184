"""completed assignments: a closed intake's accepted assignment leaves the caseload

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 18:45:00.000000

Closing an intake used to leave its accepted assignment `accepted`, so a clinician's open
caseload (what capacity counts) grew with every intake they ever closed. Such assignments are
now `completed`: still theirs to read, no longer counted. Reviewed: data and two indexes;
downgrade puts them back.

Two indexes on assignments: a clinician's caseload (clinician_id, status), and the few offers
that are overdue (partial), read by the banner on every staff page. Built CONCURRENTLY on
PostgreSQL, as in 0011.
"""

import sqlalchemy as sa
from alembic import op

OVERDUE = "status = 'offered' AND escalated_at IS NOT NULL"

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    _indexes()
    op.execute(
        "UPDATE assignments SET status = 'completed' WHERE status = 'accepted' AND intake_id IN "
        "(SELECT id FROM intakes WHERE status = 'closed')"
    )


def _indexes():
    pg = op.get_bind().dialect.name == "postgresql"
    where = {"postgresql_where": sa.text(OVERDUE)} if pg else {"sqlite_where": sa.text(OVERDUE)}
    if pg:
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_assignments_caseload",
                "assignments",
                ["clinician_id", "status"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
            op.create_index(
                "ix_assignments_overdue_offers",
                "assignments",
                ["intake_id"],
                postgresql_concurrently=True,
                if_not_exists=True,
                **where,
            )
        return
    op.create_index("ix_assignments_caseload", "assignments", ["clinician_id", "status"])
    op.create_index("ix_assignments_overdue_offers", "assignments", ["intake_id"], **where)


def downgrade():
    op.execute("UPDATE assignments SET status = 'accepted' WHERE status = 'completed'")
    op.drop_index("ix_assignments_overdue_offers", table_name="assignments", if_exists=True)
    op.drop_index("ix_assignments_caseload", table_name="assignments", if_exists=True)
