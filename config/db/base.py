"""Django database backend: PostgreSQL, started on first connection from the embedded wheel.

Selected by settings when DATABASE_URL is unset (ENGINE "config.db"). Everything but the connection
target is Django's own PostgreSQL backend.
"""

from __future__ import annotations

from django.db.backends.postgresql import base

from config.embedded import connection_params, ensure_database


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        pgdata = self.settings_dict["EMBEDDED_PGDATA"]
        params.update(connection_params(pgdata))
        ensure_database(pgdata, params.get("dbname", ""), self.settings_dict["USER"])
        return params
