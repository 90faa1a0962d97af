"""Keep an article's small columns in its row: titles, summaries, facet keys, head vectors.

PostgreSQL moves a row's largest values out to its TOAST table until the row is under ~2 kB.
After the bodies and the big vectors, an article row was still above that, so its head vectors
(title, summary and actor names: ~650 and ~370 bytes) went out too, and the head-then-date plan
read each head match's vectors through the TOAST index: ~4.5 buffers a row. With a target of
4 kB they stay in the row (compressed where that pays): 1.1 buffers a row, 0.80 -> 0.48 ms for
101 head matches at 20k articles (measured after VACUUM FULL, which rewrote every row).

The setting applies to rows written from now on. An existing archive's rows move in when they
are rewritten: `VACUUM FULL archive_article` (locks the table and rebuilds its indexes) or
`manage.py reindex` (the head vectors only).
"""

from django.db import migrations

TABLE = "archive_article"


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0013_search_gin_with_facet_keys"),
    ]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE {TABLE} SET (toast_tuple_target = 4080)",
            reverse_sql=f"ALTER TABLE {TABLE} RESET (toast_tuple_target)",
        ),
    ]
