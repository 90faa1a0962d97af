"""sitemap.xml: every public page in each language it exists in, with hreflang alternates.

Django's own `x_default` assumes the default language has no URL prefix; here every language
has one, so the x-default alternate is added by `LanguageAlternates.get_urls`: the version a
reader of unknown language is shown (English when published, else the original).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils.translation import get_language, override

from archive import reading
from archive.models import Article, Outlet, Person, language_tag


class LanguageAlternates(Sitemap):
    i18n = True
    alternates = True

    def x_default_path(self, item) -> str | None:
        """The path of the x-default alternate of `item` (None: no such alternate)."""
        languages = self.get_languages_for_item(item)
        code = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in languages else None
        code = code or next(iter(languages), None)
        if code is None:
            return None
        with override(code):
            return self.location(item)

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        base = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        for url in urls:
            for alternate in url["alternates"]:
                alternate["lang_code"] = language_tag(alternate["lang_code"])
            path = self.x_default_path(url["item"][0])
            if path is not None:
                url["alternates"].append({"location": base + path, "lang_code": "x-default"})
        return urls


class ArticleSitemap(LanguageAlternates):
    limit = 5000

    def items(self):
        return Article.objects.public().order_by("pk")

    def get_languages_for_item(self, item: Article) -> list[str]:
        return item.public_languages

    def location(self, item: Article) -> str:
        return item.url(get_language())

    def lastmod(self, item: Article):
        return max([item.updated_at, *(r.updated_at for r in item.public_renditions)])


class PageSitemap(LanguageAlternates):
    """Home and the archive by date, in every language."""

    def items(self) -> list[str]:
        return ["archive:home", "archive:by_date"]

    def location(self, item: str) -> str:
        return reverse(item)

    def x_default_path(self, item: str) -> str | None:
        return "/" if item == "archive:home" else super().x_default_path(item)


class OutletSitemap(LanguageAlternates):
    def items(self) -> list[Outlet]:
        return reading.outlets_with_pieces()

    def location(self, item: Outlet) -> str:
        return item.get_absolute_url()


class PersonSitemap(LanguageAlternates):
    def items(self):
        return reading.people_with_pieces()

    def location(self, item: Person) -> str:
        return item.get_absolute_url()


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "outlets": OutletSitemap,
    "people": PersonSitemap,
}
