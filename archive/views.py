"""Public pages: thin views that call `archive.reading` (or a feed, sitemap or citation
builder) and render. Every page answers conditional GETs (Last-Modified from the articles' and
versions' `updated_at`; ETag from ConditionalGetMiddleware)."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_from_request, gettext, override
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import condition, require_GET

from archive import citations, feeds, linked_data, reading
from archive.actors import (
    actor_articles,
    actor_evidence,
    actor_months,
    actors_alongside,
    actors_by_kind,
    most_mentioned_actors,
)
from archive.api import BadRequest, search_arguments
from archive.charts import month_bars_svg
from archive.models import Actor, Outlet, Person, language_codes, localized
from archive.search import SearchError, search
from archive.services import can_translate

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _archive_modified(request, *args, **kwargs):
    return reading.archive_last_modified()


def _article_modified(request, pk: int, *args, **kwargs):
    return reading.article_last_modified(pk)


def _everywhere(name: str, **kwargs) -> dict[str, str]:
    """The path of page `name` in every language."""
    urls = {}
    for code in language_codes():
        with override(code):
            urls[code] = reverse(name, kwargs=kwargs or None)
    return urls


def _links(
    urls: dict[str, str],
    *,
    canonical: str | None,
    x_default: str | None,
    switch: dict[str, str] | None = None,
) -> dict:
    """Context for base.html: hreflang alternates (`urls`: the languages the page exists in),
    the canonical path and the language switcher's targets."""
    return {
        "language_urls": urls,
        "canonical_path": canonical,
        "x_default_path": x_default,
        "switch_urls": switch or urls,
    }


def _page(request: HttpRequest, items):
    return Paginator(items, 20, orphans=3).get_page(request.GET.get("page"))


def _with_page(path: str, page) -> str:
    return f"{path}?page={page.number}" if page.number > 1 else path


feed = require_GET(condition(last_modified_func=_archive_modified)(feeds.LatestFeed()))
outlet_feed = require_GET(condition(last_modified_func=_archive_modified)(feeds.OutletFeed()))


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    """`/`: the home page in the visitor's language (Accept-Language), else English."""
    with override(get_language_from_request(request)):
        response = redirect(reverse("archive:home"))
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
@condition(last_modified_func=_archive_modified)
def home(request: HttpRequest) -> HttpResponse:
    """The latest published pieces, which language versions each has, the outlets and the
    most-mentioned actors."""
    urls = _everywhere("archive:home")
    context = {
        "articles": reading.latest_articles(),
        "outlets": reading.outlets_with_pieces(),
        "actors": [
            reading.actor_link(actor, get_language(), actor.article_count)
            for actor in most_mentioned_actors()
        ],
        **_links(urls, canonical=urls[get_language()], x_default="/"),
    }
    return render(request, "archive/home.html", context)


@require_GET
@condition(last_modified_func=_archive_modified)
def by_date(request: HttpRequest) -> HttpResponse:
    page = _page(request, reading.archive_by_date())
    urls = {code: _with_page(path, page) for code, path in _everywhere("archive:by_date").items()}
    context = {
        "page": page,
        **_links(urls, canonical=urls[get_language()], x_default=urls[settings.LANGUAGE_CODE]),
    }
    return render(request, "archive/by_date.html", context)


@require_GET
@condition(last_modified_func=_article_modified)
def article(request: HttpRequest, pk: int, slug: str | None = None) -> HttpResponse:
    """One article in the page's language, or, when that version is not published, the version
    that is, with a note saying so. A wrong or missing slug redirects to the canonical URL."""
    language = get_language()
    found = reading.article_reading(pk, language)
    piece = found.article
    if slug != piece.slug(language):
        return redirect(piece.url(language), permanent=True)
    return _article(request, found)


def _article(request: HttpRequest, found, *, preview: bool = False) -> HttpResponse:
    piece = found.article
    absolute = request.build_absolute_uri
    actors = reading.article_actors(found)
    context = {
        "reading": found,
        "piece": piece,
        "actors": actors,
        "related": reading.related_pieces(piece, [link.actor.pk for link in actors]),
        "preview": preview,
        "json_ld": linked_data.script(linked_data.article_graph(piece, absolute)),
        "opengraph": linked_data.opengraph(piece, found.shown, absolute),
        **_links(
            {code: piece.url(code) for code in piece.public_languages},
            canonical=piece.url(found.shown.language),
            x_default=piece.url(piece.default_language),
            switch={code: piece.url(code) for code in language_codes()},
        ),
    }
    return render(request, "archive/article.html", context)


@require_GET
@condition(last_modified_func=_article_modified)
def parallel(request: HttpRequest, pk: int) -> HttpResponse:
    """The original and a translation side by side, paragraph by paragraph."""
    return _parallel(request, reading.article_reading(pk, get_language()))


def _parallel(request: HttpRequest, found, *, preview: bool = False) -> HttpResponse:
    pk = found.article.pk
    urls = _everywhere("archive:parallel_preview" if preview else "archive:parallel", pk=pk)
    context = {
        "reading": found,
        "piece": found.article,
        "parallel": reading.parallel(found),
        "preview": preview,
        **_links(urls, canonical=urls[get_language()], x_default=urls[settings.LANGUAGE_CODE]),
    }
    return render(request, "archive/parallel.html", context)


# --- preview: editors see unpublished versions as readers will ---------------------------------


def _may_preview(request: HttpRequest) -> bool:
    user = request.user
    return user.is_authenticated and user.is_staff and can_translate(user)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_GET
def article_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The article page with every version that has text shown as if published. Editors and
    translators only; for anyone else it does not exist (404)."""
    if not _may_preview(request):
        raise Http404("No such page.")
    found = reading.article_reading(pk, get_language(), preview=True)
    return _private(_article(request, found, preview=True))


@require_GET
def parallel_preview(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_preview(request):
        raise Http404("No such page.")
    found = reading.article_reading(pk, get_language(), preview=True)
    return _private(_parallel(request, found, preview=True))


def _contributor_page(request, found, pieces, route: str, template: str, name: str):
    """An outlet's or a person's page: their pieces, paginated, in every language."""
    page = _page(request, pieces)
    urls = {
        code: _with_page(path, page) for code, path in _everywhere(route, slug=found.slug).items()
    }
    context = {
        name: found,
        "page": page,
        **_links(urls, canonical=urls[get_language()], x_default=urls[settings.LANGUAGE_CODE]),
    }
    return render(request, template, context)


@require_GET
@condition(last_modified_func=_archive_modified)
def outlet(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Outlet, slug=slug)
    pieces = reading.outlet_pieces(found)
    return _contributor_page(
        request, found, pieces, "archive:outlet", "archive/outlet.html", "outlet"
    )


@require_GET
@condition(last_modified_func=_archive_modified)
def person(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Person, slug=slug)
    pieces = reading.person_pieces(found)
    return _contributor_page(
        request, found, pieces, "archive:person", "archive/person.html", "person"
    )


@require_GET
@condition(last_modified_func=_article_modified)
def cite(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The page language's version as CSL-JSON, BibTeX or RIS (404 unless it is published)."""
    language = get_language()
    found = reading.article_reading(pk, language)
    if found.substituted:
        raise Http404("This language version is not published.")
    piece = found.article
    data = citations.citation(
        piece, found.shown, url=request.build_absolute_uri(piece.url(language))
    )
    content_type, extension = citations.FORMATS[fmt]
    response = HttpResponse(citations.render(data, fmt), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="yiwen-{pk}-{language}.{extension}"'
    return response


# --- search ---------------------------------------------------------------------------------------


FILTERS = ("lang", "available", "actor", "outlet", "author", "translator", "year")
# The query parameter each facet's links set, where it is not the facet's kind: the facet "lang"
# counts the matches that have a version in that language, whichever version matched, which is
# `available=` (`lang=` would search only that version's text: fewer, or none).
FACET_PARAMS = {"lang": "available"}
FACET_LABELS = {
    "lang": _("Language"),
    "outlet": _("Outlet"),
    "author": _("Author"),
    "translator": _("Translator"),
    "actor": _("Actor"),
    "year": _("Year"),
}


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
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
    facet_groups = _facet_groups(result, request.GET) if result else []
    urls = _everywhere("archive:search")
    query = request.GET.urlencode()
    context = {
        "q": arguments.get("q", ""),
        "arguments": arguments,
        "result": result,
        "error": error,
        "hits": _hit_rows(result, get_language()) if result else [],
        "facet_groups": facet_groups,
        "active_filters": _active_filters(arguments, facet_groups, request.GET),
        "sort_links": _sort_links(arguments, request.GET),
        "page_query": _query_string(request.GET, page=None),
        "first_number": (result.page - 1) * result.page_size + 1 if result else 1,
        # Results are not canonical pages: the switcher keeps the query, nothing else links them.
        **_links(
            {},
            canonical=None,
            x_default=None,
            switch={code: f"{path}?{query}" if query else path for code, path in urls.items()},
        ),
    }
    return render(request, "archive/search.html", context, status=400 if error else 200)


def _hit_rows(result, language: str) -> list[dict]:
    rows = []
    for hit in result.hits:
        article = hit.article
        versions = [
            {
                "code": code,
                # the query's matches marked; a version without a title is named unmarked
                "title": mark_safe(hit.title(code) or escape(article.public_title(code))),
                "snippet": snippet,
                "url": article.url(code),
            }
            for code, snippet in hit.snippets.items()
            if snippet is not None
        ]
        rows.append(
            {
                "article": article,
                "versions": versions,
                "date": article.original_published_on,
                "actors": [reading.actor_link(a, language) for a in hit.actors[:HIT_ACTORS]],
                "more_actors": max(0, len(hit.actors) - HIT_ACTORS),
                "score": hit.score,
            }
        )
    return rows


HIT_ACTORS = 8


def _active_filters(arguments: dict, groups: list[dict], params) -> list[dict]:
    """The filters in force, each with its name and a link that removes it."""
    names = {(g["kind"], item["value"]): item["name"] for g in groups for item in g["items"]}
    kinds = {param: kind for kind, param in FACET_PARAMS.items()}
    labels = {**FACET_LABELS, "lang": _("Searched in"), "available": FACET_LABELS["lang"]}
    active = []
    for kind in FILTERS:
        value = arguments.get(kind)
        if not value:
            continue
        value = str(value)
        facet = kinds.get(kind, kind)
        name = names.get((facet, value)) or (
            LANGUAGE_NAMES.get(value, value) if facet == "lang" else value
        )
        active.append(
            {
                "label": labels[kind],
                "name": name,
                "url": "?" + _query_string(params, page=None, **{kind: None}),
            }
        )
    return active


def _sort_links(arguments: dict, params) -> list[dict]:
    current = arguments.get("sort") or "relevance"
    return [
        {
            "label": label,
            "current": value == current,
            "url": "?"
            + _query_string(params, page=None, sort=None if value == "relevance" else value),
        }
        for value, label in (("relevance", _("Most relevant")), ("date", _("Newest first")))
    ]


def _query_string(params, **changes) -> str:
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()


def estimated_count(sampled: int, scale: float, total: int) -> int:
    """A facet's count among all `total` matches, from its count in a sample of them (`scale`:
    the matches per sampled match), to two significant digits (a sample of 500 says no more),
    never more than the total."""
    value = sampled * scale
    if value < 10:
        return min(total, max(1, round(value)))
    digits = len(str(int(value)))
    return min(total, int(round(value, 2 - digits)))


def _facet_groups(result, params) -> list[dict]:
    """The facets as the page shows them. Where they counted a sample of the matches (more
    matches than `search` counts facets over), each count is scaled up to all of them and
    shown as an estimate: "About 1,462 results" above "English 500" read as a contradiction."""
    language = get_language()
    scale = result.count / result.facet_sample if result.facet_sample else 0.0
    groups = []
    for kind, label in FACET_LABELS.items():
        entries = result.facets.get(kind) or []
        if not entries:
            continue
        items = []
        param = FACET_PARAMS.get(kind, kind)
        for entry in entries:
            value = str(entry["value"])
            active = params.get(param) == value
            names = entry.get("name") or {}
            if kind == "lang":
                name = LANGUAGE_NAMES.get(value, value)
            else:
                name = names.get(language) or next(iter(names.values()), value)
            items.append(
                {
                    "value": value,
                    "name": name,
                    "count": estimated_count(entry["count"], scale, result.count)
                    if scale
                    else entry["count"],
                    "estimated": bool(scale),
                    "active": active,
                    "url": "?"
                    + _query_string(params, page=None, **{param: None if active else value}),
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
    published = [r.language for r in article.public_renditions]
    # The title of a published version (never a draft's): the page's language where it has
    # one, else the original's, else any.
    title_language = next(
        (
            c
            for c in [language, article.original_language, *language_codes()]
            if c in published and article.text("title", c)
        ),
        article.reading_language(language) or language,
    )
    return {
        "article": article,
        "title": article.text("title", title_language) or article.public_title(title_language),
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
