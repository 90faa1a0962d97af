"""WSGI entry point (e.g. `gunicorn config.wsgi`; `manage.py runserver` loads it too)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# The first search's one-time costs, paid now on a thread of their own (archive/warmup.py).
from archive import warmup  # noqa: E402 — after the application: Django is set up

warmup.start()
