"""The RUM indexes hold the facet keys too: a filtered search's page comes from one index scan.

A RUM index of the words alone returns the matches of the words in order of relevance, and a
filter (an outlet, a year, an author …) was then tested on each one's row: a word in 30,000
articles filtered to one outlet and one year meant reading hundreds of rows, one by one, to pass
twenty (`cried` in one outlet in 2025, 10 ms of the page's 43 at 200,000 articles), and where
too few passed, ranking every listed match instead. With the facet keys as the index's second
column (`rum_anyarray_ops`), the scan intersects the word's entries with the filter's inside the
index, as the GIN indexes of the vectors with the facet keys do (migration 0013), and scores
only the matches that pass it. A search without filters reads the first column only, as before.

Only where migration 0012 created RUM indexes (the server has the extension). Building them
takes a while on a big archive (each index about 1.5× the time of the words-only one); the
table is locked meanwhile.
"""

from django.db import migrations

from archive.models import language_codes, rum_index_name, search_column

TABLE = "archive_article"


def _rebuild(with_facet_keys: bool):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %s AND indexdef ILIKE '%%USING rum%%'",
                [TABLE],
            )
            present = {row[0] for row in cursor.fetchall()}
            codes = [code for code in language_codes() if rum_index_name(code) in present]
            if not codes:
                return
            cursor.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
            for code in codes:
                name = rum_index_name(code)
                columns = f'"{search_column(code)}" rum_tsvector_ops'
                if with_facet_keys:
                    columns += ', "facet_keys" rum_anyarray_ops'
                cursor.execute(f'DROP INDEX "{name}"')
                cursor.execute(f'CREATE INDEX "{name}" ON "{TABLE}" USING rum ({columns})')

    return run


class Migration(migrations.Migration):
    dependencies = [("archive", "0017_reindex_cjk_extension_characters")]

    operations = [migrations.RunPython(_rebuild(True), _rebuild(False), elidable=True)]
