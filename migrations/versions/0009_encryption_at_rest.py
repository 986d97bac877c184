"""encryption at rest: contact details, answers, free text and notes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 17:40:00.000000

Placeholder: nothing yet.
"""

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
