"""The compiled UI translations (.mo, committed because a fresh machine may lack gettext) are in
step with their .po sources, and the Chinese catalogue translates every string."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "archive" / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))


def read_po(path: Path) -> dict[str | tuple[str, str], str]:
    """msgid → msgstr of a .po file. A plural entry is keyed (msgid, msgid_plural) and maps to
    its first form (msgstr[0]); obsolete entries are skipped."""
    entries: dict = {}
    fields: dict[str, str] = {}
    current = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if line.startswith("#") or (not line and not fields):
            continue
        if not line:
            key = fields.get("msgid", "")
            if "msgid_plural" in fields:
                key = (key, fields["msgid_plural"])
            if key:
                entries[key] = fields.get("msgstr", fields.get("msgstr[0]", ""))
            fields, current = {}, None
        elif line.startswith('"') and current:
            fields[current] += ast.literal_eval(line)
        else:
            current, _, value = line.partition(" ")
            fields[current] = ast.literal_eval(value)
    return entries


def test_there_are_catalogues_for_both_languages():
    assert {p.parent.parent.name for p in CATALOGUES} == {"en", "zh_Hans"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_compiled_catalogue_matches_source(po: Path):
    with open(po.with_suffix(".mo"), "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for msgid, msgstr in read_po(po).items():
        if isinstance(msgid, tuple):  # plural: the form for n = 1
            singular = msgstr or msgid[0]
            assert compiled.ngettext(*msgid, 1) == singular, f"{po}: {msgid!r}"
            continue
        expected = msgstr or msgid  # an untranslated entry falls back to the source text
        assert compiled.gettext(msgid) == expected, f"{po}: {msgid!r} (run compilemessages)"


def test_chinese_catalogue_is_complete():
    entries = read_po(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert entries, "no entries"
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert not untranslated
