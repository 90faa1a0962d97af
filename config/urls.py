from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from archive import api, views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/search", api.api_search, name="api_search"),
    path("api/actors", api.actors, name="api_actors"),
    path("", views.home),  # the unprefixed front page; archive:home is /<lang>/
    *i18n_patterns(path("", include("archive.urls")), prefix_default_language=True),
]
