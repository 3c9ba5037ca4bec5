"""score round: each domain score carries its response's round, indexed, so a round's
scores are read without scanning the other rounds'

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('domain_score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE domain_score SET round_id = "
        "(SELECT response.round_id FROM response WHERE response.id = domain_score.response_id)"
    )
    with op.batch_alter_table('domain_score', schema=None) as batch_op:
        batch_op.alter_column('round_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_domain_score_round_id_survey_round'), 'survey_round', ['round_id'], ['id'])
        batch_op.create_index('ix_domain_score_round_response', ['round_id', 'response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('domain_score', schema=None) as batch_op:
        batch_op.drop_index('ix_domain_score_round_response')
        batch_op.drop_constraint(batch_op.f('fk_domain_score_round_id_survey_round'), type_='foreignkey')
        batch_op.drop_column('round_id')
