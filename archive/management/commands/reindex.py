"""Rebuild the search index, or check it against a fresh build."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from archive.indexing import characters_update, search_index_update, stale_article_ids
from archive.models import Article
from archive.services import search_indexes_build, search_indexes_drop


class Command(BaseCommand):
    help = (
        "Rebuild every article's stored search vectors (in batches, each in one transaction). "
        "--check only reports articles whose stored vectors differ from a fresh build. "
        "--characters rebuilds only the versions' character texts (no vector is rewritten): "
        "what an archive indexed before migration 0016 needs. --bulk rewrites every vector in "
        "one transaction with the search indexes dropped and builds them again at the end: "
        "several times faster for a whole archive, but searches and saves wait until it ends."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report, change nothing")
        parser.add_argument(
            "--characters", action="store_true", help="only the versions' character texts"
        )
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="one transaction, the search indexes built again at its end (faster; the "
            "article table is locked meanwhile)",
        )
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self,
        *args,
        check=False,
        characters=False,
        bulk=False,
        batch=500,
        no_progress=False,
        verbosity=1,
        **options,
    ):
        if check and characters:
            raise CommandError("--check checks everything: leave out --characters")
        if bulk and (check or characters):
            raise CommandError("--bulk rewrites every vector: leave out --check and --characters")
        total = Article.objects.count()
        show = not no_progress and verbosity > 0 and sys.stderr.isatty()
        with tqdm(total=total, disable=not show, unit=" articles", file=sys.stderr) as bar:
            if check:
                stale = []
                for article_id in stale_article_ids(progress=bar.update):
                    stale.append(article_id)
                    self.stdout.write(f"stale: article {article_id}")
                if stale:
                    raise CommandError(f"{len(stale)} of {total} articles have a stale index")
                self.stdout.write(f"{total} articles: the index is current")
                return
            ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
            chunks = [ids[start : start + batch] for start in range(0, len(ids), batch)]
            if bulk:
                # Every row is rewritten: inserting its ~3,500 index keys one by one costs ~9×
                # writing the vectors (BENCHMARKS.md); building each index once, far less.
                with transaction.atomic():
                    definitions = search_indexes_drop()
                    for chunk in chunks:
                        search_index_update(chunk)
                        bar.update(len(chunk))
                    search_indexes_build(definitions)
            else:
                for chunk in chunks:
                    with transaction.atomic():
                        (characters_update if characters else search_index_update)(chunk)
                    bar.update(len(chunk))
        what = "the character texts of" if characters else "reindexed"
        self.stdout.write(f"{what} {total} articles" + (" rebuilt" if characters else ""))
