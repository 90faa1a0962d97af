"""The read path of the public pages: which articles, which version, which paragraphs.

Building blocks with no `request`: the views call one of these and render. Only public
language versions (published, due and not deleted: `archive.models.public_q`) are ever shown.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import zip_longest

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from archive.models import (
    Actor,
    Article,
    Authorship,
    Mention,
    MentionState,
    Outlet,
    Person,
    Rendition,
    RenditionStatus,
    Translatorship,
    authorships_with_people,
    language_codes,
    localized,
    public_q,
    translatorships_with_people,
)


def latest_articles(limit: int = 20) -> list[Article]:
    return list(Article.objects.public().newest_first()[:limit])


def archive_by_date():
    return Article.objects.public().newest_first()


def outlets_with_pieces() -> list[Outlet]:
    """Outlets with public pieces (as original outlet or publisher), each with `pieces` counted."""
    published = Rendition.objects.public()
    pieces = (
        Article.objects.filter(Exists(published.filter(article=OuterRef("pk"))))
        .filter(
            Q(outlet=OuterRef("pk"))
            | Exists(published.filter(article=OuterRef("pk"), publisher=OuterRef(OuterRef("pk"))))
        )
        .order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Outlet.objects.annotate(pieces=Coalesce(Subquery(pieces, output_field=IntegerField()), 0))
        .filter(pieces__gt=0)
        .order_by("slug")
    )


def people_with_pieces():
    """People credited as author of a public piece or translator of a published version."""
    public = Exists(Rendition.objects.public().filter(article=OuterRef("article")))
    wrote = Authorship.objects.filter(public, person=OuterRef("pk"))
    translated = Translatorship.objects.filter(public_q("rendition__"), person=OuterRef("pk"))
    return Person.objects.filter(Exists(wrote) | Exists(translated)).order_by("slug")


def outlet_pieces(outlet: Outlet):
    return Article.objects.public().from_outlet(outlet).newest_first()


def person_pieces(person: Person):
    return Article.objects.public().by_person(person).newest_first()


def feed_articles(language: str, *, outlet: Outlet | None = None, limit: int = 30) -> list:
    articles = Article.objects.public().in_language(language)
    if outlet is not None:
        articles = articles.from_outlet(outlet)
    return list(articles.newest_first()[:limit])


# --- one article -----------------------------------------------------------------------------


@dataclass
class ArticleReading:
    """What an article page in `requested` shows: the version `shown` (the requested one when it
    is published, else another with a note) and every version's status."""

    article: Article
    requested: str
    shown: Rendition
    versions: list[Rendition]

    @property
    def requested_version(self) -> Rendition | None:
        return next((r for r in self.versions if r.language == self.requested), None)

    @property
    def substituted(self) -> bool:
        return self.shown.language != self.requested

    @property
    def requested_status(self) -> str:
        """Why the requested version is not shown: "missing" (not archived) or "unpublished"."""
        version = self.requested_version
        if version is None or version.status == RenditionStatus.MISSING:
            return "missing"
        return "unpublished"

    @property
    def original(self) -> Rendition | None:
        return next((r for r in self.versions if r.is_original), None)

    @property
    def paragraphs(self) -> list[str]:
        return self.article.paragraphs(self.shown.language)

    @property
    def title(self) -> str:
        return self.article.public_title(self.shown.language)

    @property
    def summary(self) -> str:
        return self.article.text("summary", self.shown.language)


def article_reading(pk: int, language: str, *, preview: bool = False) -> ArticleReading:
    """The article `pk` as read in `language`; Http404 when it has no published version.

    `preview` (editors only: the views check) shows every version that has text as if it were
    published, to see a draft, a version in review or a scheduled one as readers will."""
    article = (
        Article.objects.select_related("outlet")
        .prefetch_related(
            Prefetch(
                "renditions",
                queryset=Rendition.objects.select_related("publisher", "reviewer")
                .prefetch_related(translatorships_with_people())
                .order_by("language"),
            ),
            authorships_with_people(),
        )
        .filter(pk=pk)
        .first()
    )
    if article is None or article.deleted_at is not None:
        raise Http404("No such article.")
    if preview:
        article._public_renditions = [
            r for r in article.renditions.all() if article.has_text(r.language)
        ]
    shown_language = article.reading_language(language)
    if shown_language is None:
        raise Http404("This article has no published version.")
    order = language_codes()
    versions = sorted(article.renditions.all(), key=lambda r: order.index(r.language))
    return ArticleReading(
        article=article,
        requested=language,
        shown=article.public_rendition(shown_language),
        versions=versions,
    )


# --- what a piece is about, and what else is ------------------------------------------------


@dataclass
class ActorLink:
    """An actor an article is about: its name in the page's language (else the other one, with
    that language's code for the `lang` attribute) and its mentions in the published versions."""

    actor: Actor
    name: str
    name_language: str
    mentions: int = 0


def actor_link(actor: Actor, language: str, mentions: int = 0) -> ActorLink:
    for code in (language, *language_codes()):
        name = localized(actor, "name", code)
        if name:
            return ActorLink(actor, name, code, mentions)
    return ActorLink(actor, actor.slug, language, mentions)


def article_actors(reading: ArticleReading) -> list[ActorLink]:
    """The actors the piece is about: counted mentions (not rejected) in its published versions,
    most mentioned first (then by slug). One query."""
    mentions = (
        Mention.objects.counted()
        .filter(article=reading.article, language__in=reading.article.public_languages)
        .select_related("actor")
    )
    counts: dict[int, int] = {}
    actors: dict[int, Actor] = {}
    for mention in mentions:
        counts[mention.actor_id] = counts.get(mention.actor_id, 0) + mention.count
        actors[mention.actor_id] = mention.actor
    order = sorted(counts, key=lambda pk: (-counts[pk], actors[pk].slug))
    return [actor_link(actors[pk], reading.requested, counts[pk]) for pk in order]


COUNTED_STATES = [s for s in MentionState.values if s != MentionState.REJECTED]


def related_pieces(article: Article, actor_ids: list[int], limit: int = 5) -> list[Article]:
    """Other public articles sharing the most actors with `article` (counted mentions in their
    published versions), each with `shared` (how many) and `published_languages`; ties go to the
    newer piece. One query: grouped mentions of those actors joined to published versions."""
    if not actor_ids:
        return []
    published = Rendition.objects.public().filter(article=OuterRef("pk"))
    return list(
        Article.objects.filter(
            # One filter() call: the mention and the version are the same joined rows.
            public_q("renditions__"),
            mentions__actor_id__in=actor_ids,
            mentions__state__in=COUNTED_STATES,
            renditions__language=F("mentions__language"),
        )
        .exclude(pk=article.pk)
        .annotate(
            shared=Count("mentions__actor", distinct=True),
            published_languages=ArraySubquery(published.order_by("language").values("language")),
        )
        .order_by(
            "-shared",
            F("original_published_on").desc(nulls_last=True),
            "-created_at",
            "-id",
        )[:limit]
    )


@dataclass
class Pair:
    number: int
    left: str | None
    right: str | None


@dataclass
class Parallel:
    """The original beside a translation, paragraph by paragraph (`right` is None when only one
    version is published)."""

    left: Rendition
    right: Rendition | None
    pairs: list[Pair]

    @property
    def counts(self) -> tuple[int, int]:
        return (
            sum(1 for p in self.pairs if p.left is not None),
            sum(1 for p in self.pairs if p.right is not None),
        )

    @property
    def unequal(self) -> bool:
        return self.right is not None and self.counts[0] != self.counts[1]


def parallel(reading: ArticleReading) -> Parallel:
    """Paragraph i of the original beside paragraph i of the translation. The left column is
    the original when it is published, the right one the page's language when that is another
    published version (else the first other one). A shorter side leaves empty cells."""
    article = reading.article
    public = article.public_languages
    left_code = article.reading_language(article.original_language)
    others = [code for code in public if code != left_code]
    right_code = reading.requested if reading.requested in others else next(iter(others), None)
    left = article.public_rendition(left_code)
    right = article.public_rendition(right_code) if right_code else None
    left_paragraphs = article.paragraphs(left_code)
    right_paragraphs = article.paragraphs(right_code) if right_code else []
    pairs = [
        Pair(number=i, left=a, right=b)
        for i, (a, b) in enumerate(zip_longest(left_paragraphs, right_paragraphs), start=1)
    ]
    return Parallel(left=left, right=right, pairs=pairs)


# --- conditional GET: cheap last-modified times -----------------------------------------------


def _latest(model, **where) -> Subquery:
    rows = model.objects.filter(**where).order_by().values("updated_at")
    return Subquery(rows.order_by(F("updated_at").desc())[:1])


def archive_last_modified() -> datetime.datetime | None:
    """When any article, language version or mention last changed (lists, feeds, the home page
    with its most-mentioned actors)."""
    latest = ", ".join(
        f"(SELECT max(updated_at) FROM {model._meta.db_table})"
        for model in (Article, Rendition, Mention)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT GREATEST({latest})")  # one query; GREATEST skips NULLs
        return cursor.fetchone()[0]


def article_last_modified(pk: int) -> datetime.datetime | None:
    """When the article, one of its language versions or one of its mentions (the actors it is
    about) last changed; None if there is no such article."""
    row = (
        Article.objects.filter(pk=pk)
        .annotate(
            versions=_latest(Rendition, article=OuterRef("pk")),
            mentions_at=_latest(Mention, article=OuterRef("pk")),
        )
        .values_list("updated_at", "versions", "mentions_at")
        .first()
    )
    if row is None:
        return None
    return max(t for t in row if t is not None)
