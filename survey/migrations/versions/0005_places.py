"""postcode directory; how a group's location was found; how a footprint was made

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "postcode",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("easting", sa.Double(), nullable=True),
        sa.Column("northing", sa.Double(), nullable=True),
        sa.Column("terminated", sa.Boolean(), nullable=False),
        sa.Column("ward_code", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_postcode")),
    )
    with op.batch_alter_table("area") as batch_op:
        batch_op.add_column(sa.Column("footprint_method", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("footprint_on", sa.Date(), nullable=True))
    with op.batch_alter_table("organisation") as batch_op:
        batch_op.add_column(sa.Column("located_by", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("area_given", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Coordinates stored before this revision were typed in (the CSV's longitude/latitude);
    # a group with an area and no coordinates had its area named.
    op.execute("UPDATE organisation SET located_by = 'given' WHERE lon IS NOT NULL")
    true = "true" if op.get_bind().dialect.name == "postgresql" else "1"
    op.execute(
        f"UPDATE organisation SET area_given = {true} WHERE lon IS NULL AND area_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("organisation") as batch_op:
        batch_op.drop_column("area_given")
        batch_op.drop_column("located_by")
    with op.batch_alter_table("area") as batch_op:
        batch_op.drop_column("footprint_on")
        batch_op.drop_column("footprint_method")
    op.drop_table("postcode")
