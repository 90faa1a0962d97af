"""Word pairs across stop words: "game after pay" is 'game' <2> 'pay' once the stop word is gone.

Each lexeme is now paired with the next lexeme of the vector when it is at most three positions
on: 'game pay' when adjacent (as before), 'game 2 pay' with one position (a stop word) between.
A phrase with stop words is then answered from the pairs index too, instead of checking every
article that holds both words. The function changed, so the expression index is rebuilt.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION yiwen_word_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT CASE
        WHEN next_p - p = 1 THEN lexeme || ' ' || next_lexeme
        ELSE lexeme || ' ' || (next_p - p) || ' ' || next_lexeme END)), '')
    FROM (
        SELECT lexeme, p, lead(lexeme) OVER w AS next_lexeme, lead(p) OVER w AS next_p
        FROM (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) occurrences
        WINDOW w AS (ORDER BY p)
    ) consecutive
    WHERE next_p > p AND next_p - p <= 3
$$
"""
ADJACENT_ONLY = """
CREATE OR REPLACE FUNCTION yiwen_word_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(DISTINCT a.lexeme || ' ' || b.lexeme)), '')
    FROM (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) a
    JOIN (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) b ON b.p = a.p + 1
$$
"""
REINDEX = "REINDEX INDEX search_pairs_en_gin"


class Migration(migrations.Migration):
    dependencies = [("archive", "0010_word_pairs")]

    operations = [
        migrations.RunSQL(FUNCTION + ";" + REINDEX, ADJACENT_ONLY + ";" + REINDEX),
    ]
