"""campaign_members: indexes for the ranking's week-earlier figures

Revision ID: 0023_campaign_members_history
Revises: 0022_search_trigram
Create Date: 2026-12-03

The emulation ranking's figures a week earlier read every member row of the campaign (a
parallel sequential scan of a million rows, ~140 ms). They now take today's figures back by
the rows changed since that day: members who joined, left or completed after it. One index
for each of those columns (after campaign_id) finds them; on PostgreSQL the completions'
index, the largest group in a busy week, carries the columns the read counts (an index-only
scan: 19 ms instead of 144 for 55,000 completions in a week of a million members).
"""
from alembic import op


revision = '0023_campaign_members_history'
down_revision = '0022_search_trigram'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_campaign_members_joined', 'campaign_members',
                    ['campaign_id', 'joined_at'], unique=False)
    op.create_index('ix_campaign_members_left', 'campaign_members',
                    ['campaign_id', 'left_at'], unique=False)
    op.create_index('ix_campaign_members_completed', 'campaign_members',
                    ['campaign_id', 'completed_at'], unique=False,
                    postgresql_include=['department_id', 'joined_at', 'left_at'])


def downgrade():
    op.drop_index('ix_campaign_members_completed', table_name='campaign_members')
    op.drop_index('ix_campaign_members_left', table_name='campaign_members')
    op.drop_index('ix_campaign_members_joined', table_name='campaign_members')
