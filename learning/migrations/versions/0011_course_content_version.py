"""course content version: the key of the per-process outline and lesson caches

Revision ID: 0011_course_content_version
Revises: 0010_api_tokens
Create Date: 2026-12-02

Adds courses.content_version, a random token replaced whenever the course's modules, lessons or
quizzes change (package import, GIFT import). Pages cache the course outline and lesson HTML
under it, so a new version is seen by every worker at once and nothing stale is served. Existing
courses get a fresh token each.
"""
import uuid

from alembic import op
import sqlalchemy as sa


revision = '0011_course_content_version'
down_revision = '0010_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_version', sa.String(length=32), nullable=False,
                                      server_default=''))
    courses = sa.table('courses', sa.column('id', sa.Integer),
                       sa.column('content_version', sa.String))
    connection = op.get_bind()
    for (course_id,) in connection.execute(sa.select(courses.c.id)).all():
        connection.execute(courses.update().where(courses.c.id == course_id)
                           .values(content_version=uuid.uuid4().hex))
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.alter_column('content_version', existing_type=sa.String(length=32),
                              existing_nullable=False, server_default=None)


def downgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('content_version')
