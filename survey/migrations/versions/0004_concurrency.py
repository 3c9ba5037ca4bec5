"""one draft and one current submission per group and round; revocable sessions; sign-in counters

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# (index name, column, condition): keep in step with Response.__table_args__ in survey/models.py.
INDEXES = [
    ("uq_response_group_draft", "organisation_id", "status = 'in_progress' AND organisation_id IS NOT NULL"),
    ("uq_response_area_draft", "area_id", "status = 'in_progress' AND organisation_id IS NULL"),
    (
        "uq_response_group_current",
        "organisation_id",
        "status = 'submitted' AND is_current AND organisation_id IS NOT NULL",
    ),
    (
        "uq_response_area_current",
        "area_id",
        "status = 'submitted' AND is_current AND organisation_id IS NULL",
    ),
]


def _older_duplicates(column: str, condition: str) -> str:
    """Rows matching the condition that have a newer one for the same round and key."""
    other = condition.replace("status", "r2.status").replace("is_current", "r2.is_current")
    other = other.replace("organisation_id IS", "r2.organisation_id IS")
    return (
        f"{condition} AND id < (SELECT max(r2.id) FROM response r2 WHERE {other} "
        f"AND r2.round_id = response.round_id AND r2.{column} = response.{column})"
    )


def upgrade():
    # Races before this migration could leave two drafts (or two current submissions):
    # the newest stays, older drafts are kept but set aside ("abandoned"), older
    # submissions stay in the history but are no longer current.
    for name, column, condition in INDEXES:
        duplicates = _older_duplicates(column, condition)
        if "in_progress" in condition:
            op.execute(f"UPDATE response SET status = 'abandoned' WHERE {duplicates}")
        else:
            op.execute(
                f"UPDATE response SET is_current = {'false' if _postgres() else '0'} "
                f"WHERE {duplicates}"
            )
        with op.batch_alter_table("response") as batch_op:
            batch_op.create_index(
                name,
                ["round_id", column],
                unique=True,
                sqlite_where=sa.text(condition),
                postgresql_where=sa.text(condition),
            )
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
    )


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def downgrade():
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("staff_user") as batch_op:
        batch_op.drop_column("session_epoch")
    with op.batch_alter_table("response") as batch_op:
        for name, _, _ in reversed(INDEXES):
            batch_op.drop_index(name)
