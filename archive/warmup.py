"""A server process's first search without its one-time costs.

The WSGI entry point (config/wsgi.py) starts `warm` on a thread of its own as the process
starts, so that what the first request would otherwise wait for is built meanwhile: the URL
resolver (every view imported), the segmenter with the register's and glossary's words (rjieba's
dictionary and the user words) and the catalog's cached statistics. Through the API, the first
search of a new process took 136–150 ms on an idle machine (200,000 articles) and 0.9–1.1 s on
a busy one (20,000), 32–48 ms and 0.11–0.13 s after the warm-up, the next ones ~10 ms. Management
commands and the tests never start it: only a process that serves requests pays for it.
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)


def warm() -> None:
    """Build what a first search needs, on this thread's own database connection (closed at
    the end). A failure (no database yet, say) is logged and left to the first request."""
    from django.db import connections
    from django.urls import get_resolver

    from archive import catalog, indexing

    try:
        get_resolver().reverse_dict  # noqa: B018 — every URL pattern imported and compiled
        indexing.search_dictionary()
        catalog.rum_languages()
        catalog.archive_rows()
    except Exception:
        logger.warning("The search's warm-up failed; the first search does it.", exc_info=True)
    finally:
        connections.close_all()


def start() -> threading.Thread:
    """`warm` on a daemon thread (a process that stops meanwhile does not wait for it)."""
    thread = threading.Thread(target=warm, name="yiwen-warm-up", daemon=True)
    thread.start()
    return thread
