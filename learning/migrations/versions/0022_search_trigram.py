"""users.search_text: a trigram index on PostgreSQL for the diacritic-blind search

Revision ID: 0022_search_trigram
Revises: 0021_campaign_members_current
Create Date: 2026-12-02

HR's people list and the officials' list search `search_text LIKE '%words%'`; at a national
campaign's size (a million officials) PostgreSQL scans them all (about 0.5 s) unless a GIN
trigram index serves the LIKE (about 60 ms in `make bench`). pg_trgm ships with PostgreSQL and
is a trusted extension (13+): the database's owner may create it. Where it cannot be created,
the upgrade goes on without the index (the search stays correct, only slower) and says so.
SQLite: nothing (its LIKE scans anyway; a ministry's officials are few).
"""
import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = '0022_search_trigram'
down_revision = '0021_campaign_members_current'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            op.execute("CREATE INDEX IF NOT EXISTS ix_users_search_text_trgm "
                       "ON users USING gin (search_text gin_trgm_ops)")
    except DBAPIError as error:
        log.warning("No trigram index for the people search (pg_trgm unavailable: %s); "
                    "the search works, more slowly on large databases.", error.orig)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_users_search_text_trgm")
