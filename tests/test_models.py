"""Models and the derived state kept by archive.services: renditions, hashes, versions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from archive import services
from archive.models import Article, Outlet, Person, Rendition
from archive.text.paragraphs import text_hash
from tests import factories as f

pytestmark = pytest.mark.django_db


# --- Outlet and Person ---------------------------------------------------------------------------


def test_person_str_follows_the_active_language_and_falls_back():
    person = Person.objects.create(slug="lin-qiao", name_en="Lin Qiao", name_zh_hans="林桥")
    with translation.override("zh-hans"):
        assert str(person) == "林桥"
    with translation.override("en"):
        assert str(person) == "Lin Qiao"

    only_chinese = Person.objects.create(slug="zhao-ming", name_zh_hans="赵明")
    with translation.override("en"):
        assert str(only_chinese) == "赵明"  # no English name: the first name there is

    nameless = Person.objects.create(slug="anonymous-7")
    assert str(nameless) == "anonymous-7"


def test_outlet_keeps_social_links_in_order_and_slugs_are_unique():
    links = [
        {"label": "Twitter", "url": "https://twitter.com/HarborNotesCN"},
        {"label": "Harbor Notes TG Channel", "url": "https://t.me/harbornotes"},
    ]
    Outlet.objects.create(slug="harbor-notes", name_en="Harbor Notes", social_links=links)
    outlet = Outlet.objects.get(slug="harbor-notes")
    assert outlet.social_links == links
    with translation.override("en"):
        assert str(outlet) == "Harbor Notes"

    with pytest.raises(IntegrityError), transaction.atomic():
        Outlet.objects.create(slug="harbor-notes", name_en="Another Harbor")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(slug="same")
        Person.objects.create(slug="same")


# --- Article and its renditions ------------------------------------------------------------------


def test_article_save_creates_one_rendition_per_language():
    article = f.saved_article(languages=("zh-hans",))

    renditions = {r.language: r for r in article.renditions.all()}
    assert sorted(renditions) == ["en", "zh-hans"]
    # Text typed in by an editor starts as a draft; a language without text is missing.
    assert renditions["zh-hans"].status == Rendition.Status.DRAFT
    assert renditions["en"].status == Rendition.Status.MISSING
    assert article.version == 1

    services.article_save(article=article)
    services.article_save(article=article)
    assert article.renditions.count() == 2  # saving again never adds a second row per language


def test_article_text_helpers_never_fall_back_to_another_language():
    article = f.saved_article(languages=("zh-hans",))
    assert article.text("title", "en") == ""
    assert article.has_text("zh-hans") and not article.has_text("en")
    assert article.paragraphs("zh-hans") == f.TEA_STALL["paragraphs"]["zh-hans"]
    assert article.paragraphs("en") == []
    with translation.override("en"):
        # The display title uses the original when the active language has none...
        assert article.display_title == f.TEA_STALL["title"]["zh-hans"]


def test_display_title_of_an_untitled_article():
    long_paragraph = "Word " * 40
    untitled = Article(external_id="no-title", original_language="zh-hans", body_en=long_paragraph)
    services.article_save(article=untitled)
    shown = untitled.display_title
    # The start of the first paragraph, cut and marked as cut.
    assert shown.endswith("…") and len(shown) <= 80
    assert long_paragraph.startswith(shown[:-1])

    short = Article(external_id="short", original_language="zh-hans", body_zh_hans="只有一段。")
    services.article_save(article=short)
    assert short.display_title == "只有一段。"

    empty = Article(external_id="summary-only", original_language="zh-hans", summary_en="Notes.")
    assert empty.display_title == "summary-only"  # the external id when there is no text at all


def test_article_save_normalises_text_and_keeps_the_original_hash():
    article = Article(external_id="messy", original_language="zh-hans")
    article.title_zh_hans = "  茶摊\n  夜话 "
    article.body_zh_hans = "第一段。\r\n\r\n\r\n   第二段。  \n\n\n"
    services.article_save(article=article)
    article.refresh_from_db()
    assert article.title_zh_hans == "茶摊 夜话"
    assert article.body_zh_hans == "第一段。\n\n第二段。"
    assert article.original_hash == text_hash("茶摊 夜话", "", "第一段。\n\n第二段。")
    assert len(article.original_hash) == 64


def test_version_increments_on_every_article_save():
    article = f.saved_article()
    assert article.version == 1
    article.body_en += "\n\nOne more paragraph."
    services.article_save(article=article)
    article.refresh_from_db()
    assert article.version == 2
    services.article_save(article=article)
    article.refresh_from_db()
    assert article.version == 3


def test_version_changes_on_import_only_when_something_changes():
    data = f.bilingual_record()
    first = f.import_record(data)
    assert (first.action, first.article.version) == ("created", 1)

    again = f.import_record(data)
    assert again.action == "unchanged"
    assert Article.objects.get(external_id=data["external_id"]).version == 1

    data["renditions"]["en"]["url"] = "https://lantern-press.example.com/ferry-moved"
    changed = f.import_record(data)
    assert changed.action == "updated"
    assert Article.objects.get(external_id=data["external_id"]).version == 2


# --- is_outdated ---------------------------------------------------------------------------------


def test_translation_is_up_to_date_when_created_together_with_the_original():
    article = f.saved_article()
    en = f.rendition(article, "en")
    assert en.source_hash == article.original_hash != ""
    assert not en.is_outdated


def test_editing_the_original_through_article_save_makes_the_translation_outdated():
    article = f.saved_article()
    before = services.text_snapshot(article)
    article.body_zh_hans += "\n\n凌晨三点，最后一位客人也走了。"
    services.article_save(article=article, previous_text=before)

    article.refresh_from_db()
    assert f.rendition(article, "en").is_outdated
    assert not f.rendition(article, "zh-hans").is_outdated  # the original is never outdated


def test_editing_only_the_translation_does_not_make_it_outdated():
    article = f.saved_article()
    before = services.text_snapshot(article)
    article.title_en = "A Tea Stall After Dark"
    services.article_save(article=article, previous_text=before)
    article.refresh_from_db()
    assert article.version == 2
    assert not f.rendition(article, "en").is_outdated


def test_editing_the_translation_brings_an_outdated_translation_up_to_date():
    article = f.saved_article()
    before = services.text_snapshot(article)
    article.title_zh_hans = "深夜的茶摊"
    services.article_save(article=article, previous_text=before)
    article.refresh_from_db()
    assert f.rendition(article, "en").is_outdated

    before = services.text_snapshot(article)
    article.title_en = "The Late-Night Tea Stall"
    services.article_save(article=article, previous_text=before)
    article.refresh_from_db()
    en = f.rendition(article, "en")
    assert en.source_hash == article.original_hash
    assert not en.is_outdated


def test_saving_without_touching_the_translation_keeps_it_outdated():
    article = f.saved_article()
    before = services.text_snapshot(article)
    article.body_zh_hans = "只剩一段。"
    services.article_save(article=article, previous_text=before)
    article.refresh_from_db()
    # An unrelated later save (no text change at all) does not silently "refresh" it.
    services.article_save(article=article, previous_text=services.text_snapshot(article))
    article.refresh_from_db()
    assert f.rendition(article, "en").is_outdated


def test_reimport_with_changed_original_text_makes_the_translation_outdated():
    data = f.bilingual_record()
    f.import_record(data)
    article = Article.objects.get(external_id=data["external_id"])
    assert not f.rendition(article, "en").is_outdated

    data["body"]["zh-hans"] += "\n\n第二天早上，渡口照样有人等船。"
    outcome = f.import_record(data)
    assert outcome.action == "updated"
    article.refresh_from_db()
    assert f.rendition(article, "en").is_outdated
    assert article.version == 2


def test_reimport_with_changed_translation_only_is_not_outdated():
    data = f.bilingual_record()
    f.import_record(data)
    data["body"]["en"] += "\n\nThe next morning, people were waiting at the crossing again."
    outcome = f.import_record(data)
    assert outcome.action == "updated"
    article = Article.objects.get(external_id=data["external_id"])
    assert not f.rendition(article, "en").is_outdated


def test_reimport_with_both_texts_changed_is_up_to_date():
    data = f.bilingual_record()
    f.import_record(data)
    data["title"] = {"zh-hans": "渡口", "en": "The Crossing"}
    f.import_record(data)
    article = Article.objects.get(external_id=data["external_id"])
    assert not f.rendition(article, "en").is_outdated


def test_unknown_provenance_is_not_outdated():
    article = f.saved_article()
    en = f.rendition(article, "en")

    en.source_hash = ""  # nobody recorded what the translation was made from
    assert not en.is_outdated

    en.source_hash = "0" * 64
    assert en.is_outdated  # a recorded, different source is outdated...
    article.original_hash = ""  # ...but not when no original text is archived to compare with
    assert not en.is_outdated


def test_the_original_and_missing_versions_are_never_outdated():
    article = f.saved_article(languages=("zh-hans",))
    zh = f.rendition(article, "zh-hans")
    zh.source_hash = "1" * 64
    assert zh.is_original and not zh.is_outdated

    en = f.rendition(article, "en")
    en.source_hash = "2" * 64
    assert en.status == Rendition.Status.MISSING
    assert not en.is_outdated


def test_english_original_with_chinese_translation():
    article = f.saved_article(external_id="reverse", original_language="en")
    before = services.text_snapshot(article)
    article.body_en += "\n\nA paragraph added to the English original."
    services.article_save(article=article, previous_text=before)
    article.refresh_from_db()
    assert f.rendition(article, "zh-hans").is_outdated
    assert not f.rendition(article, "en").is_outdated


# --- Rendition.clean and database constraints ---------------------------------------------------


def test_rendition_clean_requires_text_for_any_status_but_missing():
    article = f.saved_article(languages=("zh-hans",))
    en = f.rendition(article, "en")
    en.clean()  # missing, no text: fine

    en.status = Rendition.Status.DRAFT
    with pytest.raises(ValidationError) as excinfo:
        en.clean()
    assert "status" in excinfo.value.message_dict

    zh = f.rendition(article, "zh-hans")
    zh.clean()  # a draft with text: fine
    zh.status = Rendition.Status.PUBLISHED
    zh.clean()
    zh.status = Rendition.Status.MISSING
    with pytest.raises(ValidationError) as excinfo:
        zh.clean()
    assert "status" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "finished"), ("language", "fr"), ("method", "telepathy")],
)
def test_database_rejects_invalid_rendition_values(field, value):
    article = f.saved_article()
    rendition = f.rendition(article, "en")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rendition.objects.filter(pk=rendition.pk).update(**{field: value})
    rendition.refresh_from_db()
    assert getattr(rendition, field) != value


def test_database_rejects_an_invalid_original_language():
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(external_id="bad-language", original_language="fr")
    assert not Article.objects.filter(external_id="bad-language").exists()


def test_database_rejects_a_second_rendition_for_the_same_language():
    article = f.saved_article()
    with pytest.raises(IntegrityError), transaction.atomic():
        Rendition.objects.create(article=article, language="en")
    assert article.renditions.count() == 2
