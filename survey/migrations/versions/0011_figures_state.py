"""figures state: a token per round that the database renews whenever its figures could change

Area figures are published from member sets (survey.publication.current_state), a pass
over every score of a round that takes seconds at tens of thousands of groups. A page
only needs to know whether anything the sets are made from has changed since they were
last worked out. Until now that was a handful of SQL sums over every score of the round
on every page (0.4 s at 40,000 groups, the largest part of most staff pages). Now the
database keeps random tokens in ``figures_state``, renewed by triggers in the same
transaction as any write that a round's sets are read from:

- round N's rows: a current submission of round N added, removed or changed (which it
  is, its group or area, its status, its version), any score of round N, its
  invitations (who, which area, revoked or not), the answers of its current submissions;
- round 0's rows, every round's: the groups' areas and the area tree (an area added or
  removed, or a new parent).

Writes nothing reads for the figures leave them alone: a draft saved (its answers too),
a moderation note, a reminder sent, a boundary redrawn, an area renamed. The triggers
catch every writer: plain SQL, another process, an import.

As in 0010, SQLite (one writer at a time) has one row a round; PostgreSQL up to SHARDS, a
transaction renewing one row of a round once, at its first watched write of that round
(which rounds it has renewed is kept in a transaction-local setting), and choosing a row
no other transaction holds (SKIP LOCKED), so that concurrent submissions do not queue
on one row, and a bulk import does not update one row a million times. A reader in a
transaction that has renewed a token reuses nothing (survey.publication_token).

A new round gets its rows when it is created; a round with none (emptied by hand) is
never reused from (survey.publication_token).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SHARDS = 16
EVERY_ROUND = 0  # the round_id of the rows for what every round reads (areas, memberships)

CURRENT = "{row}.status = 'submitted' AND {row}.is_current"

# (trigger suffix, table, event, condition, [row whose round is renewed]). The round of an
# answer is its response's, if that is a current submission; None: every round's rows.
WATCHED = [
    ('response_insert', 'response', 'INSERT', CURRENT.format(row='NEW'), ['NEW']),
    ('response_update', 'response',
     'UPDATE OF id, round_id, organisation_id, area_id, status, is_current, version',
     f"({CURRENT.format(row='OLD')}) OR ({CURRENT.format(row='NEW')})", ['OLD', 'NEW']),
    ('response_delete', 'response', 'DELETE', CURRENT.format(row='OLD'), ['OLD']),
    ('score_insert', 'domain_score', 'INSERT', None, ['NEW']),
    ('score_update', 'domain_score',
     'UPDATE OF id, response_id, round_id, domain_id, score, level, ambition, moderated_level',
     None, ['OLD', 'NEW']),
    ('score_delete', 'domain_score', 'DELETE', None, ['OLD']),
    ('invitation_insert', 'invitation', 'INSERT', None, ['NEW']),
    ('invitation_update', 'invitation',
     'UPDATE OF id, round_id, organisation_id, area_id, revoked_at', None, ['OLD', 'NEW']),
    ('invitation_delete', 'invitation', 'DELETE', None, ['OLD']),
    ('answer_insert', 'answer', 'INSERT', None, ['NEW']),
    ('answer_update', 'answer', 'UPDATE OF id, response_id, question_id, value', None,
     ['OLD', 'NEW']),
    ('answer_delete', 'answer', 'DELETE', None, ['OLD']),
    ('membership_insert', 'organisation_area', 'INSERT', None, None),
    ('membership_update', 'organisation_area', 'UPDATE', None, None),
    ('membership_delete', 'organisation_area', 'DELETE', None, None),
    ('area_insert', 'area', 'INSERT', None, None),
    ('area_update', 'area', 'UPDATE OF id, parent_id', None, None),
    ('area_delete', 'area', 'DELETE', None, None),
]
TRUNCATED = ['response', 'domain_score', 'invitation', 'answer', 'organisation_area', 'area']


def _round_of(table: str, row: str) -> str:
    """SQL for the round whose figures a row of the table is read for (NULL: none)."""
    if table == 'answer':
        return (
            f"(SELECT round_id FROM response WHERE id = {row}.response_id "
            f"AND {CURRENT.format(row='response')})"
        )
    return f'{row}.round_id'


# SQLite: an upsert of the round's one row, so that a row deleted by hand comes back.
def _sqlite_renew(round_sql: str) -> str:
    return (
        "INSERT INTO figures_state (round_id, slot, token) "
        f"SELECT {round_sql}, 1, lower(hex(randomblob(16))) WHERE {round_sql} IS NOT NULL "
        "ON CONFLICT (round_id, slot) DO UPDATE SET token = excluded.token;"
    )


POSTGRES_RENEW = f"""
CREATE FUNCTION figures_state_renew(wanted integer) RETURNS void AS $$
DECLARE
    renewed text := coalesce(current_setting('figures_state.rounds', true), '');
    chosen integer;
BEGIN
    IF wanted IS NULL OR strpos(renewed, ',' || wanted || ',') > 0 THEN
        RETURN;  -- not a round's, or this transaction has renewed that round's token already
    END IF;
    SELECT slot INTO chosen FROM figures_state WHERE round_id = wanted
        ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF chosen IS NULL THEN  -- every row is held by another writer (or none is left)
        chosen := 1 + (txid_current() % {SHARDS});
    END IF;
    INSERT INTO figures_state (round_id, slot, token)
        VALUES (wanted, chosen, replace(gen_random_uuid()::text, '-', ''))
        ON CONFLICT (round_id, slot) DO UPDATE SET token = excluded.token;
    PERFORM set_config(
        'figures_state.rounds', coalesce(nullif(renewed, ''), ',') || wanted || ',', true
    );
END
$$ LANGUAGE plpgsql
"""


def _postgres_trigger_function(suffix: str, table: str, rows: list[str] | None) -> str:
    rounds = [str(EVERY_ROUND)] if rows is None else [_round_of(table, row) for row in rows]
    calls = '\n'.join(f'    PERFORM figures_state_renew({r});' for r in rounds)
    return (
        f'CREATE FUNCTION figures_state_{suffix}() RETURNS trigger AS $$\n'
        f'BEGIN\n{calls}\n    RETURN NULL;\nEND\n$$ LANGUAGE plpgsql'
    )


POSTGRES_NEW_ROUND = f"""
CREATE FUNCTION figures_state_round_insert() RETURNS trigger AS $$
BEGIN
    INSERT INTO figures_state (round_id, slot, token)
        SELECT NEW.id, n, replace(gen_random_uuid()::text, '-', '')
        FROM generate_series(1, {SHARDS}) AS n
        ON CONFLICT (round_id, slot) DO NOTHING;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
POSTGRES_TRUNCATE = """
CREATE FUNCTION figures_state_truncate() RETURNS trigger AS $$
BEGIN
    UPDATE figures_state SET token = replace(gen_random_uuid()::text, '-', '');
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.create_table('figures_state',
    sa.Column('round_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('round_id', 'slot', name=op.f('pk_figures_state'))
    )
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        op.execute(
            "INSERT INTO figures_state (round_id, slot, token) "
            "SELECT r.id, n, replace(gen_random_uuid()::text, '-', '') "
            f"FROM (SELECT id FROM survey_round UNION SELECT {EVERY_ROUND}) AS r, "
            f"generate_series(1, {SHARDS}) AS n"
        )
        op.execute(POSTGRES_RENEW)
        op.execute(POSTGRES_NEW_ROUND)
        op.execute(POSTGRES_TRUNCATE)
        op.execute(
            'CREATE TRIGGER figures_state_round_insert AFTER INSERT ON survey_round '
            'FOR EACH ROW EXECUTE FUNCTION figures_state_round_insert()'
        )
        for table in TRUNCATED:
            op.execute(
                f'CREATE TRIGGER figures_state_{table}_truncate AFTER TRUNCATE ON {table} '
                'FOR EACH STATEMENT EXECUTE FUNCTION figures_state_truncate()'
            )
    else:
        op.execute(
            "INSERT INTO figures_state (round_id, slot, token) "
            "SELECT r.id, 1, lower(hex(randomblob(16))) "
            f"FROM (SELECT id FROM survey_round UNION SELECT {EVERY_ROUND}) AS r"
        )
        op.execute(
            'CREATE TRIGGER figures_state_round_insert AFTER INSERT ON survey_round BEGIN '
            "INSERT INTO figures_state (round_id, slot, token) "
            "VALUES (NEW.id, 1, lower(hex(randomblob(16)))) ON CONFLICT DO NOTHING; END"
        )
    for suffix, table, event, condition, rows in WATCHED:
        name = f'figures_state_{suffix}'
        if postgres:
            op.execute(_postgres_trigger_function(suffix, table, rows))
            if rows is None:  # every round's: once per statement, however many rows
                each, when = 'STATEMENT', ''
            else:
                each, when = 'ROW', f' WHEN ({condition})' if condition else ''
            op.execute(
                f'CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH {each}{when} '
                f'EXECUTE FUNCTION {name}()'
            )
        else:
            rounds = [str(EVERY_ROUND)] if rows is None else [_round_of(table, r) for r in rows]
            when = f' WHEN {condition}' if condition else ''
            body = ' '.join(_sqlite_renew(r) for r in rounds)
            op.execute(f'CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {body} END')


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    for suffix, table, _, _, _ in WATCHED:
        on = f' ON {table}' if postgres else ''
        op.execute(f'DROP TRIGGER figures_state_{suffix}{on}')
        if postgres:
            op.execute(f'DROP FUNCTION figures_state_{suffix}()')
    if postgres:
        op.execute('DROP TRIGGER figures_state_round_insert ON survey_round')
        for table in TRUNCATED:
            op.execute(f'DROP TRIGGER figures_state_{table}_truncate ON {table}')
        for function in ('round_insert', 'truncate'):
            op.execute(f'DROP FUNCTION figures_state_{function}()')
        op.execute('DROP FUNCTION figures_state_renew(integer)')
    else:
        op.execute('DROP TRIGGER figures_state_round_insert')
    op.drop_table('figures_state')
