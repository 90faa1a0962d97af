"""The RUM indexes hold the facet keys too, and are read by the RUM page's scans alone.

A RUM index of the words alone returns the matches of the words in order of relevance, and a
filter (an outlet, a year, an author …) was then tested on each one's row: a word in 30,000
articles filtered to one outlet and one year meant reading hundreds of rows, one by one, to pass
twenty (`cried` in one outlet in 2025, 10 ms of the page's 43 at 200,000 articles), and where
too few passed, ranking every listed match instead. With the facet keys as the index's second
column (`rum_anyarray_ops`), the scan intersects the word's entries with the filter's inside the
index, as the GIN indexes of the vectors with the facet keys do (migration 0013), and scores
only the matches that pass it. A search without filters reads the first column only.

Both columns are expressions that only the RUM page's scans write: the words vector through
`yiwen_ranked_words` (an identity function in PL/pgSQL, which the planner never inlines) and
the keys cast to text[] (`archive.search.RUM_FACET_FILTER`). The planner used to take a RUM index
for other statements' bitmaps of matches whenever it could answer them — a listing of the
matches, the head plan's statements — where the GIN indexes, without positions, read a third as
much: at 20,000 articles, the benchmark's listings of mixed-script queries took 23.3 ms in all
with the RUM indexes there and 16.2 ms without them. Nor can any other statement now ask a RUM
index for a tsquery without a term it must have (the crash the README describes).

Only where migration 0012 created RUM indexes (the server has the extension). The table is
analysed after, for the statistics of the expressions (without them the planner guessed their
selectivity). Building the indexes takes a while on a big archive; the table is locked meanwhile.
"""

from django.db import migrations

from archive.models import RUM_WORDS_FUNCTION, language_codes, rum_index_name, search_column

TABLE = "archive_article"
FUNCTION = f"""
CREATE OR REPLACE FUNCTION {RUM_WORDS_FUNCTION}(vector tsvector) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$ BEGIN RETURN vector; END $$
"""


def _rebuild(forward: bool):
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
            if forward:
                cursor.execute(FUNCTION)
            cursor.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
            for code in codes:
                name = rum_index_name(code)
                column = f'"{search_column(code)}"'
                if forward:
                    columns = (
                        f"{RUM_WORDS_FUNCTION}({column}) rum_tsvector_ops, "
                        '("facet_keys"::text[]) rum_anyarray_ops'
                    )
                else:
                    columns = f"{column} rum_tsvector_ops"
                cursor.execute(f'DROP INDEX "{name}"')
                cursor.execute(f'CREATE INDEX "{name}" ON "{TABLE}" USING rum ({columns})')
            if not forward:
                cursor.execute(f"DROP FUNCTION IF EXISTS {RUM_WORDS_FUNCTION}(tsvector)")
            cursor.execute(f'ANALYZE "{TABLE}"')

    return run


class Migration(migrations.Migration):
    dependencies = [("archive", "0017_reindex_cjk_extension_characters")]

    operations = [migrations.RunPython(_rebuild(True), _rebuild(False), elidable=True)]
