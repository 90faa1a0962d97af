"""The database: DATABASE_URL or the embedded PostgreSQL server (config/embedded.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlparse

import psutil
import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import REPO

# The project's virtualenv interpreter when there is one, else the one running the tests.
PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(PYTHON) if PYTHON.exists() else sys.executable


def run_python(code: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run `code` with the project's interpreter in the repository, with exactly `env` set."""
    result = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "EMBEDDED_PGDATA", "DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG"}
        and not k.startswith("PG")
    }
    env.update(extra)
    return env


PRINT_DATABASES = """
    import json
    import config.settings as s
    print(json.dumps(s.DATABASES, default=str))
"""


# --- (1) settings choose the database ------------------------------------------------------------


def test_settings_without_database_url_select_the_embedded_server():
    databases = json.loads(run_python(PRINT_DATABASES, clean_env()))
    default = databases["default"]
    assert default["ENGINE"] == "config.db"
    assert default["EMBEDDED_PGDATA"] == str(REPO / ".pgdata")
    assert default["NAME"] == "yiwen"
    assert default["USER"] == "postgres"


def test_settings_embedded_data_directory_can_be_moved():
    env = clean_env(EMBEDDED_PGDATA="/tmp/elsewhere-pgdata", DATABASE_URL="")
    default = json.loads(run_python(PRINT_DATABASES, env))["default"]
    assert default["ENGINE"] == "config.db"  # an empty DATABASE_URL counts as unset
    assert default["EMBEDDED_PGDATA"] == "/tmp/elsewhere-pgdata"


def test_settings_with_database_url_parse_it():
    env = clean_env(DATABASE_URL="postgres://u:p@db.example:5433/name")
    default = json.loads(run_python(PRINT_DATABASES, env))["default"]
    assert default["ENGINE"] == "django.db.backends.postgresql"
    assert (default["USER"], default["PASSWORD"]) == ("u", "p")
    assert (default["HOST"], default["PORT"]) == ("db.example", 5433)
    assert default["NAME"] == "name"
    assert "EMBEDDED_PGDATA" not in default


# --- (2) and (3) a fresh embedded server, in a subprocess ----------------------------------------

EMBEDDED_SCRIPT = """
    import json, os, sys
    import psycopg
    from config.embedded import connection_params, embedded_server, ensure_database

    pgdata = sys.argv[1] if len(sys.argv) > 1 else os.environ["PROBE_PGDATA"]
    server = embedded_server(pgdata)
    assert embedded_server(pgdata) is server  # one handle per data directory and process
    params = connection_params(pgdata)
    result = {"params": params, "pid": server.get_pid()}
    with psycopg.connect(dbname="postgres", user="postgres", **params) as conn:
        result["version"] = conn.execute("SELECT version()").fetchone()[0]
        result["data_directory"] = conn.execute("SHOW data_directory").fetchone()[0]
        exists = "SELECT count(*) FROM pg_database WHERE datname = 'probe_db'"
        result["before"] = conn.execute(exists).fetchone()[0]
        ensure_database(pgdata, "probe_db")
        result["after"] = conn.execute(exists).fetchone()[0]
        ensure_database(pgdata, "probe_db")  # the second call is a no-op, not an error
    with psycopg.connect(dbname="probe_db", user="postgres", **params) as conn:
        result["current_database"] = conn.execute("SELECT current_database()").fetchone()[0]
    print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def fresh_server():
    """Start, use and stop an embedded server in a new short temporary directory."""
    # Short: the server's Unix socket path must stay under ~100 characters.
    base = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    pgdata = base / "data"
    try:
        env = clean_env(PROBE_PGDATA=str(pgdata))
        started = time.monotonic()
        output = run_python(EMBEDDED_SCRIPT, env)
        result = json.loads(output.strip().splitlines()[-1])
        result["seconds"] = time.monotonic() - started
        result["pgdata"] = pgdata
        # After the process exited: what is left running for this data directory?
        result["pid_file_left"] = (pgdata / "postmaster.pid").exists()
        result["initialised"] = (pgdata / "PG_VERSION").exists()
        result["running"] = [
            p.pid
            for p in psutil.process_iter(["name", "cmdline", "status"])
            if p.info["status"] != psutil.STATUS_ZOMBIE
            and str(pgdata) in " ".join(p.info["cmdline"] or [])
        ]
        yield result
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_embedded_server_starts_in_a_fresh_directory(fresh_server):
    assert fresh_server["initialised"]  # initdb ran in the new directory
    assert fresh_server["version"].startswith("PostgreSQL ")
    assert Path(fresh_server["data_directory"]) == fresh_server["pgdata"].resolve()
    params = fresh_server["params"]
    assert Path(params["host"]).is_absolute()  # a Unix socket directory, not a TCP host
    assert len(params["host"]) < 100
    assert isinstance(params["port"], int)


def test_embedded_server_stops_when_its_last_user_exits(fresh_server):
    assert not fresh_server["pid_file_left"]
    assert not fresh_server["running"]
    assert not psutil.pid_exists(fresh_server["pid"]) or (
        psutil.Process(fresh_server["pid"]).status() == psutil.STATUS_ZOMBIE
    )


def test_ensure_database_creates_a_missing_database(fresh_server):
    assert fresh_server["before"] == 0
    assert fresh_server["after"] == 1
    assert fresh_server["current_database"] == "probe_db"


# --- (4) the suite's own connection --------------------------------------------------------------


@pytest.mark.django_db
def test_the_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()
    assert version.startswith("PostgreSQL ")
    assert database == connection.settings_dict["NAME"]
    assert database.startswith("test_")

    host = connection.connection.info.host
    url = os.environ.get("DATABASE_URL")
    if url:
        assert connection.settings_dict["ENGINE"] == "django.db.backends.postgresql"
        assert host == urlparse(url).hostname
    else:
        assert settings.DATABASES["default"]["ENGINE"] == "config.db"
        assert Path(host).is_absolute() and Path(host).is_dir()  # the socket directory
        assert host == connection.get_connection_params()["host"]
        socket = Path(host) / f".s.PGSQL.{connection.connection.info.port}"
        assert socket.is_socket()


def test_processes_that_died_without_unregistering_are_forgotten(tmp_path):
    """A killed process never unregisters; left listed, it would keep the server from stopping."""
    from config.embedded import _forget_dead_users

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    registry = tmp_path / ".handle_pids.json"
    registry.write_text(json.dumps([dead.pid, os.getpid()]))
    _forget_dead_users(tmp_path)
    assert json.loads(registry.read_text()) == [os.getpid()]
