from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from archive.actors import (
    actor_articles,
    actor_evidence,
    actor_months,
    actors_alongside,
    actors_by_kind,
)
from archive.api import BadRequest, article_url, search_arguments
from archive.charts import month_bars_svg
from archive.models import Actor, Article, Rendition, language_codes, localized
from archive.search import SearchError, search

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def home(request):
    """The archive's latest pieces and which language versions each has."""
    articles = (
        Article.objects.filter(renditions__status=Rendition.Status.PUBLISHED)
        .distinct()
        .select_related("outlet")
        .prefetch_related("renditions", "authorships__person")
    )
    page = Paginator(articles, 20, orphans=3).get_page(request.GET.get("page"))
    return render(request, "archive/home.html", {"page": page})


FILTERS = ("lang", "actor", "outlet", "author", "translator", "year")
FACET_LABELS = {
    "lang": _("Language"),
    "outlet": _("Outlet"),
    "author": _("Author"),
    "translator": _("Translator"),
    "actor": _("Actor"),
    "year": _("Year"),
}


def search_page(request):
    """The search page: works without JavaScript; the same search as GET /api/search."""
    error = result = None
    try:
        arguments = search_arguments(request.GET)
        filtered = any(arguments.get(k) for k in FILTERS)
        if arguments["q"].strip() or filtered:
            result = search(**arguments)
    except (BadRequest, SearchError) as exc:
        error = str(exc)
        arguments = {"q": request.GET.get("q", "")}
    context = {
        "q": arguments.get("q", ""),
        "arguments": arguments,
        "result": result,
        "error": error,
        "hits": _hit_rows(result) if result else [],
        "facet_groups": _facet_groups(result, request.GET) if result else [],
        "page_query": _query_string(request.GET, page=None),
    }
    return render(request, "archive/search.html", context, status=400 if error else 200)


def _hit_rows(result) -> list[dict]:
    rows = []
    for hit in result.hits:
        versions = [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "title": hit.article.text("title", code),
                "snippet": snippet,
                "url": article_url(hit.article, code),
            }
            for code, snippet in hit.snippets.items()
            if snippet is not None
        ]
        rows.append({"article": hit.article, "versions": versions, "score": hit.score})
    return rows


def _query_string(params, **changes) -> str:
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()


def _facet_groups(result, params) -> list[dict]:
    language = get_language()
    groups = []
    for kind, label in FACET_LABELS.items():
        entries = result.facets.get(kind) or []
        if not entries:
            continue
        items = []
        for entry in entries:
            value = str(entry["value"])
            active = params.get(kind) == value
            names = entry.get("name") or {}
            if kind == "lang":
                name = LANGUAGE_NAMES.get(value, value)
            else:
                name = names.get(language) or next(iter(names.values()), value)
            items.append(
                {
                    "name": name,
                    "count": entry["count"],
                    "active": active,
                    "url": "?"
                    + _query_string(params, page=None, **{kind: None if active else value}),
                }
            )
        groups.append({"kind": kind, "label": label, "items": items})
    return groups


# --- actors --------------------------------------------------------------------------------------


def actor_index(request):
    """Every actor in the register, by kind, with how many published articles name it."""
    groups = actors_by_kind()
    return render(request, "archive/actor_index.html", {"groups": groups})


def actor_detail(request, slug: str):
    """An actor: names, description, a timeline of articles, a monthly chart, actors alongside."""
    actor = get_object_or_404(Actor, slug=slug)
    page = Paginator(actor_articles(actor), 20, orphans=3).get_page(request.GET.get("page"))
    language = get_language()
    evidence = actor_evidence(actor, [a.pk for a in page.object_list])
    entries = [timeline_entry(article, language, evidence.get(article.pk)) for article in page]
    label = gettext("Articles mentioning %(actor)s, per month") % {"actor": actor}
    context = {
        "actor": actor,
        "names": [(name, localized(actor, "name", code)) for code, name in settings.LANGUAGES],
        "description": localized(actor, "description", language)
        or next(
            (localized(actor, "description", c) for c in language_codes() if c != language), ""
        ),
        "page": page,
        "entries": entries,
        "chart": mark_safe(month_bars_svg(actor_months(actor), label=label)),
        "chart_label": label,
        "alongside": actors_alongside(actor),
    }
    return render(request, "archive/actor_detail.html", context)


def timeline_entry(article, language: str, mentions: list | None) -> dict:
    """What a timeline row shows: the title in the page's language where there is one, the
    published language versions with their links, and the first passage naming the actor."""
    published = [r.language for r in article.renditions.all() if r.status == "published"]
    title_language = next(
        (
            c
            for c in [language, article.original_language, *language_codes()]
            if article.text("title", c)
        ),
        language,
    )
    return {
        "article": article,
        "title": article.text("title", title_language) or article.display_title,
        "title_language": title_language,
        "url": article.get_absolute_url(title_language if title_language in published else None),
        "versions": [
            (code, name, article.get_absolute_url(code))
            for code, name in settings.LANGUAGES
            if code in published
        ],
        # The passage in the page's language where the article names the actor in it.
        "mentions": sorted(mentions or [], key=lambda m: m.language != language)[:1],
    }
