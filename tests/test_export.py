"""Export: interchange JSON Lines that import back into the same archive, byte for byte."""

from __future__ import annotations

import io
import json
import os
import stat

import pytest
from django.core.management import call_command

from archive.models import Article, Authorship, Outlet, Person, Rendition, Translatorship
from archive.services import export_line, export_records, import_file
from tests import factories as f
from tests.conftest import REPO

pytestmark = pytest.mark.django_db

FIXTURE = REPO / "fixtures" / "seed.jsonl"
EXPLICIT_SOURCE = "ab" * 32


def export_text() -> str:
    return "".join(export_line(record) for record in export_records())


def flush() -> None:
    Article.objects.all().delete()  # renditions, authorships and translatorships cascade
    Person.objects.all().delete()
    Outlet.objects.all().delete()
    for model in (Article, Rendition, Authorship, Translatorship, Person, Outlet):
        assert model.objects.count() == 0


def rich_archive() -> None:
    """Articles covering what the interchange format can say, imported in no particular order."""
    # Both languages, two authors, two translators, a reviewer, outlets with social links and
    # Chinese names.
    ferry = f.bilingual_record("ferry-crossing")
    ferry["authors"] = [f.LIN_QIAO, f.ZHAO_MING]
    ferry["renditions"]["en"]["translators"] = [f.CHEN_XIAOYU, f.WANG_AN]
    ferry["summary"] = {"zh-hans": "一条老渡线的最后一天。", "en": "The last day of an old ferry."}
    f.import_record(ferry)

    # A missing translation.
    f.import_record(f.chinese_only_record("library-mountain"))

    # A translation whose recorded source is not the current original (explicit source hash).
    tea = f.bilingual_record("tea-stall", text=f.TEA_STALL)
    tea["renditions"]["en"]["source_hash"] = EXPLICIT_SOURCE
    tea["renditions"]["en"]["method"] = "post_edited"
    tea["renditions"]["en"]["status"] = "in_review"
    tea["renditions"]["en"]["reviewer"] = None
    tea["outlet"] = {"name": {"zh-hans": "夜市周刊"}, "slug": "夜市周刊"}
    f.import_record(tea)

    # A translation made outdated by a later change to the original.
    harbor = f.bilingual_record("harbor-morning", text=f.LIBRARY)
    harbor["renditions"]["en"]["method"] = "machine"
    harbor["renditions"]["en"]["status"] = "draft"
    f.import_record(harbor)
    harbor["body"]["zh-hans"] += "\n\n后来，村里又来了两位志愿者。"
    assert f.import_record(harbor).action == "updated"

    # An English original with a Chinese translation and no contributors at all.
    f.import_record(
        {
            "external_id": "english-original",
            "original_language": "en",
            "title": {"en": "Notes From the Night Train", "zh-hans": "夜车笔记"},
            "body": {
                "en": "The train left at midnight.\n\nBy dawn we were in the mountains.",
                "zh-hans": "火车半夜出发。\n\n天亮时，我们已经在山里了。",
            },
        }
    )


def test_rich_archive_survives_export_flush_import_export(tmp_path):
    rich_archive()
    assert f.rendition(Article.objects.get(external_id="tea-stall"), "en").is_outdated
    assert f.rendition(Article.objects.get(external_id="harbor-morning"), "en").is_outdated
    first = export_text()
    counts = {m: m.objects.count() for m in (Article, Person, Outlet, Rendition, Translatorship)}

    flush()
    path = tmp_path / "archive.jsonl"
    path.write_text(first, encoding="utf-8")
    report = import_file(path)
    assert report.counts["created"] == 5 and report.rejected == []

    assert export_text() == first
    assert {m: m.objects.count() for m in counts} == counts
    # What the export carries is what the archive means, not just the same bytes:
    tea = Article.objects.get(external_id="tea-stall")
    assert f.rendition(tea, "en").source_hash == EXPLICIT_SOURCE
    assert f.rendition(tea, "en").is_outdated
    assert f.rendition(Article.objects.get(external_id="harbor-morning"), "en").is_outdated
    assert not f.rendition(Article.objects.get(external_id="ferry-crossing"), "en").is_outdated
    library = Article.objects.get(external_id="library-mountain")
    assert f.rendition(library, "en").status == "missing" and not library.has_text("en")


def test_export_contents():
    rich_archive()
    records = {r["external_id"]: r for r in export_records()}
    ferry = records["ferry-crossing"]
    assert [a["slug"] for a in ferry["authors"]] == ["lin-qiao", "赵明"]
    assert ferry["authors"][0]["name"] == {"zh-hans": "林桥", "en": "Lin Qiao"}
    assert ferry["outlet"]["social"] == f.HARBOR_NOTES["social"]
    assert ferry["outlet"]["url"] == f.HARBOR_NOTES["url"]
    en = ferry["renditions"]["en"]
    assert [t["slug"] for t in en["translators"]] == ["chen-xiaoyu", "wang-an"]
    assert en["reviewer"]["name"] == {"zh-hans": "王安", "en": "Wang An"}
    assert en["publisher"]["slug"] == "lantern-press"
    assert (en["url"], en["published_at"], en["method"]) == (
        "https://lantern-press.example.com/ferry-crossing",
        "2025-11-10",
        "human",
    )
    assert ferry["renditions"]["zh-hans"]["source_hash"] == ""
    assert en["source_hash"] == Article.objects.get(external_id="ferry-crossing").original_hash
    assert records["library-mountain"]["body"] == {"zh-hans": f.body(f.LIBRARY, "zh-hans")}
    assert records["english-original"]["outlet"] is None


def test_export_is_ordered_by_external_id():
    for external_id in ["charlie", "alpha", "delta", "bravo"]:
        f.import_record(f.minimal_record(external_id))
    lines = export_text().splitlines()
    assert [json.loads(line)["external_id"] for line in lines] == [
        "alpha",
        "bravo",
        "charlie",
        "delta",
    ]


def test_export_lines_are_compact_utf8_json():
    f.import_record(f.chinese_only_record())
    (line,) = export_text().splitlines(keepends=True)
    assert line.endswith("}\n") and line.count("\n") == 1
    assert "山顶上的图书馆" in line  # not \\u-escaped
    assert ", " not in line.split('"body"')[0]  # compact separators


def test_reimporting_an_export_into_the_same_archive_changes_nothing(tmp_path):
    rich_archive()
    versions = dict(Article.objects.values_list("external_id", "version"))
    path = tmp_path / "archive.jsonl"
    path.write_text(export_text(), encoding="utf-8")
    report = import_file(path)
    assert report.counts == {"created": 0, "updated": 0, "unchanged": 5, "kept": 0}
    assert dict(Article.objects.values_list("external_id", "version")) == versions


def test_export_and_import_commands_round_trip(tmp_path):
    rich_archive()
    path = tmp_path / "out" / "archive.jsonl"
    path.parent.mkdir()
    call_command("export_articles", "-o", str(path), "--no-progress")
    first = path.read_bytes()
    assert first.decode("utf-8") == export_text()
    assert [p.name for p in path.parent.iterdir()] == ["archive.jsonl"]  # no temporary left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0600

    stdout = io.StringIO()
    call_command("export_articles", stdout=stdout)
    assert stdout.getvalue() == first.decode("utf-8")

    flush()
    out = io.StringIO()
    call_command("import_articles", str(path), "--no-progress", stdout=out)
    assert "5 created" in out.getvalue()
    again = tmp_path / "again.jsonl"
    call_command("export_articles", "--output", str(again), "--no-progress")
    assert again.read_bytes() == first


def test_export_of_an_empty_archive_is_empty(tmp_path):
    path = tmp_path / "empty.jsonl"
    call_command("export_articles", "-o", str(path), "--no-progress")
    assert path.read_bytes() == b""


def test_fixture_round_trips_to_itself():
    (line,) = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = json.loads(line)
    report = import_file(FIXTURE)
    assert report.counts["created"] == 1

    (exported,) = export_records()
    assert exported == expected
    assert json.loads(export_line(exported)) == expected

    # And through a flush: the fixture's export imports to the same export again.
    text = export_text()
    flush()
    f.import_record(expected)
    assert export_text() == text
