"""quiz requires: what must be done before a quiz can be started

Revision ID: 0009_quiz_requires
Revises: 0008_name_sort_keys
Create Date: 2026-12-02

Adds quizzes.requires, the `requires` list of the package's quiz definition ("lessons",
"quiz:<module slug>"). Existing quizzes get an empty list: no requirement.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_quiz_requires'
down_revision = '0008_name_sort_keys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires', sa.JSON(), nullable=False,
                                      server_default='[]'))
    # the default only fills the existing rows; new ones get theirs from the model
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.alter_column('requires', existing_type=sa.JSON(), existing_nullable=False,
                              server_default=None)


def downgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('requires')
