"""security and privacy: server-side sessions, an append-only audit table

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:05:00.000000

`web_sessions` holds browser sessions when there is no Redis (intake/sessions.py), keyed by
the SHA-256 of the cookie's random id. Additive only: existing cookie sessions simply end
(everyone signs in again once).

`users` gain the second factor: the TOTP secret, the last time step used, and hashes of the
unused recovery codes (NULL: not enrolled).

`audit_events` becomes append-only in the database itself: a trigger refuses every UPDATE and
DELETE (PostgreSQL: a PL/pgSQL function; SQLite: RAISE(ABORT)), whoever the client is.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


APPEND_ONLY_PG = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.create_table(
        "web_sessions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_sessions_seen_at"), ["seen_at"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mfa_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("mfa_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mfa_recovery", sa.JSON(), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_PG)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("mfa_recovery")
        batch_op.drop_column("mfa_last_step")
        batch_op.drop_column("mfa_secret")

    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_seen_at"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
