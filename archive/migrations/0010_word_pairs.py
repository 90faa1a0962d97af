"""Phrases of common words without reading every candidate's vector.

A phrase query ("much looking") used to be answered by the GIN index with every article holding
both words as candidates, each then rechecked for positions: thousands of vectors read for a
phrase of common words. `yiwen_word_pairs(vector)` turns a words vector into the set of its
adjacent lexeme pairs ('much look'); a GIN index on that expression (nothing stored) finds the
few articles with the pair, and only those are rechecked. IMMUTABLE: it depends on its argument
alone (`unnest` and `array_to_tsvector` of a tsvector).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION yiwen_word_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme)), '')
    FROM (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) a
    JOIN (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) b ON b.p = a.p + 1
$$
"""


class Migration(migrations.Migration):
    dependencies = [("archive", "0009_chars_vectors")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS yiwen_word_pairs(tsvector)"),
        migrations.AddIndex(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                models.Func(
                    models.F("search_en"),
                    function="yiwen_word_pairs",
                    output_field=django.contrib.postgres.search.SearchVectorField(),
                ),
                name="search_pairs_en_gin",
            ),
        ),
    ]
