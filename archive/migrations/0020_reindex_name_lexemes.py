"""Reindex the articles with a Latin capital letter in any text: they gain name lexemes.

A word written with a capital is now indexed as a name as well, never stemmed nor dropped
(`archive.text.names`: `Sacks` finds David Sacks, not "sacking"; `WHO` and `US` are found). An
article whose texts have no capital A–Z (nor a full-width one) has no name lexeme and keeps its
vectors. On a large archive this rebuilds most of it, at the write path's rate (BENCHMARKS.md:
about 50 articles a second here): run it when that can take a while, or stop the web server's
searches for names meanwhile. `manage.py reindex --check` finds any article left behind.
"""

from django.db import migrations


def reindex(apps, schema_editor):
    from archive.indexing import reindex_where

    # Mention names and aliases are indexed too: an article with a mention is rebuilt.
    reindex_where(
        "{text} ~ '[A-ZＡ-Ｚ[:upper:]]' OR id IN (SELECT article_id FROM archive_mention)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0019_search_gin_words_with_characters"),
    ]

    operations = [
        migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True),
    ]
