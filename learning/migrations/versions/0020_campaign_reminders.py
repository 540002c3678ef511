"""campaign_reminders: deadline reminders of campaigns, each sent once

Revision ID: 0020_campaign_reminders
Revises: 0015_campaigns
Create Date: 2026-12-02

Only a new table; its unique key (campaign_id, user_id, kind, offset_days) is what makes
`flask notifications send-due` idempotent for campaigns.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020_campaign_reminders'
down_revision = '0015_campaigns'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_reminders_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campaign_reminders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_reminders')),
    sa.UniqueConstraint('campaign_id', 'user_id', 'kind', 'offset_days', name=op.f('uq_campaign_reminders_campaign_id_user_id_kind_offset_days'))
    )
    op.create_index(op.f('ix_campaign_reminders_user_id'), 'campaign_reminders', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_campaign_reminders_user_id'), table_name='campaign_reminders')
    op.drop_table('campaign_reminders')
