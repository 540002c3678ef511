"""courses: certificate validity and template, enrolment cycles (recertification)

Revision ID: 0003_course_cycles
Revises: 0002_courses
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_course_cycles'
down_revision = '0002_courses'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_validity_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('certificate_template', sa.String(length=500), nullable=True))
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cycle', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('cycle_started_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('cycle_started_at')
        batch_op.drop_column('cycle')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('certificate_template')
        batch_op.drop_column('certificate_validity_months')
