from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def write_file(tmp_path):
    """Write text to a file in a temporary directory and return its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session", autouse=True)
def _search_helper_closed(django_db_setup):
    """Searches outside a transaction run the RUM scans on a second connection, on a thread of
    its own (archive/concurrent.py): closed before the test database is dropped."""
    yield
    from archive import concurrent

    concurrent.close()


@pytest.fixture(autouse=True)
def _default_language():
    """A request to a /zh-hans/ page leaves Chinese active on the thread (LocaleMiddleware
    activates a language and nothing deactivates it): every test starts from the default one,
    whichever ran before it."""
    yield
    from django.utils import translation

    translation.deactivate()
