"""name sort keys: officials are listed the Vietnamese way (given name first, ICU collation)

Revision ID: 0008_name_sort_keys
Revises: 0007_certificate_trust
Create Date: 2026-12-02

Adds users.sort_name, the ICU sort key of the name computed in Python
(learning.text.name_sort_key), and fills it for the existing accounts. Both SQLite (BLOB) and
PostgreSQL (bytea) compare it bytewise, so ORDER BY sort_name is the Vietnamese order.
"""
from alembic import op
import sqlalchemy as sa

from learning.text import name_sort_key


revision = '0008_name_sort_keys'
down_revision = '0007_certificate_trust'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                     sa.column('sort_name', sa.LargeBinary))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(users.c.id, users.c.full_name).where(users.c.id > last_id)
            .order_by(users.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(
            users.update().where(users.c.id == sa.bindparam('user_id'))
            .values(sort_name=sa.bindparam('key')),
            [{'user_id': row.id, 'key': name_sort_key(row.full_name)} for row in rows])
        last_id = rows[-1].id
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('sort_name', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.create_index(batch_op.f('ix_users_sort_name'), ['sort_name'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_sort_name'))
        batch_op.drop_column('sort_name')

