"""The public pages in both languages: home, article (published, missing, unpublished and outdated
versions), side by side, archive by date, outlet and person pages, and the language switch."""

from __future__ import annotations

import copy
import datetime
import re
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import override

from archive import services
from archive.models import Article, Mention, Rendition, quote_segment, unicode_slug
from tests import factories as f
from tests.conftest import REPO
from tests.pages import find, text
from tests.test_actors import actor

pytestmark = pytest.mark.django_db

SEED = REPO / "fixtures" / "seed.jsonl"
ACTORS = REPO / "fixtures" / "actors.jsonl"


@pytest.fixture
def ferry() -> Article:
    """A Chinese original with a published English translation (both published)."""
    return f.import_article(f.bilingual_record())


@pytest.fixture
def library() -> Article:
    """A published Chinese original whose English translation does not exist."""
    return f.import_article(f.chinese_only_record())


@pytest.fixture
def seed() -> Article:
    call_command("import_articles", str(SEED), "--no-progress", verbosity=0)
    return Article.objects.get(external_id="anthropic-72-hour-identity-crisis")


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response


# --- / and the language switch -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "target"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "/zh-hans/"),
        ("zh", "/zh-hans/"),
        ("en-GB,en;q=0.9", "/en/"),
        ("fr-FR,fr;q=0.9", "/en/"),
        (None, "/en/"),
    ],
)
def test_root_sends_visitors_to_their_language(client, accept, target):
    extra = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = client.get("/", **extra)
    assert response.status_code == 302
    assert response["Location"] == target
    assert "Accept-Language" in response["Vary"]


def test_the_ui_language_follows_the_url(client, ferry):
    zh = get(client, "/zh-hans/", HTTP_ACCEPT_LANGUAGE="en")
    assert find(zh, "html")[0]["lang"] == "zh-Hans"
    assert "最新收录" in text(zh)
    en = get(client, "/en/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert find(en, "html")[0]["lang"] == "en"
    assert "Latest in the archive" in text(en)


def test_every_page_has_a_language_switcher(client, ferry):
    pages = ["/en/", "/en/archive/", ferry.url("en"), f"/en/articles/{ferry.pk}/parallel/"]
    pages += ["/en/outlets/harbor-notes/", "/en/people/lin-qiao/"]
    for url in pages:
        response = get(client, url)
        (switch,) = find(response, "a", hreflang="zh-Hans", lang="zh-Hans")
        assert switch["href"].startswith("/zh-hans/"), url
        target = client.get(switch["href"])
        assert target.status_code == 200, switch["href"]
        (current,) = find(response, "a", hreflang="en", lang="en")
        assert current.get("aria-current") == "true"


def test_the_switcher_on_an_article_goes_to_the_other_versions_page(client, ferry):
    response = get(client, ferry.url("en"))
    (switch,) = find(response, "a", hreflang="zh-Hans", lang="zh-Hans")
    assert switch["href"] == ferry.url("zh-hans")
    assert "江边渡口" in text(get(client, switch["href"]))


def test_header_search_form_points_at_the_search_page(client):
    (form,) = find(get(client, "/zh-hans/"), "form", role="search")
    assert (form["action"], form["method"]) == ("/zh-hans/search/", "get")
    assert find(get(client, "/zh-hans/"), "input", name="q")


# --- home ----------------------------------------------------------------------------------------


def test_home_lists_published_pieces_with_their_versions(client, ferry, library):
    f.saved_article()  # drafts only: not public
    en = get(client, "/en/")
    page = text(en)
    assert f.FERRY["title"]["en"] in page
    assert f.LIBRARY["title"]["zh-hans"] in page  # no English: the Chinese title, marked
    assert find(en, "h2", class_="card-title", lang="zh-Hans")
    assert find(en, "a", href=library.url("en"))
    assert f.TEA_STALL["title"]["en"] not in page
    assert f.TEA_STALL["title"]["zh-hans"] not in page
    # Which versions exist: the ferry has both, the library only Chinese.
    assert find(en, "a", href=ferry.url("zh-hans"), hreflang="zh-Hans")
    assert find(en, "a", href=ferry.url("en"), hreflang="en")
    assert not find(en, "a", href=library.url("en"), hreflang="en")
    # Outlets, with their pages.
    assert find(en, "a", href="/en/outlets/harbor-notes/")
    assert find(en, "a", href="/en/outlets/lantern-press/")

    zh = text(get(client, "/zh-hans/"))
    assert f.FERRY["title"]["zh-hans"] in zh
    assert f.FERRY["title"]["en"] not in zh
    assert "港湾笔记" in zh and "林桥" in zh


def test_home_shows_the_newest_first_and_undated_last(client, ferry, seed):
    older = f.bilingual_record("older", text=f.TEA_STALL, published_at="2024-01-05")
    f.import_record(older)
    page = text(get(client, "/en/"))
    positions = [
        page.index(title)
        for title in (
            f.FERRY["title"]["en"],
            f.TEA_STALL["title"]["en"],
            "Anthropic's 72-Hour Identity Crisis",
        )
    ]
    assert positions == sorted(positions)


def test_home_costs_the_same_queries_for_one_piece_or_many(
    client, ferry, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as one:
        get(client, "/en/")
    for i, text_ in enumerate([f.LIBRARY, f.TEA_STALL, f.FERRY, f.LIBRARY, f.TEA_STALL]):
        record = f.bilingual_record(f"piece-{i}", text=text_)
        record["renditions"]["en"]["translators"].append(copy.deepcopy(f.WANG_AN))
        f.import_record(record)
    with django_assert_max_num_queries(7), CaptureQueriesContext(connection) as many:
        get(client, "/zh-hans/")
    assert len(many) == len(one)


# --- the article page ----------------------------------------------------------------------------


def test_article_in_english_credits_everyone(client, ferry):
    response = get(client, ferry.url("en"))
    page = text(response)
    assert f.FERRY["title"]["en"] in page
    for name in ("Lin Qiao", "Harbor Notes", "Chen Xiaoyu", "Lantern Press", "Wang An"):
        assert name in page
    assert "human" in page
    assert find(response, "a", href="https://harbor-notes.example.org/ferry-crossing")
    assert find(response, "a", href="https://lantern-press.example.com/ferry-crossing")
    assert find(response, "time", datetime="2025-11-03")  # the original's date
    assert find(response, "time", datetime="2025-11-10")  # the translation's
    assert find(response, "a", href="/en/people/lin-qiao/")
    assert find(response, "a", href="/en/outlets/harbor-notes/")
    (body,) = find(response, "div", class_="body")
    assert body["lang"] == "en"
    for i, paragraph in enumerate(f.FERRY["paragraphs"]["en"], start=1):
        assert find(response, "p", id=f"p{i}")
        assert paragraph in page
    assert not find(response, "div", class_="notice")


def test_article_in_chinese_uses_chinese_names_and_ui(client, ferry):
    response = get(client, ferry.url("zh-hans"))
    page = text(response)
    assert f.FERRY["title"]["zh-hans"] in page
    assert f.FERRY["paragraphs"]["zh-hans"][1] in page
    assert f.FERRY["paragraphs"]["en"][1] not in page
    for name in ("林桥", "港湾笔记", "陈晓雨", "灯笼出版"):
        assert name in page
    assert "语言版本" in page and "人工翻译" in page and "原文" in page
    (body,) = find(response, "div", class_="body")
    assert body["lang"] == "zh-Hans"
    (heading,) = find(response, "h1")
    assert heading["lang"] == "zh-Hans"


def test_article_slug_is_the_title_in_that_language(ferry):
    assert ferry.url("en") == (f"/en/articles/{ferry.pk}/the-last-ferry-at-the-river-crossing/")
    with override("zh-hans"):
        expected = reverse(
            "archive:article", kwargs={"pk": ferry.pk, "slug": "江边渡口的最后一班船"}
        )
    assert ferry.url("zh-hans") == expected
    assert expected.startswith(f"/zh-hans/articles/{ferry.pk}/%E6%B1%9F")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The Last Ferry: at the River's Crossing!",
        "  --Pentagon—Anthropic  ",
        "国防部长访问港口 (第二版)",
        "ＤｅｅｐＳｅｅｋ 融资 ①ﬁ",
        "Ünïcödé café _under_ score~tilde.dot",
        "tab\tnew\nline\u3000ideographic\u00a0space",
        "a/b?c&d%e+f#g",
    ],
)
def test_slugs_and_their_quoting_are_djangos(text):
    # The article URL's own slug and percent-encoding (a page of search results makes 40 URLs)
    # give what django.utils.text.slugify and urllib.parse.quote give.
    assert unicode_slug(text) == slugify(text, allow_unicode=True)
    assert quote_segment(text) == quote(text, safe="")
    assert quote_segment(unicode_slug(text)) == quote(slugify(text, allow_unicode=True), safe="")


@pytest.mark.parametrize("suffix", ["", "wrong-slug/", "the-last-ferry/"])
def test_a_wrong_or_missing_slug_redirects_permanently(client, ferry, suffix):
    response = client.get(f"/en/articles/{ferry.pk}/{suffix}")
    assert response.status_code == 301
    assert response["Location"] == ferry.url("en")


def test_the_english_slug_under_chinese_redirects_to_the_chinese_slug(client, ferry):
    response = client.get(f"/zh-hans/articles/{ferry.pk}/the-last-ferry-at-the-river-crossing/")
    assert response.status_code == 301
    assert response["Location"] == ferry.url("zh-hans")


def test_unknown_and_unpublished_articles_are_not_found(client):
    drafts = f.saved_article()  # typed in by an editor: drafts, not public
    for url in [
        "/en/articles/999999/anything/",
        f"/en/articles/{drafts.pk}/x/",
        f"/zh-hans/articles/{drafts.pk}/x/",
        f"/en/articles/{drafts.pk}/",
        f"/en/articles/{drafts.pk}/parallel/",
        f"/en/articles/{drafts.pk}/cite.bib",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert f.TEA_STALL["title"]["en"] not in response.content.decode()


def test_the_seed_in_chinese_says_the_chinese_original_is_not_archived(client, seed):
    response = get(client, seed.url("zh-hans"))
    page = text(response)
    assert "本文的中文原文未收入文库" in page
    assert "下面显示的是英文版本" in page
    assert "Anthropic's 72-Hour Identity Crisis" in page
    (body,) = find(response, "div", class_="body")
    assert body["lang"] == "en"
    assert find(response, "a", href=seed.url("en"), hreflang="en")
    assert "未收录" in page  # the versions list: Chinese not archived
    assert "比推" in page  # the publisher, named in Chinese


def test_the_seed_in_english_has_no_notice(client, seed):
    response = get(client, seed.url("en"))
    assert "not archived" not in text(response).split("Language versions")[0]
    assert "Bitpush" in text(response)
    assert len(find(response, "p", id="p70")) == 1  # 70 paragraphs, anchored


def test_a_missing_translation_says_so_and_shows_the_original(client, library):
    response = get(client, library.url("en"))
    page = text(response)
    assert "There is no English version of this piece in the archive." in page
    assert "The Chinese version is shown below." in page
    assert f.LIBRARY["paragraphs"]["zh-hans"][0] in page
    (body,) = find(response, "div", class_="body")
    assert body["lang"] == "zh-Hans"
    assert find(response, "a", href=library.url("zh-hans"), hreflang="zh-Hans")


def test_an_unpublished_translation_is_announced_but_not_shown(client, ferry):
    Rendition.objects.filter(article=ferry, language="en").update(status="draft")
    response = get(client, ferry.url("en"))
    page = text(response)
    assert "The English version of this piece is not published yet." in page
    assert f.FERRY["title"]["en"] not in page
    for paragraph in f.FERRY["paragraphs"]["en"]:
        assert paragraph not in page
    assert "Chen Xiaoyu" not in page  # nor its credits
    assert f.FERRY["paragraphs"]["zh-hans"][0] in page
    assert "the-last-ferry" not in response.content.decode()


def outdate(article: Article) -> Article:
    """Edit the Chinese original after the English translation was made."""
    before = services.text_snapshot(article)
    article.body_zh_hans += "\n\n老周退休以后，渡口由他的女儿接手。"
    services.article_save(article=article, previous_text=before)
    return Article.objects.get(pk=article.pk)


def test_an_outdated_translation_says_so(client, ferry):
    ferry = outdate(ferry)
    assert ferry.renditions.get(language="en").is_outdated
    en = text(get(client, ferry.url("en")))
    assert "This translation is outdated." in en
    assert "The Chinese original has changed since it was translated" in en
    zh = get(client, ferry.url("zh-hans"))
    assert "此译文已过时" not in text(zh).split("语言版本")[0]  # the original is not outdated
    assert "已过时" in text(zh)  # … but its versions list flags the English
    assert "outdated" in text(get(client, "/en/"))


def test_body_text_is_escaped(client):
    record = f.bilingual_record("escaping")
    record["title"]["en"] = "Tags <b>in</b> a title"
    record["body"]["en"] = "A <script>alert('x')</script> paragraph.\n\nSecond & last."
    article = f.import_article(record)
    response = get(client, article.url("en"))
    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in content
    assert "<b>in</b>" not in content
    assert "Second &amp; last." in content


def test_article_page_costs_a_fixed_number_of_queries(client, ferry, django_assert_max_num_queries):
    # 1 last-modified, 4 for the article (outlet, versions, translators, authors), 1 for the
    # actors it is about, 1 for related pieces (skipped when it is about no one).
    url = ferry.url("zh-hans")
    with django_assert_max_num_queries(7):
        get(client, url)


def test_actors_and_related_pieces_cost_the_same_for_few_or_many(
    client, cast, django_assert_max_num_queries
):
    article = about("a", en="Musk, the Pentagon and Grok.", zh="马斯克与五角大楼。")
    about("b", en="Musk again.", date="2025-02-01")
    url = article.url("en")
    with CaptureQueriesContext(connection) as few:
        get(client, url)
    for i in range(6):
        about(f"more-{i}", en="Musk and Grok at the Pentagon.", zh="马斯克。", date="2025-03-01")
    with django_assert_max_num_queries(7), CaptureQueriesContext(connection) as many:
        response = get(client, url)
    assert len(many) == len(few)
    assert len(find(response, "a", href="/en/actors/elon-musk/")) == 1


# --- side by side --------------------------------------------------------------------------------


def test_parallel_pairs_paragraph_i_with_paragraph_i(client, ferry):
    response = get(client, f"/en/articles/{ferry.pk}/parallel/")
    content = response.content.decode()
    zh, en = f.FERRY["paragraphs"]["zh-hans"], f.FERRY["paragraphs"]["en"]
    for i in range(3):
        assert find(response, "section", id=f"p{i + 1}")
        block = content.split(f'id="p{i + 1}"')[1].split("</section>")[0]
        assert zh[i] in block and en[i] in block
    assert find(response, "p", class_="side left", lang="zh-Hans")
    assert find(response, "p", class_="side right", lang="en")
    (pin,) = find(response, "a", href=f"http://testserver/en/articles/{ferry.pk}/parallel/#p2")
    assert pin["class"] == "pin"
    assert not find(response, "p", class_="side right gap")


def test_parallel_degrades_gracefully_on_unequal_paragraph_counts(client):
    record = f.bilingual_record("uneven")
    record["body"]["en"] = "\n\n".join(f.FERRY["paragraphs"]["en"][:2])
    article = f.import_article(record)
    response = get(client, f"/en/articles/{article.pk}/parallel/")
    page = text(response)
    assert "The Chinese text has 3 paragraphs and the English text 2" in page
    assert find(response, "section", id="p3")
    assert len(find(response, "p", class_="side right gap")) == 1
    assert "（此处无对应段落）" in text(get(client, f"/zh-hans/articles/{article.pk}/parallel/"))


def test_parallel_of_the_seed_shows_the_translation_alone(client, seed):
    response = get(client, f"/zh-hans/articles/{seed.pk}/parallel/")
    page = text(response)
    assert "本文的中文原文未收入文库，因此只显示英文译文。" in page
    assert len(find(response, "section", class_="pair")) == 70
    assert find(response, "p", class_="side left", lang="en")


def test_parallel_flags_an_outdated_translation(client, ferry):
    ferry = outdate(ferry)
    page = text(get(client, f"/en/articles/{ferry.pk}/parallel/"))
    assert "This translation is outdated." in page


# --- lists ---------------------------------------------------------------------------------------


def test_archive_by_date_is_paginated_newest_first(client):
    start = datetime.date(2025, 1, 1)
    for i in range(25):
        day = (start + datetime.timedelta(days=10 * i)).isoformat()
        record = f.bilingual_record(f"day-{i:02d}", published_at=day)
        record["title"] = {"zh-hans": f"第{i:02d}篇", "en": f"Piece number {i:02d}"}
        f.import_record(record)
    first = text(get(client, "/en/archive/"))
    assert first.index("Piece number 24") < first.index("Piece number 05")
    assert "Piece number 04" not in first
    assert "Page 1 of 2" in first
    second = get(client, "/en/archive/?page=2")
    assert "Piece number 04" in text(second)
    assert "Piece number 24" not in text(second)
    assert find(second, "link", rel="canonical")[0]["href"].endswith("/en/archive/?page=2")
    zh = text(get(client, "/zh-hans/archive/"))
    assert "按日期浏览" in zh and "第24篇" in zh and "2025年" in zh


def test_outlet_pages_list_originals_and_published_translations(client, ferry, library):
    f.saved_article()
    harbor = get(client, "/en/outlets/harbor-notes/")
    assert f.FERRY["title"]["en"] in text(harbor)
    assert f.LIBRARY["title"]["zh-hans"] not in text(harbor)  # no outlet on that record
    assert find(harbor, "a", href="https://twitter.com/HarborNotesCN")
    lantern = text(get(client, "/zh-hans/outlets/lantern-press/"))
    assert "灯笼出版" in lantern and f.FERRY["title"]["zh-hans"] in lantern
    assert client.get("/en/outlets/no-such-outlet/").status_code == 404


def test_person_pages_list_what_they_wrote_and_translated(client, ferry, library):
    translator = text(get(client, "/en/people/chen-xiaoyu/"))
    assert "Chen Xiaoyu" in translator and f.FERRY["title"]["en"] in translator
    author = text(get(client, "/zh-hans/people/赵明/"))
    assert "赵明" in author and f.LIBRARY["title"]["zh-hans"] in author
    assert client.get("/en/people/nobody/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/en/outlets/%00/",
        "/en/outlets/harbor-notes%00/",
        "/zh-hans/outlets/%00/feed/",
        "/en/people/lin%00qiao/",
    ],
)
def test_a_nul_in_an_outlet_or_person_slug_is_no_page(client, ferry, path):
    """It was a 500 (PostgreSQL's text cannot hold a NUL); no slug has one."""
    assert client.get(path).status_code == 404


def test_a_translators_unpublished_work_is_not_listed(client, ferry):
    Rendition.objects.filter(article=ferry, language="en").update(status="in_review")
    page = text(get(client, "/en/people/chen-xiaoyu/"))
    assert f.FERRY["title"]["zh-hans"] not in page
    assert "Nothing has been published yet." in page


# --- what a piece is about: actors, related pieces, the home page's most mentioned ---------------


@pytest.fixture
def cast():
    return {
        "musk": actor("elon-musk", "person", "Elon Musk", "埃隆·马斯克", "Musk", "马斯克"),
        "pentagon": actor(
            "pentagon",
            "government",
            "U.S. Department of Defense",
            "美国国防部",
            "Pentagon",
            "五角大楼",
        ),
        "grok": actor("grok", "product", "Grok", "", "Grok"),  # no Chinese name
    }


def about(external_id: str, *, date: str = "2025-01-01", **texts):
    """A piece with the given English and/or Chinese body (published unless `status` says)."""
    return f.piece(external_id, date=date, **texts)


def actor_links(response) -> list[tuple[str, str]]:
    """(href, lang) of the links in the page's list of actors, in order."""
    content = response.content.decode()
    section = content[
        content.index('id="actors-heading"') : content.index(
            "</section>", content.index('id="actors-heading"')
        )
    ]
    return re.findall(r'<a href="([^"]+)" lang="([^"]+)">', section)


def test_article_lists_its_actors_most_mentioned_first_in_the_pages_language(client, cast):
    article = about(
        "talks",
        zh="五角大楼回应了马斯克。五角大楼再次表态，五角大楼第三次。",
        en="The Pentagon answered Musk. Grok was mentioned. Musk, Musk.",
    )
    en = get(client, article.url("en"))
    # Pentagon 3 (zh) + 1 (en) = 4, Musk 1 + 3 = 4 → tie broken by slug; Grok 1.
    assert actor_links(en) == [
        ("/en/actors/elon-musk/", "en"),
        ("/en/actors/pentagon/", "en"),
        ("/en/actors/grok/", "en"),
    ]
    assert "Elon Musk" in text(en) and "U.S. Department of Defense" in text(en)
    zh = get(client, article.url("zh-hans"))
    # Chinese names where there are; Grok has none and keeps its English name, marked so.
    assert actor_links(zh) == [
        ("/zh-hans/actors/elon-musk/", "zh-Hans"),
        ("/zh-hans/actors/pentagon/", "zh-Hans"),
        ("/zh-hans/actors/grok/", "en"),
    ]
    assert "埃隆·马斯克" in text(zh) and "美国国防部" in text(zh)
    assert "本文涉及" in text(zh)


def test_rejected_mentions_and_unpublished_versions_do_not_count(client, cast):
    article = about(
        "drafty",
        zh="五角大楼发表声明。",
        en="Musk and Grok, in a draft translation.",
        status={"en": "draft"},
    )
    Mention.objects.filter(article=article, actor=cast["pentagon"]).update(state="rejected")
    response = get(client, article.url("zh-hans"))
    assert 'id="actors-heading"' not in response.content.decode()
    assert not find(response, "a", href="/zh-hans/actors/pentagon/")
    assert not find(response, "a", href="/zh-hans/actors/elon-musk/")
    assert not find(response, "a", href="/zh-hans/actors/grok/")


def related_titles(response) -> list[str]:
    content = response.content.decode()
    if 'id="related-heading"' not in content:
        return []
    start = content.index('id="related-heading"')
    section = content[start : content.index("</section>", start)]
    return re.findall(r'<a href="[^"]+" lang="[^"]+">([^<]+)</a>', section)


def test_related_pieces_share_the_most_actors_newest_first_on_ties(client, cast):
    article = about("main", en="Musk, the Pentagon and Grok.", date="2025-01-01")
    about("two", en="Musk and the Pentagon.", date="2024-01-01")
    about("older-one", en="Musk alone.", date="2024-06-01")
    about("newer-one", zh="马斯克一人。", date="2025-06-01")  # Chinese only, shared in Chinese
    about("none", en="Nobody at all.", date="2025-07-01")
    about("draft", en="Musk, the Pentagon and Grok.", status={"en": "draft"})
    rejected = about("rejected", en="Grok and Musk.", date="2025-08-01")
    Mention.objects.filter(article=rejected).update(state="rejected")
    en = get(client, article.url("en"))
    assert related_titles(en) == ["English two", "中文newer-one", "English older-one"]
    assert find(en, "a", href=Article.objects.get(external_id="two").url("en"), lang="en")
    assert "2 actors in common" in text(en)
    # The Chinese-only piece: its Chinese title and page, marked Chinese, on the English page.
    newer = Article.objects.get(external_id="newer-one")
    assert find(en, "a", href=newer.url("en"), lang="zh-Hans")
    zh = get(client, article.url("zh-hans"))
    assert "共同涉及 2 个" in text(zh)


def test_at_most_five_related_pieces(client, cast):
    article = about("main", en="Musk.")
    for i in range(7):
        about(f"other-{i}", en="Musk again.", date=f"2025-0{i + 1}-01")
    titles = related_titles(get(client, article.url("en")))
    assert titles == [f"English other-{i}" for i in (6, 5, 4, 3, 2)]


def test_a_piece_about_no_one_has_no_actor_or_related_sections(client, ferry):
    content = get(client, ferry.url("en")).content.decode()
    assert 'id="actors-heading"' not in content and 'id="related-heading"' not in content


def test_the_seed_lists_its_actors_on_its_page(client):
    call_command("import_actors", str(ACTORS), verbosity=0)
    call_command("import_articles", str(SEED), "--no-progress", verbosity=0)
    seed = Article.objects.get(external_id="anthropic-72-hour-identity-crisis")
    for language in ("en", "zh-hans"):
        response = get(client, seed.url(language))
        hrefs = [href for href, _ in actor_links(response)]
        for slug in ("anthropic", "pentagon", "elon-musk", "deepseek", "pete-hegseth"):
            assert f"/{language}/actors/{slug}/" in hrefs, (language, slug)
        # The piece is about Anthropic above all.
        assert hrefs[0] == f"/{language}/actors/anthropic/"
    zh = text(get(client, seed.url("zh-hans")))
    assert "皮特·赫格塞思" in zh and "深度求索" in zh


def test_home_lists_the_most_mentioned_actors(client, cast):
    about("one", en="Musk and the Pentagon.")
    about("two", zh="马斯克。")
    about("three", en="Musk, again.")
    about("draft", en="Grok, Grok, Grok.", status={"en": "draft"})
    en = get(client, "/en/")
    content = en.content.decode()
    start = content.index('id="actors-heading"')
    section = content[start : content.index("</aside>", start)]
    assert re.findall(r'href="/en/actors/([^/]+)/"', section) == ["elon-musk", "pentagon"]
    assert "3 pieces" in text(en) and "1 piece" in text(en)
    assert find(en, "a", href="/en/actors/")
    zh = get(client, "/zh-hans/")
    assert find(zh, "a", href="/zh-hans/actors/elon-musk/", lang="zh-Hans")
    assert "埃隆·马斯克" in text(zh) and "3 篇" in text(zh)


def test_home_shows_at_most_twelve_actors(client):
    names = [f"Name{chr(65 + i)}" for i in range(14)]
    for i, name in enumerate(names):
        actor(f"actor-{i}", "person", name, "", name)
    about("crowd", en=" ".join(names) + ".")
    content = get(client, "/en/").content.decode()
    start = content.index('id="actors-heading"')
    section = content[start : content.index("</aside>", start)]
    assert len(re.findall(r'href="/en/actors/actor-', section)) == 12
