from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from archive import api, views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/search", api.api_search, name="api_search"),
    path("", include("archive.urls")),
]
urlpatterns += i18n_patterns(
    path("search/", views.search_page, name="search"),
    prefix_default_language=True,
)
