"""campaign_members: the department index carries the dates the ranking's week-earlier read needs

Revision ID: 0023_campaign_members_history
Revises: 0022_search_trigram
Create Date: 2026-12-03

The emulation ranking's figures a week earlier count, per department, the members who had
joined and not yet left at that day's end and those who had completed by then. No index held
joined_at, left_at and completed_at, so PostgreSQL read the whole table for it (a parallel
sequential scan of a million member rows). The (campaign_id, department_id, state) index now
INCLUDEs them: the read is an index-only scan of the campaign's entries, already in department
order, and no second index is kept up to date on every progress write. SQLite has no INCLUDE;
its index stays as it was (its scale is served by the plain index).
"""
from alembic import op


revision = '0023_campaign_members_history'
down_revision = '0022_search_trigram'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_campaign_members_department', table_name='campaign_members')
    op.create_index('ix_campaign_members_department', 'campaign_members',
                    ['campaign_id', 'department_id', 'state'], unique=False,
                    postgresql_include=['joined_at', 'left_at', 'completed_at'])


def downgrade():
    op.drop_index('ix_campaign_members_department', table_name='campaign_members')
    op.create_index('ix_campaign_members_department', 'campaign_members',
                    ['campaign_id', 'department_id', 'state'], unique=False)
