"""Atom feeds (django.contrib.syndication): the newest pieces published in the feed's language,
for the whole archive (`/<lang>/feed/`), per outlet (`/<lang>/outlets/<slug>/feed/`), and the
articles about an actor (`/<lang>/actors/<slug>/feed/`)."""

from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from archive import reading
from archive.actors import actor_articles
from archive.models import Actor, Article, Outlet


def _summary_html(article: Article, code: str, *, paragraphs: int) -> str:
    """A version's summary, else its first `paragraphs`, as Atom's HTML summary: the plain text
    escaped for it, paragraph by paragraph."""
    summary = article.text("summary", code)
    found = [summary] if summary else article.paragraphs(code)[:paragraphs]
    return "".join(f"<p>{escape(p)}</p>" for p in found)


def _aware(date: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(date, datetime.time.min, tzinfo=datetime.UTC)


class LatestFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs):
        return None

    def title(self, obj) -> str:
        return _("Yiwen: latest pieces")

    def subtitle(self, obj) -> str:
        return _("Chinese originals and their English translations, side by side.")

    def link(self, obj) -> str:
        return reverse("archive:home")

    def feed_url(self, obj) -> str:
        return reverse("archive:feed")

    def items(self, obj) -> list[Article]:
        return reading.feed_articles(get_language())

    def item_title(self, item: Article) -> str:
        return item.public_title(get_language())

    def item_link(self, item: Article) -> str:
        return item.url(get_language())

    def item_description(self, item: Article) -> str:
        return _summary_html(item, get_language(), paragraphs=2)

    def item_author_name(self, item: Article) -> str | None:
        names = [str(a.person) for a in item.authorships.all()]
        return ", ".join(names) or None

    def item_pubdate(self, item: Article) -> datetime.datetime:
        rendition = item.public_rendition(get_language())
        date = (
            item.original_published_on
            if rendition.is_original
            else rendition.published_on or item.original_published_on
        )
        return _aware(date) if date else item.created_at

    def item_updateddate(self, item: Article) -> datetime.datetime:
        # Atom requires <updated> on every entry.
        rendition = item.public_rendition(get_language())
        return max(item.updated_at, rendition.updated_at)

    def item_categories(self, item: Article) -> list[str]:
        return [str(item.outlet)] if item.outlet else []


class OutletFeed(LatestFeed):
    def get_object(self, request, slug: str) -> Outlet:
        return get_object_or_404(Outlet, slug=slug)

    def title(self, obj: Outlet) -> str:
        return _("Yiwen: pieces from %(outlet)s") % {"outlet": obj}

    def link(self, obj: Outlet) -> str:
        return obj.get_absolute_url()

    def feed_url(self, obj: Outlet) -> str:
        return reverse("archive:outlet_feed", kwargs={"slug": obj.slug})

    def items(self, obj: Outlet) -> list[Article]:
        return reading.feed_articles(get_language(), outlet=obj)


FEED_ITEMS = 30


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

    # An article about the actor may have only some versions published: each entry shows the
    # version a reader of the feed's language is shown (`reading_language`), never a draft.

    def item_title(self, article: Article) -> str:
        return article.public_title(get_language())

    def item_description(self, article: Article) -> str:
        code = article.reading_language(get_language())
        return "" if code is None else _summary_html(article, code, paragraphs=1)

    def item_link(self, article: Article) -> str:
        return article.url(article.reading_language(get_language()) or get_language())

    def item_guid(self, article: Article) -> str:
        return f"yiwen:article:{article.external_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, article: Article) -> datetime.datetime:
        if article.original_published_on:
            day = article.original_published_on
            return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)
        return article.created_at

    def item_updateddate(self, article: Article) -> datetime.datetime:
        return article.updated_at or timezone.now()
