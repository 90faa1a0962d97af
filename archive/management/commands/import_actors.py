"""Import the actor register from JSON Lines (docs/actors.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from archive.services import ImportRejected, actors_import_file


class Command(BaseCommand):
    help = (
        "Import actors (docs/actors.md). Re-importing updates them; a file with a bad record is "
        "rejected whole. When the register changed, mentions are detected again in every article."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH")
        parser.add_argument(
            "--no-detect",
            action="store_true",
            help="do not detect mentions again (run the admin's re-detect action later)",
        )
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="leave actors already in the register untouched (used to load the fixtures)",
        )

    def handle(self, *args, **options):
        path = options["path"]
        try:
            report = actors_import_file(
                path, detect=not options["no_detect"], keep_existing=options["keep_existing"]
            )
        except ImportRejected as exc:
            for number, reason in exc.report.rejected:
                self.stderr.write(f"{path}:{number}: {reason}" if number else f"{path}: {reason}")
            raise CommandError(f"{path}: rejected; nothing from it was written") from None
        self.stdout.write(report.summary())
