"""Export the actor register as JSON Lines (docs/actors.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand

from archive.services import actors_export, export_line


class Command(BaseCommand):
    help = "Write every actor as one JSON line, ordered by slug (derived aliases left out)."

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", help="file to write, replaced only when complete (default: stdout)"
        )

    def handle(self, *args, **options):
        lines = (export_line(record) for record in actors_export())
        if not options["output"]:
            for line in lines:
                self.stdout.write(line, ending="")
            return
        target = Path(options["output"])
        fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.writelines(lines)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
