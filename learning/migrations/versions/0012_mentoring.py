"""mentoring: groups, their mentors and members, assignments and their chosen members

Revision ID: 0012_mentoring
Revises: 0011_course_content_version
Create Date: 2026-12-02

Only new tables: existing data is untouched. An assignment names its target in one non-null
column, target_key ("course:<id>", "module:<id>", "lesson:<id>"), so that the unique
constraint (group_id, target_key) keeps "the same target again" to one row on SQLite and
PostgreSQL alike (NULLs in a unique constraint would not).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_mentoring'
down_revision = '0011_course_content_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mentoring_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mentoring_groups_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_mentoring_groups_department_id_departments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_groups'))
    )
    with op.batch_alter_table('mentoring_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_groups_department_id'), ['department_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('lesson_id', sa.Integer(), nullable=True),
    sa.Column('target_key', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('is_whole_group', sa.Boolean(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('module_id IS NULL OR lesson_id IS NULL', name=op.f('ck_assignments_one_target')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_assignments_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['mentoring_groups.id'], name=op.f('fk_assignments_group_id_mentoring_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_assignments_lesson_id_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['course_modules.id'], name=op.f('fk_assignments_module_id_course_modules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('group_id', 'target_key', name=op.f('uq_assignments_group_id_target_key'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_course_id', ['course_id'], unique=False)

    op.create_table('mentoring_group_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_mentoring_group_members_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['mentoring_groups.id'], name=op.f('fk_mentoring_group_members_group_id_mentoring_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentoring_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_group_members')),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_mentoring_group_members_group_id_user_id'))
    )
    with op.batch_alter_table('mentoring_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_group_members_user_id'), ['user_id'], unique=False)

    op.create_table('mentoring_group_mentors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['mentoring_groups.id'], name=op.f('fk_mentoring_group_mentors_group_id_mentoring_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentoring_group_mentors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_group_mentors')),
    sa.UniqueConstraint('group_id', 'user_id', name=op.f('uq_mentoring_group_mentors_group_id_user_id'))
    )
    with op.batch_alter_table('mentoring_group_mentors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_group_mentors_user_id'), ['user_id'], unique=False)

    op.create_table('assignment_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assignment_members_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignment_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_members')),
    sa.UniqueConstraint('assignment_id', 'user_id', name=op.f('uq_assignment_members_assignment_id_user_id'))
    )
    with op.batch_alter_table('assignment_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_members_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assignment_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_members_user_id'))

    op.drop_table('assignment_members')
    with op.batch_alter_table('mentoring_group_mentors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentoring_group_mentors_user_id'))

    op.drop_table('mentoring_group_mentors')
    with op.batch_alter_table('mentoring_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentoring_group_members_user_id'))

    op.drop_table('mentoring_group_members')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_course_id')

    op.drop_table('assignments')
    with op.batch_alter_table('mentoring_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentoring_groups_department_id'))

    op.drop_table('mentoring_groups')
