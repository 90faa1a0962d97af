"""Atom feeds: the articles about an actor."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from archive.actors import actor_articles
from archive.models import Actor, Article

FEED_ITEMS = 30


def _in_language(article: Article, field: str, language: str) -> str:
    for code in [language, article.original_language]:
        if article.text(field, code):
            return article.text(field, code)
    return ""


class ActorFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, slug: str) -> Actor:
        return get_object_or_404(Actor, slug=slug)

    def title(self, actor: Actor) -> str:
        return _("Yiwen: articles about %(actor)s") % {"actor": actor}

    def subtitle(self, actor: Actor) -> str:
        return actor.description or ""

    def link(self, actor: Actor) -> str:
        return reverse("archive:actor", kwargs={"slug": actor.slug})

    def items(self, actor: Actor):
        return actor_articles(actor)[:FEED_ITEMS]

    def item_title(self, article: Article) -> str:
        return _in_language(article, "title", get_language()) or article.display_title

    def item_description(self, article: Article) -> str:
        language = get_language()
        summary = _in_language(article, "summary", language)
        if summary:
            return summary
        paragraphs = article.paragraphs(language) or article.paragraphs(article.original_language)
        return paragraphs[0] if paragraphs else ""

    def item_link(self, article: Article) -> str:
        return article.get_absolute_url(get_language())

    def item_guid(self, article: Article) -> str:
        return f"yiwen:article:{article.external_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, article: Article) -> dt.datetime:
        if article.original_published_on:
            day = article.original_published_on
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        return article.created_at

    def item_updateddate(self, article: Article) -> dt.datetime:
        return article.updated_at or timezone.now()
