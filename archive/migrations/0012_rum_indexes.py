"""RUM indexes on the words vectors, where the server has the extension.

A GIN index knows which articles hold a term, not where: ranking the matches of a medium term
(ORDER BY ts_rank) reads and decompresses every match's vector, ~10 µs each, so 2,000 matches cost
~20 ms and 20,000 cost ~200 ms. A RUM index (PostgreSQL extension `rum`, Debian package
`postgresql-15-rum`) stores the positions with each entry and returns the matches in order of
`vector <=> query` (1 / RUM's rank, which is ts_rank for one term) straight from the index: the
first page of a medium term is a few milliseconds. It answers phrases from the stored positions.

Where the extension is not available (the embedded server from PyPI has none) or cannot be
created (a role that is not a superuser), nothing is created and search keeps its GIN plans:
`archive.search.rum_languages()` reads which indexes exist. Building them takes a while on a big
archive (~4 minutes at 200,000 articles on 2 cores); a bulk import rebuilds them at its end.
"""

from django.db import migrations

from archive.models import language_codes, rum_index_name, search_column


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SAVEPOINT yiwen_rum")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
        except Exception:  # not allowed here (not a superuser): keep the GIN plans
            cursor.execute("ROLLBACK TO SAVEPOINT yiwen_rum")
            return
        cursor.execute("RELEASE SAVEPOINT yiwen_rum")
        table = apps.get_model("archive", "Article")._meta.db_table
        for code in language_codes():
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{rum_index_name(code)}" ON "{table}" '
                f'USING rum ("{search_column(code)}" rum_tsvector_ops)'
            )


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for code in language_codes():
            cursor.execute(f'DROP INDEX IF EXISTS "{rum_index_name(code)}"')


class Migration(migrations.Migration):
    dependencies = [("archive", "0011_word_pairs_with_gaps")]

    operations = [migrations.RunPython(create, drop, elidable=True)]
