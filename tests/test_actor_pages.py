"""Actor pages, the Atom feed, the monthly chart, and the admin for actors and mentions."""

from __future__ import annotations

import datetime as dt
import html
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import translation

from archive.charts import month_bars_svg, month_series
from archive.models import Actor, ActorAlias, Article, Mention
from tests import factories as f
from tests.test_actors import actor
from tests.test_admin import change_url, form_data

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SVG = "{http://www.w3.org/2000/svg}"


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
        "grok": actor("grok", "product", "Grok", "Grok"),
    }


piece = f.piece


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode("utf-8"))


def test_urls():
    with translation.override("zh-hans"):
        assert reverse("archive:actor", kwargs={"slug": "pentagon"}) == "/zh-hans/actors/pentagon/"
    # English explicitly: a request of an earlier test may have left another language active.
    with translation.override("en"):
        assert reverse("archive:actor_index") == "/en/actors/"
        assert reverse("archive:actor_feed", kwargs={"slug": "x"}) == "/en/actors/x/feed/"


def test_index_lists_actors_by_kind_with_article_counts(client, cast):
    piece("p1", en="Musk and the Pentagon.", date="2025-01-02")
    piece("p2", zh="马斯克再次发言。", date="2025-02-03")
    piece("draft", en="Musk in a draft.", status={"en": "draft"})
    text = page(client, "/en/actors/")
    assert text.index("Person") < text.index("Government body") < text.index("Product or model")
    assert re.search(r"Elon Musk</a>\s*<span[^>]*>\(2\)", text)
    assert re.search(r"U.S. Department of Defense</a>\s*<span[^>]*>\(1\)", text)
    assert re.search(r"Grok</a>\s*<span[^>]*>\(0\)", text)
    zh = page(client, "/zh-hans/actors/")
    assert "人物与机构" in zh and "埃隆·马斯克" in zh and "政府机构" in zh


def test_actor_page_timeline_both_languages_newest_first_published_only(client, cast):
    piece("old", en="Elon Musk spoke.", date="2024-12-30")
    piece("new", zh="马斯克在会上发言。", date="2025-03-01")
    piece("hidden", en="Musk in a draft.", date="2025-04-01", status={"en": "in_review"})
    text = page(client, "/en/actors/elon-musk/")
    assert "Elon Musk" in text and "埃隆·马斯克" in text  # names in both languages
    assert text.index("中文new") < text.index("English old")
    assert "English hidden" not in text
    new = Article.objects.get(external_id="new")
    assert f'href="{new.url("zh-hans")}"' in text
    assert "马斯克在会上发言。" in text  # the first passage naming the actor
    zh = page(client, "/zh-hans/actors/elon-musk/")
    assert "每月提及" in zh and 'hreflang="en"' in zh


def test_timeline_shows_the_passage_in_the_pages_language(client, cast):
    piece("both", en="First.\n\nElon Musk spoke.", zh="第一段。\n\n马斯克发言。")
    en = page(client, "/en/actors/elon-musk/")
    assert '<blockquote lang="en">Elon Musk spoke.</blockquote>' in en
    assert "马斯克发言。" not in en
    zh = page(client, "/zh-hans/actors/elon-musk/")
    assert "马斯克发言。" in zh and "Elon Musk spoke." not in zh


def test_timeline_paginates(client, cast):
    for i in range(24):
        piece(f"n{i:02}", en="The Pentagon again.", date=f"2025-01-{i + 1:02}")
    first = page(client, "/en/actors/pentagon/")
    assert first.count("<li>\n          <a href=") == 20 and "English n23" in first
    second = page(client, "/en/actors/pentagon/?page=2")
    assert "English n00" in second and "English n23" not in second


def test_mentioned_alongside_and_rejected_mentions_do_not_count(client, cast):
    a = piece("p1", en="Musk and the Pentagon.", date="2025-01-02")
    piece("p2", en="Musk and Grok.", date="2025-01-03")
    piece("p3", en="Musk, Grok and nothing else.", date="2025-01-04")
    text = page(client, "/en/actors/elon-musk/")
    section = text[text.index("Mentioned alongside") :]
    assert section.index("Grok") < section.index("U.S. Department of Defense")
    assert re.search(r"Grok</a>\s*<span[^>]*>\(2\)", section)
    a.mentions.filter(actor=cast["pentagon"]).update(state=Mention.State.REJECTED)
    text = page(client, "/en/actors/elon-musk/")
    assert "U.S. Department of Defense" not in text[text.index("Mentioned alongside") :]
    assert "English p1" not in page(client, "/en/actors/pentagon/")


def test_chart_counts_articles_per_month_with_empty_months(client, cast):
    piece("a", en="Musk.", date="2025-01-10")
    piece("b", en="Musk.", date="2025-01-20")
    piece("c", en="Musk.", date="2025-04-02")
    text = page(client, "/en/actors/elon-musk/")
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", text, re.S).group(0))
    bars = {r.find(f"{SVG}title").text: float(r.get("height")) for r in svg.iter(f"{SVG}rect")}
    assert list(bars) == ["2025-01: 2", "2025-02: 0", "2025-03: 0", "2025-04: 1"]
    assert bars["2025-01: 2"] == 2 * bars["2025-04: 1"] > 0
    # The chart is plain SVG: the only script on the page is the site's own search helper.
    assert re.findall(r"<script\b[^>]*>", text) == [
        '<script src="/static/archive/search.js" defer>'
    ]


def test_chart_functions():
    assert month_bars_svg([], label="x") == ""
    series = month_series([(dt.date(2023, 1, 5), 1), (dt.date(2025, 12, 1), 2)])
    assert len(series) == 36 and series[-1] == (dt.date(2025, 12, 1), 2)
    svg = ET.fromstring(month_bars_svg([(dt.date(2025, 11, 1), 3)], label="<&>"))
    assert svg.get("aria-label") == "<&>"


def test_feed_is_valid_atom(client, cast):
    piece("old", en="Elon Musk spoke.", date="2024-12-30")
    new = piece("new", en="Musk again.", zh="马斯克再次发言。", date="2025-03-01")
    response = client.get("/en/actors/elon-musk/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert "Elon Musk" in feed.find(f"{ATOM}title").text
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["English new", "English old"]
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link.endswith(new.url("en"))
    zh = ET.fromstring(client.get("/zh-hans/actors/elon-musk/feed/").content)
    assert zh.findall(f"{ATOM}entry")[0].find(f"{ATOM}title").text == "中文new"
    assert client.get("/en/actors/nobody/feed/").status_code == 404


def test_unknown_actor_is_404(client):
    assert client.get("/en/actors/nobody/").status_code == 404


# --- admin ---------------------------------------------------------------------------------------


def test_actor_admin_pages_and_filter(admin_client, cast):
    assert admin_client.get("/admin/archive/actor/").status_code == 200
    assert admin_client.get("/admin/archive/actor/", {"kind__exact": "person"}).status_code == 200
    assert (
        "Elon Musk" in admin_client.get("/admin/archive/actor/", {"q": "馬斯克"}).content.decode()
    )
    response = admin_client.get(change_url(cast["musk"]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="name_zh_hans"' in content and 'name="description_en"' in content
    assert 'name="aliases-0-text"' in content


def test_adding_an_alias_in_the_admin_derives_traditional_forms(admin_client, cast):
    url = change_url(cast["pentagon"])
    data = form_data(admin_client.get(url))
    n = int(data["aliases-TOTAL_FORMS"])
    empty = n - 1  # the extra form
    data.update(
        {
            f"aliases-{empty}-text": "美国战争部",
            f"aliases-{empty}-language": "zh-hans",
            "_save": "Save",
        }
    )
    assert admin_client.post(url, data).status_code == 302
    added = ActorAlias.objects.get(text="美国战争部")
    assert added.script == "simplified" and not added.derived
    assert ActorAlias.objects.get(text="美國戰爭部").derived


def test_editors_reject_and_add_mentions_in_the_article_admin(admin_client, cast):
    article = piece("p1", en="Musk and the Pentagon.", date="2025-01-02")
    url = change_url(article)
    data = form_data(admin_client.get(url))
    rows = {data[f"mentions-{i}-actor"]: i for i in range(int(data["mentions-TOTAL_FORMS"]))}
    data[f"mentions-{rows[str(cast['musk'].pk)]}-state"] = "rejected"
    n = int(data["mentions-TOTAL_FORMS"])
    data.update(
        {
            "mentions-TOTAL_FORMS": str(n + 1),
            f"mentions-{n}-actor": str(cast["grok"].pk),
            f"mentions-{n}-language": "en",
            f"mentions-{n}-state": "detected",
            "_save": "Save",
        }
    )
    assert admin_client.post(url, data).status_code == 302
    states = {m.actor.slug: m.state for m in article.mentions.select_related("actor")}
    assert states == {"elon-musk": "rejected", "pentagon": "detected", "grok": "added"}

    # An edit of the text in the admin detects again: the decisions stay.
    data = form_data(admin_client.get(url))
    data.update(body_en="Musk, Musk and the Pentagon.", _save="Save")
    assert admin_client.post(url, data).status_code == 302
    states = {m.actor.slug: (m.state, m.count) for m in article.mentions.select_related("actor")}
    assert states == {
        "elon-musk": ("rejected", 2),
        "pentagon": ("detected", 1),
        "grok": ("added", 0),
    }


def test_redetect_action(admin_client, cast):
    article = piece("p1", en="The Department of War said no.")
    assert not article.mentions.exists()
    ActorAlias.objects.create(
        actor=cast["pentagon"], language="en", text="Department of War", script="latin"
    )
    response = admin_client.post(
        "/admin/archive/article/",
        {"action": "redetect_mentions", "_selected_action": [article.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Articles processed: 1" in response.content.decode()
    assert article.mentions.get().actor == Actor.objects.get(slug="pentagon")


def test_a_versions_draft_never_shows_in_the_actor_feed_or_timeline(client, cast):
    """An article about the actor whose Chinese version is published and whose English one is
    still a draft: the English feed and page show the Chinese version, never the draft."""
    mixed = piece(
        "mixed",
        zh="马斯克公开发言。",
        en="Musk and Grok in a secret draft.",
        status={"en": "draft"},
    )
    feed = ET.fromstring(client.get("/en/actors/elon-musk/feed/").content)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "中文mixed"
    assert "secret" not in ET.tostring(entry, encoding="unicode")
    assert entry.find(f"{ATOM}link").get("href").endswith(mixed.url("zh-hans"))
    text = page(client, "/en/actors/elon-musk/")
    assert "中文mixed" in text
    assert "English mixed" not in text and "secret" not in text
    assert "Grok" not in text  # named in the draft only: not alongside
    assert re.search(r"Grok</a>\s*<span[^>]*>\(0\)", page(client, "/en/actors/"))
    assert "secret" not in page(client, "/en/actors/grok/")


def test_an_actor_with_a_rejected_mention_elsewhere_is_still_alongside(client, cast):
    piece("both", en="Elon Musk met the Pentagon.")
    other = piece("other", en="The Pentagon again.")
    Mention.objects.filter(article=other).update(state=Mention.State.REJECTED)
    assert "U.S. Department of Defense" in page(client, "/en/actors/elon-musk/")
