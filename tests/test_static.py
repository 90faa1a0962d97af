"""Production static files: collectstatic with the DEBUG-off storage hashes and compresses every
file (Brotli and gzip), the admin's third-party jQuery UI included."""

from __future__ import annotations

import json

from django.core.management import call_command
from django.test import override_settings

from config.settings import STORAGES


def test_collectstatic_hashes_and_compresses(tmp_path):
    production = {**STORAGES, "staticfiles": {"BACKEND": "config.storage.StaticFilesStorage"}}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=production):
        call_command("collectstatic", "--noinput", verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    hashed = manifest["archive/site.css"]
    assert hashed != "archive/site.css" and hashed.startswith("archive/site.")
    assert (tmp_path / (hashed + ".br")).is_file()
    assert (tmp_path / (hashed + ".gz")).is_file()
    assert "jquery-ui/jquery-ui.min.js" in manifest
