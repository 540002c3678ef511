"""The migrations build the schema the models describe, from empty to head and back.

The session fixture already migrates the DATABASE_URL database (PostgreSQL in CI) from empty to
head; here a fresh SQLite file goes up, down to nothing and up again, and both databases are
compared with the models.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from learning import schema
from learning.db import db as _db

ACCOUNT_TABLES = {"users", "departments", "role_grants", "sign_in_attempts", "audit_events"}


def differences(engine) -> list:
    """Return what autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True,
                              "include_object": schema.include_object})
        return compare_metadata(context, _db.metadata)


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_head_is_a_single_revision():
    assert len(schema.head_revisions()) == 1


def test_empty_to_head_down_to_base_and_up_again(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.db'}")
    with app.app_context():
        engine = _db.engine
        assert tables(engine) == set()
        assert schema.schema_problem(engine) is not None

        upgrade()
        assert ACCOUNT_TABLES <= tables(engine)
        assert tables(engine) == set(_db.metadata.tables)
        assert schema.current_revisions(engine) == schema.head_revisions()
        assert schema.schema_problem(engine) is None
        assert differences(engine) == []

        downgrade(revision="base")
        assert tables(engine) == set()
        assert schema.current_revisions(engine) == set()

        upgrade()
        assert schema.schema_problem(engine) is None
        assert differences(engine) == []
    assert app.test_client().get("/login").status_code == 200


def test_the_test_database_matches_the_models(db):
    """On PostgreSQL when DATABASE_URL points there: types, indexes and constraints too."""
    assert schema.schema_problem(db.engine) is None
    assert differences(db.engine) == []
