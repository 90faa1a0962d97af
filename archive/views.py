from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from archive.api import BadRequest, article_url, search_arguments
from archive.models import Article, Rendition
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
        if arguments["q"].strip():
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
