"""crisis history on the intake: which answers raised it, and crisis words in a draft

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:30:00.000000

`crisis_answers` keeps every crisis answer the person ever gave ({rule, keys, at}), so a later
change of answer cannot lower the urgency (clinical-rules.md 3). `crisis_text_at` is when free
text matching the crisis words was first saved in a draft; `crisis_text_alerted_at` is when the
coordinators were told that such a draft was left unsubmitted. Additive only.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed: additive only; existing rows get NULL (no history recorded before this change).
    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crisis_answers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('crisis_text_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('crisis_text_alerted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_intakes_crisis_text_open', ['status', 'crisis_text_alerted_at', 'crisis_text_at'], unique=False)


def downgrade():
    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.drop_index('ix_intakes_crisis_text_open')
        batch_op.drop_column('crisis_text_alerted_at')
        batch_op.drop_column('crisis_text_at')
        batch_op.drop_column('crisis_answers')
