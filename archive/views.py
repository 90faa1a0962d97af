from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from archive.models import Article, Rendition


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
