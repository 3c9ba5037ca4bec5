"""figure digest: a refresh compares digests instead of reading every member back

Each refresh read every figure the round had ever published, members and all: after one
changed score at 40,000 groups that was six million members, and over a round's life the
ledger grows with every refresh. ``published_figure`` now keeps a digest of its members
(survey.publication.members_digest), so a refresh reads back only the sets that differ
from the slots' sets now, and an index on (round, domain, size), so it reads from the
ledger only the sets near in size to a changed one. ``publication.checked`` keeps what a
refresh found when it checked sets against the ledger (about 3,800 small areas at 40,000
groups, at every refresh): the next refresh does not look again for the same sets, except
among the sets published since. Existing figures get their digest here.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BATCH = 2000


def _digest(members) -> str:
    # survey.publication.members_digest as of this revision (a test holds them equal)
    return hashlib.sha256(",".join(sorted(members)).encode()).hexdigest()


def upgrade():
    with op.batch_alter_table('publication') as batch_op:
        batch_op.add_column(sa.Column('checked', sa.JSON(), nullable=True))
    with op.batch_alter_table('published_figure') as batch_op:
        batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=True))
    op.create_index(
        'ix_published_figure_round_domain_n', 'published_figure', ['round_id', 'domain_id', 'n']
    )
    conn = op.get_bind()
    figures = sa.table(
        'published_figure',
        sa.column('id', sa.Integer),
        sa.column('members', sa.JSON),
        sa.column('digest', sa.String),
    )
    update = (
        figures.update()
        .where(figures.c.id == sa.bindparam('figure_id'))
        .values(digest=sa.bindparam('figure_digest'))
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(figures.c.id, figures.c.members)
            .where(figures.c.id > after)
            .order_by(figures.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            update,
            [
                {
                    'figure_id': figure_id,
                    'figure_digest': _digest(
                        json.loads(members) if isinstance(members, str) else members
                    ),
                }
                for figure_id, members in rows
            ],
        )
        after = rows[-1][0]


def downgrade():
    op.drop_index('ix_published_figure_round_domain_n', table_name='published_figure')
    with op.batch_alter_table('published_figure') as batch_op:
        batch_op.drop_column('digest')
    with op.batch_alter_table('publication') as batch_op:
        batch_op.drop_column('checked')
