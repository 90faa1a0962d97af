"""Reindex the articles that gain sub-words of four characters or more.

`Segmenter.subwords` used to add the dictionary words of two and three characters inside a
longer word only (what jieba's search mode adds), so a query that is a longer word of its own —
人民银行, 全国人民代表大会, 联邦储备委员会 — found nothing where the text holds it inside a
longer word (中国人民银行, 全国人民代表大会常务委员会, 美国联邦储备委员会). It now adds every
dictionary word inside a longer word. Only a word of five characters or more has such a
sub-word, so only the articles with a run of five CJK characters or an actor's name (whose own
names are indexed too) are looked at, and of those only the ones whose texts now give a
sub-word of four characters or more are rebuilt: for the others the index is what it was, to the
byte. A real Chinese archive has such words in most pieces (中华人民共和国, 中国人民银行); an
English-only one has nothing to do. Row by row, with GIN and RUM maintenance: about 7,300 of
20,000 articles of bench/corpus.py in 14 minutes here (BENCHMARKS.md); run VACUUM ANALYZE after
it. `manage.py reindex --check` finds any article left behind.
"""

from django.db import migrations


def holds_long_subwords(article) -> bool:
    from archive.indexing import indexed_texts, segmenter

    seg = segmenter()
    return any(
        any(len(word) >= 4 for word in seg.subwords(seg.cut(text)))
        for text in indexed_texts(article)
    )


def reindex(apps, schema_editor):
    from archive.indexing import reindex_where
    from archive.text.normalize import CJK

    reindex_where(
        "{text} ~ %s OR id IN (SELECT article_id FROM archive_mention)",
        [f"[{CJK}]{{5}}"],
        keep=holds_long_subwords,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0020_reindex_name_lexemes"),
    ]

    operations = [
        migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True),
    ]
