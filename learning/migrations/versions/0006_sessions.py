"""sessions: server-side sessions, counting locks for rate limits and sign-in throttling

Revision ID: 0006_sessions
Revises: 0005_certificates
Create Date: 2026-12-02

Only new tables: existing data is untouched. Cookies from before this revision carry the old
'user:password-epoch' id, which no session row matches, so everyone signs in once more.
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

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_sessions_created_at'))

    op.drop_table('user_sessions')
    with op.batch_alter_table('rate_limit_locks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_locks_at'))

    op.drop_table('rate_limit_locks')
