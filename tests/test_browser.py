"""Real-browser flows: Playwright for Python driving Debian's chromium, headless, against
pytest-django's live server. Skipped (with the reason) where chromium or playwright is missing;
no browser is ever downloaded.

Screenshots of the home, article, side-by-side and search pages at phone (390 px) and desktop
(1280 px) width in both languages go to the git-ignored `screenshots/` folder, to be looked at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from archive.models import Article
from tests import factories as f
from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium "
        "fonts-wqy-microhei; .ci/run does it in CI)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need playwright (pip install -e '.[dev]')"
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django then refuses database
    # access from it (SynchronousOnlyOperation). The tests only set up data through the ORM,
    # never concurrently with a page, so allow it, for this module only.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture
def archive() -> dict[str, Article]:
    # As `make run` does: the actor register first, so the seed's mentions are found on import.
    call_command("import_actors", str(REPO / "fixtures" / "actors.jsonl"), verbosity=0)
    call_command("import_articles", str(REPO / "fixtures" / "seed.jsonl"), "--no-progress")
    ferry = f.import_article(f.bilingual_record())
    tea = f.bilingual_record("tea-stall", text=f.TEA_STALL, published_at="2025-10-20")
    tea["renditions"]["en"]["method"] = "post_edited"
    f.import_record(tea)
    library = f.import_article(f.chinese_only_record())
    seed = Article.objects.get(external_id="anthropic-72-hour-identity-crisis")
    return {"seed": seed, "ferry": ferry, "library": library}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_read_the_seed_switch_language_open_side_by_side_and_follow_an_anchor(
    page, live_server, archive
):
    # `/` sends an English-speaking browser to the English home page.
    page.goto(live_server.url + "/")
    assert page.url == live_server.url + "/en/"
    page.get_by_role("link", name="Anthropic's 72-Hour Identity Crisis").click()
    assert page.url == live_server.url + archive["seed"].url("en")
    assert page.locator("h1").inner_text() == "Anthropic's 72-Hour Identity Crisis"
    assert page.locator(".body").get_attribute("lang") == "en"

    # Switch to Chinese: the Chinese original is not archived, and the page says so.
    page.locator("nav.languages").get_by_role("link", name="简体中文").click()
    assert page.url.startswith(live_server.url + "/zh-hans/articles/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "本文的中文原文未收入文库" in page.locator(".notice").inner_text()
    assert page.locator(".body").get_attribute("lang") == "en"

    # Side by side: only the English exists, shown alone, one anchored block per paragraph.
    page.get_by_role("link", name="双语对照阅读").click()
    assert page.url == live_server.url + f"/zh-hans/articles/{archive['seed'].pk}/parallel/"
    assert page.locator("section.pair").count() == 70

    # Follow the anchor of paragraph 7: the URL carries it, and the paragraph is in view.
    page.locator("#p7 a.pin").click()
    assert page.url.endswith("/parallel/#p7")
    assert page.evaluate("document.querySelector(':target').id") == "p7"
    top = page.evaluate("document.getElementById('p7').getBoundingClientRect().top")
    assert 0 <= top < DESKTOP["height"] / 2


def test_the_chinese_home_page_for_a_chinese_speaking_browser(browser, live_server, archive):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.url == live_server.url + "/zh-hans/"
    assert page.locator("h1").inner_text() == "最新收录"
    page.get_by_role("link", name=f.FERRY["title"]["zh-hans"]).click()
    assert page.locator(".body p").first.inner_text() == f.FERRY["paragraphs"]["zh-hans"][0]
    context.close()


def test_side_by_side_is_two_columns_on_desktop_and_stacked_on_phones(
    browser, live_server, archive
):
    url = live_server.url + f"/en/articles/{archive['ferry'].pk}/parallel/"
    for viewport, columns in ((DESKTOP, 2), (PHONE, 1)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(url)
        left = page.locator("#p2 .side.left").bounding_box()
        right = page.locator("#p2 .side.right").bounding_box()
        if columns == 2:
            assert abs(left["y"] - right["y"]) < 2 and right["x"] > left["x"] + left["width"]
        else:
            assert right["y"] >= left["y"] + left["height"]
            assert abs(left["x"] - right["x"]) < 2
        assert no_horizontal_scroll(page)
        context.close()


def test_keyboard_reaches_the_skip_link_first(page, live_server, archive):
    # Playwright's assertions wait (up to 5 s) for what a busy machine may not have done yet.
    page.goto(live_server.url + "/en/")
    page.keyboard.press("Tab")
    sync_api.expect(page.locator(":focus")).to_have_class("skip")
    page.keyboard.press("Enter")
    sync_api.expect(page).to_have_url(re.compile(r"#content$"))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_screenshots(browser, live_server, archive, language, width):
    viewport = PHONE if width == "phone" else DESKTOP
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    ferry, seed = archive["ferry"], archive["seed"]
    pages = {
        "home": f"/{language}/",
        "article": ferry.url(language),
        "article-seed": seed.url(language),
        "parallel": f"/{language}/articles/{ferry.pk}/parallel/",
        "search": f"/{language}/search/?q=" + ("五角大楼" if language == "zh-hans" else "Pentagon"),
    }
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        # The stylesheet loaded (served by whitenoise), and nothing overflows sideways.
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != (
            "rgba(0, 0, 0, 0)"
        )
        assert no_horizontal_scroll(page), (name, language, width)
        # The seed is 70 paragraphs long: its first screen is what there is to see.
        shot(page, f"{name}-{language}-{width}", full_page=name != "article-seed")
    context.close()
    assert os.path.getsize(SCREENSHOTS / f"home-{language}-{width}.png") > 0


SEED_TITLE = "Anthropic's 72-Hour Identity Crisis"


@pytest.mark.parametrize(
    ("language", "query"), [("zh-hans", "五角大楼"), ("en", "Pentagon")], ids=["zh", "en"]
)
def test_search_from_the_header_box_and_follow_a_result(
    browser, live_server, archive, language, query
):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/{language}/")
    box = page.locator("header.site input[name=q]")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url(f"{live_server.url}/{language}/search/?q=*")
    assert page.locator("#search-q").input_value() == query
    # The seed is English only: a Chinese query finds it through its actor (五角大楼 = Pentagon).
    seed = page.locator(".hit").filter(has=page.get_by_role("link", name=SEED_TITLE))
    assert seed.count() == 1
    assert seed.locator(".hit-version").get_attribute("lang") == "en"
    assert seed.locator(".hit-actors a", has_text="Anthropic").count() == 1
    # Highlighted: the query itself where the text has it, else the actor's name in the text.
    marks = page.locator(".hit mark")
    assert marks.count() > 0
    assert page.evaluate("getComputedStyle(document.querySelector('.hit mark')).backgroundColor")
    if language == "en":
        assert "Pentagon" in seed.locator("mark").all_inner_texts()
    # Filters beside the results on a wide screen.
    facets = page.locator("details.facets").bounding_box()
    results = page.locator("ol.results").bounding_box()
    assert facets["x"] + facets["width"] <= results["x"] and abs(facets["y"] - results["y"]) < 40
    seed.get_by_role("link", name=SEED_TITLE).click()
    assert page.url == live_server.url + archive["seed"].url("en")
    assert page.locator("h1").inner_text() == SEED_TITLE
    context.close()


def test_search_page_on_a_phone_folds_the_filters(browser, live_server, archive):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/en/search/?q=Pentagon")
    details = page.locator("details.facets")
    facet = details.get_by_role("link", name="Anthropic")
    assert details.evaluate("d => d.open") is False and facet.is_hidden()
    page.get_by_text("Filter the results").click()
    assert details.evaluate("d => d.open") is True
    # Long lists show their first entries; the rest fold under "All n".
    assert details.get_by_role("link", name="Pete Hegseth").is_hidden()
    details.get_by_text("All 30").click()
    assert details.get_by_role("link", name="Pete Hegseth").is_visible()
    facet.click()
    page.wait_for_url("**actor=anthropic*")
    assert "Anthropic" in page.locator(".active-filters").inner_text()
    assert no_horizontal_scroll(page)
    context.close()


@pytest.mark.parametrize(
    ("language", "typed", "name", "slug"),
    [
        ("en", "Hegs", "Pete Hegseth", "pete-hegseth"),
        ("zh-hans", "马斯", "埃隆·马斯克", "elon-musk"),
    ],
    ids=["en", "zh"],
)
def test_typing_suggests_actors(browser, live_server, archive, language, typed, name, slug):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/{language}/")
    box = page.locator("#site-search")
    box.press_sequentially(typed, delay=40)
    listbox = page.get_by_role("listbox")
    listbox.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    option = page.get_by_role("option").filter(has_text=name)
    assert option.count() == 1
    shot(page, f"search-suggestions-{language}-desktop", full_page=False)
    # Keyboard: down to the actor, Enter opens its page.
    options = page.get_by_role("option").all_inner_texts()
    index = next(i for i, t in enumerate(options) if name in t)
    for _ in range(index + 1):
        box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    box.press("Enter")
    page.wait_for_url(f"{live_server.url}/{language}/actors/{slug}/")
    assert name in page.locator("h1").inner_text()
    context.close()


def test_suggestions_on_the_search_page_close_with_escape_and_the_box_still_searches(
    browser, live_server, archive
):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/zh-hans/search/")
    box = page.locator("#search-q")
    box.press_sequentially("马斯", delay=40)
    page.get_by_role("listbox").wait_for()
    assert no_horizontal_scroll(page)
    shot(page, "search-suggestions-zh-hans-phone", full_page=False)
    box.press("Escape")
    assert page.get_by_role("listbox").is_hidden()
    box.press("Enter")  # nothing chosen: a plain search for the typed text
    page.wait_for_url("**/zh-hans/search/?q=*")
    assert page.locator(".result-count").is_visible()
    context.close()
