"""The RUM indexes hold the words vector through a function that only the RUM page's scans name.

A RUM index of `search_<lang>` can answer `search_<lang> @@ tsquery` as well as the GIN index of
the column with the facet keys (migration 0013) can, and the planner took it for other
statements' bitmaps of matches — the listings of the matches, the head plan's statements —
where the GIN index, without positions, reads much less: at 200,000 articles, the benchmark's
statements other than the RUM scans took 672 ms in all with such RUM indexes and 644 ms with
these (mixed-script 50.6 → 41.6 ms, phrases in English 35.0 → 23.2 ms). The words vector now
goes through `yiwen_ranked_words`, an identity function in PL/pgSQL (never inlined), which the
RUM page's scans write (`archive.search._rum_statements`) and nothing else does: no other
statement can be planned on a RUM index, nor ask one for a tsquery without a term it must have
(the crash the README describes).

Tried first and dropped: the facet keys as a second column, so that a filtered scan would pass
its filters inside the index. At 20,000 articles a word in one outlet's scan took 3.7 ms instead
of 11.8; at 200,000 the index reads every entry of each filter's key (a year holds 47,000
articles) and `cried` in one outlet and year took 11.0 ms against 6.6 ms reading the rows of the
word's order until twenty passed.

Only where migration 0012 created RUM indexes (the server has the extension). The table is
analysed after (statistics of the expression). At 200,000 articles the two indexes take about
five minutes to build; the table is locked meanwhile.
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
                    column = f"{RUM_WORDS_FUNCTION}({column})"
                cursor.execute(f'DROP INDEX "{name}"')
                cursor.execute(
                    f'CREATE INDEX "{name}" ON "{TABLE}" USING rum ({column} rum_tsvector_ops)'
                )
            if not forward:
                cursor.execute(f"DROP FUNCTION IF EXISTS {RUM_WORDS_FUNCTION}(tsvector)")
            cursor.execute(f'ANALYZE "{TABLE}"')

    return run


class Migration(migrations.Migration):
    dependencies = [("archive", "0017_reindex_cjk_extension_characters")]

    operations = [migrations.RunPython(_rebuild(True), _rebuild(False), elidable=True)]
