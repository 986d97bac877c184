"""Backups of the PostgreSQL database, and a restore that proves one.

    python scripts/backup.py backup         (make backup)
    python scripts/backup.py restore-test   (make restore-test)

`backup` writes `wayfinder-<UTC time>.dump` (pg_dump, custom format) and a manifest beside it
(`.json`: the row count of every table and a fingerprint of one intake's answers, taken in the
same snapshot as the dump), then keeps the newest BACKUP_KEEP dumps (default 14). It reads
DATABASE_URL and BACKUP_DIR (default ./backups). The encryption keys are kept apart: `backup`
never reads SECRET_KEY, ENCRYPTION_KEYS or any other key, and pg_dump and pg_restore run
without them in their environment, so a stolen backup is no more than its database, whose
contact details, answers and free text are ciphertext (docs/operations.md).

`restore-test` restores the newest dump into a scratch database that it creates (on the server
of RESTORE_ADMIN_URL, default the DATABASE_URL server's `postgres` database) and drops again,
checks every table's row count and the intake's stored answers against the manifest, and
decrypts that intake's contact details and answers with ENCRYPTION_KEYS (else the development
key in instance/encryption.key): a backup is only good with keys that open it. It exits
non-zero, saying what differed, when anything does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from intake.crypto import (  # noqa: E402 - after the project root is on the path
    EncryptionKeyError,
    Keyring,
    UndecryptableValue,
    parse_keys,
)

# Never handed to pg_dump / pg_restore, and never read here.
KEYS = ("SECRET_KEY", "ENCRYPTION_KEYS", "METRICS_TOKEN")


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://) as libpq reads it (postgresql://)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url.removeprefix(prefix)
    if not url.startswith("postgresql://"):
        raise SystemExit("DATABASE_URL must be a PostgreSQL URL for backups")
    return url


def with_database(url: str, name: str) -> str:
    base, _, rest = url.rpartition("/")
    query = rest.partition("?")[2]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def tool(name: str) -> str:
    """The PostgreSQL client program `name` (PG_BIN, else the PATH)."""
    found = shutil.which(name, path=os.environ.get("PG_BIN") or None)
    if found is None:
        raise SystemExit(f"{name} not found: install the PostgreSQL client or set PG_BIN")
    return found


def tool_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in KEYS}


def fingerprint(answers: str | None) -> str | None:
    """Of one intake's answers as stored (a token; canonical JSON in a backup from before
    encryption at rest), so the manifest holds no PHI."""
    if answers is None:
        return None
    try:
        stored = json.dumps(json.loads(answers), sort_keys=True, separators=(",", ":"))
    except ValueError:
        stored = answers
    return hashlib.sha256(stored.encode()).hexdigest()


def restore_keyring() -> Keyring | None:
    """The keys restore-test decrypts with: ENCRYPTION_KEYS, else the development key file."""
    keys = parse_keys(os.environ.get("ENCRYPTION_KEYS"))
    dev_file = ROOT / "instance" / "encryption.key"
    if not keys and dev_file.exists():
        keys = parse_keys(dev_file.read_text())
    return Keyring(keys) if keys else None


def decrypt_problems(
    keyring: Keyring | None, contact: str | None, answers: str | None
) -> list[str]:
    """Whether the restored intake's contact details and answers open with the keys."""
    if keyring is None:
        return ["ENCRYPTION_KEYS is not set: the restored intake cannot be decrypted"]
    problems = []
    for name, stored in (("contact details", contact), ("answers", answers)):
        if (stored or "").lstrip().startswith("{"):
            problems.append(f"the sample intake's {name} are stored in clear (not encrypted)")
            continue
        try:
            value = json.loads(keyring.decrypt(stored or ""))
        except UndecryptableValue:
            problems.append(f"the sample intake's {name} do not decrypt with ENCRYPTION_KEYS")
            continue
        if not isinstance(value, dict):
            problems.append(f"the sample intake's {name} decrypt to something unexpected")
    return problems


def snapshot_facts(cur: psycopg.Cursor[Any]) -> dict[str, Any]:
    cur.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    tables = [row[0] for row in cur.fetchall()]
    counts: dict[str, int] = {}
    for table in tables:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        row = cur.fetchone()
        counts[table] = int(row[0]) if row else 0
    sample: dict[str, Any] | None = None
    if "intakes" in counts:
        cur.execute("SELECT id, answers::text FROM intakes ORDER BY id DESC LIMIT 1")
        found = cur.fetchone()
        if found:
            sample = {"intake_id": found[0], "answers_sha256": fingerprint(found[1])}
    return {"counts": counts, "sample_intake": sample}


def backup(url: str, folder: Path, keep: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dump = folder / f"wayfinder-{stamp}.dump"
    partial = dump.with_suffix(".dump.partial")
    with psycopg.connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            row = cur.fetchone()
            if row is None:
                raise SystemExit("no snapshot exported")
            snapshot = str(row[0])
            facts = snapshot_facts(cur)
            # The dump reads the same snapshot as the counts, while this transaction holds it.
            subprocess.run(  # noqa: S603
                [
                    tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    url,
                ],
                check=True,
                env=tool_env(),
            )
    partial.rename(dump)
    manifest = {
        "dump": dump.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "keys_included": False,
        **facts,
    }
    dump.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n")
    for old in sorted(folder.glob("wayfinder-*.dump"))[:-keep]:
        old.unlink()
        old.with_suffix(".json").unlink(missing_ok=True)
    return dump


def restore_test(folder: Path, admin_url: str) -> list[str]:
    """Restore the newest dump into a scratch database; the differences found (none: ok)."""
    dumps = sorted(folder.glob("wayfinder-*.dump"))
    if not dumps:
        return [f"no backup in {folder}"]
    dump = dumps[-1]
    manifest = json.loads(dump.with_suffix(".json").read_text())
    try:
        keyring = restore_keyring()
    except EncryptionKeyError as exc:
        return [str(exc)]
    name = f"wayfinder_restore_{datetime.now(UTC):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
    print(f"restore-test: {dump.name} into scratch database {name}")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    scratch = with_database(admin_url, name)
    decrypted: list[str] = []
    try:
        subprocess.run(  # noqa: S603
            [tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={scratch}", str(dump)],
            check=True,
            env=tool_env(),
        )
        with psycopg.connect(scratch) as conn, conn.cursor() as cur:
            restored = snapshot_facts(cur)
            sample = manifest["sample_intake"]
            if sample:
                cur.execute(
                    "SELECT answers::text, contact::text FROM intakes WHERE id = %s",
                    (sample["intake_id"],),
                )
                row = cur.fetchone()
                restored["sample_intake"] = {
                    "intake_id": sample["intake_id"],
                    "answers_sha256": fingerprint(row[0]) if row else None,
                }
                if row:
                    decrypted = decrypt_problems(keyring, row[1], row[0])
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    problems = [
        f"{table}: {count} rows backed up, {restored['counts'].get(table)} restored"
        for table, count in manifest["counts"].items()
        if restored["counts"].get(table) != count
    ]
    if restored["sample_intake"] != manifest["sample_intake"]:
        problems.append("the sample intake's answers did not come back as they were")
    problems += decrypted
    total = sum(manifest["counts"].values())
    if not problems:
        checked = "intake checked and decrypted" if manifest["sample_intake"] else "no intake"
        print(f"restore-test: ok ({len(manifest['counts'])} tables, {total} rows, {checked})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("backup", "restore-test"))
    parser.add_argument("--dir", default=os.environ.get("BACKUP_DIR", str(ROOT / "backups")))
    args = parser.parse_args(argv)
    url = libpq_url(os.environ.get("DATABASE_URL", ""))
    folder = Path(args.dir)
    if args.command == "backup":
        dump = backup(url, folder, int(os.environ.get("BACKUP_KEEP", "14")))
        print(f"backup: {dump}")
        return 0
    admin = os.environ.get("RESTORE_ADMIN_URL") or with_database(url, "postgres")
    problems = restore_test(folder, libpq_url(admin))
    for problem in problems:
        print(f"restore-test: FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
