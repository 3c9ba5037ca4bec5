"""directory state: a token the database itself renews whenever a listing could change

Rows in ``directory_state`` hold random tokens. Triggers set a new one in the same
transaction as any write to what a listing, its membership of the directory or an area
filter is read from: a group's name, area, profile or directory consent; its entry's
published details, "still right" date or venue's place; the areas; the groups' area
memberships. A reader that saw the same tokens may reuse what it worked out under them
(survey.directory); the triggers catch every writer, raw SQL and other processes
included. Writes to anything else (answers, scores, drafts, reminders) leave them alone.

SQLite has one writer at a time, so one row. PostgreSQL has SHARDS rows, and a
transaction renews one of them once, at its first watched write (the row it took is
remembered in a transaction-local setting, and later writes see it and do nothing):
its other writes become visible at the same commit as that token, so one renewal
covers them, and a bulk import does not update one row thousands of times (each
update of a row within a transaction leaves a version the next must step over). The
row is chosen among those no other transaction holds (SKIP LOCKED): concurrent writers
do not queue behind one row, and none can deadlock over them unless all SHARDS are held
at once, when one waits for its row as any writer waits for a lock. A reader in a
transaction that has renewed a token reuses nothing (survey.directory.state_token).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# (trigger suffix, table, event): the writes that can change a listing or an area filter.
WATCHED = [
    ('organisation_insert', 'organisation', 'INSERT'),
    ('organisation_update', 'organisation', 'UPDATE OF id, name, area_id, profile, consent_directory'),
    ('organisation_delete', 'organisation', 'DELETE'),
    ('entry_insert', 'directory_entry', 'INSERT'),
    ('entry_update', 'directory_entry',
     'UPDATE OF organisation_id, details, confirmed_at, venue_postcode, venue_lat, venue_lon'),
    ('entry_delete', 'directory_entry', 'DELETE'),
    ('area_insert', 'area', 'INSERT'),
    ('area_update', 'area', 'UPDATE'),
    ('area_delete', 'area', 'DELETE'),
    ('membership_insert', 'organisation_area', 'INSERT'),
    ('membership_update', 'organisation_area', 'UPDATE'),
    ('membership_delete', 'organisation_area', 'DELETE'),
]
TRUNCATED = ['organisation', 'directory_entry', 'area', 'organisation_area']  # PostgreSQL only

# An upsert, so that emptying the table (a reset) never stops the token moving.
SQLITE_RENEW = (
    "INSERT INTO directory_state (id, token) VALUES (1, lower(hex(randomblob(16)))) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token;"
)
SHARDS = 16
POSTGRES_FUNCTION = f"""
CREATE FUNCTION directory_state_renew() RETURNS trigger AS $$
DECLARE
    chosen integer;
BEGIN
    IF nullif(current_setting('directory_state.row', true), '') IS NOT NULL THEN
        RETURN NULL;  -- this transaction has renewed its token already
    END IF;
    SELECT id INTO chosen FROM directory_state ORDER BY random() LIMIT 1
        FOR UPDATE SKIP LOCKED;
    IF chosen IS NULL THEN  -- every row is held by another writer (or none is left)
        chosen := 1 + (txid_current() % {SHARDS});
    END IF;
    PERFORM set_config('directory_state.row', chosen::text, true);
    INSERT INTO directory_state (id, token) VALUES (chosen, replace(gen_random_uuid()::text, '-', ''))
    ON CONFLICT (id) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.create_table('directory_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_state'))
    )
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        op.execute(POSTGRES_FUNCTION)
        op.execute(
            "INSERT INTO directory_state (id, token) SELECT n, replace(gen_random_uuid()::text, "
            f"'-', '') FROM generate_series(1, {SHARDS}) AS n"
        )
    else:
        op.execute("INSERT INTO directory_state (id, token) VALUES (1, lower(hex(randomblob(16))))")
    for suffix, table, event in WATCHED:
        name = f'directory_state_{suffix}'
        if postgres:
            # Once per statement: a bulk write renews the token once, not once a row.
            op.execute(
                f'CREATE TRIGGER {name} AFTER {event} ON {table} '
                'FOR EACH STATEMENT EXECUTE FUNCTION directory_state_renew()'
            )
        else:
            op.execute(f'CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {SQLITE_RENEW} END')
    if postgres:
        for table in TRUNCATED:
            op.execute(
                f'CREATE TRIGGER directory_state_{table}_truncate AFTER TRUNCATE ON {table} '
                'FOR EACH STATEMENT EXECUTE FUNCTION directory_state_renew()'
            )


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    for suffix, table, _ in WATCHED:
        on = f' ON {table}' if postgres else ''
        op.execute(f'DROP TRIGGER directory_state_{suffix}{on}')
    if postgres:
        for table in TRUNCATED:
            op.execute(f'DROP TRIGGER directory_state_{table}_truncate ON {table}')
        op.execute('DROP FUNCTION directory_state_renew()')
    op.drop_table('directory_state')
