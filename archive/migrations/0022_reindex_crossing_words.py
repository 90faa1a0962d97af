"""Reindex the articles that gain words across the words of their text.

A dictionary word of three characters or more that the segmenter does not keep as one word of
the text was not found: 市政府 in 武汉市|政府, 县检察院 in 保康县|检察院, 市委书记 in
北京市委|书记, 国际机场 in 国际|机场, 市场监管 in 市场|监管局. The index now holds such words
where they stand as words (`Segmenter.crossing`). Only the articles with a run of three CJK
characters, or an actor's name (whose own names are indexed too), are looked at, and of those
only the ones whose texts now give such a word are rebuilt: for the others the index is what it
was, to the byte. A real Chinese archive has them in most pieces (123 of the 193 real articles of
BENCHMARKS.md); an English-only one has nothing to do. Row by row, as 0017, 0020 and 0021 are,
so that the archive keeps serving meanwhile (about 7,200 of the 20,000 articles of
bench/corpus.py in 8.5 minutes here: BENCHMARKS.md); run VACUUM ANALYZE after it.
`manage.py reindex --check` finds any article left behind.
"""

from django.db import migrations


def holds_crossing_words(article) -> bool:
    from archive.indexing import indexed_texts, segmenter

    seg = segmenter()
    return any(seg.crossing(text) for text in indexed_texts(article))


def reindex(apps, schema_editor):
    from archive.indexing import reindex_where
    from archive.text.normalize import CJK

    reindex_where(
        "{text} ~ %s OR id IN (SELECT article_id FROM archive_mention)",
        [f"[{CJK}]{{3}}"],
        keep=holds_crossing_words,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0021_reindex_long_subwords"),
    ]

    operations = [
        migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True),
    ]
