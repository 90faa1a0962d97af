"""Characters and pairs of characters move out of `search_<lang>` into `search_chars_<lang>`.

The words vector that ranking and phrase checks read shrinks to about a quarter, and the character
slot is built by PostgreSQL's `simple` configuration from interleaved text (国 国防 防) instead of
a tsvector literal made in Python. Existing articles' vectors are rebuilt here (the search index
is derived data: the current code builds it).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations


def rebuild(apps, schema_editor):
    if not apps.get_model("archive", "Article").objects.exists():
        return
    from django.core.management import call_command

    call_command("reindex", no_progress=True, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0008_newest_first_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_chars_en",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="search_chars_zh_hans",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_chars_zh_hans"], name="search_chars_zh_hans_gin"
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_chars_en"], name="search_chars_en_gin"
            ),
        ),
        migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True),
    ]
