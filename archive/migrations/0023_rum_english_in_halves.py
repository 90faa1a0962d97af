"""The RUM index of the English words vector in two halves, by the parity of the article's id.

A one-term query's page comes from its RUM index's ordered scan, which scores every article
with the term (~0.3 µs each: 12–17 ms for an English word in 40,000 of 200,000 articles, the
long pole of the benchmark's en-medium class). One scan runs on one core. With the index in
two partial indexes, `id % 2 = 0` and `id % 2 = 1`, the two halves of the order are scanned on
the two helpers' connections side by side (`archive.search._RumScans`) and merged by their
distance. Every article is in exactly one half: a save writes as much as before.

Only the versions with a word-pairs index (English): there, the RUM index serves the ordered
scans alone. The Chinese one also checks phrases of words (`_rum_phrase_languages`), a single
index condition that two halves would turn into two, and its medium terms are within their
target. Only where migration 0012 made RUM indexes (the server has the extension); at 200,000
articles the two halves take about three minutes to build, the table locked meanwhile.
"""

from django.db import migrations

from archive.models import (
    RUM_HALVES,
    RUM_WORDS_FUNCTION,
    rum_index_name,
    rum_indexes_present,
    search_column,
    word_pair_languages,
)

TABLE = "archive_article"


def _split(forward: bool):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            present = rum_indexes_present(cursor, TABLE)
            cursor.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
            done = False
            for code in word_pair_languages():
                whole, halves = (
                    rum_index_name(code),
                    [rum_index_name(code, half) for half in range(RUM_HALVES)],
                )
                words = f'{RUM_WORDS_FUNCTION}("{search_column(code)}")'
                if forward and whole in present:
                    cursor.execute(f'DROP INDEX "{whole}"')
                    for half, name in enumerate(halves):
                        cursor.execute(
                            f'CREATE INDEX "{name}" ON "{TABLE}" USING rum '
                            f"({words} rum_tsvector_ops) WHERE id % {RUM_HALVES} = {half}"
                        )
                    done = True
                elif not forward and set(halves) <= present:
                    for name in halves:
                        cursor.execute(f'DROP INDEX "{name}"')
                    cursor.execute(
                        f'CREATE INDEX "{whole}" ON "{TABLE}" USING rum ({words} rum_tsvector_ops)'
                    )
                    done = True
            if done:
                cursor.execute(f'ANALYZE "{TABLE}"')

    return run


class Migration(migrations.Migration):
    dependencies = [("archive", "0022_reindex_crossing_words")]

    operations = [migrations.RunPython(_split(True), _split(False), elidable=True)]
