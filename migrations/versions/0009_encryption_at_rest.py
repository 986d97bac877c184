"""encryption at rest: contact details, answers, free text and notes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 17:40:00.000000

The columns below become TEXT holding Fernet tokens (intake/crypto.py): an intake's contact
details, answers, decision, crisis answers and overrides (JSON before), the outreach note, the
decline reason, the internal note and the TOTP secret. Existing rows are encrypted in batches
with the newest key of ENCRYPTION_KEYS (the same keyring the app uses: run it through
`flask db upgrade`). A JSON `null` becomes SQL NULL. Downgrade decrypts them back.
"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 500

# (table, column, stored as before, nullable): frozen here, as they were at this revision.
COLUMNS = (
    ("intakes", "contact", "json", False),
    ("intakes", "answers", "json", False),
    ("intakes", "decision", "json", True),
    ("intakes", "crisis_answers", "json", True),
    ("intakes", "overrides", "json", True),
    ("outreach_attempts", "note", "text", True),
    ("assignments", "decline_reason", "text", True),
    ("notes", "body", "text", False),
    ("users", "mfa_secret", "string", True),
)
_BEFORE = {"json": sa.JSON(), "text": sa.Text(), "string": sa.String(length=64)}


def _rewrite(table, column, change):
    """Apply `change` (stored text -> new stored text, or None for NULL) to every non-null
    value of `table.column`, in batches by id."""
    bind = op.get_bind()
    t = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Text))
    col = t.c[column]
    last = 0
    while True:
        rows = bind.execute(
            sa.select(t.c.id, col)
            .where(t.c.id > last, col.is_not(None))
            .order_by(t.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            sa.update(t).where(t.c.id == sa.bindparam("_id")).values({column: sa.bindparam("_v")}),
            [{"_id": row_id, "_v": change(value)} for row_id, value in rows],
        )
        last = rows[-1][0]


def _retype(upgrading):
    """Every column to TEXT (upgrading) or back; one table rebuild per table on SQLite."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    tables = dict.fromkeys(table for table, *_ in COLUMNS)
    for table in tables:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, column, kind, nullable in COLUMNS:
                if name != table:
                    continue
                before, after = _BEFORE[kind], sa.Text()
                if not upgrading:
                    before, after = after, before
                kwargs = {}
                if postgresql and kind == "json":
                    kwargs["postgresql_using"] = f"{column}::{'text' if upgrading else 'json'}"
                batch_op.alter_column(
                    column, existing_type=before, type_=after, existing_nullable=nullable, **kwargs
                )


def _encrypt_json(value):
    parsed = json.loads(value)
    return None if parsed is None else _crypto().encrypt_json(parsed)


def _decrypt_json(value):
    return json.dumps(_crypto().decrypt_json(value))


def _crypto():
    from intake import crypto

    return crypto


def upgrade():
    _retype(upgrading=True)
    for table, column, kind, _ in COLUMNS:
        change = _encrypt_json if kind == "json" else _crypto().encrypt_text
        _rewrite(table, column, change)


def downgrade():
    for table, column, kind, _ in COLUMNS:
        change = _decrypt_json if kind == "json" else _crypto().decrypt_text
        _rewrite(table, column, change)
    _retype(upgrading=False)
