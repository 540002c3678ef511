"""practical tasks: tasks of course modules, officials' hand-ins and their review; courses may
require confirmed tasks (requires_tasks); certificates list the confirmed tasks

Revision ID: 0013_practical_tasks
Revises: 0012_mentoring
Create Date: 2026-12-02

New tables and two new columns with defaults: existing data is untouched (no course requires
tasks until its package says so; certificates issued before list none).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_practical_tasks'
down_revision = '0012_mentoring'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_tasks', sa.Boolean(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('practical_tasks', sa.Text(), nullable=True))
    op.create_table('practical_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('is_required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_removed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_practical_tasks_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['course_modules.id'], name=op.f('fk_practical_tasks_module_id_course_modules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_tasks')),
    sa.UniqueConstraint('course_id', 'slug', name=op.f('uq_practical_tasks_course_id_slug'))
    )
    with op.batch_alter_table('practical_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practical_tasks_module_id'), ['module_id'], unique=False)

    op.create_table('task_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('image_type', sa.String(length=40), nullable=True),
    sa.Column('image_size', sa.Integer(), nullable=True),
    sa.Column('image_data', sa.LargeBinary(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.CheckConstraint("state IN ('waiting', 'confirmed', 'returned')", name=op.f('ck_task_submissions_state')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_task_submissions_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_task_submissions_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['task_id'], ['practical_tasks.id'], name=op.f('fk_task_submissions_task_id_practical_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_submissions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_submissions'))
    )
    with op.batch_alter_table('task_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_submissions_course_id'), ['course_id'], unique=False)
        batch_op.create_index('ix_task_submissions_state', ['state'], unique=False)
        batch_op.create_index('ix_task_submissions_task_id_user_id', ['task_id', 'user_id'], unique=False)
        batch_op.create_index('uq_task_submissions_waiting', ['task_id', 'user_id'], unique=True,
                              sqlite_where=sa.text("state = 'waiting'"),
                              postgresql_where=sa.text("state = 'waiting'"))


def downgrade():
    op.drop_table('task_submissions')
    op.drop_table('practical_tasks')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('practical_tasks')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('requires_tasks')
