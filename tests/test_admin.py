"""The admin: pages render, assets are local, and edits go through the service layer."""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.utils.deprecation import RemovedInDjango60Warning

from archive.models import Article, Outlet, Person, Rendition
from tests import factories as f

pytestmark = pytest.mark.django_db


class FormParser(HTMLParser):
    """Collects what a browser would submit for the admin's main form (`<form id="…_form">`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: list[tuple[str, str]] = []
        self._in_form = False
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._in_option = False
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name and "__prefix__" not in name:
            self._textarea, self._text = name, []
        elif tag == "select" and name and "__prefix__" not in name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._in_option = True
            self._option_value = a.get("value")
            self._option_selected = "selected" in a
            self._option_text = []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        if self._in_option:
            self._option_text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # Browsers drop the one newline that follows <textarea>.
            self.data.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "option" and self._select is not None:
            value = self._option_value
            if value is None:
                value = "".join(self._option_text).strip()
            self._options.append((value, self._option_selected))
            self._in_option = False
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            self.data.extend((self._select, v) for v in chosen)
            self._select = None


def form_data(response) -> dict[str, str]:
    parser = FormParser()
    parser.feed(response.content.decode("utf-8"))
    data = dict(parser.data)
    assert len(data) == len(parser.data), "a field name appears twice"
    return data


def change_url(obj) -> str:
    return f"/admin/archive/{obj._meta.model_name}/{obj.pk}/change/"


@pytest.fixture
def article():
    return f.import_article(f.bilingual_record())


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Article, Outlet, Person, Rendition])
def test_changelist_and_change_pages(admin_client, article, model):
    changelist = admin_client.get(f"/admin/archive/{model._meta.model_name}/")
    assert changelist.status_code == 200
    obj = model.objects.order_by("pk").first()
    response = admin_client.get(change_url(obj))
    assert response.status_code == 200
    assert form_data(response)  # the page has an edit form with fields


def test_changelist_lists_titles_and_versions(admin_client, article):
    page = admin_client.get("/admin/archive/article/").content.decode("utf-8")
    assert f.FERRY["title"]["en"] in page
    assert article.external_id in page


def test_search_pages(admin_client, article):
    found = admin_client.get("/admin/archive/article/", {"q": "ferry"})
    assert found.status_code == 200 and article.external_id in found.content.decode()
    assert admin_client.get("/admin/archive/person/", {"q": "林"}).status_code == 200
    assert admin_client.get("/admin/archive/rendition/", {"q": "ferry"}).status_code == 200


def test_admin_requires_staff(client, article):
    response = client.get(change_url(article))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_article_page_uses_local_tabbed_translation_assets(admin_client, article):
    page = admin_client.get(change_url(article)).content.decode("utf-8")
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any("modeltranslation/js/tabbed_translation_fields.js" in s for s in scripts)
    assert "modeltranslation/css/tabbed_translation_fields.css" in page
    jquery_ui = [s for s in scripts if "jquery-ui/jquery-ui" in s]
    assert jquery_ui, scripts
    assert not any("googleapis" in s or s.startswith("//") for s in scripts)
    assert "googleapis" not in page
    # The script is served from our own static files (the xstatic-jquery-ui package).
    static_path = jquery_ui[0].split("/static/", 1)[1]
    assert finders.find(static_path) is not None
    # Both languages get a tab: one field per language for each translated field.
    assert 'name="body_zh_hans"' in page and 'name="body_en"' in page


def test_rendition_inline_has_one_form_per_language_and_no_add(admin_client, article):
    data = form_data(admin_client.get(change_url(article)))
    assert data["renditions-TOTAL_FORMS"] == "2"
    assert data["renditions-MAX_NUM_FORMS"] == "0"
    assert data["authorships-TOTAL_FORMS"] == "1"


# --- edits through the change form ---------------------------------------------------------------


def post_change(admin_client, article, **changes):
    url = change_url(article)
    data = form_data(admin_client.get(url))
    for name in changes:
        assert name in data, f"{name} is not a field of the form"
    data.update(changes)
    data["_save"] = "Save"
    response = admin_client.post(url, data)
    if response.status_code != 302:
        errors = response.context and [
            response.context["adminform"].form.errors,
            [fs.formset.errors for fs in response.context["inline_admin_formsets"]],
        ]
        pytest.fail(f"the admin did not save: {response.status_code} {errors}")
    return response


def test_unchanged_form_post_round_trips(admin_client, article):
    before = f.rendition(article, "en").source_hash
    post_change(admin_client, article)
    article.refresh_from_db()
    assert article.body_en == f.body(f.FERRY, "en")
    assert article.body_zh_hans == f.body(f.FERRY, "zh-hans")
    assert [a.person.slug for a in article.authorships.all()] == ["lin-qiao"]
    en = f.rendition(article, "en")
    assert en.source_hash == before and not en.is_outdated
    assert en.publisher.slug == "lantern-press" and en.reviewer.slug == "wang-an"


def test_editing_the_original_in_the_admin_makes_the_translation_outdated(admin_client, article):
    assert article.version == 1
    new_body = f.body(f.FERRY, "zh-hans") + "\n\n第二天早上，渡口照样有人等船。"
    post_change(admin_client, article, body_zh_hans=new_body)

    article.refresh_from_db()
    assert article.body_zh_hans == new_body
    assert article.version == 2
    assert f.rendition(article, "en").is_outdated
    assert not f.rendition(article, "zh-hans").is_outdated

    # Editing the English text brings the translation up to date again.
    new_english = f.body(f.FERRY, "en") + "\n\nThe next morning, people waited at the crossing."
    post_change(admin_client, article, body_en=new_english)
    article.refresh_from_db()
    assert article.body_en == new_english
    assert article.version == 3
    en = f.rendition(article, "en")
    assert en.source_hash == article.original_hash
    assert not en.is_outdated


def test_editing_only_the_translation_in_the_admin_keeps_it_up_to_date(admin_client, article):
    post_change(admin_client, article, title_en="The Final Ferry")
    article.refresh_from_db()
    assert article.title_en == "The Final Ferry"
    assert article.version == 2
    assert not f.rendition(article, "en").is_outdated


def test_admin_status_change_on_the_inline(admin_client, article):
    # renditions-0 is English (renditions are ordered by language code).
    data = form_data(admin_client.get(change_url(article)))
    assert data["renditions-0-id"] == str(f.rendition(article, "en").pk)
    post_change(admin_client, article, **{"renditions-0-status": "in_review"})
    assert f.rendition(article, "en").status == "in_review"


def test_admin_rejects_a_status_that_contradicts_the_text(admin_client):
    article = f.import_article(f.chinese_only_record())
    url = change_url(article)
    data = form_data(admin_client.get(url))
    assert data["renditions-0-status"] == "missing"  # English
    data["renditions-0-status"] = "published"
    data["_save"] = "Save"
    response = admin_client.post(url, data)
    assert response.status_code == 200  # the form is shown again with the error
    assert f.rendition(article, "en").status == "missing"
    article.refresh_from_db()
    assert article.version == 1


def test_adding_an_article_in_the_admin(admin_client):
    data = form_data(admin_client.get("/admin/archive/article/add/"))
    data.update(
        external_id="night-train",
        original_language="zh-hans",
        title_zh_hans="夜车笔记",
        body_zh_hans="火车半夜出发。\n\n天亮时，我们已经在山里了。",
        _save="Save",
    )
    assert admin_client.post("/admin/archive/article/add/", data).status_code == 302
    article = Article.objects.get(external_id="night-train")
    assert article.version == 1
    assert article.original_hash == article.compute_original_hash() != ""
    statuses = {r.language: r.status for r in article.renditions.all()}
    assert statuses == {"zh-hans": "draft", "en": "missing"}

    # Adding the English translation (and marking it a draft) makes an up-to-date translation.
    post_change(
        admin_client,
        article,
        title_en="Notes From the Night Train",
        body_en="The train left at midnight.",
        **{"renditions-0-status": "draft"},
    )
    article.refresh_from_db()
    en = f.rendition(article, "en")
    assert en.status == "draft" and en.source_hash == article.original_hash
    assert not en.is_outdated


def test_admin_pages_emit_no_django60_deprecation_warning(admin_client, article):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for obj in (article, article.outlet, f.rendition(article, "en")):
            assert admin_client.get(change_url(obj)).status_code == 200
    assert not [w for w in caught if issubclass(w.category, RemovedInDjango60Warning)]
