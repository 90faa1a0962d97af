"""Put every published article in one of 64 shares of the archive: the facet key
"sample:<id % 64>" (`archive.indexing.SAMPLE_SHARES`).

The facet keys are inside every vector's GIN index (migration 0013), so a sample of a common
term's matches — what its facets are counted on — can be the term in one share: the index skips
through the term's entries to the share's instead of building a bitmap of every match (a word in
half of 20k articles: 3.2 ms for the bitmap, 0.3 ms for one share).

The keys are added to the stored ones here, sorted as `facet_keys` sorts them (code point order),
so that `reindex --check` finds nothing to rebuild. Every published row is rewritten: on a big
archive this takes a while (the GIN indexes hold the facet keys too).
"""

from django.db import migrations

TABLE = "archive_article"
SHARES = 64

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


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0014_article_toast_tuple_target"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)]
