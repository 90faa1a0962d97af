"""The editorial workflow (issue 6): roles, states, scheduled publication, the translation queue and
side-by-side editor, glossary, preview, import with a preview, history and restore, optimistic
concurrency and soft delete. Every boundary is tested through the service and through the admin."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from reversion.models import Version

from archive import editorial, services
from archive.indexing import published_languages, segmenter
from archive.models import Article, GlossaryTerm, Rendition
from archive.search import search
from tests import factories as f

pytestmark = pytest.mark.django_db

NEW_ZH = "第二天早上，渡口照样有人等船。"


def make_user(name: str, group: str | None) -> User:
    user = User.objects.create_user(name, password="pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def editor():
    return make_user("editor", "Editor")


@pytest.fixture
def translator():
    return make_user("translator", "Translator")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def draft_article():
    """The ferry piece: Chinese original published, English translation a draft."""
    record = f.bilingual_record()
    record["renditions"]["en"]["status"] = "draft"
    return f.import_article(record)


def en(article: Article) -> Rendition:
    return Rendition.objects.get(article=article, language="en")


def translate_url(article: Article, language: str = "en") -> str:
    return f"/admin/archive/article/{article.pk}/translate/{language}/"


def editor_post(client, article, paragraphs, version=None, **extra):
    article.refresh_from_db()
    data = {"version": article.version if version is None else version, "title": "", **extra}
    data["title"] = extra.get("title", article.title_en)
    for i, text in enumerate(paragraphs, start=1):
        data[f"p-{i}"] = text
    return client.post(translate_url(article), data)


# --- groups and permissions ----------------------------------------------------------------------


def test_the_groups_exist_with_their_permissions(editor, translator):
    assert editor.has_perm("archive.publish_rendition")
    assert editor.has_perm("archive.delete_article")
    assert editor.has_perm("archive.change_article")
    assert translator.has_perm("archive.translate_article")
    assert translator.has_perm("archive.change_rendition")
    assert not translator.has_perm("archive.publish_rendition")
    assert not translator.has_perm("archive.delete_article")
    assert not translator.has_perm("archive.change_article")
    assert not translator.has_perm("archive.change_mention")
    assert not translator.has_perm("archive.change_glossaryterm")


def test_translator_moves_draft_to_review_and_back_but_cannot_publish(translator, draft_article):
    r = services.rendition_transition(rendition=en(draft_article), to="in_review", user=translator)
    assert r.status == "in_review"
    with pytest.raises(PermissionDenied):
        services.rendition_transition(rendition=r, to="published", user=translator)
    assert en(draft_article).status == "in_review"
    services.rendition_transition(rendition=r, to="draft", user=translator)
    assert en(draft_article).status == "draft"


def test_translator_cannot_unpublish_or_touch_the_original(translator, draft_article):
    original = Rendition.objects.get(article=draft_article, language="zh-hans")
    with pytest.raises(PermissionDenied):
        services.rendition_transition(rendition=original, to="draft", user=translator)
    with pytest.raises(PermissionDenied):
        services.rendition_save(rendition=original, user=translator)


def test_translator_cannot_edit_the_original_text(translator, draft_article):
    with pytest.raises(PermissionDenied):
        services.translation_save(
            article=draft_article,
            language="zh-hans",
            edit=services.TranslationEdit(paragraphs=["改"]),
            expected_version=draft_article.version,
            user=translator,
        )
    draft_article.body_zh_hans = "改"
    with pytest.raises(PermissionDenied):
        services.article_save(article=draft_article, user=translator)


def test_translator_cannot_delete(translator, draft_article):
    with pytest.raises(PermissionDenied):
        services.article_delete(article=draft_article, user=translator)
    client = login(translator)
    url = f"/admin/archive/article/{draft_article.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Article.objects.get(pk=draft_article.pk).deleted_at is None


def test_translator_in_the_admin(translator, draft_article):
    client = login(translator)
    change = f"/admin/archive/article/{draft_article.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200  # read only
    assert b'name="body_zh_hans"' not in page.content
    assert client.post(change, {"body_zh_hans": "改"}).status_code == 403
    assert client.get(translate_url(draft_article)).status_code == 200
    assert client.get(translate_url(draft_article, "zh-hans")).status_code == 403
    assert client.get("/admin/archive/queueitem/").status_code == 200
    assert client.get("/admin/archive/article/import/").status_code == 403
    assert client.get("/admin/archive/glossaryterm/add/").status_code == 403
    # Mentions: translators see them (read only); only editors confirm, reject or add them.
    assert b'name="mentions-0-state"' not in page.content


def test_translator_cannot_publish_through_the_language_version_form(translator, draft_article):
    client = login(translator)
    r = en(draft_article)
    url = f"/admin/archive/rendition/{r.pk}/change/"
    data = {
        "status": "published",
        "method": "human",
        "publisher": r.publisher_id,
        "url": r.url,
        "published_on": "2025-11-10",
        "reviewer": r.reviewer_id,
        "translatorships-TOTAL_FORMS": "0",
        "translatorships-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "Only editors publish" in response.content.decode()
    assert en(draft_article).status == "draft"
    data["status"] = "in_review"
    assert client.post(url, data).status_code == 302
    assert en(draft_article).status == "in_review"


def test_editor_publishes(editor, draft_article):
    services.rendition_transition(rendition=en(draft_article), to="in_review", user=editor)
    services.rendition_transition(rendition=en(draft_article), to="published", user=editor)
    assert en(draft_article).status == "published"
    assert "en" in published_languages(Article.objects.get(pk=draft_article.pk))


def test_transitions_that_do_not_exist_are_refused(editor):
    article = f.import_article(f.chinese_only_record())
    missing = en(article)
    assert missing.status == "missing"
    for to in ("in_review", "published", "draft"):
        with pytest.raises(ValidationError):
            services.rendition_transition(rendition=missing, to=to, user=editor)


def test_adding_text_makes_a_missing_version_a_draft(translator):
    article = f.import_article(f.chinese_only_record())
    services.translation_save(
        article=article,
        language="en",
        edit=services.TranslationEdit(paragraphs=["Every Saturday…"], title="The Library"),
        expected_version=article.version,
        user=translator,
    )
    assert en(article).status == "draft"
    assert en(article).source_hash == Article.objects.get(pk=article.pk).original_hash


# --- unpublished and scheduled versions are on no public surface --------------------------------


def public_surfaces(client, article: Article) -> dict[str, bool]:
    """Whether the English version of the ferry piece shows anywhere a reader can look."""
    title = "The Last Ferry at the River Crossing"
    page = client.get(f"/en/articles/{article.pk}/", follow=True).content.decode()
    parallel = client.get(f"/en/articles/{article.pk}/parallel/").content.decode()
    feed = client.get("/en/feed/").content.decode()
    sitemap = client.get("/sitemap-articles.xml").content.decode()
    api = json.loads(client.get("/api/search", {"q": "ferry"}).content)
    cite = client.get(f"/en/articles/{article.pk}/cite.bib")
    translator_page = client.get("/en/people/chen-xiaoyu/")
    return {
        "page": "Old Zhou untied the rope" in page,
        "parallel": "Old Zhou untied the rope" in parallel,
        "feed": title in feed,
        "sitemap": f"/en/articles/{article.pk}/" in sitemap,
        "search": bool(search("ferry").count),
        "api": bool(api["count"]),
        "citation": cite.status_code == 200,
        "translator page": translator_page.status_code == 200 and title in translator_page.text,
    }


def test_a_draft_is_on_no_public_surface(client, draft_article):
    assert not any(public_surfaces(client, draft_article).values())


def test_scheduled_publication_is_hidden_until_due_then_publish_due_makes_it_public(
    client, editor, draft_article
):
    later = timezone.now() + datetime.timedelta(hours=2)
    services.rendition_transition(
        rendition=en(draft_article), to="published", user=editor, publish_at=later
    )
    r = en(draft_article)
    assert r.status == "published" and r.is_scheduled and not r.is_public()
    assert not any(public_surfaces(client, draft_article).values())
    assert services.publish_due() == []  # not due yet

    Rendition.objects.filter(pk=r.pk).update(publish_at=timezone.now() - datetime.timedelta(1))
    done = services.publish_due()
    assert [x.pk for x in done] == [r.pk]
    r.refresh_from_db()
    assert r.publish_at is None and r.published_on is not None
    assert all(public_surfaces(client, draft_article).values())
    assert services.publish_due() == []  # idempotent


def test_publish_due_command(editor, draft_article):
    services.rendition_transition(
        rendition=en(draft_article),
        to="published",
        user=editor,
        publish_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    Rendition.objects.filter(article=draft_article, language="en").update(
        publish_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    from io import StringIO

    out = StringIO()
    call_command("publish_due", stdout=out)
    assert "1 version(s) published" in out.getvalue()
    call_command("publish_due", stdout=out)
    assert "0 version(s) published" in out.getvalue()
    assert search("ferry").count == 1


def test_a_due_version_is_public_by_the_read_rule_before_the_cron_runs(draft_article, editor):
    services.rendition_transition(
        rendition=en(draft_article),
        to="published",
        user=editor,
        publish_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    r = en(draft_article)
    assert not r.is_public()
    assert r.is_public(timezone.now() + datetime.timedelta(minutes=6))
    assert Rendition.objects.public(timezone.now() + datetime.timedelta(minutes=6)).filter(pk=r.pk)


def test_unpublishing_takes_it_off_every_surface(client, editor):
    article = f.import_article(f.bilingual_record())
    assert all(public_surfaces(client, article).values())
    services.rendition_transition(rendition=en(article), to="draft", user=editor)
    assert not any(public_surfaces(client, article).values())


# --- the translation queue -----------------------------------------------------------------------


def test_queue_lists_waiting_versions_with_counts_and_filters(editor, draft_article):
    library = f.import_article(f.chinese_only_record())  # English missing
    published = f.import_article(f.bilingual_record("tea-stall", text=f.TEA_STALL))
    published.body_zh_hans += "\n\n" + NEW_ZH
    services.article_save(
        article=published,
        previous_text=services.text_snapshot(Article.objects.get(pk=published.pk)),
    )
    queue = editorial.queue()
    assert {(r.article.external_id, r.status) for r in queue} == {
        ("ferry-crossing", "draft"),
        ("library-mountain", "missing"),
        ("tea-stall", "published"),  # outdated
    }
    assert editorial.queue_counts(queue) == {
        "missing": 1,
        "draft": 1,
        "in_review": 0,
        "outdated": 1,
    }
    client = login(editor)
    page = client.get("/admin/archive/queueitem/").content.decode()
    assert "library-mountain" in page or library.display_title in page
    assert "outdated: <strong>1</strong>" in page
    assert (
        client.get("/admin/archive/queueitem/", {"state": "outdated"}).context["cl"].result_count
        == 1
    )
    assert (
        client.get("/admin/archive/queueitem/", {"language": "zh-hans"}).context["cl"].result_count
        == 0
    )
    by_translator = client.get("/admin/archive/queueitem/", {"translator": "chen-xiaoyu"})
    assert by_translator.context["cl"].result_count == 2
    assert client.get("/admin/archive/queueitem/", {"age": "30"}).context["cl"].result_count == 0
    Rendition.objects.filter(article=library).update(
        updated_at=timezone.now() - datetime.timedelta(days=40)
    )
    assert client.get("/admin/archive/queueitem/", {"age": "30"}).context["cl"].result_count == 1
    outlet = draft_article.outlet_id
    by_outlet = client.get("/admin/archive/queueitem/", {"article__outlet__id__exact": outlet})
    assert by_outlet.context["cl"].result_count == 2


# --- the side-by-side editor ---------------------------------------------------------------------


def test_editor_page_shows_paragraph_pairs_with_glossary_and_actor_hints(translator, draft_article):
    GlossaryTerm.objects.create(zh="渡线", en="ferry line")
    page = login(translator).get(translate_url(draft_article)).content.decode()
    for paragraph in f.FERRY["paragraphs"]["zh-hans"]:
        assert paragraph in page
    assert page.count('name="p-') == 3
    assert "ferry line" in page and "hint-glossary" in page


def test_editor_saves_paragraph_by_paragraph(translator):
    article = f.import_article(f.chinese_only_record())
    client = login(translator)
    first = "Every Saturday the village children walk two hours to borrow books."
    response = editor_post(client, article, [first, ""], title="The Library", anchor="p-1")
    assert response.status_code == 302 and response["Location"].endswith("#p-1")
    article.refresh_from_db()
    assert article.body_en == first and en(article).status == "draft"
    second = "The library is a single room."
    editor_post(client, article, [first, second])
    article.refresh_from_db()
    assert article.paragraphs("en") == [first, second]
    assert en(article).source_hash == article.original_hash
    # An empty paragraph between filled ones is refused, and the text stays on screen.
    response = editor_post(client, article, ["", second])
    assert response.status_code == 400
    assert second in response.content.decode()
    assert Article.objects.get(pk=article.pk).paragraphs("en") == [first, second]


def test_editor_submit_for_review_and_publish_through_the_editor(translator, editor, draft_article):
    paragraphs = f.FERRY["paragraphs"]["en"]
    response = editor_post(login(translator), draft_article, paragraphs, action="in_review")
    assert response.status_code == 302 and en(draft_article).status == "in_review"
    response = editor_post(login(translator), draft_article, paragraphs, action="published")
    assert response.status_code == 403 and en(draft_article).status == "in_review"
    response = editor_post(login(editor), draft_article, paragraphs, action="published")
    assert response.status_code == 302 and en(draft_article).status == "published"


def test_outdated_translation_marks_the_paragraphs_that_changed(editor, translator):
    article = f.import_article(f.bilingual_record())
    zh = list(f.FERRY["paragraphs"]["zh-hans"])
    zh[1] = "这条渡线已经开了五十年。"
    article.body_zh_hans = "\n\n".join([*zh, NEW_ZH])
    services.article_save(
        article=article,
        previous_text=services.text_snapshot(Article.objects.get(pk=article.pk)),
        user=editor,
    )
    r = en(article)
    assert r.is_outdated
    diff = editorial.outdated_diff(r)
    assert diff.found
    assert diff.changes == {
        1: ("changed", f.FERRY["paragraphs"]["zh-hans"][1]),
        3: ("added", ""),
    }
    page = login(translator).get(translate_url(article)).content.decode()
    assert 'id="p-2" class="paragraph changed"' in page
    assert 'id="p-4" class="paragraph added"' in page
    assert 'id="p-1" class="paragraph"' in page


def test_paragraph_diff_reports_removed_paragraphs():
    diff = editorial.paragraph_diff(["a", "b", "c"], ["a", "c"])
    assert diff.changes == {} and diff.removed == ["b"]


# --- optimistic concurrency ----------------------------------------------------------------------


def test_two_people_editing_the_same_version_second_save_is_refused(translator, editor):
    article = f.import_article(f.chinese_only_record())
    first, second = login(translator), login(editor)
    version = article.version
    assert first.get(translate_url(article)).status_code == 200
    assert second.get(translate_url(article)).status_code == 200
    ok = editor_post(first, article, ["First translator's text."], version=version, title="T1")
    assert ok.status_code == 302
    refused = editor_post(second, article, ["Second person's text."], version=version, title="T2")
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Someone else saved this article" in page
    assert "Second person&#x27;s text." in page or "Second person's text." in page
    assert Article.objects.get(pk=article.pk).body_en == "First translator's text."


def test_two_editors_in_the_article_change_form(editor):
    from tests.test_admin import form_data

    other = make_user("editor2", "Editor")
    article = f.import_article(f.bilingual_record())
    url = f"/admin/archive/article/{article.pk}/change/"
    a, b = login(editor), login(other)
    data_a, data_b = form_data(a.get(url)), form_data(b.get(url))
    data_a["body_zh_hans"] += "\n\n甲的段落。"
    data_b["body_zh_hans"] += "\n\n乙的段落。"
    assert a.post(url, {**data_a, "_save": "Save"}).status_code == 302
    refused = b.post(url, {**data_b, "_save": "Save"})
    assert refused.status_code == 200
    assert "Someone else saved this article" in refused.content.decode()
    assert "乙的段落。" in refused.content.decode()
    assert "甲的段落。" in Article.objects.get(pk=article.pk).body_zh_hans


# --- history and restore -------------------------------------------------------------------------


def test_history_records_who_and_when_and_restores(editor):
    article = f.import_article(f.bilingual_record())
    original_body = article.body_zh_hans
    article.body_zh_hans = original_body + "\n\n" + NEW_ZH
    services.article_save(
        article=article,
        previous_text=services.text_snapshot(Article.objects.get(pk=article.pk)),
        user=editor,
    )
    versions = editorial.article_versions(article)
    assert len(versions) == 2  # the state before the first edit, and the edit
    assert versions[0].revision.user == editor
    assert versions[1].revision.user is None

    client = login(editor)
    history = client.get(f"/admin/archive/article/{article.pk}/history/").content.decode()
    assert "editor" in history
    diff = client.get(f"/admin/archive/article/{article.pk}/revisions/{versions[0].pk}/")
    assert f"<ins>\n\n{NEW_ZH}</ins>" in diff.content.decode()

    response = client.post(f"/admin/archive/article/{article.pk}/revisions/{versions[1].pk}/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body_zh_hans == original_body
    assert not en(article).is_outdated  # the original is back to what it was translated from
    assert len(editorial.article_versions(article)) == 3
    assert search("第二天").count == 0


def test_language_version_history(editor, draft_article):
    services.rendition_transition(rendition=en(draft_article), to="published", user=editor)
    versions = Version.objects.get_for_object(en(draft_article))
    assert versions.first().field_dict["status"] == "published"
    assert versions.first().revision.user == editor


def test_actor_history_is_recorded_by_the_admin(admin_client):
    from archive.models import Actor

    admin_client.post(
        "/admin/archive/actor/add/",
        {
            "kind": "company",
            "name_zh_hans": "渡轮公司",
            "name_en": "Ferry Co",
            "slug": "ferry-co",
            "context_words": "[]",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
        },
    )
    actor = Actor.objects.get(slug="ferry-co")
    assert Version.objects.get_for_object(actor).count() == 1
    assert admin_client.get(f"/admin/archive/actor/{actor.pk}/history/").status_code == 200


def test_translator_cannot_restore(translator, editor, draft_article):
    draft_article.body_zh_hans += "\n\n" + NEW_ZH
    services.article_save(article=draft_article, user=editor)
    version = editorial.article_versions(draft_article)[-1]
    with pytest.raises(PermissionDenied):
        services.article_revert(article=draft_article, version=version, user=translator)


# --- delete ---------------------------------------------------------------------------------------


def test_delete_needs_confirmation_is_soft_and_recoverable(client, editor):
    article = f.import_article(f.bilingual_record())
    admin = login(editor)
    url = f"/admin/archive/article/{article.pk}/delete/"
    confirm = admin.get(url)
    assert confirm.status_code == 200 and b"Are you sure" in confirm.content
    assert admin.post(url, {"post": "yes"}).status_code == 302
    article.refresh_from_db()
    assert article.deleted_at is not None and article.deleted_by == editor
    assert not any(public_surfaces(client, article).values())
    assert client.get(f"/en/articles/{article.pk}/", follow=True).status_code == 404

    response = admin.post(
        "/admin/archive/article/",
        {"action": "undelete", "_selected_action": [article.pk]},
    )
    assert response.status_code == 302
    assert all(public_surfaces(client, article).values())


# --- preview ---------------------------------------------------------------------------------


def test_editors_preview_unpublished_versions_the_public_cannot(client, translator, draft_article):
    url = f"/en/articles/{draft_article.pk}/preview/"
    parallel = f"/en/articles/{draft_article.pk}/parallel/preview/"
    assert client.get(url).status_code == 404
    assert client.get(parallel).status_code == 404
    staff = login(translator)
    page = staff.get(url)
    assert page.status_code == 200 and "Old Zhou untied the rope" in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    assert "Old Zhou untied the rope" in staff.get(parallel).content.decode()


# --- glossary --------------------------------------------------------------------------------


def test_glossary_expands_search_across_languages_and_joins_the_dictionary(editor):
    f.import_article(f.bilingual_record())
    assert search("摆渡").count == 0
    services.glossary_term_save(term=GlossaryTerm(zh="摆渡", en="ferry"), user=editor)
    assert segmenter().is_word("摆渡")
    assert search("摆渡").count == 1  # the English version says "ferry"
    assert search("摆渡", lang="en").count == 1


def test_glossary_changes_the_segmenter_cache_key():
    from archive import indexing

    before = indexing.segmenter()
    GlossaryTerm.objects.create(zh="渡线", en="ferry line")
    assert indexing.segmenter() is not before
    assert "渡线" in indexing.user_dictionary_words()


def test_translators_cannot_change_the_glossary(translator):
    with pytest.raises(PermissionDenied):
        services.glossary_term_save(term=GlossaryTerm(zh="渡口", en="ferry"), user=translator)


# --- import in the admin -------------------------------------------------------------------------


def test_admin_import_preview_then_confirm(editor, tmp_path):
    client = login(editor)
    existing = f.import_article(f.bilingual_record())
    content = f.jsonl([f.chinese_only_record(), f.bilingual_record(title={"en": "New title"})])
    upload = tmp_path / "batch.jsonl"
    upload.write_text(content, encoding="utf-8")
    with upload.open("rb") as fh:
        preview = client.post("/admin/archive/article/import/", {"step": "preview", "file": fh})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "1 created, 1 updated" in page and "library-mountain" in page
    assert not Article.objects.filter(external_id="library-mountain").exists()
    assert Article.objects.get(pk=existing.pk).title_en == existing.title_en

    done = client.post("/admin/archive/article/import/", {"step": "confirm"})
    assert done.status_code == 200
    assert Article.objects.filter(external_id="library-mountain").exists()
    assert Article.objects.get(pk=existing.pk).title_en == "New title"


def test_admin_import_of_a_seed_text_file(editor, tmp_path):
    client = login(editor)
    upload = tmp_path / "morning-harbor.en.txt"
    upload.write_text(f.seed_text(), encoding="utf-8")
    with upload.open("rb") as fh:
        preview = client.post("/admin/archive/article/import/", {"step": "preview", "file": fh})
    assert "1 created" in preview.content.decode()
    assert Article.objects.count() == 0
    client.post("/admin/archive/article/import/", {"step": "confirm"})
    assert Article.objects.count() == 1


def test_admin_import_errors_with_line_numbers_and_nothing_written(editor, tmp_path):
    client = login(editor)
    upload = tmp_path / "bad.jsonl"
    upload.write_text(
        f.jsonl([f.chinese_only_record(), "{not json", f.minimal_record()]), encoding="utf-8"
    )
    with upload.open("rb") as fh:
        response = client.post("/admin/archive/article/import/", {"step": "preview", "file": fh})
    assert response.status_code == 400
    assert "line 2" in response.content.decode()
    assert Article.objects.count() == 0
    # Nothing is waiting to be confirmed either.
    client.post("/admin/archive/article/import/", {"step": "confirm"})
    assert Article.objects.count() == 0


def test_admin_import_cancel_writes_nothing(editor, tmp_path):
    client = login(editor)
    upload = tmp_path / "one.jsonl"
    upload.write_text(f.jsonl([f.chinese_only_record()]), encoding="utf-8")
    with upload.open("rb") as fh:
        client.post("/admin/archive/article/import/", {"step": "preview", "file": fh})
    client.post("/admin/archive/article/import/", {"step": "cancel"})
    client.post("/admin/archive/article/import/", {"step": "confirm"})
    assert Article.objects.count() == 0


def test_actor_hints_give_the_name_in_the_target_language():
    from archive.models import Actor, ActorAlias

    actor = Actor.objects.create(
        kind="person", slug="zhou", name_zh_hans="老周", name_en="Old Zhou"
    )
    ActorAlias.objects.create(actor=actor, language="zh-hans", text="老周", script="simplified")
    hints = editorial.paragraph_hints(
        f.FERRY["paragraphs"]["zh-hans"][0], "zh-hans", "en", [], [actor]
    )
    assert [(h.source, h.target, h.kind) for h in hints] == [("老周", "Old Zhou", "actor")]
