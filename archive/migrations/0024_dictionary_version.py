"""The search dictionary's version: one row that every write to the actors, their aliases or the
glossary changes, in the writing transaction, so that a search (and an article's indexing)
knows whether its cached segmenter, glossary and register are current by reading one row.

Before, that check counted the three tables and read their highest id and last change on
every search (`count(*), max(id), max(updated_at)` of each, in the search's first statement):
cheap for the handful of actors of a new archive, ~10 ms a search for a register of 10,000
actors with 30,000 aliases and a glossary of 5,000 terms (the benchmark's corpus has none,
so its searches never paid it; bench/register_bench.py measures it).

The row holds the id of the last transaction that wrote to one of the tables
(`pg_current_xact_id()`, 64 bits, never reused): a value is never seen again, also after the
tables were emptied and filled anew (a test database's flush, which truncates them and so
changes it too). A statement-level trigger sets it, before the statement (so that writers of
these tables take the row's lock before any row of theirs: two of them wait for each other in
the order they began, never in a cycle), and only once a transaction: a bulk import of actors
writes it once, not once a statement (each update of one row in one transaction leaves a
version of it that the next must step over). The writing transaction itself, which may read
the register between two writes, counts its writes in a setting of its own (`set_config(…,
true)`: gone with the transaction, undone with a savepoint's rollback, as the writes are).

Not a model: nothing reads it but `archive.actors.fingerprint_sql`'s statement, and Django's
flush, which empties the models' tables, leaves it (its TRUNCATE fires the triggers). Writers
at READ COMMITTED (Django's default) wait for the row; at REPEATABLE READ the second would be
refused ("could not serialize access"), as for any row two transactions update.
"""

from django.db import migrations

TABLES = ("archive_actor", "archive_actoralias", "archive_glossaryterm")
VERSION_TABLE = "yiwen_dictionary_version"
FUNCTION = "yiwen_dictionary_changed"
WRITES = "yiwen.dictionary_writes"  # a setting local to the writing transaction

FORWARD = [
    f"CREATE TABLE {VERSION_TABLE} (one boolean PRIMARY KEY DEFAULT true CHECK (one), "
    "changed xid8 NOT NULL)",
    f"INSERT INTO {VERSION_TABLE} (changed) VALUES (pg_current_xact_id())",
    f"""CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The writes of this transaction so far, for its own reads (the row changes once).
    PERFORM set_config('{WRITES}', (coalesce(nullif(current_setting('{WRITES}', true), ''),
        '0')::bigint + 1)::text, true);
    -- (the row's lock, taken by the first statement of a transaction that writes the tables)
    UPDATE {VERSION_TABLE} SET changed = pg_current_xact_id()
    WHERE changed <> pg_current_xact_id();
    IF NOT FOUND AND NOT EXISTS (SELECT FROM {VERSION_TABLE}) THEN  -- (deleted by hand)
        INSERT INTO {VERSION_TABLE} (changed) VALUES (pg_current_xact_id())
        ON CONFLICT (one) DO NOTHING;
    END IF;
    RETURN NULL;
END $$""",
    *(
        f"CREATE TRIGGER {table}_dictionary_changed BEFORE INSERT OR UPDATE OR DELETE OR "
        f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        for table in TABLES
    ),
]

BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_dictionary_changed ON {table}" for table in TABLES),
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
    f"DROP TABLE IF EXISTS {VERSION_TABLE}",
]


class Migration(migrations.Migration):
    dependencies = [("archive", "0023_rum_english_in_halves")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
