"""The editorial workflow in a real browser (Playwright, Debian's chromium; see test_browser.py):
a translator translates a paragraph in the side-by-side editor and submits it for review, an
editor publishes it, and the public page shows it. Screenshots of the queue and the editor at
desktop width go to the git-ignored `screenshots/` folder."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from archive.models import Article, GlossaryTerm, Rendition
from tests import factories as f
from tests.test_browser import DESKTOP, browser, shot  # noqa: F401 (the browser fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def groups():
    """The groups as the data migration makes them (earlier transactional tests flush them)."""
    from importlib import import_module

    from django.apps import apps

    import_module("archive.migrations.0007_editorial_groups").create_groups(apps, None)


FIRST = "Every Saturday the village children walk two hours up the mountain to borrow books."
SECOND = "The library is a single room; volunteers built the shelves from old doors."


def user(name: str, group: str) -> User:
    found = User.objects.create_user(name, password=f"{name}-pw", is_staff=True)
    found.groups.add(Group.objects.get(name=group))
    return found


def log_in(browser, live_server, name: str):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", f"{name}-pw")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    return context, page


def test_translate_submit_publish_and_read(browser, live_server):  # noqa: F811
    user("tara", "Translator")
    user("eddie", "Editor")
    GlossaryTerm.objects.create(zh="图书馆", en="library")
    GlossaryTerm.objects.create(zh="志愿者", en="volunteers")
    library = f.import_article(f.chinese_only_record())
    draft = f.bilingual_record("tea-stall", text=f.TEA_STALL)
    draft["renditions"]["en"]["status"] = "draft"
    f.import_record(draft)

    # The translator finds the piece in the queue and opens the editor.
    context, page = log_in(browser, live_server, "tara")
    page.goto(live_server.url + "/admin/archive/queueitem/")
    assert "missing: 1" in page.locator(".queue-counts").inner_text()
    shot(page, "editorial-queue-desktop")
    page.locator("#result_list").get_by_role("link", name=f.LIBRARY["title"]["zh-hans"]).click()
    assert page.url.endswith(f"/admin/archive/article/{library.pk}/translate/en/")
    hints = page.locator("#p-1 .hints").inner_text()
    assert "图书馆" not in hints  # paragraph 1 does not name the library
    assert "library" in page.locator("#p-2 .hints").inner_text()

    # Paragraph 1, saved on its own: back at the same paragraph, saved, still a draft.
    page.fill("#id_title", "The Library on the Mountain")
    page.fill("#id_p-1", FIRST)
    page.locator("#p-1").get_by_role("button", name="Save").click()
    page.wait_for_url("**#p-1")
    assert page.locator("#id_p-1").input_value() == FIRST
    assert page.locator("#state").inner_text() == "draft"
    shot(page, "editorial-editor-desktop")

    # Paragraph 2, then submit for review. The translator has no publish button.
    page.fill("#id_p-2", SECOND)
    assert page.locator("#publish").count() == 0
    page.click("#submit-review")
    assert page.locator("#state").inner_text() == "in review"
    context.close()
    en = Rendition.objects.get(article=library, language="en")
    assert en.status == "in_review"
    assert Article.objects.get(pk=library.pk).paragraphs("en") == [FIRST, SECOND]

    # Not public yet.
    reader = browser.new_context(viewport=DESKTOP, locale="en-US").new_page()
    reader.goto(live_server.url + library.url("en"))
    assert FIRST not in reader.locator("main").inner_text()

    # The editor publishes.
    context, page = log_in(browser, live_server, "eddie")
    page.goto(live_server.url + f"/admin/archive/article/{library.pk}/translate/en/")
    page.click("#publish")
    assert page.locator("#state").inner_text() == "published"
    context.close()

    # The public page shows it.
    reader.goto(live_server.url + Article.objects.get(pk=library.pk).url("en"))
    assert reader.locator("h1").inner_text() == "The Library on the Mountain"
    assert reader.locator(".body p").first.inner_text() == FIRST
    reader.context.close()
