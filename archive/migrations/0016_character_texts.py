"""The characters of each published version as text (`CharacterText`), where phrases of
characters are checked instead of in the characters vector (see the model).

The table keeps a row whole in its page up to 8 kB (`toast_tuple_target`): a version's text
(~4.5 kB for a Chinese news article) is then one page read, not a TOAST lookup and its chunks.

Existing articles get their rows from `manage.py reindex` (which `reindex --check` reports as
needed); until then their phrases are checked in the vector, as before: exact either way.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0015_facet_keys_sample_shares"),
    ]

    operations = [
        migrations.CreateModel(
            name="CharacterText",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("language", models.CharField(max_length=16)),
                ("characters", models.TextField(blank=True)),
                (
                    "article",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="archive.article",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("article", "language"), name="charactertext_article_language"
                    )
                ],
            },
        ),
        migrations.RunSQL(
            "ALTER TABLE archive_charactertext SET (toast_tuple_target = 8160)",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
