"""Export the archive as interchange JSON Lines (docs/interchange.md)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand
from tqdm import tqdm

from archive.models import Article
from archive.services import export_line, export_records


class Command(BaseCommand):
    help = "Write every article as one interchange JSON line, ordered by external id."

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", help="file to write, replaced only when complete (default: stdout)"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        if not options["output"]:
            try:
                for record in export_records():
                    self.stdout.write(export_line(record), ending="")
            except BrokenPipeError:  # e.g. `export_articles | head`: the reader has enough
                sys.stderr.close()
            return
        target = Path(options["output"])
        show = not options["no_progress"] and sys.stderr.isatty()
        fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                total = Article.objects.count() if show else None
                for record in tqdm(export_records(), total=total, disable=not show):
                    fh.write(export_line(record))
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for the partial file only
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
