"""sessions: counting locks for rate limits and sign-in throttling

Revision ID: 0006_sessions
Revises: 0005_certificates
Create Date: 2026-12-02

Only new tables: existing data is untouched.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_sessions'
down_revision = '0005_certificates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_locks',
    sa.Column('bucket', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=254), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('bucket', 'key', name=op.f('pk_rate_limit_locks'))
    )
    with op.batch_alter_table('rate_limit_locks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_locks_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_limit_locks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_locks_at'))

    op.drop_table('rate_limit_locks')
