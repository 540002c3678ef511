"""sign_in_attempts.device: attempts from a browser the account signed in from before

Revision ID: 0024_sign_in_devices
Revises: 0023_campaign_members_history
Create Date: 2026-12-03

A successful sign-in gives the browser a device cookie (signed, naming the account). Attempts
that carry a valid one for the account they try are recorded with the device (the SHA-256 of
its id) and judged by their own failures only, so guesses from elsewhere cannot lock the owner
out (OWASP's device cookies). Existing attempts are from unknown browsers (NULL).
"""
import sqlalchemy as sa
from alembic import op


revision = '0024_sign_in_devices'
down_revision = '0023_campaign_members_history'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sign_in_attempts') as batch:
        batch.add_column(sa.Column('device', sa.String(length=64), nullable=True))
        batch.create_index('ix_sign_in_attempts_device_at', ['device', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_attempts') as batch:
        batch.drop_index('ix_sign_in_attempts_device_at')
        batch.drop_column('device')
