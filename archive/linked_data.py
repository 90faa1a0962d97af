"""Machine-readable descriptions of an article: schema.org JSON-LD (one NewsArticle per published
version, linked by translationOfWork / workTranslation) and OpenGraph metadata.

Only published versions are described; an original that is not archived is described by what
the archive knows of it (language, authors, outlet, URL) without a page of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import override

from archive.models import Article, Outlet, Rendition, language_tag

# The characters that could end or confuse a <script> element, escaped inside JSON strings
# (as django.utils.html.json_script does).
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

OG_LOCALES = {"zh-hans": "zh_CN", "en": "en_US"}


def script(data: dict) -> SafeString:
    """`data` as the body of a <script type="application/ld+json"> element (escaped JSON)."""
    text = json.dumps(data, ensure_ascii=False, indent=1).translate(_SCRIPT_ESCAPES)
    # Safe: JSON whose <, > and & are escaped cannot leave the <script> element.
    return mark_safe(text)


def _organization(outlet: Outlet | None) -> dict | None:
    if outlet is None:
        return None
    node = {"@type": "Organization", "name": str(outlet)}
    if outlet.homepage:
        node["url"] = outlet.homepage
    links = [link["url"] for link in outlet.social_links or [] if link.get("url")]
    if links:
        node["sameAs"] = links
    return node


def _people(names: list[str]) -> list[dict]:
    return [{"@type": "Person", "name": name} for name in names]


def _version_node(article: Article, rendition: Rendition, absolute: Callable[[str], str]) -> dict:
    code = rendition.language
    with override(code):
        authors = [str(a.person) for a in article.authorships.all()]
        translators = [str(t.person) for t in rendition.translatorships.all()]
        publisher = _organization(rendition.publisher if rendition.publisher else article.outlet)
    url = absolute(article.url(code))
    node: dict = {
        "@type": "NewsArticle",
        "@id": url,
        "url": url,
        "headline": article.public_title(code),
        "inLanguage": language_tag(code),
        "isAccessibleForFree": True,
    }
    if authors:
        node["author"] = _people(authors)
    if translators:
        node["translator"] = _people(translators)
    if publisher:
        node["publisher"] = publisher
    date = article.original_published_on if rendition.is_original else rendition.published_on
    if date:
        node["datePublished"] = date.isoformat()
    node["dateModified"] = max(article.updated_at, rendition.updated_at).isoformat()
    summary = article.text("summary", code)
    if summary:
        node["description"] = summary
    if not rendition.is_original and rendition.url:
        node["sameAs"] = rendition.url
    if rendition.is_original and article.original_url:
        node["sameAs"] = article.original_url
    return node


def _unarchived_original(article: Article) -> dict:
    with override(article.original_language):
        authors = [str(a.person) for a in article.authorships.all()]
        outlet = _organization(article.outlet)
    node: dict = {"@type": "NewsArticle", "inLanguage": language_tag(article.original_language)}
    if article.original_url:
        node["@id"] = node["url"] = article.original_url
    if authors:
        node["author"] = _people(authors)
    if outlet:
        node["publisher"] = outlet
    if article.original_published_on:
        node["datePublished"] = article.original_published_on.isoformat()
    return node


def article_graph(article: Article, absolute: Callable[[str], str]) -> dict:
    """A schema.org graph: one NewsArticle per published version, the translations pointing to
    the original (`translationOfWork`) and the original to them (`workTranslation`)."""
    versions = {r.language: _version_node(article, r, absolute) for r in article.public_renditions}
    original = versions.get(article.original_language)
    translations = [node for code, node in versions.items() if code != article.original_language]
    if original is not None:
        if translations:
            original["workTranslation"] = [{"@id": node["@id"]} for node in translations]
        for node in translations:
            node["translationOfWork"] = {"@id": original["@id"]}
    else:
        for node in translations:
            node["translationOfWork"] = _unarchived_original(article)
    return {"@context": "https://schema.org", "@graph": list(versions.values())}


def opengraph(
    article: Article, rendition: Rendition, absolute: Callable[[str], str]
) -> list[tuple[str, str]]:
    """(property, content) pairs for OpenGraph and Twitter card <meta> elements."""
    code = rendition.language
    title = article.public_title(code)
    description = article.text("summary", code) or next(iter(article.paragraphs(code)), "")
    if len(description) > 200:
        description = description[:199].rstrip() + "…"
    pairs = [
        ("og:type", "article"),
        ("og:site_name", "Yiwen 译文"),
        ("og:title", title),
        ("og:url", absolute(article.url(code))),
        ("og:locale", OG_LOCALES.get(code, code.replace("-", "_"))),
    ]
    pairs += [
        ("og:locale:alternate", OG_LOCALES.get(other, other.replace("-", "_")))
        for other in article.public_languages
        if other != code
    ]
    if description:
        pairs.append(("og:description", description))
    date = article.original_published_on if rendition.is_original else rendition.published_on
    if date:
        pairs.append(("article:published_time", date.isoformat()))
    pairs += [("twitter:card", "summary"), ("twitter:title", title)]
    if description:
        pairs.append(("twitter:description", description))
    return pairs
