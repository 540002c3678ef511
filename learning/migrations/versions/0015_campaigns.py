"""campaigns: mandatory-training campaigns, HR's summaries, departments' heads

Revision ID: 0015_campaigns
Revises: 0014_reminders
Create Date: 2026-12-02

New tables, and one nullable column (departments.head_id). The summaries start empty and are
filled from the existing records at the end of the upgrade (the same set-based recount as
`flask reports rebuild-summaries`), so HR's figures are right from the first page view.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_campaigns'
down_revision = '0014_reminders'
branch_labels = None
depends_on = None

STATE = "state IN ('not_started', 'in_progress', 'completed', 'completed_late')"


def upgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_departments_head_id_users', 'users', ['head_id'], ['id'],
                                    ondelete='SET NULL')

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('job_titles', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_campaigns_course_id_courses'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_index(op.f('ix_campaigns_course_id'), 'campaigns', ['course_id'], unique=False)

    op.create_table('campaign_departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_departments_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_campaign_departments_department_id_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_departments')),
    sa.UniqueConstraint('campaign_id', 'department_id', name=op.f('uq_campaign_departments_campaign_id_department_id'))
    )
    op.create_index(op.f('ix_campaign_departments_department_id'), 'campaign_departments', ['department_id'], unique=False)

    op.create_table('campaign_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('sort_name', sa.LargeBinary(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(STATE, name=op.f('ck_campaign_members_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_members_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campaign_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_members')),
    sa.UniqueConstraint('campaign_id', 'user_id', name=op.f('uq_campaign_members_campaign_id_user_id'))
    )
    op.create_index('ix_campaign_members_list', 'campaign_members', ['campaign_id', 'left_at', 'sort_name'], unique=False)
    op.create_index('ix_campaign_members_department', 'campaign_members', ['campaign_id', 'department_id', 'state'], unique=False)
    op.create_index('ix_campaign_members_user_id', 'campaign_members', ['user_id'], unique=False)

    op.create_table('enrolment_summaries',
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.CheckConstraint("state IN ('not_started', 'in_progress', 'completed')", name=op.f('ck_enrolment_summaries_state')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_enrolment_summaries_enrolment_id_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enrolment_summaries_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_enrolment_summaries_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('enrolment_id', name=op.f('pk_enrolment_summaries'))
    )
    op.create_index('ix_enrolment_summaries_course', 'enrolment_summaries', ['course_id', 'department_id', 'state'], unique=False)
    op.create_index('ix_enrolment_summaries_user', 'enrolment_summaries', ['user_id', 'course_id'], unique=True)

    op.create_table('department_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('not_started', sa.Integer(), nullable=False),
    sa.Column('in_progress', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('completed_late', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.Column('score_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('course', 'campaign')", name=op.f('ck_department_summaries_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_summaries')),
    sa.UniqueConstraint('kind', 'ref_id', 'department_id', name=op.f('uq_department_summaries_kind_ref_id_department_id'))
    )

    op.create_table('completion_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_completion_days_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_completion_days')),
    sa.UniqueConstraint('campaign_id', 'department_id', 'day', name=op.f('uq_completion_days_campaign_id_department_id_day'))
    )

    # Existing enrolments get their summaries now (no campaigns exist yet).
    op.execute("""
        INSERT INTO enrolment_summaries
            (enrolment_id, user_id, course_id, department_id, state, completed_at, score)
        SELECT e.id, e.user_id, e.course_id, COALESCE(u.department_id, 0),
               CASE WHEN e.completed_at IS NOT NULL THEN 'completed'
                    WHEN e.started_at IS NOT NULL OR e.lessons_done > 0
                         OR e.percent_complete > 0 THEN 'in_progress'
                    ELSE 'not_started' END,
               e.completed_at,
               CASE WHEN e.completed_at IS NOT NULL THEN
                   (SELECT c.score FROM certificates c WHERE c.user_id = e.user_id
                      AND c.course_id = e.course_id AND c.cycle = e.cycle
                    ORDER BY c.id LIMIT 1) END
        FROM enrolments e JOIN users u ON u.id = e.user_id
    """)
    op.execute("""
        INSERT INTO department_summaries
            (kind, ref_id, department_id, people, not_started, in_progress, completed,
             completed_late, score_sum, score_count)
        SELECT 'course', course_id, department_id, COUNT(*),
               SUM(CASE WHEN state = 'not_started' THEN 1 ELSE 0 END),
               SUM(CASE WHEN state = 'in_progress' THEN 1 ELSE 0 END),
               SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
               0,
               COALESCE(SUM(CASE WHEN state = 'completed' THEN score END), 0),
               SUM(CASE WHEN state = 'completed' AND score IS NOT NULL THEN 1 ELSE 0 END)
        FROM enrolment_summaries GROUP BY course_id, department_id
    """)


def downgrade():
    op.drop_table('completion_days')
    op.drop_table('department_summaries')
    op.drop_index('ix_enrolment_summaries_user', table_name='enrolment_summaries')
    op.drop_index('ix_enrolment_summaries_course', table_name='enrolment_summaries')
    op.drop_table('enrolment_summaries')
    op.drop_index('ix_campaign_members_user_id', table_name='campaign_members')
    op.drop_index('ix_campaign_members_department', table_name='campaign_members')
    op.drop_index('ix_campaign_members_list', table_name='campaign_members')
    op.drop_table('campaign_members')
    op.drop_index(op.f('ix_campaign_departments_department_id'), table_name='campaign_departments')
    op.drop_table('campaign_departments')
    op.drop_index(op.f('ix_campaigns_course_id'), table_name='campaigns')
    op.drop_table('campaigns')
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_departments_head_id_users', type_='foreignkey')
        batch_op.drop_column('head_id')
