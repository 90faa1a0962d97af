"""System checks that need the database (run with `manage.py check --database default`)."""

from __future__ import annotations

from django.core.checks import Warning, register
from django.db import DatabaseError, connections
from django.db.migrations.recorder import MigrationRecorder


@register("database")
def text_match_cost(app_configs=None, databases=None, **kwargs):
    """archive.W001: the planner's cost of `@@` is not raised (migration 0004 needs a superuser)."""
    if not databases or "default" not in databases:
        return []
    connection = connections["default"]
    try:
        applied = MigrationRecorder(connection).applied_migrations()
        if ("archive", "0004_text_match_cost") not in applied:
            return []  # migrate is about to try
        with connection.cursor() as cursor:
            cursor.execute("SELECT procost FROM pg_proc WHERE proname = 'ts_match_vq'")
            row = cursor.fetchone()
    except DatabaseError:
        return []
    if row and row[0] < 100:
        return [
            Warning(
                "PostgreSQL costs tsvector @@ tsquery at 1, so searches for common terms scan "
                "the whole table.",
                hint="As a superuser: ALTER FUNCTION ts_match_vq(tsvector, tsquery) COST 100;",
                id="archive.W001",
            )
        ]
    return []
