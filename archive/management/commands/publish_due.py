"""Make scheduled language versions whose time has come public: index them and clear the
schedule. Idempotent; run it from cron every few minutes (`manage.py publish_due`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from archive.services import publish_due


class Command(BaseCommand):
    help = "Publish the language versions whose scheduled publication time has come."

    def handle(self, *args, **options):
        done = publish_due()
        for rendition in done:
            self.stdout.write(f"published {rendition}")
        self.stdout.write(self.style.SUCCESS(f"{len(done)} version(s) published"))
