from django.urls import path

from archive import views
from archive.feeds import ActorFeed

app_name = "archive"

# Mounted under i18n_patterns: /<lang>/… (config/urls.py).
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("actors/", views.actor_index, name="actor_index"),
    path("actors/<slug:slug>/", views.actor_detail, name="actor"),
    path("actors/<slug:slug>/feed/", ActorFeed(), name="actor_feed"),
]
