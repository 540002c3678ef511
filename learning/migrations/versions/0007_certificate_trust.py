"""certificate trust: PDF signing chains, public revocation categories, one replacement each

Revision ID: 0007_certificate_trust
Revises: 0006_sessions
Create Date: 2026-12-02

Existing revocations get a public category: a certificate with a re-issued replacement was
"replaced", any other was "withdrawn" (HR's free-text reason stays, shown to HR only).
Certificates issued before PDFs were signed are re-rendered and signed on their next download
(the render version changed).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_certificate_trust'
down_revision = '0006_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_pem', sa.Text(), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_category', sa.String(length=20),
                                      nullable=True))
    op.execute(
        "UPDATE certificates SET revocation_category = 'replaced' "
        "WHERE revoked_at IS NOT NULL AND id IN (SELECT previous_id FROM certificates AS c2 "
        "WHERE c2.reason = 'correction' AND c2.previous_id IS NOT NULL)")
    op.execute(
        "UPDATE certificates SET revocation_category = 'withdrawn' "
        "WHERE revoked_at IS NOT NULL AND revocation_category IS NULL")
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'revocation_category',
            "revocation_category IS NULL OR revocation_category IN "
            "('replaced', 'issued_in_error', 'withdrawn')")
        batch_op.create_index('uq_certificates_replacement', ['previous_id'], unique=True,
                              sqlite_where=sa.text("reason = 'correction'"),
                              postgresql_where=sa.text("reason = 'correction'"))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_replacement',
                            sqlite_where=sa.text("reason = 'correction'"),
                            postgresql_where=sa.text("reason = 'correction'"))
        batch_op.drop_constraint('revocation_category', type_='check')
        batch_op.drop_column('revocation_category')
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_column('chain_pem')
