"""Encryption at rest: nothing a person wrote is readable in the database's rows, keys rotate
(resumably), the app refuses to start without keys in production, and a wrong key is an error.

The raw-row checks read the tables with plain SQL on PostgreSQL (under CI=true a missing
PostgreSQL fails these tests rather than skipping them, as everywhere in this suite).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select, text

from intake import create_app, crypto
from intake.cli import keys
from intake.config import ConfigError, load_config
from intake.extensions import db
from intake.models import (
    Assignment,
    ClinicianProfile,
    Intake,
    Note,
    OutreachAttempt,
    User,
)
from intake.services import offers, submit_intake, users, workspace
from intake.services.contact_keys import search_term
from tests import factories
from tests.conftest import PG_ADMIN_URL, scratch_pg_database, settings
from tests.support import sign_in

ROOT = Path(__file__).resolve().parents[2]
COORDINATOR = "coordinator@demo.wayfinder"

SENTINEL_CONTACT = {
    "first_name": "Quetzalsentinel",
    "last_name": "Vorpalsentinel",
    "email": "sentinel.mailbox@example.org",
    "phone": "+1 (917) 555-0187",
}
SENTINEL_TEXT = {
    "free_text": "sentinel-free-text about what keeps me awake",
    "note": "sentinel-internal-note for the team",
    "outreach": "sentinel-outreach left a message with the sister",
    "decline": "sentinel-decline-reason conflict of interest",
    "override": "sentinel-override-reason said more on the phone",
}


def _raw_rows(table: str) -> list[str]:
    """Every row of `table` as PostgreSQL prints it (JSON text), read with plain SQL."""
    return list(db.session.scalars(text(f'SELECT row_to_json(t)::text FROM "{table}" AS t')))  # noqa: S608 - the models' own table names


def _all_raw_text() -> str:
    tables = [t.name for t in db.metadata.sorted_tables]
    return "\n".join(row for table in tables for row in _raw_rows(table)).lower()


def _submit(contact: dict[str, Any] | None = None, **answers: Any) -> Intake:
    return submit_intake(
        {**factories.CONTACT, **(contact or {})}, factories.answers(**answers)
    ).intake


# --- nothing in clear -------------------------------------------------------------------------


def test_no_sentinel_is_readable_in_any_raw_row(app: Flask, demo: Any) -> None:
    with app.app_context():
        intake = _submit(SENTINEL_CONTACT, free_text=SENTINEL_TEXT["free_text"])
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        assert coordinator is not None
        token = secrets.token_urlsafe(24)
        assert (
            workspace.add_note(intake.id, coordinator, body=SENTINEL_TEXT["note"], form_token=token)
            == workspace.Result.DONE
        )
        outreach = workspace.record_outreach(
            intake.id,
            coordinator,
            channel="call",
            outcome="left_message",
            note=SENTINEL_TEXT["outreach"],
            form_token=secrets.token_urlsafe(24),
        )
        assert outreach == workspace.Result.DONE
        offer = db.session.get(Intake, intake.id).current_assignment  # type: ignore[union-attr]
        assert offer is not None, "the demo rota offers a routine intake to a clinician"
        clinician = db.session.get(ClinicianProfile, offer.clinician_id).user  # type: ignore[union-attr]
        assert offers.decline(offer.id, clinician, SENTINEL_TEXT["decline"]) == offers.Outcome.DONE
        changed = workspace.override_route(
            intake.id, coordinator, reason=SENTINEL_TEXT["override"], urgency="soon"
        )
        assert changed == workspace.Result.DONE
        secret = pyotp.random_base32()
        assert users.enrol_mfa(coordinator, secret, pyotp.TOTP(secret).now(), None)

        # Read back through the models: every value is there, decrypted.
        db.session.expire_all()
        stored = db.session.get(Intake, intake.id)
        assert stored is not None
        assert stored.contact["email"] == SENTINEL_CONTACT["email"]
        assert stored.answers["free_text"] == SENTINEL_TEXT["free_text"]
        assert stored.overrides and stored.overrides[-1]["reason"] == SENTINEL_TEXT["override"]
        assert stored.decision and "urgency" in stored.decision
        assert db.session.scalar(select(Note.body)) == SENTINEL_TEXT["note"]
        assert db.session.scalar(select(OutreachAttempt.note)) == SENTINEL_TEXT["outreach"]
        assert (
            db.session.scalar(select(Assignment.decline_reason).where(Assignment.id == offer.id))
            == (SENTINEL_TEXT["decline"])
        )
        assert db.session.get(User, coordinator.id).mfa_secret == secret  # type: ignore[union-attr]

        # And the search still finds the person, by keyed hashes.
        for query in (
            SENTINEL_CONTACT["email"],
            SENTINEL_CONTACT["phone"],
            "quetzalSentinel  vorpalsentinel",
        ):
            term = search_term(query)
            assert term is not None
            column = {
                "email_hash": Intake.email_hash,
                "phone_hash": Intake.phone_hash,
                "name_hash": Intake.name_hash,
            }
            found = [
                db.session.scalar(select(Intake.id).where(column[name] == getattr(term, name)))
                for name in column
                if getattr(term, name)
            ]
            assert found == [intake.id]

        # The rows as the database holds them: no sentinel anywhere, in any table.
        raw = _all_raw_text()
        digits = re.sub(r"\D", "", SENTINEL_CONTACT["phone"])[1:]
        needles = [
            *(v.lower() for v in SENTINEL_CONTACT.values()),
            *(v.lower() for v in SENTINEL_TEXT.values()),
            "quetzalsentinel",
            "vorpalsentinel",
            "sentinel-",
            digits,
            "555-0187",
            secret.lower(),
        ]
        for needle in needles:
            assert needle not in raw, needle
        # The encrypted columns hold Fernet tokens, and only the newest key's.
        ring = crypto.keyring()
        tokens = db.session.execute(
            text("SELECT contact, answers, decision, overrides FROM intakes WHERE id = :id"),
            {"id": intake.id},
        ).one()
        assert all(t.startswith("gAAAAA") and ring.is_current(t) for t in tokens)


def test_the_stored_form_can_be_written_directly(app: Flask) -> None:
    """What a bulk writer (COPY) puts in the column is what the model reads."""
    with app.app_context():
        intake = _submit()
        stored = crypto.encrypt_json({"first_name": "Copied", "email": "copy@example.org"})
        db.session.execute(
            text("UPDATE intakes SET contact = :c WHERE id = :id"), {"c": stored, "id": intake.id}
        )
        db.session.expire_all()
        assert db.session.get(Intake, intake.id).contact["first_name"] == "Copied"  # type: ignore[union-attr]
        assert crypto.decrypt_json(stored) == {"first_name": "Copied", "email": "copy@example.org"}
        assert crypto.decrypt_text(crypto.encrypt_text("héllo ✓")) == "héllo ✓"


# --- keys: rotation ---------------------------------------------------------------------------


def _encrypted_values() -> list[str]:
    found = []
    for table in keys.encrypted_tables():
        cols = ", ".join(table.columns)
        for row in db.session.execute(text(f"SELECT {cols} FROM {table.name}")):  # noqa: S608 - the models' own table names
            found += [value for value in row if value is not None]
    return found


class Interrupted(Exception):
    pass


def test_rotation_reads_old_rows_then_rewrites_them_resumably(make_app: Any) -> None:
    old_app = make_app()  # the run's key
    old_key = crypto.parse_keys(old_app.config["ENCRYPTION_KEYS"])[0]
    new_key = crypto.generate_key()
    with old_app.app_context():
        ids = [_submit({"first_name": f"Rotate{i}"}).id for i in range(5)]
        user = users.create_user("rotate@example.org", "staff", "Rotate", "a long passphrase 1")
        secret = pyotp.random_base32()
        assert users.enrol_mfa(user, secret, pyotp.TOTP(secret).now(), None)
        user_id = user.id

    both = make_app(ENCRYPTION_KEYS=f"{new_key},{old_key}")
    with both.app_context():
        # Old rows still read with the new key in front; new writes use the new key.
        assert [db.session.get(Intake, i).contact["first_name"] for i in ids] == [  # type: ignore[union-attr]
            f"Rotate{i}" for i in range(5)
        ]
        ring = crypto.keyring()
        assert not any(ring.is_current(v) for v in _encrypted_values())

        # Stopped after the first batch: some rows are done, the rest not.
        def stop(_: int) -> None:
            raise Interrupted

        with pytest.raises(Interrupted):
            keys.rotate(batch_size=2, progress=stop)
        db.session.rollback()
        values = _encrypted_values()
        done = sum(ring.is_current(v) for v in values)
        assert 0 < done < len(values)

        runner = both.test_cli_runner()
        result = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
        assert result.exit_code == 0, result.output
        assert f"rotated: {len(values) - done} value(s)" in result.output
        assert all(ring.is_current(v) for v in _encrypted_values())
        again = runner.invoke(args=["keys", "rotate"])
        assert again.exit_code == 0 and "rotated: 0 value(s)" in again.output

    new_only = make_app(ENCRYPTION_KEYS=new_key)
    with new_only.app_context():
        assert [db.session.get(Intake, i).contact["first_name"] for i in ids] == [  # type: ignore[union-attr]
            f"Rotate{i}" for i in range(5)
        ]
        assert db.session.get(User, user_id).mfa_secret == secret  # type: ignore[union-attr]


def test_keys_generate_prints_a_usable_key(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["keys", "generate"])
    assert result.exit_code == 0
    key = result.output.strip()
    assert crypto.Keyring([key]).decrypt(crypto.Keyring([key]).encrypt(b"x")) == b"x"


def test_rehash_recomputes_the_search_hashes(make_app: Any) -> None:
    first = make_app()
    with first.app_context():
        intake_id = _submit({"email": "rehash@example.org"}).id
    moved = make_app(SEARCH_HASH_KEY="another-" + secrets.token_hex(16))
    with moved.app_context():
        term = search_term("rehash@example.org")
        assert term is not None
        by_email = select(Intake.id).where(Intake.email_hash == term.email_hash)
        assert db.session.scalar(by_email) is None  # the old hashes no longer match
        result = moved.test_cli_runner().invoke(args=["keys", "rehash"])
        assert result.exit_code == 0 and "rehashed: 1 intake(s)" in result.output, result.output
        assert db.session.scalar(by_email) == intake_id


# --- keys: wrong, missing, development --------------------------------------------------------


def test_a_wrong_key_is_a_clear_error_not_garbage(make_app: Any) -> None:
    with make_app().app_context():
        intake_id = _submit().id
    stranger = make_app(ENCRYPTION_KEYS=crypto.generate_key())
    with stranger.app_context():
        with pytest.raises(crypto.UndecryptableValue, match="ENCRYPTION_KEYS") as caught:
            db.session.get(Intake, intake_id)
        assert "gAAAAA" not in str(caught.value)
        db.session.rollback()
        # Rotation stops on it too, changing nothing.
        result = stranger.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 1 and "could not be decrypted" in result.output
        assert (
            f"intakes.contact, id {intake_id}" in result.output and "Traceback" not in result.output
        )


def test_a_page_whose_data_no_key_opens_is_a_503_not_a_500(
    make_app: Any, demo: Any, caplog: Any
) -> None:
    """The keys misconfigured (one dropped too soon): staff get a plain 503 with an incident
    code, the log says what to fix, and nothing stored is shown or quoted."""
    with make_app().app_context():
        intake_id = _submit().id
    stranger = make_app(ENCRYPTION_KEYS=crypto.generate_key())
    client = stranger.test_client()
    sign_in(client, "coordinator@demo.wayfinder")
    response = client.get(f"/staff/intakes/{intake_id}")
    assert response.status_code == 503
    assert "gAAAAA" not in response.text and "gAAAAA" not in caplog.text
    assert "ENCRYPTION_KEYS lacks the key" in caplog.text


def test_a_malformed_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="entry 2 is not a key"):
        load_config(
            str(tmp_path), {"ENCRYPTION_KEYS": f"{crypto.generate_key()},not-a-key"}, environ={}
        )


def test_production_refuses_to_start_without_keys(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    monkeypatch.delenv("SEARCH_HASH_KEY", raising=False)
    prod = {
        "APP_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
    }
    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS is required in production"):
        create_app(prod)
    keyed = {**prod, "ENCRYPTION_KEYS": crypto.generate_key()}
    with pytest.raises(ConfigError, match="SEARCH_HASH_KEY is required in production"):
        load_config(str(tmp_path), keyed, environ={})
    with pytest.raises(ConfigError, match="must differ"):
        load_config(str(tmp_path), {**keyed, "SEARCH_HASH_KEY": "s" * 40}, environ={})
    ok = load_config(str(tmp_path), {**keyed, "SEARCH_HASH_KEY": "h" * 40}, environ={})
    assert not (tmp_path / "encryption.key").exists()  # never a generated key in production
    assert ok["ENCRYPTION_KEYS"] == (keyed["ENCRYPTION_KEYS"],)


def test_development_makes_a_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = load_config(str(tmp_path / "instance"), {}, environ={})
    path = tmp_path / "instance" / "encryption.key"
    assert path.stat().st_mode & 0o777 == 0o600
    second = load_config(str(tmp_path / "instance"), {}, environ={})
    assert first["ENCRYPTION_KEYS"] == second["ENCRYPTION_KEYS"]
    assert crypto.Keyring(first["ENCRYPTION_KEYS"])
    assert first["SEARCH_HASH_KEY"] == first["SECRET_KEY"]  # the embedded default
    assert [p.name for p in path.parent.iterdir()] == ["encryption.key"]


# --- the migration ----------------------------------------------------------------------------


def _seed_before_encryption(conn: sa.Connection) -> None:
    """Rows as revision 0008 stored them: JSON and text in clear."""
    now = "2026-01-01 00:00:00"
    conn.execute(
        text(
            "INSERT INTO users (id, email, display_name, password_hash, role, active, "
            "session_version, created_at, mfa_secret) VALUES (1, 'm@example.org', 'M', 'x', "
            "'staff', true, 1, :now, 'SENTINELMFASECRET')"
        ),
        {"now": now},
    )
    conn.execute(
        text(
            "INSERT INTO intakes (id, reference, status, language, contact, answers, decision, "
            "urgency_rank, source, created_at, updated_at, crisis_answers, overrides) VALUES "
            "(1, 'WF-AAAA-BBBB', 'submitted', 'en', :contact, :answers, :decision, 3, 'web', "
            ":now, :now, :crisis, :overrides), "
            "(2, 'WF-CCCC-DDDD', 'draft', 'en', '{}', '{}', 'null', 9, 'web', :now, :now, "
            "NULL, NULL)"
        ),
        {
            "now": now,
            "contact": '{"first_name": "Sentinelmigrated"}',
            "answers": '{"free_text": "sentinel migrated text"}',
            "decision": '{"urgency": "routine", "reasons": ["sentinel reason"]}',
            "crisis": '[{"rule": "r", "keys": ["asq_1"], "at": "x"}]',
            "overrides": '[{"reason": "sentinel override"}]',
        },
    )
    conn.execute(
        text(
            "INSERT INTO notes (id, intake_id, user_id, body, form_token, at) "
            "VALUES (1, 1, 1, 'sentinel note body', 'tok-0000000000000000', :now)"
        ),
        {"now": now},
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migration_encrypts_existing_rows_and_downgrade_decrypts(
    kind: str, tmp_path: Path
) -> None:
    from flask_migrate import downgrade, upgrade

    def run(url: str) -> None:
        app = create_app(settings(url, tmp_path))
        with app.app_context():
            upgrade(revision="0008")
            with db.engine.begin() as conn:
                _seed_before_encryption(conn)
            upgrade()
            with db.engine.connect() as conn:
                raw = " ".join(
                    str(row)
                    for table in ("users", "intakes", "notes")
                    for row in conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - the models' own table names
                ).lower()
                assert "sentinel" not in raw
                nulls = conn.execute(
                    text("SELECT decision, overrides FROM intakes WHERE id = 2")
                ).one()
                assert tuple(nulls) == (None, None)  # JSON null became NULL
            intake = db.session.get(Intake, 1)
            assert intake is not None
            assert intake.contact == {"first_name": "Sentinelmigrated"}
            assert intake.decision == {"urgency": "routine", "reasons": ["sentinel reason"]}
            assert intake.crisis_answers == [{"rule": "r", "keys": ["asq_1"], "at": "x"}]
            assert db.session.get(User, 1).mfa_secret == "SENTINELMFASECRET"  # type: ignore[union-attr]
            assert db.session.scalar(select(Note.body)) == "sentinel note body"
            db.session.remove()
            downgrade(revision="0008")
            with db.engine.connect() as conn:
                back = conn.execute(text("SELECT contact, answers FROM intakes WHERE id = 1")).one()
                body = conn.execute(text("SELECT body FROM notes")).scalar()
            assert "Sentinelmigrated" in str(back[0]) and "sentinel migrated" in str(back[1])
            assert body == "sentinel note body"
            db.engine.dispose()

    if kind == "sqlite":
        run(f"sqlite:///{tmp_path / 'migrate.sqlite'}")
    else:
        with scratch_pg_database("wayfinder_encrypt") as url:
            run(url)


# --- backups ----------------------------------------------------------------------------------


def test_restore_test_decrypts_an_intake_and_fails_with_the_wrong_key(tmp_path: Path) -> None:
    from flask_migrate import upgrade

    with scratch_pg_database("wayfinder_backup_keys") as url:
        app = create_app(settings(url, tmp_path))
        with app.app_context():
            upgrade()
            _submit()
            db.session.remove()
            db.engine.dispose()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "RESTORE_ADMIN_URL": PG_ADMIN_URL,
            "ENCRYPTION_KEYS": ",".join(app.config["ENCRYPTION_KEYS"]),
        }
        script = [sys.executable, str(ROOT / "scripts" / "backup.py")]
        folder = ["--dir", str(tmp_path / "backups")]

        def run(command: str, **extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(  # noqa: S603
                [*script, command, *folder],
                env={**env, **extra},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        made = run("backup", ENCRYPTION_KEYS="")
        assert made.returncode == 0, made.stderr
        good = run("restore-test")
        assert good.returncode == 0, good.stdout + good.stderr
        assert "intake checked and decrypted" in good.stdout
        wrong = run("restore-test", ENCRYPTION_KEYS=crypto.generate_key())
        assert wrong.returncode == 1
        assert "do not decrypt with ENCRYPTION_KEYS" in wrong.stderr
