"""The keys of the data at rest: `flask keys generate | rotate | rehash`.

Rotating an encryption key: put a new key in front of ENCRYPTION_KEYS (`generate` prints one)
and restart the app and workers, which then encrypt with it and still read the older rows; run
`flask keys rotate`, which encrypts every encrypted value again with the newest key, a batch at
a time; when it reports nothing left, drop the old key from ENCRYPTION_KEYS.

`rotate` skips values the newest key already opens, so it can be stopped and run again: it goes
on where it was, and a second run changes nothing. A row changed by the app meanwhile is left
as the app wrote it (with the newest key already): each value is replaced only if it is still
the one that was read.

`rehash` recomputes the intakes' search hashes (email, phone, name) after SEARCH_HASH_KEY
changes, from the decrypted contact details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from intake import crypto
from intake.audit import audit
from intake.extensions import db
from intake.models import Intake
from intake.services.contact_keys import apply_contact_keys

ENCRYPTED_TYPES = (crypto.EncryptedText, crypto.EncryptedJSON)


@dataclass(frozen=True)
class EncryptedTable:
    name: str
    columns: tuple[str, ...]


def encrypted_tables() -> list[EncryptedTable]:
    """Every table with encrypted columns, from the models' own declarations."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = tuple(c.name for c in table.columns if isinstance(c.type, ENCRYPTED_TYPES))
        if columns:
            found.append(EncryptedTable(table.name, columns))
    return found


def _raw(table: EncryptedTable) -> sa.TableClause:
    """The table with its encrypted columns as plain text: the tokens, not decrypted."""
    return sa.table(
        table.name, sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in table.columns)
    )


def _batches(table: EncryptedTable, size: int) -> Iterator[list[sa.Row[Any]]]:
    raw = _raw(table)
    last = 0
    while True:
        rows = list(
            db.session.execute(
                sa.select(raw.c.id, *(raw.c[c] for c in table.columns))
                .where(raw.c.id > last)
                .order_by(raw.c.id)
                .limit(size)
            )
        )
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def count_rows() -> int:
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(t.name))) or 0
        for t in encrypted_tables()
    )


def _rotated(keyring: crypto.Keyring, table: str, row: sa.Row[Any], position: int) -> str:
    try:
        return keyring.rotate(row[position])
    except crypto.UndecryptableValue as exc:
        raise crypto.UndecryptableValue(
            f"{exc} ({table}.{row._fields[position]}, id {row[0]}); rotation stopped there"
        ) from None


def rotate(batch_size: int, progress: Callable[[int], None] = lambda _: None) -> int:
    """Encrypt every value not made by the newest key again with it; the values changed.

    Commits after each batch and calls `progress(rows in the batch)`.
    """
    keyring = crypto.keyring()
    changed = 0
    for table in encrypted_tables():
        raw = _raw(table)
        for rows in _batches(table, batch_size):
            for position, column in enumerate(table.columns, start=1):
                stale = [
                    {
                        "_id": row[0],
                        "_old": row[position],
                        "_new": _rotated(keyring, table.name, row, position),
                    }
                    for row in rows
                    if row[position] is not None and not keyring.is_current(row[position])
                ]
                if stale:
                    db.session.execute(
                        sa.update(raw)
                        .where(raw.c.id == sa.bindparam("_id"))
                        .where(raw.c[column] == sa.bindparam("_old"))
                        .values({column: sa.bindparam("_new")}),
                        stale,
                    )
                    changed += len(stale)
            db.session.commit()
            progress(len(rows))
    audit("keys.rotated", "keyring", keyring.ids[0], values=changed)
    db.session.commit()
    return changed


def rehash(batch_size: int, progress: Callable[[int], None] = lambda _: None) -> int:
    """Recompute the search hashes of the submitted intakes; the intakes changed."""
    changed = 0
    last = 0
    while True:
        rows = db.session.execute(
            sa.select(
                Intake.id, Intake.contact, Intake.email_hash, Intake.phone_hash, Intake.name_hash
            )
            .where(Intake.id > last, Intake.submitted_at.is_not(None))
            .order_by(Intake.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        for intake_id, contact, *hashes in rows:
            fresh = SimpleNamespace()
            apply_contact_keys(fresh, contact or {})
            wanted = [fresh.email_hash, fresh.phone_hash, fresh.name_hash]
            if wanted != hashes:
                db.session.execute(
                    sa.update(Intake)
                    .where(Intake.id == intake_id)
                    .values(email_hash=wanted[0], phone_hash=wanted[1], name_hash=wanted[2])
                )
                changed += 1
        db.session.commit()
        progress(len(rows))
        last = rows[-1][0]
    audit("keys.rehashed", "intake", None, intakes=changed)
    db.session.commit()
    return changed


def register(app: Flask) -> None:
    group = AppGroup("keys", help="Keys of the data encrypted at rest and the search hashes.")
    app.cli.add_command(group)

    @group.command("generate")
    def generate() -> None:
        """Print a new encryption key (put it first in ENCRYPTION_KEYS)."""
        click.echo(crypto.generate_key())

    @group.command("rotate")
    @click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
    def rotate_command(batch_size: int) -> None:
        """Encrypt every stored value again with the newest key (resumable)."""
        ids = crypto.keyring().ids
        click.echo(f"rotating to key {ids[0]} ({len(ids)} key(s) in ENCRYPTION_KEYS)")
        try:
            with click.progressbar(length=count_rows(), label="re-encrypting") as bar:
                changed = rotate(batch_size, bar.update)
        except crypto.UndecryptableValue as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        click.echo(f"rotated: {changed} value(s) re-encrypted; every value now opens with {ids[0]}")

    @group.command("rehash")
    @click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
    def rehash_command(batch_size: int) -> None:
        """Recompute the search hashes after SEARCH_HASH_KEY changed."""
        total = db.session.scalar(
            sa.select(sa.func.count(Intake.id)).where(Intake.submitted_at.is_not(None))
        )
        with click.progressbar(length=total or 0, label="rehashing") as bar:
            changed = rehash(batch_size, bar.update)
        click.echo(f"rehashed: {changed} intake(s) updated")
