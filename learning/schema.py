"""Compare the database's Alembic revision with the migrations shipped in the code."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = "flask --app wsgi db upgrade"


def head_revisions() -> set[str]:
    """Return the head revision(s) of the shipped migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())


def current_revisions(engine) -> set[str]:
    """Return the revision(s) the database is at (empty when never migrated)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def schema_problem(engine) -> str | None:
    """Return why the database cannot be served, or None when it is at the head revision."""
    current = current_revisions(engine)
    if current == head_revisions():
        return None
    if not current:
        return f"The database has no tables yet. Run `{UPGRADE_COMMAND}` (or `make run`)."
    return (
        f"The database is at revision {', '.join(sorted(current))} but the code needs "
        f"{', '.join(sorted(head_revisions()))}. Run `{UPGRADE_COMMAND}`."
    )


# Indexes only PostgreSQL has, made by migrations outside the models (a GIN trigram index would
# be a useless plain index on SQLite): autogenerate and the schema tests leave them alone.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_users_search_text_trgm"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: skip the PostgreSQL-only indexes when comparing with the models."""
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)
