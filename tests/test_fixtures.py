"""The repository's seed fixture (fixtures/seed.jsonl) and how the site shows it."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.core.management import call_command
from django.utils import translation

from archive.models import Article, Outlet, Person, Rendition
from tests import factories as f
from tests.conftest import REPO

pytestmark = pytest.mark.django_db

FIXTURE = REPO / "fixtures" / "seed.jsonl"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@pytest.fixture
def seed_article():
    call_command("import_articles", str(FIXTURE), "--no-progress", verbosity=0)
    return Article.objects.get()


def fixture_record() -> dict:
    (line,) = FIXTURE.read_text(encoding="utf-8").splitlines()
    return json.loads(line)


def test_the_original_is_chinese_and_has_no_invented_chinese_text(seed_article):
    assert seed_article.original_language == "zh-hans"
    zh = seed_article.renditions.get(language="zh-hans")
    assert zh.status == Rendition.Status.MISSING
    assert zh.is_original
    for name in ("title", "summary", "body"):
        assert seed_article.text(name, "zh-hans") == ""
    # Nowhere in the article text is there Chinese: none was invented for any language.
    for code in ("zh-hans", "en"):
        for name in ("title", "summary", "body"):
            assert not CJK.search(seed_article.text(name, code))
    assert seed_article.original_hash == ""


def test_the_english_translation_is_published_by_bitpush(seed_article):
    en = seed_article.renditions.get(language="en")
    assert en.status == Rendition.Status.PUBLISHED
    assert not en.is_outdated  # unknown provenance: no original text to compare with
    assert seed_article.title_en == fixture_record()["title"]["en"]
    assert len(seed_article.paragraphs("en")) > 10

    publisher = en.publisher
    assert (publisher.slug, publisher.name_en, publisher.name_zh_hans) == (
        "bitpush",
        "Bitpush",
        "比推",
    )
    assert [link["label"] for link in publisher.social_links] == [
        "Twitter",
        "Bitpush TG Discussion Group",
        "Bitpush TG Subscription",
    ]
    assert all(link["url"].startswith("https://") for link in publisher.social_links)
    assert "https://" not in seed_article.body_en  # the links are not body text


def test_author_and_original_outlet(seed_article):
    (authorship,) = seed_article.authorships.all()
    assert (authorship.person.slug, authorship.person.name_en) == ("ada", "Ada")
    outlet = seed_article.outlet
    assert outlet.name_en == "Shenchao TechFlow"
    assert outlet.name_zh_hans == "深潮 TechFlow"
    with translation.override("zh-hans"):
        assert str(outlet) == "深潮 TechFlow"
    assert Person.objects.count() == 1
    assert Outlet.objects.count() == 2


def test_loading_the_fixture_twice_keeps_one_article(seed_article):
    call_command("import_articles", str(FIXTURE), "--keep-existing", "--no-progress", verbosity=0)
    call_command("import_articles", str(FIXTURE), "--no-progress", verbosity=0)
    assert Article.objects.get().version == seed_article.version == 1


def test_home_page_lists_the_seed_article(client, seed_article):
    response = client.get("/en/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode("utf-8"))
    assert fixture_record()["title"]["en"] in page
    assert "Ada" in page
    assert "Nothing has been published yet" not in page


def test_home_page_without_articles(client):
    response = client.get("/en/")
    assert response.status_code == 200
    assert "Nothing has been published yet" in response.content.decode("utf-8")


def test_home_page_lists_published_articles_only(client):
    f.saved_article()  # typed in by an editor: drafts only
    f.import_record(f.chinese_only_record())  # the Chinese original is published
    page = html.unescape(client.get("/en/").content.decode("utf-8"))
    assert f.TEA_STALL["title"]["zh-hans"] not in page
    assert f.TEA_STALL["title"]["en"] not in page
    assert f.LIBRARY["title"]["zh-hans"] in page
