"""Import articles from seed-format text files, interchange JSON Lines, or the WMT corpus."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.services import FORMATS, ImportRejected, import_file


class Command(BaseCommand):
    help = (
        "Import articles. Formats: the seed's plain text (*.txt), interchange JSON Lines "
        "(docs/interchange.md), and ../shared/corpus WMT records (detected automatically). "
        "Re-importing a record updates it. A file with a bad record is rejected whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", choices=FORMATS, default="auto")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid records of a file and list the rejected ones",
        )
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="leave articles that already exist untouched (used to load the seed fixtures)",
        )
        parser.add_argument(
            "--original-language",
            default=settings.ARCHIVE_DEFAULT_ORIGINAL_LANGUAGE,
            help="seed format: the language of the original (default: %(default)s)",
        )
        parser.add_argument(
            "--language", help="seed format: the text's language if the file name does not say"
        )
        parser.add_argument("--publisher", help="seed format: the publisher of this version")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *paths, **options):
        seed_options = {
            "original_language": options["original_language"],
            "language": options["language"],
            "publisher": options["publisher"],
        }
        failed = 0
        for path in options["paths"]:
            try:
                report = self._import(path, options, seed_options)
            except ImportRejected as exc:
                failed += 1
                for number, reason in exc.report.rejected:
                    self.stderr.write(
                        f"{path}:{number}: {reason}" if number else f"{path}: {reason}"
                    )
                self.stderr.write(
                    self.style.ERROR(f"{path}: rejected; nothing from it was written")
                )
                continue
            for number, reason in report.rejected:
                self.stderr.write(f"{path}:{number}: skipped: {reason}")
            self.stdout.write(report.summary())
        if failed:
            raise CommandError(f"{failed} file(s) rejected")

    def _import(self, path, options, seed_options):
        show = not options["no_progress"] and options["verbosity"] > 0 and sys.stderr.isatty()
        with tqdm(desc=str(path), unit=" lines", disable=not show, file=sys.stderr) as bar:

            def progress(number: int) -> None:
                bar.update(number - bar.n)

            return import_file(
                path,
                fmt=options["format"],
                skip_invalid=options["skip_invalid"],
                keep_existing=options["keep_existing"],
                seed_options=seed_options,
                progress=progress,
            )
