from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from archive import api, views
from archive.sitemaps import SITEMAPS

urlpatterns = [
    path("", views.root, name="root"),
    path("robots.txt", views.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("admin/", admin.site.urls),
    path("api/search", api.api_search, name="api_search"),
    path("api/actors", api.actors, name="api_actors"),
]

# Public pages: /en/…, /zh-hans/…; the UI language follows the URL.
urlpatterns += i18n_patterns(path("", include("archive.urls")), prefix_default_language=True)
