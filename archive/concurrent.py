"""Helper database connections, each on a thread of its own, for statements that need not wait.

A search at 200,000 articles spends 10–25 ms in the RUM indexes' ordered scans of a name or a
medium term, and 5–8 ms before that listing a sample of its matches for the count and the facets,
one after the other on one connection, on one of the machine's cores. The scans do not depend on
the listing: `archive.search` hands them to the helpers, which run them on their own connections
while the request's connection lists (a name's two scans, one a language version, on two), and
takes their rows when it needs them (where the plan turns out to be another, they are
discarded). An English word's scan is two, one a half of its RUM index (migration 0023), side
by side on the two helpers. Ranking every listed match, where they are many, is shared the same
way: a helper ranks half of them while the request's connection ranks the other half
(`archive.search._rank_all`).

At most HELPERS jobs at a time per process, each on a thread and connection of its own (a
search that finds the helpers busy runs its statements itself), only outside a transaction
(a helper's connection would not see the transaction's writes; all see the same committed rows
in autocommit), and not where the setting `SEARCH_SECOND_CONNECTION` is False. Anything that
goes wrong on a helper's side (a broken connection, say) is the caller's cue to run the
statements itself; the helper closes its connection and opens a new one for its next job.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, connections

# Two: the machine has two cores, and a search at most keeps both busy beside its own statement
# (a name's RUM scans, one per language version, while the matches are listed).
HELPERS = 2
_slots = threading.BoundedSemaphore(HELPERS)  # one held from a job's submission until it is over
_pool: ThreadPoolExecutor | None = None
_pool_guard = threading.Lock()


class Job:
    """A submitted job: its result (`result()`: None where it failed), or `discard()`."""

    def __init__(self, future: Future, state: dict) -> None:
        self._future = future
        self._state = state

    def result(self) -> Any | None:
        try:
            return self._future.result()
        except Exception:  # noqa: BLE001 — the caller runs the statements itself
            return None

    def discard(self) -> None:
        """Not needed after all: skipped if it has not started. One that has runs to its end
        (cancelling it would cost more: PostgreSQL forks a process for the cancel request, and
        the cancelled connection would have to be opened again); the helper is busy meanwhile,
        and searches then run their statements themselves."""
        self._state["discarded"] = True


def available() -> bool:
    """Whether a job submitted now could run beside this thread's connection."""
    return (
        getattr(settings, "SEARCH_SECOND_CONNECTION", True)
        and connection.vendor == "postgresql"
        and connection.get_autocommit()
        and not connection.in_atomic_block
    )


def submit(job: Callable[[Any], Any]) -> Job | None:
    """Run `job(cursor)` on a helper's connection to this thread's database; None where that
    is not possible now (see the module's docstring), for the caller to run it itself."""
    if not available() or not _slots.acquire(blocking=False):
        return None
    return _submit(job)


def submit_all(jobs: list[Callable[[Any], Any]]) -> list[Job] | None:
    """Each of `jobs` on a helper of its own, all at once; or none of them (None) where that
    many are not free now."""
    if not available() or len(jobs) > HELPERS:
        return None
    taken = 0
    while taken < len(jobs) and _slots.acquire(blocking=False):
        taken += 1
    if taken < len(jobs):
        for _ in range(taken):
            _slots.release()
        return None
    return [_submit(job) for job in jobs]


def _submit(job: Callable[[Any], Any]) -> Job:
    """Submit a job whose slot is taken (given back when it is over, or here if it fails)."""
    global _pool
    try:
        with _pool_guard:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=HELPERS, thread_name_prefix="yiwen-search")
        alias = connection.alias
        state: dict = {}
        future = _pool.submit(_run, alias, job, state)
    except BaseException:
        _slots.release()
        raise
    return Job(future, state)


def _run(alias: str, job: Callable[[Any], Any], state: dict) -> Any:
    helper = connections[alias]  # this thread's own connection
    try:
        if state.get("discarded"):
            return None
        with helper.cursor() as cursor:
            return job(cursor)
    except Exception:
        helper.close()  # broken, say: a new one next time
        raise
    finally:
        _slots.release()


def close() -> None:
    """Close the helper's connections (before a test database is dropped, say)."""
    with _pool_guard:
        pool = _pool
    if pool is not None:
        # On each of its threads (a thread's connections are its own): as many tasks as threads,
        # each holding its thread until all have started.
        started = threading.Barrier(HELPERS)

        def close_all() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):  # (a thread was busy)
                started.wait(timeout=10)
            connections.close_all()

        for future in [pool.submit(close_all) for _ in range(HELPERS)]:
            future.result()
