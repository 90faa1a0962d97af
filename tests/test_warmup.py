"""The warm-up that a serving process starts (archive/warmup.py, from config/wsgi.py): what the
first search would build, built beforehand on a thread of its own."""

from __future__ import annotations

import logging

import pytest

from archive import catalog, indexing, warmup
from archive.catalog import rum_languages
from archive.search import search


def cold(monkeypatch) -> None:
    """As in a new process: no segmenter, no catalog read yet (put back after the test)."""
    monkeypatch.setattr(catalog, "_RUM_INDEXES", {})
    monkeypatch.setattr(catalog, "_ELEMENT_STATS", {})
    monkeypatch.setattr(indexing, "_last_segmenter", [])
    indexing._segmenter_for.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_builds_what_the_first_search_needs(monkeypatch):
    cold(monkeypatch)
    thread = warmup.start()
    thread.join(timeout=60)
    assert not thread.is_alive() and thread.daemon
    assert indexing._segmenter_for.cache_info().currsize == 1  # built, on the other thread
    assert catalog._RUM_INDEXES and catalog._ELEMENT_STATS  # read there too
    built = indexing._segmenter_for.cache_info()
    languages = rum_languages()
    search("港口", page_size=1)  # the first search finds them, builds none again
    assert indexing._segmenter_for.cache_info().misses == built.misses
    assert rum_languages() == languages


@pytest.mark.django_db(transaction=True)
def test_a_failed_warm_up_is_logged_and_left_to_the_first_search(monkeypatch, caplog):
    cold(monkeypatch)

    def broken(*args, **kwargs):
        raise RuntimeError("no database yet")

    monkeypatch.setattr(indexing, "search_dictionary", broken)
    with caplog.at_level(logging.WARNING, logger="archive.warmup"):
        thread = warmup.start()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert [r.exc_info[1].args for r in caplog.records if r.name == "archive.warmup"] == [
        ("no database yet",)
    ]
    monkeypatch.undo()  # the first search builds it itself
    cold(monkeypatch)
    assert search("港口", page_size=1).count == 0
    assert indexing._segmenter_for.cache_info().currsize == 1
