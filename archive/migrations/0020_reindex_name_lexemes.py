"""Reindex the articles with a Latin capital letter in any text: they gain name lexemes.

A word written with a capital is now indexed as a name as well, never stemmed nor dropped
(`archive.text.names`: `Sacks` finds David Sacks, not "sacking"; `WHO` and `US` are found). An
article whose texts have no capital A–Z (nor a full-width one) has no name lexeme and keeps its
vectors. On a large archive this rebuilds most of it, at the write path's rate (BENCHMARKS.md:
about 50 articles a second here): run it when that can take a while, or stop the web server's
searches for names meanwhile. `manage.py reindex --check` finds any article left behind.
"""

from django.db import migrations

BATCH = 500


def reindex(apps, schema_editor):
    from archive.indexing import search_index_update
    from archive.models import language_codes

    columns = [
        f"{field}_{code.replace('-', '_')}"
        for code in language_codes()
        for field in ("title", "summary", "body")
    ]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM archive_article)")
        if not cursor.fetchone()[0]:
            return
        # Mention names and aliases are indexed too: an article with a mention is rebuilt.
        cursor.execute(
            f"SELECT id FROM archive_article WHERE concat_ws(' ', {', '.join(columns)}) "
            "~ '[A-ZＡ-Ｚ[:upper:]]' OR id IN (SELECT article_id FROM archive_mention) ORDER BY id"
        )
        ids = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(ids), BATCH):
        search_index_update(ids[start : start + BATCH])


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0019_search_gin_words_with_characters"),
    ]

    operations = [
        migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True),
    ]
