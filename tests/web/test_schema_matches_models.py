"""The schema the migrations make is the schema the models describe (nothing left for
autogenerate to find), on SQLite and PostgreSQL; and 0005 goes down and up again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from intake.extensions import db
from tests.conftest import scratch_pg_database, settings


@contextmanager
def _empty_database(kind: str, tmp_path: Any) -> Iterator[str]:
    """A database of its own (migrations run down here, so never the shared one)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'schema.sqlite'}"
        return
    with scratch_pg_database("wayfinder_schema") as url:
        yield url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_make_the_models_schema(kind: str, tmp_path: Any) -> None:
    from flask_migrate import downgrade, upgrade

    from intake import create_app

    with _empty_database(kind, tmp_path) as url:
        app = create_app(settings(url, tmp_path))
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "render_as_batch": True}
                )
                assert compare_metadata(context, db.metadata) == []
            downgrade(revision="0004")
            tables = set(inspect(db.engine).get_table_names())
            assert not {"api_clients", "api_idempotency_keys"} & tables
            assert "source_key" not in {
                c["name"] for c in inspect(db.engine).get_columns("intakes")
            }
            upgrade()
            assert {"api_clients", "api_idempotency_keys"} <= set(
                inspect(db.engine).get_table_names()
            )
            db.engine.dispose()
