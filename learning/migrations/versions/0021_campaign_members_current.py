"""campaign_members: the people list's index covers current members only, in name order

Revision ID: 0021_campaign_members_current
Revises: 0017_audit_indexes
Create Date: 2026-12-02

PostgreSQL could not read (campaign_id, left_at, sort_name) in name order for
"left_at IS NULL" and sorted a million members for a first page; a partial index on
(campaign_id, sort_name, user_id) WHERE left_at IS NULL serves the page's keyset directly
(SQLite supports partial indexes too).
"""
from alembic import op
import sqlalchemy as sa


revision = '0021_campaign_members_current'
down_revision = '0017_audit_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_campaign_members_list', table_name='campaign_members')
    op.create_index('ix_campaign_members_current', 'campaign_members',
                    ['campaign_id', 'sort_name', 'user_id'], unique=False,
                    sqlite_where=sa.text('left_at IS NULL'),
                    postgresql_where=sa.text('left_at IS NULL'))


def downgrade():
    op.drop_index('ix_campaign_members_current', table_name='campaign_members')
    op.create_index('ix_campaign_members_list', 'campaign_members',
                    ['campaign_id', 'left_at', 'sort_name'], unique=False)
