"""directory entries: the listing a group keeps, its freshness and a broker's check

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('directory_entry',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('draft', sa.JSON(), nullable=True),
    sa.Column('venue_postcode', sa.String(length=10), nullable=True),
    sa.Column('venue_lat', sa.Double(), nullable=True),
    sa.Column('venue_lon', sa.Double(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('checked_on', sa.Date(), nullable=True),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('stale_emailed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['checked_by_id'], ['staff_user.id'], name=op.f('fk_directory_entry_checked_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_directory_entry_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_directory_entry'))
    )
    with op.batch_alter_table('directory_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_entry_confirmed_at'), ['confirmed_at'], unique=False)
    # Listed groups, in id order: the directory's count and pages read this, not the table.
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index('ix_organisation_listed', ['id'], unique=False, sqlite_where=sa.text('consent_directory IS 1'), postgresql_where=sa.text('consent_directory IS true'))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('ix_organisation_listed')
    with op.batch_alter_table('directory_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_entry_confirmed_at'))
    op.drop_table('directory_entry')
