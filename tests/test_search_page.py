"""The search page, /<lang>/search/: hits with both titles and snippets (marked by language), the
actors of each hit, facet links, filters in force, sort links, pagination, messages, escaping,
both UI languages, and the hooks of the actor suggestions (the script itself: test_browser.py)."""

from __future__ import annotations

import html
import re

import pytest

from archive import search as search_module
from archive import views as views_module
from archive.models import Article
from archive.views import estimated_count
from tests import factories as f
from tests.pages import find, text
from tests.test_actors import actor

pytestmark = pytest.mark.django_db


def piece(external_id: str, *, en=None, zh=None, date="2025-03-01", outlet="Harbor Daily"):
    """zh/en are (title, body) pairs; the Chinese is the original when there is one."""
    record = {
        "external_id": external_id,
        "original_language": "zh-hans" if zh else "en",
        "title": {},
        "body": {},
        "outlet": {"name": {"en": outlet}},
        "published_at": date,
    }
    for code, pair in (("zh-hans", zh), ("en", en)):
        if pair:
            record["title"][code], record["body"][code] = pair
    return f.import_article(record)


@pytest.fixture
def archive():
    actor(
        "pentagon", "government", "U.S. Department of Defense", "美国国防部", "Pentagon", "五角大楼"
    )
    actor("elon-musk", "person", "Elon Musk", "埃隆·马斯克", "Musk", "马斯克")
    return {
        "both": piece(
            "both",
            zh=("五角大楼的新合同", "五角大楼与马斯克签订了新合同。"),
            en=("The Pentagon's new contract", "The Pentagon signed a new contract with Musk."),
            date="2025-05-01",
        ),
        "english": piece(
            "english",
            en=("A quiet week", "Nothing from the Pentagon this week."),
            date="2024-02-01",
            outlet="Lantern Press",
        ),
    }


def get(client, path, params, status=200):
    response = client.get(path, params)
    assert response.status_code == status, (path, params, response.status_code)
    return response


def test_hits_show_both_titles_and_snippets_marked_by_language(client, archive):
    response = get(client, "/en/search/", {"q": "Pentagon"})
    content = response.content.decode()
    both = archive["both"]
    # Both versions of the bilingual piece, each in its own language, with its own link.
    (zh,) = find(response, "div", class_="hit-version", lang="zh-Hans")
    assert find(response, "a", href=both.url("zh-hans"), hreflang="zh-Hans")
    assert find(response, "a", href=both.url("en"), hreflang="en")
    assert len(find(response, "div", class_="hit-version", lang="en")) == 2
    # Both titles, the query's matches marked in them as in the snippets.
    assert "<mark>五角大楼</mark>的新合同</a>" in content
    assert "The <mark>Pentagon</mark>&#x27;s new contract</a>" in content
    assert "A quiet week</a>" in content  # nothing to mark
    # Highlights in both languages: the English word, and its Chinese alias.
    assert "<mark>Pentagon</mark>" in content
    # The language badges are in the UI's language.
    assert find(response, "span", class_="badge", lang="en")
    # The hit's actors as links to their pages, in the page's language.
    assert find(response, "a", href="/en/actors/pentagon/", lang="en")
    assert find(response, "a", href="/en/actors/elon-musk/", lang="en")
    assert "2 results" in text(response)


def test_a_hostile_title_is_escaped_with_its_marks(client, archive):
    piece("hostile", en=("<script>alert(1)</script> Pentagon <b>plan</b>", "A plan."))
    content = get(client, "/en/search/", {"q": "Pentagon plan"}).content.decode()
    assert "<script>alert(1)" not in content and "<b>plan" not in content
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Pentagon</mark> &lt;b&gt;<mark>plan</mark>"
        in content
    )


def test_the_chinese_search_page(client, archive):
    response = get(client, "/zh-hans/search/", {"q": "五角大楼"})
    page = text(response)
    assert find(response, "html")[0]["lang"] == "zh-Hans"
    assert "<mark>五角大楼</mark>" in response.content.decode()
    assert "2 条结果" in page  # the English-only piece is found through its actor
    assert "筛选结果" in page and "排序：" in page
    assert find(response, "a", href="/zh-hans/actors/pentagon/", lang="zh-Hans")
    assert "美国国防部" in page and "埃隆·马斯克" in page
    assert find(response, "span", class_="badge", lang="zh-Hans")


def test_facet_links_filter_and_the_filter_in_force_can_be_removed(client, archive):
    response = get(client, "/en/search/", {"q": "Pentagon"})
    facet_links = [a["href"] for a in find(response, "a") if "actor=" in a.get("href", "")]
    assert "?q=Pentagon&actor=elon-musk" in facet_links
    assert find(response, "a", href="?q=Pentagon&outlet=lantern-press")
    # The language facet counts the pieces with that version: its link filters on that, not on
    # the text of the version searched (`lang=`, which may find fewer, or none).
    assert find(response, "a", href="?q=Pentagon&available=zh-hans")
    assert find(response, "details", class_="facets")

    filtered = get(client, "/en/search/", {"q": "Pentagon", "actor": "elon-musk"})
    assert "1 result" in text(filtered)
    # The active facet is marked, and links back to the unfiltered search.
    (active,) = find(filtered, "a", class_="active")
    assert active["href"] == "?q=Pentagon" and active["aria-current"] == "true"
    # The filter in force, named, with a link that removes it; the box keeps it for a new query.
    content = filtered.content.decode()
    assert re.search(r"Actor:</span> Elon Musk <a href=\"\?q=Pentagon\"", content)
    assert find(filtered, "input", type="hidden", name="actor", value="elon-musk")


def test_facets_counted_over_a_sample_show_estimates_for_all_the_matches(
    client, archive, monkeypatch
):
    monkeypatch.setattr(search_module, "FACET_ROWS", 1)
    response = get(client, "/en/search/", {"q": "Pentagon"})
    # One of the two matches counted: each facet's count is scaled up to both, said to be an
    # estimate, and the basis is named (not "2 results" above "English 1").
    assert "Counts estimated from a sample of 1 match." in text(response)
    counts = facet_counts(response)
    assert counts and all(c.startswith("≈") for c in counts)
    assert "≈\u202f2" in counts  # English: 1 of the 1 counted, 2 of the 2 matches
    chinese = get(client, "/zh-hans/search/", {"q": "Pentagon"})
    assert "计数根据 1 条匹配结果的抽样估计。" in text(chinese)
    # Counted over every match: exact, as before.
    monkeypatch.undo()
    exact = get(client, "/en/search/", {"q": "Pentagon"})
    assert "sample" not in text(exact)
    assert "2" in facet_counts(exact) and not any("≈" in c for c in facet_counts(exact))


def facet_counts(response) -> list[str]:
    """The text of each facet link's count."""
    found = re.findall(r'<span class="count">(.*?)</span></li>', response.content.decode())
    return [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in found]


def test_estimated_facet_counts_keep_two_significant_digits():
    assert [estimated_count(n, 2.924, 1462) for n in (139, 7, 1, 0)] == [410, 20, 3, 1]
    assert estimated_count(3, 1.0, 9) == 3 and estimated_count(1, 400.0, 20_000) == 400
    # Never above the total it is a part of (1,462 rounded would be 1,500).
    assert estimated_count(500, 2.924, 1462) == 1462


def test_large_counts_are_grouped_in_english(client, archive, monkeypatch):
    real = search_module.search

    def many(**kwargs):
        result = real(**kwargs)
        result.count, result.count_is_estimate = 12_345, True
        return result

    monkeypatch.setattr(views_module, "search", many)
    assert "About 12,345 results" in text(get(client, "/en/search/", {"q": "Pentagon"}))
    assert "约 12345 条结果" in text(get(client, "/zh-hans/search/", {"q": "Pentagon"}))


def test_sort_links_and_pagination_keep_the_query(client, archive):
    response = get(client, "/en/search/", {"q": "Pentagon", "page_size": "1"})
    assert find(response, "a", href="?q=Pentagon&page_size=1&sort=date")
    assert find(response, "strong", aria_current="true")
    assert find(response, "a", rel="next", href="?q=Pentagon&page_size=1&page=2")
    assert "Page 1 of 2" in text(response)
    second = get(client, "/en/search/", {"q": "Pentagon", "page_size": "1", "page": "2"})
    assert find(second, "a", rel="prev", href="?q=Pentagon&page_size=1")
    assert find(second, "ol", class_="results", start="2")
    by_date = get(client, "/en/search/", {"q": "Pentagon", "sort": "date"})
    assert find(by_date, "a", href="?q=Pentagon")  # back to relevance
    titles = re.findall(r'class="hit-title"><a href="/en/[^"]+"', by_date.content.decode())
    assert titles and by_date.content.decode().index("new contract") < (
        by_date.content.decode().index("A quiet week")
    )


def test_a_page_past_the_last_result_is_not_called_nothing_matched(client, archive):
    response = get(client, "/en/search/", {"q": "Pentagon", "page": "3"})
    assert "Nothing matched" not in text(response)
    assert "No results on this page." in text(response)
    assert find(response, "a", href="?q=Pentagon")  # back to the first page


def test_messages_and_errors_are_shown(client, archive):
    response = get(client, "/en/search/", {"q": "-google"})
    assert "cannot only exclude" in text(response)
    # A query answered without searching has its message, not the advice of an empty search.
    assert "Nothing matched" not in text(response)
    itself = get(client, "/en/search/", {"q": "Pentagon -Pentagon"})
    assert "excludes a word it searches for" in text(itself)
    assert "Nothing matched" not in text(itself)
    bad = get(client, "/en/search/", {"q": "x", "year": "abc"}, status=400)
    assert find(bad, "p", role="alert")
    nothing = get(client, "/en/search/", {"q": "zebra"})
    assert "0 results" in text(nothing) and "Nothing matched" in text(nothing)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "Pentagon", "outlet": "\x00"},
        {"q": "Pentagon", "actor": "pentagon\x00"},
        {"q": "Pentagon", "author": "a\x00b"},
        {"translator": "\x00"},
    ],
)
def test_a_nul_in_a_filter_is_a_clear_400(client, archive, params):
    """It was a 500: PostgreSQL's text cannot hold a NUL."""
    (kind,) = set(params) - {"q"}
    english = get(client, "/en/search/", params, status=400)
    assert find(english, "p", role="alert")
    assert f"{kind} must not contain control characters." in text(english)
    chinese = get(client, "/zh-hans/search/", params, status=400)
    assert f"{kind} 不能包含控制字符。" in text(chinese)


def test_the_query_titles_and_names_are_escaped(client, archive):
    actor("evil", "organisation", "Evil <i>Corp</i>", "", "Evilcorp")
    piece("tags", en=("Tags <b>in</b> a title", "The Pentagon and Evilcorp <script>x()</script>."))
    content = get(client, "/en/search/", {"q": "Pentagon"}).content.decode()
    assert "<b>in</b>" not in content and "Tags &lt;b&gt;in&lt;/b&gt;" in content
    assert "<script>x()" not in content and "&lt;script&gt;" in content
    assert "<i>Corp</i>" not in content and "Evil &lt;i&gt;Corp&lt;/i&gt;" in content
    assert "<mark>Pentagon</mark>" in content
    response = get(client, "/en/search/", {"q": '"<img src=x onerror=alert(1)>'})
    content = response.content.decode()
    assert "<img src=x" not in content
    (box,) = find(response, "input", id="search-q")
    assert box["value"] == '"<img src=x onerror=alert(1)>'  # the parser unescapes the &lt;


def test_the_search_box_placeholder_keeps_its_quoted_phrase_inside_the_attribute(client):
    """The example's quotes ended the attribute: `placeholder="e.g. …, "supply chain", …"`."""
    english = get(client, "/en/search/", {})
    (box,) = find(english, "input", id="search-q")
    assert box["placeholder"] == 'e.g. Pentagon, 五角大楼, "supply chain", DeepSeek 融资'
    content = english.content.decode()
    assert 'placeholder="e.g. Pentagon, 五角大楼, &quot;supply chain&quot;' in content
    chinese = get(client, "/zh-hans/search/", {})
    (box,) = find(chinese, "input", id="search-q")
    assert box["placeholder"] == '例如：五角大楼、Pentagon、"供应链"、DeepSeek 融资'
    (header_box,) = find(get(client, "/en/", {}), "input", id="site-search")
    assert header_box["placeholder"] == "Search the archive"


def test_no_query_explains_the_page_and_the_header_box_is_not_repeated(client, archive):
    response = get(client, "/zh-hans/search/", {})
    assert not find(response, "ol", class_="results")
    assert "检索所有已发布文章" in text(response)
    forms = find(response, "form")
    assert [form["action"] for form in forms] == ["/zh-hans/search/"]
    assert find(response, "meta", name="robots", content="noindex, follow")


def test_an_actor_filter_alone_lists_its_pieces(client, archive):
    response = get(client, "/en/search/", {"actor": "pentagon"})
    assert "2 results" in text(response)
    assert "Actor:" in text(response)


def test_the_language_switcher_keeps_the_search(client, archive):
    response = get(client, "/en/search/", {"q": "五角大楼"})
    (link,) = find(response, "a", hreflang="zh-Hans", lang="zh-Hans")
    assert link["href"] == "/zh-hans/search/?q=%E4%BA%94%E8%A7%92%E5%A4%A7%E6%A5%BC"


def test_both_search_boxes_are_wired_for_actor_suggestions(client, archive):
    home = get(client, "/zh-hans/", {})
    search_page = get(client, "/zh-hans/search/", {"q": "x"})
    for response, box_id in ((home, "site-search"), (search_page, "search-q")):
        (wrapper,) = find(response, "div", class_="suggest")
        assert wrapper["data-suggest"] == "/api/actors"
        assert wrapper["data-actor-url"] == "/zh-hans/actors/actor-slug/"
        assert wrapper["data-language"] == "zh-hans"
        assert find(response, "input", id=box_id, name="q", autocomplete="off")
        (script,) = [a for a, _ in [(a, "") for a in find(response, "script")] if a.get("src")]
        assert script["src"].endswith("archive/search.js") and "defer" in script


def test_the_seed_is_found_in_both_languages_through_its_actors(client):
    from django.core.management import call_command

    from tests.conftest import REPO

    call_command("import_actors", str(REPO / "fixtures" / "actors.jsonl"), verbosity=0)
    call_command("import_articles", str(REPO / "fixtures" / "seed.jsonl"), "--no-progress")
    seed = Article.objects.get(external_id="anthropic-72-hour-identity-crisis")
    for language, q in (("zh-hans", "五角大楼"), ("en", "Pentagon"), ("zh-hans", "赫格塞思")):
        response = get(client, f"/{language}/search/", {"q": q})
        assert find(response, "a", href=seed.url("en"), hreflang="en"), (language, q)
        assert find(response, "a", href=f"/{language}/actors/anthropic/")


def test_the_language_facet_finds_as_many_as_it_counts(client, archive):
    piece("zh-only-about", zh=("合同", "五角大楼的合同。"), date="2025-06-01")
    response = get(client, "/en/search/", {"q": "合同"})
    languages = {a["href"]: a for a in find(response, "a") if "available=" in a.get("href", "")}
    assert set(languages) == {
        "?q=%E5%90%88%E5%90%8C&available=zh-hans",
        "?q=%E5%90%88%E5%90%8C&available=en",
    }
    # Both pieces match in Chinese; one of them has an English version, whose text has no 合同.
    english = get(client, "/en/search/", {"q": "合同", "available": "en"})
    assert "1 result" in text(english)
    content = english.content.decode()
    assert re.search(r"Language:</span> English <a href=\"\?q=%E5%90%88%E5%90%8C\"", content)
    searched = get(client, "/en/search/", {"q": "合同", "lang": "en"})
    assert "Searched in:</span> English" in searched.content.decode()
