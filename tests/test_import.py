"""Import: the seed's plain-text format, interchange JSON Lines, the WMT corpus adapter, the
management command, and validation (a bad record rejects its whole file)."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from archive import interchange
from archive.interchange import RecordError, parse_record
from archive.models import (
    Article,
    Authorship,
    Outlet,
    Person,
    Rendition,
    Translatorship,
)
from archive.services import ImportRejected, article_import, import_file
from tests import factories as f
from tests.conftest import REPO, SHARED

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Article, Outlet, Person, Rendition, Authorship, Translatorship)
    }


# --- the seed's plain-text format ----------------------------------------------------------------


SEED_OPTIONS = {"original_language": "zh-hans"}


def import_seed(path, **options):
    """import_file for a seed file, with the options the import command always passes."""
    return import_file(path, seed_options={**SEED_OPTIONS, **options})


def test_seed_file_import(write_file):
    path = write_file("harbor-morning.en.txt", f.seed_text())
    report = import_seed(path)

    assert report.format == "seed"
    assert report.counts["created"] == 1 and report.rejected == []
    article = Article.objects.get()
    assert article.external_id == "harbor-morning"
    assert article.original_language == "zh-hans"
    assert article.title_en == "Morning at the Fishing Harbor"
    assert article.body_en == "\n\n".join(f.SEED_PARAGRAPHS)
    assert article.paragraphs("en") == f.SEED_PARAGRAPHS
    # The trailing links belong to the publisher; they are not body text.
    assert "http" not in article.body_en and "Twitter" not in article.body_en

    assert [a.person.name_en for a in article.authorships.all()] == ["Lin Qiao"]
    assert article.outlet.name_en == "Harbor Notes"

    en = f.rendition(article, "en")
    assert en.status == Rendition.Status.PUBLISHED
    assert en.publisher.name_en == "Lantern Press"  # from "Lantern Press TG …"
    assert en.publisher.social_links == [
        {"label": label, "url": url} for label, url in f.SEED_LINKS
    ]

    zh = f.rendition(article, "zh-hans")
    assert zh.status == Rendition.Status.MISSING
    assert not article.has_text("zh-hans")


def test_seed_file_reimport_is_idempotent(write_file):
    path = write_file("harbor-morning.en.txt", f.seed_text())
    import_seed(path)
    before = counts()

    report = import_seed(path)
    assert report.counts == {"created": 0, "updated": 0, "unchanged": 1, "kept": 0}
    assert counts() == before
    assert Article.objects.get().version == 1


def test_seed_reimport_never_erases_the_other_language(write_file):
    path = write_file("harbor-morning.en.txt", f.seed_text())
    import_seed(path)
    chinese = {
        "external_id": "harbor-morning",
        "original_language": "zh-hans",
        "title": {"zh-hans": "渔港的早晨"},
        "body": {"zh-hans": "城市还没醒，渔港先醒了。\n\n七点钟，船已经洗干净，渔网也挂好了。"},
        "renditions": {"zh-hans": {"status": "published"}},
    }
    f.import_record(chinese)
    article = Article.objects.get()
    assert article.body_zh_hans and article.body_en  # a partial record kept the English

    report = import_seed(path)
    assert report.counts["unchanged"] == 1
    article.refresh_from_db()
    assert article.title_zh_hans == "渔港的早晨"
    assert article.body_zh_hans == chinese["body"]["zh-hans"]
    assert f.rendition(article, "zh-hans").status == Rendition.Status.PUBLISHED
    assert article.body_en == "\n\n".join(f.SEED_PARAGRAPHS)

    # A changed English seed file updates English only.
    write_file("harbor-morning.en.txt", f.seed_text(title="Dawn at the Fishing Harbor"))
    assert import_seed(path).counts["updated"] == 1
    article.refresh_from_db()
    assert article.title_en == "Dawn at the Fishing Harbor"
    assert article.title_zh_hans == "渔港的早晨"
    assert article.body_zh_hans == chinese["body"]["zh-hans"]


def test_seed_file_in_chinese_is_the_original(write_file):
    text = f.seed_text(
        author="林桥",
        outlet="港湾笔记",
        title="渔港的早晨",
        paragraphs=["城市还没醒，渔港先醒了。", "七点钟，港口又安静下来。"],
        links=[],
    )
    import_seed(write_file("harbor-morning.zh.txt", text))
    article = Article.objects.get()
    assert article.title_zh_hans == "渔港的早晨"
    assert article.paragraphs("zh-hans") == ["城市还没醒，渔港先醒了。", "七点钟，港口又安静下来。"]
    assert f.rendition(article, "zh-hans").status == Rendition.Status.PUBLISHED
    assert f.rendition(article, "en").status == Rendition.Status.MISSING
    assert article.authorships.get().person.name_zh_hans == "林桥"
    assert article.outlet.name_zh_hans == "港湾笔记"


def test_seed_links_that_do_not_name_the_publisher(write_file):
    links = [("Twitter", "https://twitter.com/LanternPressEN")]
    path = write_file("harbor-morning.en.txt", f.seed_text(links=links))
    with pytest.raises(ImportRejected) as excinfo:
        import_seed(path)
    assert "publisher" in excinfo.value.report.rejected[0][1]
    assert Article.objects.count() == 0

    import_seed(path, publisher="Lantern Press")
    en = f.rendition(Article.objects.get(), "en")
    assert en.publisher.name_en == "Lantern Press"
    assert en.publisher.social_links == [{"label": "Twitter", "url": links[0][1]}]


def test_seed_headers_bom_and_line_endings(write_file):
    text = (
        "\ufeffAuthor: Lin Qiao, Harbor Notes\r\n"
        "Original Title: Morning at the Fishing Harbor\r\n"
        "Summary: A harbor before dawn.\r\n"
        "URL: https://harbor-notes.example.org/morning\r\n"
        "Date: 2025-10-01\r\n"
        "The harbor wakes before the city does.\r\n"
        "\r\n"
        "Notes: https://harbor-notes.example.org/notes are kept at the market office.\r\n"
        "Full report: https://harbor-notes.example.org/report\r\n"
        "By seven the harbor is quiet again.\r\n"
    )
    import_seed(write_file("harbor-morning.en.txt", text))
    article = Article.objects.get()
    assert article.summary_en == "A harbor before dawn."
    assert article.original_url == "https://harbor-notes.example.org/morning"
    assert article.original_published_on.isoformat() == "2025-10-01"
    # Link-like lines inside the body are body text; only the trailing block is links.
    assert article.paragraphs("en") == [
        "The harbor wakes before the city does.",
        "Notes: https://harbor-notes.example.org/notes are kept at the market office.",
        "Full report: https://harbor-notes.example.org/report",
        "By seven the harbor is quiet again.",
    ]
    assert f.rendition(article, "en").publisher is None


def test_seed_file_with_a_bad_date_header_is_rejected(write_file):
    text = f.seed_text().replace("Original Title:", "Date: 2025-02-30\nOriginal Title:")
    with pytest.raises(ImportRejected) as excinfo:
        import_seed(write_file("harbor-morning.en.txt", text))
    assert "published_at: not a real date" in excinfo.value.report.rejected[0][1]


def test_import_file_on_a_seed_file_needs_no_options(write_file):
    report = import_file(write_file("harbor-morning.en.txt", f.seed_text()))
    assert report.counts["created"] == 1
    assert Article.objects.get().original_language == "zh-hans"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("piece.en.txt", "Original Title: No Author\nA paragraph.\n", "Author"),
        ("piece.en.txt", "Author: Lin Qiao, Harbor Notes\nA paragraph.\n", "Original Title"),
        ("piece.en.txt", "Author: Lin Qiao\nOriginal Title: Empty\n", "no body"),
        ("piece.txt", f.seed_text(), "language"),
        ("piece.en.txt", f.seed_text().replace("four", "fo\x00ur"), "U+0000"),
        ("piece.en.txt", f.seed_text().encode("utf-8") + b"\xff\xfe", "not UTF-8"),
        ("piece.zh.txt", f.seed_text(title="渔港的早晨").encode("gb18030"), "not UTF-8"),
    ],
)
def test_bad_seed_files_are_rejected(write_file, name, content, reason):
    with pytest.raises(ImportRejected) as excinfo:
        import_seed(write_file(name, content))
    ((line, message),) = excinfo.value.report.rejected
    assert reason in message
    assert Article.objects.count() == 0


# --- interchange JSON Lines ----------------------------------------------------------------------


def test_full_bilingual_record(tmp_path):
    data = f.bilingual_record()
    data["authors"] = [f.LIN_QIAO, f.ZHAO_MING]
    data["renditions"]["en"]["translators"] = [f.CHEN_XIAOYU, f.WANG_AN]
    data["renditions"]["en"]["reviewer"] = {"name": {"en": "Mei Ling"}}
    report = import_file(f.write_jsonl(tmp_path / "one.jsonl", [data]))
    assert report.format == "interchange"
    assert report.counts["created"] == 1

    article = Article.objects.get()
    assert article.title_zh_hans == f.FERRY["title"]["zh-hans"]
    assert article.title_en == f.FERRY["title"]["en"]
    assert article.paragraphs("zh-hans") == f.FERRY["paragraphs"]["zh-hans"]
    assert article.paragraphs("en") == f.FERRY["paragraphs"]["en"]
    assert article.original_url == data["original_url"]
    assert article.original_published_on.isoformat() == "2025-11-03"
    assert [a.person.slug for a in article.authorships.all()] == ["lin-qiao", "赵明"]
    assert article.authorships.all()[0].person.name_zh_hans == "林桥"

    outlet = article.outlet
    assert (outlet.slug, outlet.name_en, outlet.name_zh_hans) == (
        "harbor-notes",
        "Harbor Notes",
        "港湾笔记",
    )
    assert outlet.homepage == f.HARBOR_NOTES["url"]
    assert outlet.social_links == f.HARBOR_NOTES["social"]

    en = f.rendition(article, "en")
    assert en.status == "published" and en.method == "human"
    assert en.url == data["renditions"]["en"]["url"]
    assert en.published_on.isoformat() == "2025-11-10"
    assert [t.person.slug for t in en.translatorships.all()] == ["chen-xiaoyu", "wang-an"]
    assert en.reviewer.name_en == "Mei Ling" and en.reviewer.slug == "mei-ling"
    assert en.publisher.slug == "lantern-press"
    assert en.publisher.social_links == f.LANTERN_PRESS["social"]
    assert not en.is_outdated
    zh = f.rendition(article, "zh-hans")
    assert zh.status == "published" and zh.source_hash == ""


def test_reimport_updates_and_never_duplicates(tmp_path):
    data = f.bilingual_record()
    path = f.write_jsonl(tmp_path / "a.jsonl", [data])
    import_file(path)
    before = counts()

    data["title"]["en"] = "The Final Ferry"
    data["authors"] = [f.ZHAO_MING, f.LIN_QIAO]  # order changes too
    data["renditions"]["en"]["translators"] = []
    report = import_file(f.write_jsonl(path, [data]))
    assert report.counts["updated"] == 1

    article = Article.objects.get()
    assert article.title_en == "The Final Ferry"
    assert article.version == 2
    assert [a.person.slug for a in article.authorships.all()] == ["赵明", "lin-qiao"]
    assert f.rendition(article, "en").translatorships.count() == 0
    assert counts()["Article"] == before["Article"] == 1
    assert counts()["Rendition"] == 2
    assert counts()["Outlet"] == before["Outlet"]


def test_a_partial_record_changes_only_what_it_states():
    data = f.bilingual_record()
    data["summary"] = {"en": "The last day of an old ferry."}
    f.import_record(data)
    partial = {
        "external_id": data["external_id"],
        "original_language": "zh-hans",
        "title": {"en": "The Final Ferry"},
        "body": {"en": f.body(f.FERRY, "en")},
    }
    assert f.import_record(partial).action == "updated"
    article = Article.objects.get()
    assert article.title_en == "The Final Ferry"
    assert article.summary_en == "The last day of an old ferry."  # "summary" was not stated
    assert article.outlet.slug == "harbor-notes"  # nor was "outlet"
    assert [a.person.slug for a in article.authorships.all()] == ["lin-qiao"]
    assert article.title_zh_hans == f.FERRY["title"]["zh-hans"]  # nor any Chinese
    assert article.original_published_on.isoformat() == "2025-11-03"

    # Stating a key with an empty value clears it.
    f.import_record({**partial, "outlet": None, "authors": [], "summary": {}})
    article.refresh_from_db()
    assert article.outlet is None
    assert article.authorships.count() == 0
    assert article.summary_en == ""


def test_contributors_are_shared_between_articles_and_matched_by_name():
    f.import_record(f.bilingual_record("ferry-crossing"))
    other = f.bilingual_record("tea-stall", text=f.TEA_STALL)
    # Without a slug, an existing contributor is found by name.
    other["authors"] = [{"name": {"en": "lin qiao"}}]
    other["outlet"] = {"name": {"zh-hans": "港湾笔记"}}
    f.import_record(other)
    assert Person.objects.filter(slug="lin-qiao").count() == 1
    assert Person.objects.count() == 3  # Lin Qiao, Chen Xiaoyu, Wang An
    assert Outlet.objects.count() == 2  # Harbor Notes, Lantern Press
    tea = Article.objects.get(external_id="tea-stall")
    assert tea.outlet.slug == "harbor-notes"


def test_person_shorthand_is_a_name_in_the_renditions_language():
    data = f.minimal_record(
        title={"zh-hans": "短文", "en": "A Short Piece"},
        body={"zh-hans": "一段。", "en": "A paragraph."},
        renditions={"en": {"translators": ["Mei Ling"], "reviewer": "Wang An"}},
    )
    article = f.import_article(data)
    en = f.rendition(article, "en")
    assert en.translatorships.get().person.name_en == "Mei Ling"
    assert en.reviewer.name_en == "Wang An"
    assert en.status == "published"  # the default for a version with text


def test_parse_record_normalises_text():
    record = parse_record(
        f.minimal_record(
            title={"en": "  A   Small\nNote "},
            body={"en": "First.\r\n\r\n\r\n  Second.  \n\n"},
        )
    )
    assert record.title == {"en": "A Small Note"}
    assert record.body == {"en": "First.\n\nSecond."}


def long_url() -> str:
    return "https://example.com/" + "a" * 1000


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r: r.update(colour="blue"), "record: unknown key 'colour'"),
        (lambda r: r["renditions"]["en"].update(foo=1), "renditions.en: unknown key 'foo'"),
        (lambda r: r["outlet"].update(logo="x.png"), "outlet: unknown key 'logo'"),
        (
            lambda r: r["outlet"]["social"][0].update(icon="bird"),
            "outlet.social[0]: unknown key 'icon'",
        ),
        (lambda r: r["authors"][0].update(email="a@b.c"), "authors[0]: unknown key 'email'"),
        (
            lambda r: r["renditions"]["en"]["translators"][0].update(role="x"),
            "renditions.en.translators[0]: unknown key 'role'",
        ),
        (lambda r: r.pop("external_id"), "missing required key 'external_id'"),
        (lambda r: r.pop("original_language"), "missing required key 'original_language'"),
        (lambda r: r.update(external_id="  "), "external_id: must not be empty"),
        (lambda r: r.update(external_id=42), "external_id: expected a string"),
        (lambda r: r.update(original_language="fr"), "original_language: unknown language 'fr'"),
        (lambda r: r.update(original_language="zh"), "original_language: unknown language 'zh'"),
        (lambda r: r["title"].update(de="Die Fähre"), "title: key: unknown language 'de'"),
        (
            lambda r: r["renditions"].update(ja={"status": "missing"}),
            "renditions: key: unknown language 'ja'",
        ),
        (lambda r: r.update(title="The Last Ferry"), "title: expected an object"),
        (lambda r: r["title"].update(en=True), "title.en: expected a string, got true/false"),
        (lambda r: r.update(authors={"name": "x"}), "authors: expected a list"),
        (lambda r: r.update(original_url="not a url"), "original_url: not a valid http(s) URL"),
        (lambda r: r.update(original_url="ftp://example.com/f"), "original_url: not a valid"),
        (
            lambda r: r["renditions"]["en"].update(url="javascript:alert(1)"),
            "renditions.en.url: not a valid http(s) URL",
        ),
        (lambda r: r["outlet"].update(url="harbor-notes.example"), "outlet.url: not a valid"),
        (
            lambda r: r["outlet"]["social"][1].update(url="t.me/harbornotes"),
            "outlet.social[1].url: not a valid",
        ),
        (lambda r: r.update(original_url=long_url()), "original_url: URL longer than 1000"),
        (lambda r: r.update(published_at="2026-02-30"), "published_at: not a real date"),
        (
            lambda r: r.update(published_at="yesterday"),
            'published_at: expected a date "YYYY-MM-DD"',
        ),
        (lambda r: r.update(published_at="2025-11-03T10:00:00"), "published_at: expected a date"),
        (
            lambda r: r.update(published_at="2025-11-03 10:00+08:00"),
            "published_at: expected a date",
        ),
        (lambda r: r.update(published_at="03/11/2025"), "published_at: expected a date"),
        (lambda r: r.update(published_at=20251103), "published_at: expected a date"),
        (
            lambda r: r["renditions"]["en"].update(published_at="2025-13-01"),
            "renditions.en.published_at: not a real date",
        ),
        (
            lambda r: r["renditions"]["en"].update(status="done"),
            "renditions.en.status: 'done' is not one of",
        ),
        (
            lambda r: r["renditions"]["en"].update(status="Published"),
            "renditions.en.status: 'Published' is not one of",
        ),
        (
            lambda r: r["renditions"]["en"].update(method="ai"),
            "renditions.en.method: 'ai' is not one of",
        ),
        (
            lambda r: (r["title"].pop("en"), r["body"].pop("en")),
            "renditions.en.status: 'published', but the record has no en title or body",
        ),
        (
            lambda r: r["renditions"]["zh-hans"].update(status="missing"),
            "renditions.zh-hans.status: 'missing', but the record has zh-hans text",
        ),
        (lambda r: r.update(title={}, body={}), "record has no title and no body"),
        (
            lambda r: r["body"].update(en="Two\x00parts"),
            "body.en: contains control character U+0000",
        ),
        (lambda r: r["title"].update(en="Bell\x07"), "title.en: contains control character U+0007"),
        (
            lambda r: r["body"].update({"zh-hans": "渡口\x1b[31m"}),
            "body.zh-hans: contains control character U+001B",
        ),
        (lambda r: r["title"].update(en="\x7f"), "title.en: contains control character U+007F"),
        (lambda r: r["title"].update(en="x" * 501), "title.en: 501 characters, more than the 500"),
        (
            lambda r: r["authors"][0]["name"].update(en="N" * 201),
            "authors[0].name.en: 201 characters",
        ),
        (lambda r: r.update(external_id="e" * 201), "external_id: 201 characters"),
        (lambda r: r["authors"].append(f.LIN_QIAO), "authors: 'lin-qiao' is listed twice"),
        (lambda r: r["authors"][0].update(slug="Lin Qiao"), "authors[0].slug: 'Lin Qiao' is not"),
        (lambda r: r["authors"][0].update(name={}, slug=None), "a person needs a name or a slug"),
        (
            lambda r: r["renditions"]["en"].update(source_hash="abc"),
            "renditions.en.source_hash: expected 64 hex digits",
        ),
    ],
)
def test_invalid_records_are_rejected_with_a_reason(mutate, reason):
    data = copy.deepcopy(f.bilingual_record())
    mutate(data)
    with pytest.raises(RecordError) as excinfo:
        parse_record(data)
    assert reason in str(excinfo.value)


def test_the_valid_base_record_of_the_invalid_cases_is_valid():
    # Otherwise every case above could pass for the wrong reason.
    parse_record(f.bilingual_record())


def test_allowed_white_space_is_not_a_control_character():
    record = parse_record(f.minimal_record(body={"en": "Tab\there.\r\nNext line."}))
    assert record.body["en"] == "Tab\there.\nNext line."


def test_lone_surrogate_in_text_is_a_record_error(tmp_path):
    path = tmp_path / "surrogate.jsonl"
    good = json.dumps(f.minimal_record("good"))
    bad = json.dumps(f.minimal_record("bad", title={"en": "Broken \ud800 title"}))
    assert "\\ud800" in bad  # json.dumps escapes it: the file itself is valid UTF-8
    path.write_text(good + "\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as excinfo:
        import_file(path)
    assert [line for line, _reason in excinfo.value.report.rejected] == [2]
    assert Article.objects.count() == 0


def test_a_long_outlet_url_within_the_limit_is_stored_whole():
    data = f.bilingual_record()
    data["outlet"]["url"] = "https://harbor-notes.example.org/" + "a" * 900
    article = article_import(record=parse_record(data)).article
    assert article.outlet.homepage == data["outlet"]["url"]


def test_an_outlet_url_over_the_limit_is_a_record_error():
    data = f.bilingual_record()
    data["outlet"]["url"] = "https://harbor-notes.example.org/" + "a" * 1000
    with pytest.raises(RecordError, match="outlet.url"):
        parse_record(data)


# --- whole files ---------------------------------------------------------------------------------


def test_file_level_errors_are_listed_by_line(tmp_path, monkeypatch):
    monkeypatch.setattr(interchange, "MAX_LINE_BYTES", 2000)
    path = tmp_path / "mixed.jsonl"
    good = json.dumps(f.minimal_record("good-1")).encode()
    lines = [
        good,  # 1
        b"",  # 2: blank lines are skipped but counted
        '{"external_id": "caf\u00e9"}'.encode("latin-1"),  # 3: not UTF-8
        b'{"external_id": "broken", ',  # 4: invalid JSON
        b'[{"external_id": "in-a-list"}]',  # 5: an array, not an object
        json.dumps(f.minimal_record("good-1", title={"en": "Again"})).encode(),  # 6: duplicate
        json.dumps(f.minimal_record("huge", body={"en": "x" * 3000})).encode(),  # 7: too long
        b"null",  # 8
        json.dumps(f.minimal_record("good-2")).encode(),  # 9
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")

    with pytest.raises(ImportRejected) as excinfo:
        import_file(path)
    rejected = dict(excinfo.value.report.rejected)
    assert sorted(rejected) == [3, 4, 5, 6, 7, 8]
    assert rejected[3].startswith("not UTF-8")
    assert rejected[4].startswith("not valid JSON")
    assert rejected[5] == "record: expected a JSON object, got a list"
    assert rejected[6] == "external_id 'good-1' already on line 1"
    assert rejected[7].startswith("line is") and "bytes" in rejected[7]
    assert rejected[8] == "record: expected a JSON object, got null"
    assert Article.objects.count() == 0
    assert "nothing written" in str(excinfo.value)


def test_a_bad_record_rolls_back_the_whole_file(tmp_path):
    # Existing data, which the rejected file would have updated.
    f.import_record(f.bilingual_record("ferry-crossing"))
    before = counts()
    existing = Article.objects.get()

    changed = f.bilingual_record("ferry-crossing")
    changed["title"]["en"] = "Changed By A Rejected File"
    bad_date = f.bilingual_record("tea-stall", text=f.TEA_STALL, published_at="2026-02-30")
    bad_key = f.chinese_only_record("library")
    bad_key["renditions"]["en"]["foo"] = "bar"
    new_people = f.bilingual_record("new-people", text=f.LIBRARY)
    new_people["authors"] = [{"name": {"en": "Somebody New"}}]
    new_people["outlet"] = {"name": {"en": "A New Outlet"}, "slug": "a-new-outlet"}
    path = f.write_jsonl(tmp_path / "batch.jsonl", [changed, new_people, bad_date, bad_key])

    with pytest.raises(ImportRejected) as excinfo:
        import_file(path)
    report = excinfo.value.report
    assert [line for line, _ in report.rejected] == [3, 4]
    assert "published_at: not a real date" in report.rejected[0][1]
    assert "renditions.en: unknown key 'foo'" in report.rejected[1][1]
    assert report.written is False
    assert sum(report.counts.values()) == 0

    assert counts() == before
    existing.refresh_from_db()
    assert existing.title_en == f.FERRY["title"]["en"]
    assert existing.version == 1
    assert not Person.objects.filter(name_en="Somebody New").exists()
    assert not Outlet.objects.filter(slug="a-new-outlet").exists()


def test_skip_invalid_imports_the_valid_records(tmp_path):
    records = [
        f.bilingual_record("ferry-crossing"),
        f.bilingual_record("tea-stall", text=f.TEA_STALL, published_at="yesterday"),
        f.chinese_only_record("library"),
        ["not", "an", "object"],
    ]
    report = import_file(f.write_jsonl(tmp_path / "batch.jsonl", records), skip_invalid=True)
    assert report.written is True
    assert report.counts["created"] == 2
    assert [line for line, _ in report.rejected] == [2, 4]
    assert sorted(Article.objects.values_list("external_id", flat=True)) == [
        "ferry-crossing",
        "library",
    ]
    assert report.summary().endswith("2 created, 2 rejected")


def test_keep_existing_leaves_existing_articles_untouched(tmp_path):
    f.import_record(f.bilingual_record("ferry-crossing"))
    changed = f.bilingual_record("ferry-crossing")
    changed["title"]["en"] = "Should Not Appear"
    path = f.write_jsonl(tmp_path / "a.jsonl", [changed, f.chinese_only_record("library")])
    report = import_file(path, keep_existing=True)
    assert report.counts == {"created": 1, "updated": 0, "unchanged": 0, "kept": 1}
    article = Article.objects.get(external_id="ferry-crossing")
    assert article.title_en == f.FERRY["title"]["en"] and article.version == 1


def test_missing_file_is_rejected(tmp_path):
    with pytest.raises(ImportRejected) as excinfo:
        import_file(tmp_path / "nope.jsonl")
    assert excinfo.value.report.rejected == [(0, "no such file")]


# --- the management command ----------------------------------------------------------------------


def run_import(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_articles", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_a_file(tmp_path):
    path = f.write_jsonl(tmp_path / "a.jsonl", [f.bilingual_record(), f.chinese_only_record()])
    out, err = run_import(str(path))
    assert f"{path}: 2 created" in out
    assert err == ""
    assert Article.objects.count() == 2


def test_command_rejects_a_bad_file_and_names_the_line(tmp_path):
    records = [f.bilingual_record(), f.minimal_record("bad", original_language="fr")]
    path = f.write_jsonl(tmp_path / "bad.jsonl", records)
    with pytest.raises(CommandError):
        run_import(str(path))
    assert Article.objects.count() == 0

    err = io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_articles", str(path), "--no-progress", stderr=err)
    assert f"{path}:2: original_language: unknown language 'fr'" in err.getvalue()
    assert "nothing from it was written" in err.getvalue()


def test_command_imports_good_files_and_rejects_bad_ones(tmp_path):
    good = f.write_jsonl(tmp_path / "good.jsonl", [f.chinese_only_record()])
    bad = f.write_jsonl(tmp_path / "bad.jsonl", ["{oops"])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_articles", str(good), str(bad), "--no-progress", stderr=err)
    assert f"{bad}:1: not valid JSON" in err.getvalue()
    assert list(Article.objects.values_list("external_id", flat=True)) == ["library-mountain"]


def test_command_skip_invalid(tmp_path):
    records = [f.bilingual_record(), f.minimal_record("bad", published_at="2025-02-29")]
    path = f.write_jsonl(tmp_path / "a.jsonl", records)
    out, err = run_import(str(path), "--skip-invalid")
    assert f"{path}:2: skipped: published_at: not a real date" in err
    assert "1 created, 1 rejected" in out
    assert list(Article.objects.values_list("external_id", flat=True)) == ["ferry-crossing"]


def test_command_keep_existing(tmp_path):
    f.import_record(f.bilingual_record())
    changed = f.bilingual_record()
    changed["body"]["en"] = "Replaced."
    path = f.write_jsonl(tmp_path / "a.jsonl", [changed])
    out, _err = run_import(str(path), "--keep-existing")
    assert "1 kept" in out
    article = Article.objects.get()
    assert article.paragraphs("en") == f.FERRY["paragraphs"]["en"]
    assert article.version == 1

    run_import(str(path))  # without the flag, the same file updates it
    article.refresh_from_db()
    assert article.body_en == "Replaced." and article.version == 2


def test_command_seed_options(write_file):
    links = [("Telegram", "https://t.me/lanternpress")]
    path = write_file("harbor.txt", f.seed_text(links=links))
    run_import(str(path), "--language", "en", "--original-language", "en", "--publisher", "LP")
    article = Article.objects.get(external_id="harbor")
    assert article.original_language == "en"
    assert f.rendition(article, "en").publisher.name_en == "LP"


def test_command_missing_file(tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_articles", str(tmp_path / "x.jsonl"), stderr=err)
    assert f"{tmp_path / 'x.jsonl'}: no such file" in err.getvalue()


# --- the WMT corpus adapter ----------------------------------------------------------------------


def test_wmt_record_is_detected_and_adapted(tmp_path):
    path = f.write_jsonl(
        tmp_path / "corpus.jsonl",
        [f.wmt_record(), f.wmt_record("harbor-daily.0002", text=f.LIBRARY, with_title=False)],
    )
    report = import_file(path)
    assert report.format == "wmt"
    assert report.counts["created"] == 2

    article = Article.objects.get(external_id="testset2025.zh-en.harbor-daily.0001")
    assert article.original_language == "zh-hans"
    assert article.title_zh_hans == f.FERRY["title"]["zh-hans"]
    assert article.title_en == f.FERRY["title"]["en"]
    # The headline is the title, not repeated as the first paragraph; segments stay aligned.
    assert article.paragraphs("zh-hans") == f.FERRY["paragraphs"]["zh-hans"]
    assert article.paragraphs("en") == f.FERRY["paragraphs"]["en"]
    assert f.FERRY["title"]["en"] not in article.body_en
    assert article.outlet.slug == "harbor-daily"
    zh, en = f.rendition(article, "zh-hans"), f.rendition(article, "en")
    assert zh.status == en.status == "published"
    assert en.method == "human"
    assert en.translatorships.count() == 0 and en.url == "" and en.published_on is None
    assert not en.is_outdated

    untitled = Article.objects.get(external_id="testset2025.zh-en.harbor-daily.0002")
    assert untitled.title_en == untitled.title_zh_hans == ""
    assert untitled.paragraphs("zh-hans") == f.LIBRARY["paragraphs"]["zh-hans"]
    assert untitled.paragraphs("en") == f.LIBRARY["paragraphs"]["en"]

    assert import_file(path).counts["unchanged"] == 2


def test_wmt_record_with_unaligned_segments_is_rejected(tmp_path):
    broken = f.wmt_record()
    broken["en_paragraphs"].pop()
    path = f.write_jsonl(tmp_path / "corpus.jsonl", [f.wmt_record("harbor-daily.0009"), broken])
    with pytest.raises(ImportRejected) as excinfo:
        import_file(path)
    ((line, reason),) = excinfo.value.report.rejected
    assert line == 2
    assert "zh_paragraphs has 4 segments but en_paragraphs 3" in reason
    assert Article.objects.count() == 0


def test_wmt_format_can_be_forced(tmp_path):
    path = f.write_jsonl(tmp_path / "x.jsonl", [f.bilingual_record()])
    with pytest.raises(ImportRejected) as excinfo:
        import_file(path, fmt="wmt")
    assert "not a WMT corpus record" in excinfo.value.report.rejected[0][1]


# --- the real shared data (skipped without ../shared) --------------------------------------------

CORPUS = SHARED / "corpus"
SEED = SHARED / "seed"


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is absent (the shared WMT corpus)")
def test_real_corpus_imports_193_bilingual_articles():
    files = sorted(CORPUS.glob("*.jsonl"))
    assert files
    created = 0
    for path in files:
        report = import_file(path)
        assert report.format == "wmt" and report.rejected == []
        created += report.counts["created"]
    assert created == Article.objects.count() == 193
    for article in Article.objects.all():
        zh, en = article.paragraphs("zh-hans"), article.paragraphs("en")
        assert zh and en, article.external_id
        assert len(zh) == len(en), article.external_id


@pytest.mark.skipif(not SEED.is_dir(), reason=f"{SEED} is absent (the shared seed text)")
def test_real_seed_text_imports_to_the_fixture_body():
    (path,) = sorted(SEED.glob("*.txt"))
    import_seed(path)
    fixture = json.loads((REPO / "fixtures" / "seed.jsonl").read_text(encoding="utf-8"))
    article = Article.objects.get(external_id=fixture["external_id"])
    assert article.body_en == fixture["body"]["en"]
    assert article.title_en == fixture["title"]["en"]
    publisher = f.rendition(article, "en").publisher
    assert publisher.social_links == fixture["renditions"]["en"]["publisher"]["social"]
    assert not article.has_text("zh-hans")


def test_the_same_person_by_slug_and_by_name_is_a_record_error_not_a_database_error():
    Person.objects.create(slug="lin-a", name_en="Ada Lin", name_zh_hans="林阿")
    data = f.minimal_record(
        "twice",
        authors=[{"name": {"en": "Ada Lin"}, "slug": "lin-a"}, {"name": {"zh-hans": "林阿"}}],
    )
    with pytest.raises(RecordError, match=r"authors: 'lin-a' is listed twice"):
        article_import(record=parse_record(data))


def test_an_unpaired_surrogate_is_named_as_such():
    with pytest.raises(RecordError, match=r"title.en: contains an unpaired surrogate U\+D800"):
        parse_record(f.minimal_record(title={"en": "Broken \ud800"}))


def test_a_big_first_import_builds_the_gin_indexes_at_the_end(tmp_path, monkeypatch):
    from archive import search as search_module
    from archive import services
    from archive.search import search

    monkeypatch.setattr(services, "BULK_INDEX_RECORDS", 2)
    before = f.search_indexes()
    assert any("USING rum" in d for d in before.values()) == bool(search_module.rum_languages())
    records = [f.bilingual_record(), f.chinese_only_record()]
    import_file(f.write_jsonl(tmp_path / "a.jsonl", records))
    assert f.search_indexes() == before
    assert [h.article.external_id for h in search("渡口").hits] == ["ferry-crossing"]
    assert [h.article.external_id for h in search("图书馆").hits] == ["library-mountain"]


def test_a_rejected_big_first_import_keeps_the_gin_indexes(tmp_path, monkeypatch):
    from archive import services

    monkeypatch.setattr(services, "BULK_INDEX_RECORDS", 2)
    before = f.search_indexes()
    records = [f.bilingual_record(), f.minimal_record("bad", original_language="fr")]
    with pytest.raises(ImportRejected):
        import_file(f.write_jsonl(tmp_path / "bad.jsonl", records))
    assert f.search_indexes() == before
    assert Article.objects.count() == 0


def test_an_import_analyses_each_full_batch_ahead_on_a_thread_of_its_own(tmp_path, monkeypatch):
    """The next batch's texts are segmented while the server writes the batch before it: the
    same vectors as a batch analysed when it is written (reindex --check finds none stale)."""
    import threading

    from archive import services
    from archive.indexing import stale_article_ids
    from archive.search import search
    from archive.text.segment import Segmenter

    monkeypatch.setattr(services, "IMPORT_BATCH", 2)
    analysed_on: dict[str, set[str]] = {}
    analyse = Segmenter.analyse

    def spy(self, text):
        analysed_on.setdefault(text, set()).add(threading.current_thread().name)
        return analyse(self, text)

    monkeypatch.setattr(Segmenter, "analyse", spy)
    bodies = [{"zh-hans": f"渡口第{n}篇。", "en": f"Ferry note {n}."} for n in range(5)]
    records = [f.bilingual_record(f"ferry-{n}", body=body) for n, body in enumerate(bodies)]
    report = import_file(f.write_jsonl(tmp_path / "five.jsonl", records))
    assert report.counts["created"] == 5
    # Batches [0, 1] and [2, 3] were analysed ahead, and not again when written; [4] in place.
    for n in range(4):
        assert {t.split("_")[0] for t in analysed_on[f"渡口第{n}篇。"]} == {"yiwen-import"}
    assert analysed_on["渡口第4篇。"] == {threading.current_thread().name}
    assert list(stale_article_ids()) == []
    assert {h.article.external_id for h in search("第3篇").hits} == {"ferry-3"}


def test_a_bad_line_after_a_batch_analysed_ahead_rolls_the_whole_file_back(tmp_path, monkeypatch):
    from archive import services

    monkeypatch.setattr(services, "IMPORT_BATCH", 2)
    records = [f.bilingual_record(f"ferry-{n}") for n in range(3)]
    records.append(f.minimal_record("bad", original_language="fr"))
    with pytest.raises(ImportRejected) as rejected:
        import_file(f.write_jsonl(tmp_path / "bad.jsonl", records))
    assert [number for number, _reason in rejected.value.report.rejected] == [4]
    assert Article.objects.count() == 0


def test_analyses_made_with_another_dictionary_are_not_used():
    from archive.indexing import PreparedTexts, search_index_update, segmenter, stale_article_ids
    from archive.text.segment import Analysis, Segmenter

    article = f.import_article(f.bilingual_record())
    zh_body = article.text("body", "zh-hans")
    bogus = {(zh_body, 400_000): Analysis(precise="假的", subwords="", chars="假")}
    search_index_update([article.pk], prepared=PreparedTexts(Segmenter(), bogus, {}))
    assert list(stale_article_ids([article.pk])) == []  # another segmenter's: ignored
    search_index_update([article.pk], prepared=PreparedTexts(segmenter(), bogus, {}))
    assert list(stale_article_ids([article.pk])) == [article.pk]  # the current one's: used
