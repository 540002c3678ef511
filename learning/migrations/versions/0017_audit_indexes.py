"""audit_events: indexes for the audit page's filters

Revision ID: 0017_audit_indexes
Revises: 0020_campaign_reminders
Create Date: 2026-12-02

The admin page lists events newest first (ORDER BY at DESC, id DESC) filtered by action, by
actor or by target type; each filter gets an index that also gives that order, so a page of 50
reads 51 index entries even with a million events. Indexes only: no data changes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017_audit_indexes'
down_revision = '0020_campaign_reminders'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_audit_events_action_at': ['action', 'at', 'id'],
    'ix_audit_events_actor_id_at': ['actor_id', 'at', 'id'],
    'ix_audit_events_target_type_at': ['target_type', 'at', 'id'],
}


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
