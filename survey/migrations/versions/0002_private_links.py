"""private links: a group's own link to its answers, apart from the invitation link

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The invitation link (``invitation.token``) is what staff hand out; once a group
has any answers in a round, only its private link (``invitation.private_token``)
opens them. Live invitations whose group already has answers get a private link
here, so that the "Email our link" button has one to send.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_invitation_private_token'), ['private_token'])

    bind = op.get_bind()
    started = bind.execute(sa.text(
        "SELECT i.id FROM invitation i WHERE i.revoked_at IS NULL AND EXISTS ("
        " SELECT 1 FROM response r WHERE r.round_id = i.round_id AND ("
        "  (i.organisation_id IS NOT NULL AND r.organisation_id = i.organisation_id)"
        "  OR (i.organisation_id IS NULL AND r.organisation_id IS NULL AND r.area_id = i.area_id)"
        "  OR r.invitation_id = i.id))"
    )).scalars().all()
    for invitation_id in started:
        bind.execute(
            sa.text("UPDATE invitation SET private_token = :token WHERE id = :id"),
            {"token": secrets.token_urlsafe(32), "id": invitation_id},
        )


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invitation_private_token'), type_='unique')
        batch_op.drop_column('private_token')
