"""Template helpers for the public pages: absolute URLs, BCP 47 language tags, the language
switcher (which works on any page: pages that know their other-language URLs pass them as
`switch_urls`, others are translated with `translate_url`)."""

from __future__ import annotations

from django import template
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from archive.models import language_codes, language_tag

register = template.Library()

# Plain names for running text ("the Chinese original"); other languages use Django's names.
LANGUAGE_NAMES = {"zh-hans": _("Chinese"), "en": _("English")}


@register.simple_tag(takes_context=True)
def absolute(context, path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


@register.filter
def bcp47(code: str) -> str:
    return language_tag(code)


@register.filter
def language_name(code: str) -> str:
    """The language's name in the UI language ("Chinese" / "中文")."""
    return str(LANGUAGE_NAMES.get(code) or get_language_info(code)["name_translated"])


@register.filter
def article_url(article, code: str) -> str:
    return article.url(code)


@register.filter
def public_title(article, code: str) -> str:
    """The title of the version a reader of `code` is shown."""
    return article.public_title(code)


@register.filter
def shown_tag(article, code: str) -> str:
    """The BCP 47 tag of the version a reader of `code` is shown (for `lang`)."""
    return language_tag(article.reading_language(code) or code)


@register.inclusion_tag("archive/_language_switcher.html", takes_context=True)
def language_switcher(context) -> dict:
    request = context.get("request")
    given = context.get("switch_urls") or {}
    current = get_language()
    links = []
    for code in language_codes():
        url = given.get(code)
        if url is None and request is not None:
            url = translate_url(request.get_full_path(), code)
        links.append(
            {
                "code": code,
                "tag": language_tag(code),
                "name": get_language_info(code)["name_local"],
                "url": url,
                "current": code == current,
            }
        )
    return {"links": links}


@register.inclusion_tag("archive/_article_card.html", takes_context=True)
def article_card(context, article, heading: str = "h2") -> dict:
    """One piece in a list, read in the page's language (or the version that exists)."""
    current = get_language()
    shown = article.reading_language(current)
    return {
        "article": article,
        "heading": heading,
        "title": article.public_title(current),
        "title_lang": language_tag(shown),
        "url": article.url(current),
        "date": article.public_date(),
        "versions": [
            {
                "code": r.language,
                "tag": language_tag(r.language),
                "url": article.url(r.language),
                "original": r.is_original,
                "outdated": r.is_outdated,
            }
            for r in article.public_renditions
        ],
    }
