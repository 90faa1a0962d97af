"""JSON endpoints for the site's own pages (the search box's suggestions)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from archive.actors import MAX_QUERY_CHARS, actor_lookup
from archive.models import language_codes, localized

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
            "name": {c: localized(actor, "name", c) for c in language_codes()},
            "aliases": [a.text for a in actor.aliases.all()],
            "article_count": actor.article_count,
        }
        for actor in actor_lookup(q, limit)
    ]
    return JsonResponse({"results": results}, json_dumps_params={"ensure_ascii": False})
