"""The public pages, mounted under a language prefix (`i18n_patterns` in config/urls.py)."""

from django.urls import path, re_path, register_converter
from django.urls.converters import StringConverter

from archive import views
from archive.feeds import ActorFeed

app_name = "archive"


class UnicodeSlugConverter(StringConverter):
    """An outlet's or a person's slug as its SlugField(allow_unicode=True) holds it: letters and
    digits of any script, `_` and `-`. Anything else is no page (404) before any query: a NUL
    (`%00`) was a 500, PostgreSQL's text cannot hold one."""

    regex = r"[-\w]+"


register_converter(UnicodeSlugConverter, "unicode_slug")

# Mounted under i18n_patterns: /<lang>/… (config/urls.py).
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("actors/", views.actor_index, name="actor_index"),
    path("actors/<slug:slug>/", views.actor_detail, name="actor"),
    path("actors/<slug:slug>/feed/", ActorFeed(), name="actor_feed"),
    path("archive/", views.by_date, name="by_date"),
    path("feed/", views.feed, name="feed"),
    path("articles/<int:pk>/", views.article, name="article_short"),
    path("articles/<int:pk>/parallel/", views.parallel, name="parallel"),
    path("articles/<int:pk>/preview/", views.article_preview, name="preview"),
    path("articles/<int:pk>/parallel/preview/", views.parallel_preview, name="parallel_preview"),
    re_path(r"^articles/(?P<pk>[0-9]+)/cite\.(?P<fmt>bib|ris|json)$", views.cite, name="cite"),
    path("articles/<int:pk>/<str:slug>/", views.article, name="article"),
    path("outlets/<unicode_slug:slug>/", views.outlet, name="outlet"),
    path("outlets/<unicode_slug:slug>/feed/", views.outlet_feed, name="outlet_feed"),
    path("people/<unicode_slug:slug>/", views.person, name="person"),
]
