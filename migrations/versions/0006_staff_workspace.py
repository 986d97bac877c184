"""staff workspace: search hashes, overrides, first contact, closing, outreach attempts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:05:00.000000

`intakes.email_hash`, `phone_hash`, `name_hash` are keyed hashes of the normalized contact
details, for exact search (and `state`, a copy of the answer, for the filter) without reading (or LIKE-scanning) the contact JSON; intakes submitted
before this have none and are found by reference. `intakes.overrides` keeps staff changes of the
route beside the rules' decision; `first_contact_at` and `close_reason` record the follow-up.
`ix_intakes_worklist` serves the staff list's keyset order. `outreach_attempts` holds each try
at reaching the person. Additive only.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed: additive only; existing rows get NULL (no hashes, no overrides, no contact yet).
    op.create_table('outreach_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('form_token', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intakes.id'], name=op.f('fk_outreach_attempts_intake_id_intakes')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outreach_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_attempts')),
    sa.UniqueConstraint('form_token', name=op.f('uq_outreach_attempts_form_token'))
    )
    with op.batch_alter_table('outreach_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_attempts_intake_id'), ['intake_id'], unique=False)

    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_hash', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('name_hash', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('overrides', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('first_contact_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('close_reason', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_intakes_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_intakes_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_intakes_name_hash'), ['name_hash'], unique=False)
        batch_op.create_index('ix_intakes_worklist', ['urgency_rank', 'submitted_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.drop_index('ix_intakes_worklist')
        batch_op.drop_index(batch_op.f('ix_intakes_name_hash'))
        batch_op.drop_index(batch_op.f('ix_intakes_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_intakes_email_hash'))
        batch_op.drop_column('close_reason')
        batch_op.drop_column('first_contact_at')
        batch_op.drop_column('overrides')
        batch_op.drop_column('state')
        batch_op.drop_column('name_hash')
        batch_op.drop_column('phone_hash')
        batch_op.drop_column('email_hash')

    with op.batch_alter_table('outreach_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outreach_attempts_intake_id'))

    op.drop_table('outreach_attempts')
