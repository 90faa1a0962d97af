"""Put every published article in one of 64 shares of the archive: the facet key
"sample:<id % 64>" (`archive.indexing.SAMPLE_SHARES`).

The facet keys are inside every vector's GIN index (migration 0013), so a sample of a common
term's matches — what its facets are counted on — can be the term in one share: the index skips
through the term's entries to the share's instead of building a bitmap of every match (a word in
16,000 of 20,000 articles: 3.2 ms for the bitmap, 0.3 ms for one share).

The keys are added to the stored ones, sorted as `facet_keys` sorts them (code point order), so
that `reindex --check` finds nothing to rebuild. Every published row is rewritten, and each new
row version goes into every index of the table: a RUM index takes ~70 ms a row that way. So on
an archive of more than BULK rows the GIN and RUM indexes are dropped first and built again
after, in bulk, as a big import does (`archive.services`): minutes instead of hours at 200,000
articles; the table is locked meanwhile.
"""

from django.db import migrations

TABLE = "archive_article"
SHARES = 64
BULK = 5_000

FORWARD = f"""
UPDATE {TABLE} SET facet_keys = ARRAY(
    SELECT DISTINCT k COLLATE "C" FROM unnest(facet_keys || ('sample:' || id % {SHARES})::varchar) k
    ORDER BY 1
) WHERE facet_keys <> '{{}}'
"""
BACKWARD = f"""
UPDATE {TABLE} SET facet_keys = ARRAY(
    SELECT k FROM unnest(facet_keys) WITH ORDINALITY u(k, n) WHERE k NOT LIKE 'sample:%' ORDER BY n
) WHERE facet_keys <> '{{}}'
"""


def _rewrite(sql: str):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} LIMIT {BULK + 1}) s")
            definitions = []
            if cursor.fetchone()[0] > BULK:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE schemaname = current_schema() AND tablename = %s "
                    "AND (indexdef ILIKE '%%USING gin%%' OR indexdef ILIKE '%%USING rum%%')",
                    [TABLE],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f'DROP INDEX "{name}"')
                    definitions.append(definition)
            cursor.execute(sql)
            if definitions:
                cursor.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
                for definition in definitions:
                    cursor.execute(definition)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0014_article_toast_tuple_target"),
    ]

    operations = [migrations.RunPython(_rewrite(FORWARD), _rewrite(BACKWARD))]
