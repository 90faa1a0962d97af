"""The JSON API. `GET /api/search` — the shape is an interface scripts depend on: extend, never
rename (docs/api.md)."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from archive.actors import MAX_QUERY_CHARS, actor_lookup
from archive.models import article_path_head, language_codes, localized
from archive.search import MAX_PAGE_SIZE, SearchError, SearchPage, search


class BadRequest(ValueError):
    pass


def _int(params: Mapping[str, str], name: str, default: int | None, low: int, high: int):
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadRequest(
            _("%(name)s must be a whole number, not %(value)s.")
            % {"name": name, "value": repr(str(raw)[:20])}
        ) from None
    if not low <= value <= high:
        raise BadRequest(
            _("%(name)s must be between %(low)s and %(high)s.")
            % {"name": name, "low": low, "high": high}
        )
    return value


def _control_free(params: Mapping[str, str], name: str) -> str | None:
    """A filter's value, a slug (None when empty), never with a control character: no slug holds
    one, and PostgreSQL's text cannot hold a NUL (a 500 where any other bad value is a 400)."""
    value = params.get(name) or None
    if value and any(ord(c) < 32 or c == "\x7f" for c in value):
        raise BadRequest(_("%(name)s must not contain control characters.") % {"name": name})
    return value


def search_arguments(params: Mapping[str, str]) -> dict:
    """Validated keyword arguments for `search()` from query parameters (strings)."""
    lang, available = params.get("lang") or None, params.get("available") or None
    for name, code in (("lang", lang), ("available", available)):
        if code and code not in language_codes():
            raise BadRequest(
                _("%(name)s must be one of %(codes)s.")
                % {"name": name, "codes": ", ".join(language_codes())}
            )
    sort = params.get("sort") or "relevance"
    if sort not in ("relevance", "date"):
        raise BadRequest(_("sort must be 'relevance' or 'date'."))
    return {
        "q": params.get("q") or "",
        "lang": lang,
        "available": available,
        "actor": _control_free(params, "actor"),
        "outlet": _control_free(params, "outlet"),
        "author": _control_free(params, "author"),
        "translator": _control_free(params, "translator"),
        "year": _int(params, "year", None, 1, 9999),
        "sort": sort,
        "page": _int(params, "page", 1, 1, 10_000),
        "page_size": _int(params, "page_size", 20, 1, MAX_PAGE_SIZE),
    }


def _actor_names(actor, codes: list[str]) -> dict[str, str]:
    """{language: name} for the languages the actor has a name in, as the facets name it: a
    language without one is left out, not given as null."""
    names = ((c, localized(actor, "name", c)) for c in codes)
    return {c: name for c, name in names if name}


def search_payload(result: SearchPage) -> dict:
    results = []
    codes = language_codes()
    heads = {c: article_path_head(c) for c in codes}  # once, not for each of 40 links
    for hit in result.hits:
        article = hit.article
        # A version without a snippet is not published (a draft, scheduled, missing): nothing
        # of it is shown, its title included. A published one untitled (some corpus records) is
        # named as the search page names it: by the start of its first paragraph.
        # (Each title once: a version's URL is made from its title, `Article.slug`.)
        titles = {c: article.public_title(c) for c in codes if hit.snippets.get(c) is not None}
        results.append(
            {
                "id": article.pk,
                "external_id": article.external_id,
                "title": {c: titles.get(c) for c in codes},
                "url": {
                    c: article.url(c, heads[c], titles[c]) if c in titles else None for c in codes
                },
                "snippet": hit.snippets,
                "actors": [
                    {"slug": actor.slug, "name": _actor_names(actor, codes)} for actor in hit.actors
                ],
                "score": round(hit.score, 6),
            }
        )
    return {
        "count": result.count,
        "count_is_estimate": result.count_is_estimate,
        "page": result.page,
        "page_size": result.page_size,
        "num_pages": result.num_pages,
        "results": results,
        "facets": result.facets,
        "messages": result.messages,
    }


def search_response(params: Mapping[str, str]) -> dict:
    """The API's answer to these query parameters (the benchmark calls this too)."""
    return search_payload(search(**search_arguments(params)))


@require_GET
def api_search(request):
    try:
        payload = search_response(request.GET)
    except (BadRequest, SearchError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    return response


MAX_LIMIT = 50


def _bad(reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=400)


@require_GET
def actors(request):
    """`GET /api/actors?q=…&limit=…`: actors whose name or alias (any language or script)
    starts with or contains q. An empty q gives no results."""
    q = request.GET.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        return _bad(f"q: at most {MAX_QUERY_CHARS} characters")
    if any(ord(c) < 32 or c == "\x7f" for c in q):
        return _bad("q: control characters are not allowed")
    try:
        limit = int(request.GET.get("limit", "10"))
    except ValueError:
        return _bad("limit: expected a whole number")
    if not 1 <= limit <= MAX_LIMIT:
        return _bad(f"limit: between 1 and {MAX_LIMIT}")
    results = [
        {
            "slug": actor.slug,
            "kind": actor.kind,
            "name": _actor_names(actor, language_codes()),
            "aliases": [a.text for a in actor.aliases.all()],
            "article_count": actor.article_count,
        }
        for actor in actor_lookup(q, limit)
    ]
    return JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})
