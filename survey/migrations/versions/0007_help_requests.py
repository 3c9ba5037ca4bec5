"""help requests: a group asks its broker for help with a step or offer; the contact log

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'contacted', 'in_progress')"


def upgrade():
    op.create_table('help_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('broker_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('domain_id', sa.String(length=80), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('contact_by', sa.String(length=10), nullable=False),
    sa.Column('contact_detail', sa.String(length=254), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_help_request_area_id_area')),
    sa.ForeignKeyConstraint(['broker_id'], ['broker.id'], name=op.f('fk_help_request_broker_id_broker')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_help_request_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['staff_user.id'], name=op.f('fk_help_request_owner_id_staff_user')),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_help_request_round_id_survey_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_request'))
    )
    with op.batch_alter_table('help_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_request_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_request_broker_id'), ['broker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_request_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_help_request_open', ['round_id', 'organisation_id', 'subject_key'], unique=True, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))

    op.create_table('help_request_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('help_request_id', sa.Integer(), nullable=False),
    sa.Column('contacted_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['help_request_id'], ['help_request.id'], name=op.f('fk_help_request_note_help_request_id_help_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_request_note'))
    )
    with op.batch_alter_table('help_request_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_request_note_help_request_id'), ['help_request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('help_request_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_request_note_help_request_id'))
    op.drop_table('help_request_note')
    with op.batch_alter_table('help_request', schema=None) as batch_op:
        batch_op.drop_index('uq_help_request_open')
        batch_op.drop_index(batch_op.f('ix_help_request_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_help_request_broker_id'))
        batch_op.drop_index(batch_op.f('ix_help_request_area_id'))
    op.drop_table('help_request')
