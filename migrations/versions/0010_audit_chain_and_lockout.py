"""an audit hash chain, and sign-in lockout

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 17:40:00.000000

`audit_events` gain a hash chain (PostgreSQL): `chain_seq` (1, 2, 3, ... in the order the
rows were committed), `prev_hash` (the `row_hash` of the row before) and `row_hash`, the
SHA-256 of `prev_hash` followed by `audit_event_body(row)` (a JSON array of every column, the
time in UTC). A BEFORE INSERT trigger fills all three under a transaction-level advisory lock,
so inserts from any number of processes form one chain: the lock is held until the inserting
transaction ends, and the next one reads the head only after it. Whoever writes the row (the
app, a script, psql) cannot leave it out. `flask audit verify` (intake/cli/audit.py) walks the
chain: an edited row no longer matches its hash; a deleted one breaks the link of the next.
Rows already present are chained here, in id order.

`users` gain the lock of sign-in (intake/services/lockout.py): `locked_at`, set after
LOGIN_LOCK_AFTER failed sign-ins in a row, cleared only by an admin (`lockout.lift`,
`flask users unlock`). The failure counts themselves live with the rate limits (Redis).

On SQLite (development only) the columns exist and stay empty: there is no chain.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The advisory lock's key in CHAIN_PG, 7022629598041763687, is any constant the same in every
# process: the 8 bytes "auditlog" (0x61756469746C6F67).

BODY_PG = """
CREATE OR REPLACE FUNCTION audit_event_body(e audit_events) RETURNS text AS $$
    SELECT json_build_array(
        e.chain_seq, e.id,
        to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor_user_id, e.action, e.object_type, e.object_id, e.ip, e.detail::text
    )::text
$$ LANGUAGE sql STABLE
"""

CHAIN_PG = """
CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger AS $$
DECLARE
    head audit_events%ROWTYPE;
BEGIN
    PERFORM pg_advisory_xact_lock(7022629598041763687);
    SELECT * INTO head FROM audit_events
        WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := COALESCE(head.chain_seq, 0) + 1;
    NEW.prev_hash := COALESCE(head.row_hash, repeat('0', 64));
    NEW.row_hash := encode(
        sha256(convert_to(NEW.prev_hash || audit_event_body(NEW), 'UTF8')), 'hex'
    );
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

# The rows written before the chain existed, chained in id order (the append-only trigger is
# off for this one statement of the migration's own transaction).
BACKFILL_PG = """
DO $$
DECLARE
    r audit_events%ROWTYPE;
    prev text := repeat('0', 64);
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_events ORDER BY id LOOP
        n := n + 1;
        r.chain_seq := n;
        r.prev_hash := prev;
        r.row_hash := encode(sha256(convert_to(prev || audit_event_body(r), 'UTF8')), 'hex');
        UPDATE audit_events
            SET chain_seq = r.chain_seq, prev_hash = r.prev_hash, row_hash = r.row_hash
            WHERE id = r.id;
        prev := r.row_hash;
    END LOOP;
END
$$
"""


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_events_chain_seq"), ["chain_seq"], unique=True)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(BODY_PG)
        op.execute(CHAIN_PG)
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        op.execute(BACKFILL_PG)
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        op.execute(
            "CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_chain()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_chain ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_chain()")
        op.execute("DROP FUNCTION IF EXISTS audit_event_body(audit_events)")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_at")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_chain_seq"))
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("chain_seq")
