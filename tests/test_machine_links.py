"""Links for machines: hreflang and canonical links, sitemap alternates, JSON-LD, OpenGraph, Atom
feeds, citation formats, robots.txt, and conditional GETs (304)."""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.utils.http import http_date

from archive.models import Article, Rendition
from tests import factories as f
from tests.conftest import REPO
from tests.pages import find, parse

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def ferry() -> Article:
    return f.import_article(f.bilingual_record())


@pytest.fixture
def library() -> Article:
    return f.import_article(f.chinese_only_record())


@pytest.fixture
def seed() -> Article:
    call_command(
        "import_articles", str(REPO / "fixtures" / "seed.jsonl"), "--no-progress", verbosity=0
    )
    return Article.objects.get(external_id="anthropic-72-hour-identity-crisis")


def alternates(response) -> dict[str, str]:
    return {
        a["hreflang"]: a["href"]
        for a in find(response, "link", rel="alternate")
        if a.get("hreflang")
    }


def canonical(response) -> str:
    (link,) = find(response, "link", rel="canonical")
    return link["href"]


def json_ld(response) -> dict:
    (data,) = [
        json.loads(body)
        for attrs, body in parse(response).scripts
        if attrs.get("type") == "application/ld+json"
    ]
    return data


def nodes_by_language(data: dict) -> dict[str, dict]:
    assert data["@context"] == "https://schema.org"
    return {node["inLanguage"]: node for node in data["@graph"]}


# --- hreflang and canonical ----------------------------------------------------------------------


def test_article_links_every_published_version_and_x_default(client, ferry):
    en_url, zh_url = SITE + ferry.url("en"), SITE + ferry.url("zh-hans")
    for url in (en_url, zh_url):
        response = client.get(url)
        assert alternates(response) == {"en": en_url, "zh-Hans": zh_url, "x-default": en_url}
        assert canonical(response) == url


def test_a_missing_version_has_no_hreflang_and_its_page_points_to_the_shown_one(client, seed):
    en_url = SITE + seed.url("en")
    response = client.get(seed.url("zh-hans"))
    assert alternates(response) == {"en": en_url, "x-default": en_url}
    assert canonical(response) == en_url


def test_x_default_of_a_chinese_only_piece_is_the_chinese_page(client, library):
    zh_url = SITE + library.url("zh-hans")
    response = client.get(library.url("en"))
    assert alternates(response) == {"zh-Hans": zh_url, "x-default": zh_url}
    assert canonical(response) == zh_url


def test_lists_link_their_other_language_and_x_default(client, ferry):
    home = client.get("/zh-hans/")
    assert alternates(home) == {
        "zh-Hans": SITE + "/zh-hans/",
        "en": SITE + "/en/",
        "x-default": SITE + "/",
    }
    assert canonical(home) == SITE + "/zh-hans/"
    outlet = client.get("/en/outlets/harbor-notes/")
    assert alternates(outlet)["zh-Hans"] == SITE + "/zh-hans/outlets/harbor-notes/"
    assert canonical(outlet) == SITE + "/en/outlets/harbor-notes/"
    parallel = client.get(f"/zh-hans/articles/{ferry.pk}/parallel/")
    assert canonical(parallel) == SITE + f"/zh-hans/articles/{ferry.pk}/parallel/"
    assert alternates(parallel)["en"] == SITE + f"/en/articles/{ferry.pk}/parallel/"


# --- sitemap -------------------------------------------------------------------------------------


def sitemap_urls(client, section: str) -> dict[str, dict[str, str]]:
    response = client.get(f"/sitemap-{section}.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return {
        url.find(f"{SM}loc").text: {
            link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
        }
        for url in root.findall(f"{SM}url")
    }


def test_sitemap_index_lists_the_sections(client, ferry):
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = {loc.text for loc in root.iter(f"{SM}loc")}
    assert {f"{SITE}/sitemap-{s}.xml" for s in ("pages", "articles", "outlets", "people")} == (
        locations
    )


def test_sitemap_has_each_published_version_with_its_alternates(client, ferry, seed):
    drafts = f.saved_article()
    urls = sitemap_urls(client, "articles")
    en, zh = SITE + ferry.url("en"), SITE + ferry.url("zh-hans")
    ferry_links = {"en": en, "zh-Hans": zh, "x-default": en}
    assert urls[en] == ferry_links
    assert urls[zh] == ferry_links
    seed_en = SITE + seed.url("en")
    assert urls[seed_en] == {"en": seed_en, "x-default": seed_en}
    assert SITE + seed.url("zh-hans") not in urls  # the Chinese original is not archived
    assert not [u for u in urls if f"/articles/{drafts.pk}/" in u]
    assert len(urls) == 3


def test_sitemap_pages_outlets_and_people(client, ferry):
    pages = sitemap_urls(client, "pages")
    assert pages[f"{SITE}/en/"] == {
        "zh-Hans": f"{SITE}/zh-hans/",
        "en": f"{SITE}/en/",
        "x-default": f"{SITE}/",
    }
    assert f"{SITE}/zh-hans/archive/" in pages
    outlets = sitemap_urls(client, "outlets")
    assert set(outlets) >= {f"{SITE}/en/outlets/harbor-notes/", f"{SITE}/en/outlets/lantern-press/"}
    people = sitemap_urls(client, "people")
    assert f"{SITE}/zh-hans/people/chen-xiaoyu/" in people
    assert f"{SITE}/en/people/wang-an/" not in people  # a reviewer is not credited with a page


# --- JSON-LD and OpenGraph ---------------------------------------------------------------------


def test_json_ld_describes_both_versions_and_links_them(client, ferry):
    data = json_ld(client.get(ferry.url("en")))
    versions = nodes_by_language(data)
    assert set(versions) == {"zh-Hans", "en"}
    zh, en = versions["zh-Hans"], versions["en"]
    assert zh["@type"] == en["@type"] == "NewsArticle"
    assert en["@id"] == en["url"] == SITE + ferry.url("en")
    assert en["headline"] == f.FERRY["title"]["en"]
    assert zh["headline"] == f.FERRY["title"]["zh-hans"]
    assert en["author"] == [{"@type": "Person", "name": "Lin Qiao"}]
    assert zh["author"] == [{"@type": "Person", "name": "林桥"}]
    assert en["translator"] == [{"@type": "Person", "name": "Chen Xiaoyu"}]
    assert "translator" not in zh
    assert en["publisher"]["name"] == "Lantern Press"
    assert zh["publisher"]["name"] == "港湾笔记"
    assert zh["publisher"]["url"] == "https://harbor-notes.example.org/"
    assert en["datePublished"] == "2025-11-10"
    assert zh["datePublished"] == "2025-11-03"
    assert en["translationOfWork"] == {"@id": zh["@id"]}
    assert zh["workTranslation"] == [{"@id": en["@id"]}]
    # The same graph on the Chinese page.
    assert json_ld(client.get(ferry.url("zh-hans"))) == data


def test_json_ld_of_the_seed_describes_the_unarchived_original(client, seed):
    versions = nodes_by_language(json_ld(client.get(seed.url("en"))))
    assert set(versions) == {"en"}
    en = versions["en"]
    assert en["publisher"]["name"] == "Bitpush"
    assert "https://t.me/bitpush" in en["publisher"]["sameAs"]
    assert "datePublished" not in en  # not known: not invented
    original = en["translationOfWork"]
    assert original["@type"] == "NewsArticle"
    assert original["inLanguage"] == "zh-Hans"
    assert original["publisher"]["name"] == "深潮 TechFlow"
    assert original["author"] == [{"@type": "Person", "name": "Ada"}]
    assert "url" not in original


def test_json_ld_leaves_out_unpublished_versions(client, ferry):
    Rendition.objects.filter(article=ferry, language="en").update(status="draft")
    data = json_ld(client.get(ferry.url("zh-hans")))
    assert set(nodes_by_language(data)) == {"zh-Hans"}
    assert f.FERRY["title"]["en"] not in json.dumps(data)
    assert "workTranslation" not in data["@graph"][0]


def test_json_ld_cannot_break_out_of_its_script_element(client):
    record = f.bilingual_record("breakout")
    record["title"]["en"] = "Closing </script><script>alert(1)</script> tags"
    article = f.import_article(record)
    response = client.get(article.url("en"))
    assert "</script><script>alert(1)" not in response.content.decode()
    assert json_ld(response)["@graph"][1]["headline"] == record["title"]["en"]


def test_opengraph_and_twitter_card(client, ferry):
    response = client.get(ferry.url("zh-hans"))
    og = {m["property"]: m["content"] for m in find(response, "meta") if "property" in m}
    assert og["og:type"] == "article"
    assert og["og:title"] == f.FERRY["title"]["zh-hans"]
    assert og["og:url"] == SITE + ferry.url("zh-hans")
    assert og["og:locale"] == "zh_CN"
    assert og["og:locale:alternate"] == "en_US"
    assert og["og:description"] == f.FERRY["paragraphs"]["zh-hans"][0]
    assert og["article:published_time"] == "2025-11-03"
    twitter = {m["name"]: m["content"] for m in find(response, "meta") if "name" in m}
    assert twitter["twitter:card"] == "summary"
    assert twitter["twitter:title"] == f.FERRY["title"]["zh-hans"]


# --- feeds ---------------------------------------------------------------------------------------


def feed(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}updated").text
    return root


def entries(root: ET.Element) -> list[dict[str, str]]:
    return [
        {
            "title": e.find(f"{ATOM}title").text,
            "link": e.find(f"{ATOM}link").get("href"),
            "author": e.find(f"{ATOM}author/{ATOM}name").text,
            "summary": e.find(f"{ATOM}summary").text,
            "updated": e.find(f"{ATOM}updated").text,
            "published": e.find(f"{ATOM}published").text,
        }
        for e in root.findall(f"{ATOM}entry")
    ]


def test_feeds_per_language_list_pieces_published_in_it(client, ferry, library, seed):
    f.saved_article()
    en = feed(client, "/en/feed/")
    assert en.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    en_entries = entries(en)
    assert [e["title"] for e in en_entries] == [
        f.FERRY["title"]["en"],
        "Anthropic's 72-Hour Identity Crisis",
    ]
    assert en_entries[0]["link"] == SITE + ferry.url("en")
    assert en_entries[0]["author"] == "Lin Qiao"
    assert en_entries[0]["published"].startswith("2025-11-10")
    assert en_entries[0]["summary"].startswith(f"<p>{f.FERRY['paragraphs']['en'][0]}</p>")

    zh = feed(client, "/zh-hans/feed/")
    assert zh.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-hans"
    assert [e["title"] for e in entries(zh)] == [
        f.FERRY["title"]["zh-hans"],
        f.LIBRARY["title"]["zh-hans"],
    ]
    assert entries(zh)[0]["author"] == "林桥"


def test_feed_summaries_are_escaped_html(client):
    record = f.bilingual_record("feed-escaping")
    record["body"]["en"] = "Less <than> & more."
    f.import_record(record)
    (entry,) = entries(feed(client, "/en/feed/"))
    assert entry["summary"] == "<p>Less &lt;than&gt; &amp; more.</p>"


def test_outlet_feeds(client, ferry, seed):
    titles = [e["title"] for e in entries(feed(client, "/en/outlets/lantern-press/feed/"))]
    assert titles == [f.FERRY["title"]["en"]]
    titles = [e["title"] for e in entries(feed(client, "/en/outlets/bitpush/feed/"))]
    assert titles == ["Anthropic's 72-Hour Identity Crisis"]
    assert entries(feed(client, "/zh-hans/outlets/bitpush/feed/")) == []  # no Chinese version
    assert client.get("/en/outlets/nobody/feed/").status_code == 404


def test_pages_advertise_their_feeds(client, ferry):
    (link,) = find(client.get("/en/"), "link", type="application/atom+xml")
    assert link["href"] == "/en/feed/"
    links = find(client.get("/zh-hans/outlets/harbor-notes/"), "link", type="application/atom+xml")
    assert "/zh-hans/outlets/harbor-notes/feed/" in {link["href"] for link in links}


# --- citations -----------------------------------------------------------------------------------


def test_csl_json(client, ferry):
    response = client.get(f"/en/articles/{ferry.pk}/cite.json")
    assert response["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    (item,) = json.loads(response.content)
    assert item["type"] == "article-newspaper"
    assert item["title"] == f.FERRY["title"]["en"]
    assert item["author"] == [{"literal": "Lin Qiao"}]
    assert item["translator"] == [{"literal": "Chen Xiaoyu"}]
    assert item["container-title"] == "Harbor Notes"
    assert item["publisher"] == "Lantern Press"
    assert item["issued"] == {"date-parts": [[2025, 11, 10]]}
    assert item["language"] == "en"
    assert item["URL"] == SITE + ferry.url("en")
    assert "https://harbor-notes.example.org/ferry-crossing" in item["note"]
    assert "https://lantern-press.example.com/ferry-crossing" in item["note"]


def test_bibtex(client, ferry):
    response = client.get(f"/zh-hans/articles/{ferry.pk}/cite.bib")
    assert response["Content-Type"].startswith("application/x-bibtex")
    bib = response.content.decode()
    assert re.match(rf"@article\{{yiwen{ferry.pk}zh,\n", bib)
    fields = dict(re.findall(r"^  (\w+) = \{(.*)\},?$", bib, flags=re.M))
    assert fields["title"] == "{江边渡口的最后一班船}"
    assert fields["author"] == "{林桥}"
    assert fields["journal"] == "港湾笔记"
    assert fields["year"] == "2025"
    assert fields["url"] == SITE + ferry.url("zh-hans")
    assert "https://harbor-notes.example.org/ferry-crossing" in fields["note"]
    assert bib.count("{") == bib.count("}")
    en = client.get(f"/en/articles/{ferry.pk}/cite.bib").content.decode()
    assert "translator = {{Chen Xiaoyu}}" in en


def test_bibtex_escapes_special_characters(client):
    record = f.bilingual_record("special")
    record["title"]["en"] = "100% of {braces} & C#_x"
    article = f.import_article(record)
    bib = client.get(f"/en/articles/{article.pk}/cite.bib").content.decode()
    assert r"title = {{100\% of \{braces\} \& C\#\_x}}" in bib


def test_ris(client, ferry):
    response = client.get(f"/en/articles/{ferry.pk}/cite.ris")
    assert response["Content-Type"].startswith("application/x-research-info-systems")
    lines = response.content.decode().split("\r\n")
    assert lines[0] == "TY  - NEWS"
    assert lines[-2:] == ["ER  - ", ""]
    tags = [(line[:2], line[6:]) for line in lines if line[2:6] == "  - "]
    assert ("TI", f.FERRY["title"]["en"]) in tags
    assert ("AU", "Lin Qiao") in tags
    assert ("A4", "Chen Xiaoyu") in tags
    assert ("T2", "Harbor Notes") in tags
    assert ("PB", "Lantern Press") in tags
    assert ("DA", "2025/11/10") in tags
    urls = [value for tag, value in tags if tag == "UR"]
    assert urls == [
        SITE + ferry.url("en"),
        "https://harbor-notes.example.org/ferry-crossing",
        "https://lantern-press.example.com/ferry-crossing",
    ]


def test_citations_exist_only_for_published_versions(client, seed, ferry):
    assert client.get(f"/zh-hans/articles/{seed.pk}/cite.ris").status_code == 404
    assert client.get(f"/en/articles/{seed.pk}/cite.ris").status_code == 200
    Rendition.objects.filter(article=ferry, language="en").update(status="in_review")
    assert client.get(f"/en/articles/{ferry.pk}/cite.json").status_code == 404
    assert client.get(f"/zh-hans/articles/{ferry.pk}/cite.json").status_code == 200


def test_the_article_page_links_its_citations(client, ferry):
    response = client.get(ferry.url("en"))
    for fmt in ("bib", "ris", "json"):
        (link,) = find(response, "a", href=f"/en/articles/{ferry.pk}/cite.{fmt}")
        assert client.get(link["href"]).status_code == 200


# --- robots.txt ----------------------------------------------------------------------------------


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


# --- conditional GETs ----------------------------------------------------------------------------


def conditional_urls(article: Article) -> list[str]:
    return [
        "/en/",
        "/zh-hans/archive/",
        article.url("en"),
        article.url("zh-hans"),
        f"/en/articles/{article.pk}/parallel/",
        f"/en/articles/{article.pk}/cite.bib",
        "/en/outlets/harbor-notes/",
        "/en/people/lin-qiao/",
        "/en/feed/",
    ]


def test_pages_answer_if_modified_since_with_304(client, ferry):
    for url in conditional_urls(ferry):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["ETag"], url
        modified = response["Last-Modified"]
        again = client.get(url, HTTP_IF_MODIFIED_SINCE=modified)
        assert again.status_code == 304, url
        assert again.content == b""


def test_pages_answer_if_none_match_with_304(client, ferry):
    for url in conditional_urls(ferry):
        etag = client.get(url)["ETag"]
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304, url


def test_a_change_makes_the_pages_fresh_again(client, ferry):
    past = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    Article.objects.update(updated_at=past)
    Rendition.objects.update(updated_at=past)
    url = ferry.url("en")
    modified = client.get(url)["Last-Modified"]
    assert modified == http_date(past.timestamp())
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get("/en/", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # A translation changes: its article's pages and the lists are modified again.
    Rendition.objects.filter(article=ferry, language="en").update(
        updated_at=past + datetime.timedelta(hours=1)
    )
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 200
    assert client.get("/en/", HTTP_IF_MODIFIED_SINCE=modified).status_code == 200
