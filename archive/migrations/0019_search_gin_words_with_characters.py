"""A version's words and characters in one GIN index (with the facet keys, as since 0013).

A query with a word and characters that are no word (`DeepSeek 的了`: the company's name, and 的
and 了 as characters) asks `search_<lang> @@ … AND search_chars_<lang> @@ …`. With one index per
vector the planner did not AND the two bitmaps: it scanned the word's and tested each match by
reading its characters vector (TOASTed, ~30 kB for a Chinese article): at 20,000 articles the
listing's sample statement of `GraquoSeek 的了` took 18.8 ms. In one index both are index
conditions of one scan, which intersects the word's entries with the characters' inside the
index (GIN steps through the common characters' entries only to the rare word's): 0.5 ms (on
another machine, the listing 12.2 → 3.2 ms; BENCHMARKS.md has the A/B). A condition on one
vector reads that vector's entries alone, as from an index of it alone, and the index is the
size of the two it replaces.

Building it reads every article's two vectors: on a large archive run it when the table can be
locked for a while (at 200,000 articles the Chinese one took about 24 minutes to build).
"""

import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0018_rum_words_expression"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="article",
            name="search_zh_hans_gin",
        ),
        migrations.RemoveIndex(
            model_name="article",
            name="search_chars_zh_hans_gin",
        ),
        migrations.RemoveIndex(
            model_name="article",
            name="search_en_gin",
        ),
        migrations.RemoveIndex(
            model_name="article",
            name="search_chars_en_gin",
        ),
        migrations.AddIndex(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_zh_hans", "search_chars_zh_hans", "facet_keys"],
                name="search_zh_hans_gin",
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_en", "search_chars_en", "facet_keys"], name="search_en_gin"
            ),
        ),
    ]
