"""What the search reads about the database itself, cached per database and process: which
version's words vector has a RUM index, and in how many parts (migrations 0012 and 0023); and
what ANALYZE last counted — the commonest lexemes, characters and facet keys, the table's rows —
from which the search weighs its plans before asking the planner (`archive.search`).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from django.db import connection

from archive.models import (
    RUM_HALVES,
    Article,
    language_codes,
    rum_index_name,
    rum_indexes_present,
    search_column,
)

if TYPE_CHECKING:
    from archive.search import Filters

TABLE = Article._meta.db_table


def _database_key() -> tuple:
    """Which database the default connection is to: the key of per-database caches."""
    settings = connection.settings_dict
    return (settings.get("HOST"), settings.get("PORT"), settings.get("NAME"))


_RUM_INDEXES: dict[tuple, dict[str, int]] = {}


def rum_indexes() -> dict[str, int]:
    """language → how many parts its words vector's RUM index is in (1, or RUM_HALVES where
    migration 0023 split it), for the languages with one in this database (migration 0012
    makes them where the server has the extension); looked up once per database and process."""
    key = _database_key()
    if key not in _RUM_INDEXES:
        with connection.cursor() as cursor:
            names = rum_indexes_present(cursor, TABLE)
        found = {}
        for code in language_codes():
            if rum_index_name(code) in names:
                found[code] = 1
            elif all(rum_index_name(code, half) in names for half in range(RUM_HALVES)):
                found[code] = RUM_HALVES
        _RUM_INDEXES[key] = found
    return _RUM_INDEXES[key]


def rum_languages() -> frozenset[str]:
    """The languages whose words vector has a RUM index (whole or in halves)."""
    return frozenset(rum_indexes())


def rum_parts(language: str) -> int:
    """How many ordered scans a language's RUM page takes: 2 where its index is in halves."""
    return rum_indexes().get(language, 1)


# ANALYZE's commonest lexemes of each version's words vector, per database, read again after
# ELEMENT_STATS_TTL seconds (ANALYZE itself runs after large writes, not per search).
ELEMENT_STATS_TTL = 600.0
_ELEMENT_STATS: dict[
    tuple, tuple[float, dict[str, dict[str, int]], int, dict[str, int], dict[str, dict[str, int]]]
] = {}
FACET_KEYS = "facet_keys"  # the column, whose statistics are read with the vectors' ones


def _element_stats() -> tuple[
    dict[str, dict[str, int]], int, dict[str, int], dict[str, dict[str, int]]
]:
    """`common_lexemes`, `archive_rows`, `facet_key_rows` and `common_characters`, read in one
    statement per database and ELEMENT_STATS_TTL."""
    key = _database_key()
    now = time.monotonic()
    cached = _ELEMENT_STATS.get(key)
    if cached is not None and now - cached[0] < ELEMENT_STATS_TTL:
        return cached[1:]
    columns = {search_column(code): code for code in language_codes()}
    characters = {search_column(code, chars=True): code for code in language_codes()}
    columns[FACET_KEYS] = FACET_KEYS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.attname, s.most_common_elems::text::text[], s.most_common_elem_freqs, "
            "c.reltuples FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
            "AND c.relnamespace = to_regnamespace(s.schemaname) "
            "WHERE s.schemaname = current_schema() AND s.tablename = %s "
            "AND s.attname = ANY(%s)",
            [TABLE, [*columns, *characters]],
        )
        rows = cursor.fetchall()
    found: dict[str, dict[str, int]] = {code: {} for code in columns.values()}
    chars_found: dict[str, dict[str, int]] = {code: {} for code in characters.values()}
    for column, elements, shares, tuples in rows:
        if elements and shares and tuples and tuples > 0:
            # The shares hold three more values (their minimum, maximum and nulls' share).
            counted = {
                lexeme: int(share * tuples)
                for lexeme, share in zip(elements, shares[: len(elements)], strict=True)
            }
            if column in characters:
                chars_found[characters[column]] = counted
            else:
                found[columns[column]] = counted
    table_rows = max(0, int(max((row[3] or 0 for row in rows), default=0)))
    facet_keys = found.pop(FACET_KEYS)
    _ELEMENT_STATS[key] = (now, found, table_rows, facet_keys, chars_found)
    return found, table_rows, facet_keys, chars_found


def common_lexemes() -> dict[str, dict[str, int]]:
    """Language → {lexeme: articles whose words vector holds it} for the commonest lexemes as
    ANALYZE last counted them (`pg_stats`' most common elements, at most 1,000 a column, times
    the table's rows); empty before any ANALYZE. A word in a quarter of the archive is among
    them whatever the archive's size."""
    return _element_stats()[0]


def common_characters() -> dict[str, dict[str, int]]:
    """Language → {character or pair: articles whose characters vector holds it}, as
    `common_lexemes` for the words (a character or pair in a third of the archive is among them
    at 20,000 articles)."""
    return _element_stats()[3]


def facet_key_rows() -> dict[str, int]:
    """{facet key: articles holding it} as ANALYZE last counted them, for the keys among the
    column's most common elements (at most 1,000: at 200,000 articles, every outlet, author,
    translator, year and sample share); empty before any ANALYZE."""
    return _element_stats()[2]


def filters_within(filters: Filters, limit: int) -> bool:
    """Whether the filters alone hold at most `limit` articles, as the facet keys' statistics
    tell (each key's share of the archive, multiplied: the planner's estimate, which is close
    for them — 4,719 estimated for an outlet and a year at 200,000 articles, 4,760 counted).
    Then their matches are never more: no sample need say first that there are not too many
    to list (an author's 800 articles; a Chinese word's sample at 200,000 articles scans its
    index as long as its listing does, 3.5 of 9 ms). False without filters, or with a key the
    statistics do not hold (a rare actor's: too rare to be counted, or new since)."""
    keys = filters.keys()
    counted, rows = facet_key_rows(), archive_rows()
    if not keys or not rows or any(key not in counted for key in keys):
        return False
    return math.prod(counted[key] / rows for key in keys) * rows <= limit


def archive_rows() -> int:
    """The article table's rows as ANALYZE last counted them (read with `common_lexemes`);
    0 before any ANALYZE."""
    return _element_stats()[1]
