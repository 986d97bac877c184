"""API clients, per-client idempotency keys, the source of each intake, the unassigned digest

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 16:00:00.000000

`api_clients` holds the partner systems that may POST intakes (a SHA-256 hash of each key, never
the key; an optional per-client cap on automatic assignment). `api_idempotency_keys` binds an
Idempotency-Key to one client and to a hash of the body, for 24 hours. `intakes.source_key` is
who sent an intake ("client:<id>" or a keyed hash of the client address), for the hourly cap on
automatic assignment; `intakes.queued_at` is when it was last left in its queue without a
clinician, for the coordinators' digest. `notifications.recipient_key` is a keyed hash of a
patient email's address, for the hourly limit per recipient. Additive only.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed: additive only; existing rows get NULL (no source, never queued, no recipient key).
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('auto_assign_per_hour', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_clients_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_api_clients_name'))
    )
    op.create_table('api_idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_idempotency_keys_client_id_api_clients')),
    sa.ForeignKeyConstraint(['intake_id'], ['intakes.id'], name=op.f('fk_api_idempotency_keys_intake_id_intakes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency_keys')),
    sa.UniqueConstraint('client_id', 'key_hash', name=op.f('uq_api_idempotency_keys_client_id'))
    )
    with op.batch_alter_table('api_idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_idempotency_keys_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_key', sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_intakes_source', ['source_key', 'submitted_at'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_key', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_notifications_recipient_key', ['recipient_key', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_recipient_key')
        batch_op.drop_column('recipient_key')

    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.drop_index('ix_intakes_source')
        batch_op.drop_column('queued_at')
        batch_op.drop_column('source_key')

    with op.batch_alter_table('api_idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_idempotency_keys_created_at'))

    op.drop_table('api_idempotency_keys')
    op.drop_table('api_clients')
