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
from django.utils.translation import get_language, get_language_from_request, override
from django.views.decorators.http import condition, require_GET

from archive import citations, feeds, linked_data, reading
from archive.models import Outlet, Person, language_codes


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
    canonical: str,
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
    """The latest published pieces, which language versions each has, and the outlets."""
    urls = _everywhere("archive:home")
    context = {
        "articles": reading.latest_articles(),
        "outlets": reading.outlets_with_pieces(),
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
    absolute = request.build_absolute_uri
    context = {
        "reading": found,
        "piece": piece,
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
    found = reading.article_reading(pk, get_language())
    urls = _everywhere("archive:parallel", pk=pk)
    context = {
        "reading": found,
        "piece": found.article,
        "parallel": reading.parallel(found),
        **_links(urls, canonical=urls[get_language()], x_default=urls[settings.LANGUAGE_CODE]),
    }
    return render(request, "archive/parallel.html", context)


@require_GET
@condition(last_modified_func=_archive_modified)
def outlet(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Outlet, slug=slug)
    page = _page(request, reading.outlet_pieces(found))
    urls = {
        code: _with_page(path, page)
        for code, path in _everywhere("archive:outlet", slug=slug).items()
    }
    context = {
        "outlet": found,
        "page": page,
        **_links(urls, canonical=urls[get_language()], x_default=urls[settings.LANGUAGE_CODE]),
    }
    return render(request, "archive/outlet.html", context)


@require_GET
@condition(last_modified_func=_archive_modified)
def person(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Person, slug=slug)
    page = _page(request, reading.person_pieces(found))
    urls = {
        code: _with_page(path, page)
        for code, path in _everywhere("archive:person", slug=slug).items()
    }
    context = {
        "person": found,
        "page": page,
        **_links(urls, canonical=urls[get_language()], x_default=urls[settings.LANGUAGE_CODE]),
    }
    return render(request, "archive/person.html", context)


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
