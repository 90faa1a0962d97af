"""The archive's data.

- `Article`: one piece of writing in all its language versions. Its text (title, summary, body) is
  translated with django-modeltranslation (`title_zh_hans`, `title_en`, … see `translation.py`).
- `Rendition`: what modeltranslation columns cannot carry, one row per article and language:
  translators, publisher, URL, date, method, reviewer, status, and `source_hash`, the hash of the
  original text the translation was made from. "Outdated" is derived from it, never set by hand.
- `Outlet` (publisher or original outlet) and `Person` (author, translator, reviewer): contributors.

Actors (the people and organisations an article is *about*) are a separate register: Actor,
ActorAlias and Mention (→ Article) at the end of this file, their logic in `archive/actors.py`.
They are deliberately not the same rows as `Person`: a Person is credited for writing; an Actor
is written about.

Writes go through `archive/services.py`, which keeps the derived fields (hashes, version, one
Rendition per language) consistent.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, F, Func, OuterRef, Prefetch, Q
from django.db.models.base import ModelState
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from modeltranslation.utils import build_localized_fieldname

from archive.text.paragraphs import split_paragraphs, text_hash


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_tag(code: str) -> str:
    """The BCP 47 spelling of a Django language code, for `lang`, `hreflang` and `inLanguage`:
    "zh-hans" → "zh-Hans", "en-gb" → "en-GB"."""
    first, *rest = code.split("-")
    return "-".join([first, *(part.title() if len(part) == 4 else part.upper() for part in rest)])


SEARCH_SLOTS = ("all", "head", "chars")


def search_column(language: str, *, head: bool = False, chars: bool = False) -> str:
    """The name of one of an article's stored search vectors for one language: everything
    searchable in that version but single characters (`search_zh_hans`), only its head — title,
    summary, actor names — (`search_head_en`), or its characters and pairs of characters
    (`search_chars_zh_hans`)."""
    prefix = "search_head_" if head else "search_chars_" if chars else "search_"
    return prefix + language.replace("-", "_")


# Adjacent words of a words vector, as lexemes "a b" (no positions): the pre-filter of phrase
# queries. Created by migration 0010; indexed (an expression index, nothing stored) for the
# languages written with spaces between words. Chinese phrases use the character pairs instead.
WORD_PAIRS_FUNCTION = "yiwen_word_pairs"


def word_pair_languages() -> list[str]:
    return [code for code in language_codes() if code.split("-")[0] not in ("zh", "ja")]


def word_pairs_index_name(language: str) -> str:
    return f"search_pairs_{language.replace('-', '_')}_gin"


def rum_index_name(language: str, half: int | None = None) -> str:
    """The RUM index of a version's words vector (migration 0012; only where the server has
    the extension); or, where it is in two halves (migration 0023), the half of the articles
    whose id leaves that remainder by RUM_HALVES."""
    name = f"search_rum_{language.replace('-', '_')}"
    return name if half is None else f"{name}_{half}"


def rum_indexes_present(cursor, table: str) -> set[str]:
    """The names of the table's RUM indexes in this database (none where the server has no
    RUM extension)."""
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = %s AND indexdef ILIKE '%%USING rum%%'",
        [table],
    )
    return {row[0] for row in cursor.fetchall()}


# Where a version's RUM index is in halves (migration 0023), its articles with even ids are in
# one and those with odd ids in the other: two ordered scans of half the length each, which
# the helpers run side by side (`archive.search._RumScans`).
RUM_HALVES = 2


# The words vector as the RUM indexes hold it since migration 0018: the vector itself, through
# a function (PL/pgSQL: never inlined) that only the RUM page's scans name, so that no other
# statement is planned on a RUM index (the migration says why).
RUM_WORDS_FUNCTION = "yiwen_ranked_words"


def search_columns() -> list[str]:
    """Every stored search vector column, language by language."""
    return [
        search_column(code, head=slot == "head", chars=slot == "chars")
        for code in language_codes()
        for slot in SEARCH_SLOTS
    ]


def id_array(ids) -> str:
    """Ids (of articles, actors) as one array literal, for `ANY(%s::bigint[])`: a list
    parameter is quoted element by element on the client (1.65 ms of CPU for the 2,000 ids of
    a listing, and 7 ms to the answer on a busy machine) where this string is quoted once
    (0.30 ms; 1.1 ms)."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def text_array(values) -> str:
    """Strings as one array literal (each element quoted, its backslashes and double quotes
    escaped), for `%s::text[]` or `%s::varchar[]`: like `id_array`, quoted once rather than
    element by element (~0.5 µs an element: 30 µs for the names of 60 people)."""
    escaped = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in escaped) + "}"


def from_row(model, attnames: Sequence[str], values, alias: str):
    """An instance with these fields' values (the others deferred), as `model.from_db(alias,
    attnames, values)` leaves it, without running `__init__`: its signals, modeltranslation's
    wrapper and the per-field loop were 15 µs an article, 0.5 ms a page of articles and
    outlets, for instances that are only read (the search's articles, outlets and actors:
    none of these models has a `post_init` receiver but modeltranslation's, which undoes what
    its wrapper sets)."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    return instance


def localized(obj: models.Model, field: str, language: str) -> str:
    """The value of translated `field` in `language` (never a fallback), "" when empty."""
    return getattr(obj, _localized_name(field, language)) or ""


@lru_cache(maxsize=256)
def _localized_name(field: str, language: str) -> str:
    # (a page of search results asks for ~200 of these: titles, summaries, bodies, names)
    return build_localized_fieldname(field, language)


_SLUG_DROPPED = re.compile(r"[^\w\s-]")
_SLUG_JOINED = re.compile(r"[-\s]+")
_NOT_URL_SAFE = re.compile(r"[^A-Za-z0-9_.~-]+")


def unicode_slug(text: str) -> str:
    """What `django.utils.text.slugify(text, allow_unicode=True)` gives, without its wrapper
    for lazy strings and its per-call pattern lookups: a page of search results makes 40."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SLUG_JOINED.sub("-", _SLUG_DROPPED.sub("", text)).strip("-_")


def quote_segment(text: str) -> str:
    """What `urllib.parse.quote(text, safe="")` gives: UTF-8, percent-encoded, a run of
    characters at a time (quote encodes a Chinese slug byte by byte in Python)."""
    return _NOT_URL_SAFE.sub(_percent_encoded, text)


def _percent_encoded(found: re.Match) -> str:
    return "%" + found.group().encode().hex("%").upper()


class Outlet(models.Model):
    """A publication: an original's outlet (深潮 TechFlow) or a translation's publisher."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, allow_unicode=True)
    homepage = models.URLField(_("homepage"), max_length=1000, blank=True)
    # [{"label": "Twitter", "url": "https://…"}, …] in the order the outlet lists them.
    social_links = models.JSONField(_("social links"), default=list, blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")

    def __str__(self) -> str:
        return display_name(self) or self.slug

    def get_absolute_url(self) -> str:
        return reverse("archive:outlet", kwargs={"slug": self.slug})


class Person(models.Model):
    """A contributor credited for an article: author, translator or reviewer."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return display_name(self) or self.slug

    def get_absolute_url(self) -> str:
        return reverse("archive:person", kwargs={"slug": self.slug})


def display_name(obj: Outlet | Person | Actor) -> str:
    """The name in the active language if there is one, else the first name in LANGUAGES order."""
    from django.utils.translation import get_language

    current = get_language() or settings.LANGUAGE_CODE
    for code in [current, *language_codes()]:
        if code in language_codes() and localized(obj, "name", code):
            return localized(obj, "name", code)
    return ""


# --- THE rule of what is public ---------------------------------------------------------------
#
# A language version is public when its status is "published", its scheduled publication time
# (if any) has come, and its article is not deleted. Every public surface (pages, search and its
# index, feeds, sitemap, API, citations) asks one of these two spellings of the same rule:
# `public_q` (ORM filters, from any model, through `prefix`) and `Rendition.is_public` (Python,
# on rows already loaded; the search index and its facet keys are built from it, so the search's
# SQL needs no copy of the rule). Keep them together and in step.


def public_q(prefix: str = "", now: datetime.datetime | None = None) -> Q:
    """The rule as a filter on Rendition (`prefix` reaches it from another model, e.g.
    "renditions__" from Article, "rendition__" from Translatorship)."""
    now = now or timezone.now()
    return Q(
        **{
            f"{prefix}status": RenditionStatus.PUBLISHED,
            f"{prefix}article__deleted_at__isnull": True,
        }
    ) & (Q(**{f"{prefix}publish_at__isnull": True}) | Q(**{f"{prefix}publish_at__lte": now}))


class RenditionQuerySet(models.QuerySet):
    def public(self, now: datetime.datetime | None = None) -> RenditionQuerySet:
        return self.filter(public_q(now=now))


class ArticleQuerySet(models.QuerySet):
    """The read side of the public pages: only public language versions (`public_q`)."""

    def live(self) -> ArticleQuerySet:
        """Articles not deleted (the admin's and editors' view)."""
        return self.filter(deleted_at__isnull=True)

    def public(self) -> ArticleQuerySet:
        """Articles with at least one public language version. Each carries its public
        versions (`public_renditions`, with translators and publisher), authors and outlet,
        so that lists of them cost a fixed number of queries."""
        published = Rendition.objects.public()
        return (
            self.filter(Exists(published.filter(article=OuterRef("pk"))))
            .select_related("outlet")
            .prefetch_related(
                Prefetch(
                    "renditions",
                    queryset=published.select_related("publisher").prefetch_related(
                        translatorships_with_people()
                    ),
                    to_attr="_public_renditions",
                ),
                authorships_with_people(),
            )
        )

    def newest_first(self) -> ArticleQuerySet:
        """By the original's date, newest first; undated pieces last."""
        return self.order_by(F("original_published_on").desc(nulls_last=True), "-created_at", "-id")

    def in_language(self, language: str) -> ArticleQuerySet:
        """Articles whose `language` version is published."""
        return self.filter(
            Exists(Rendition.objects.public().filter(article=OuterRef("pk"), language=language))
        )

    def from_outlet(self, outlet: Outlet) -> ArticleQuerySet:
        """Pieces an outlet published: as the original's outlet or a published version's."""
        published_by = Rendition.objects.public().filter(article=OuterRef("pk"), publisher=outlet)
        return self.filter(Q(outlet=outlet) | Exists(published_by))

    def by_person(self, person: Person) -> ArticleQuerySet:
        """Pieces a person wrote or translated (a published version)."""
        wrote = Authorship.objects.filter(article=OuterRef("pk"), person=person)
        translated = Translatorship.objects.filter(
            public_q("rendition__"), rendition__article=OuterRef("pk"), person=person
        )
        return self.filter(Exists(wrote) | Exists(translated))


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    def get_queryset(self) -> ArticleQuerySet:
        # The stored search vectors (tens of kB an article) are read by PostgreSQL only: never
        # fetch them into Python.
        return super().get_queryset().defer(*search_columns())


def authorships_with_people() -> Prefetch:
    return Prefetch("authorships", queryset=Authorship.objects.select_related("person"))


def translatorships_with_people() -> Prefetch:
    return Prefetch("translatorships", queryset=Translatorship.objects.select_related("person"))


# Path segments under /articles/<pk>/ that a title's slug must not take.
RESERVED_SLUGS = frozenset({"parallel"})


def article_path_head(language: str) -> str:
    """The path of article pages in `language` up to the primary key, for this thread's URL
    configuration and script prefix (looking those up is most of an article URL's cost)."""
    return _article_path_head(language, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@lru_cache(maxsize=64)
def _article_path_head(language: str, urlconf: str, script_prefix: str) -> str:
    """The path of article pages in `language` up to the primary key ("/en/articles/")."""
    with override(language):
        path = reverse("archive:article", kwargs={"pk": 1, "slug": "s"}, urlconf=urlconf)
    assert path.endswith("/1/s/"), path
    return path[: -len("1/s/")]


class Article(models.Model):
    external_id = models.CharField(
        _("external id"),
        max_length=200,
        unique=True,
        help_text=_("Stable identifier used by import and export; never reused."),
    )
    original_language = models.CharField(
        _("original language"), max_length=16, choices=settings.LANGUAGES
    )
    title = models.CharField(_("title"), max_length=500, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(
        _("body"), blank=True, help_text=_("Plain paragraphs separated by one blank line.")
    )
    outlet = models.ForeignKey(
        Outlet,
        verbose_name=_("original outlet"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="original_articles",
    )
    authors = models.ManyToManyField(
        Person,
        verbose_name=_("authors"),
        through="Authorship",
        related_name="authored_articles",
        blank=True,
    )
    original_url = models.URLField(_("original URL"), max_length=1000, blank=True)
    original_published_on = models.DateField(_("original publication date"), null=True, blank=True)
    # Hash of the original-language text, maintained by services; compared with each
    # translation's Rendition.source_hash to derive "outdated".
    original_hash = models.CharField(max_length=64, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Soft delete (services.article_delete / article_undelete): a deleted article is on no public
    # surface and out of the search index, and can be brought back with its history.
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The search index: three tsvectors per language, `search_<lang>`, `search_head_<lang>` and
    # `search_chars_<lang>` (added below for every language in settings.LANGUAGES; see
    # archive/indexing.py), and the keys of its facets and filters ("lang:en", "outlet:<slug>",
    # "actor:<slug>", "year:2025"…).
    facet_keys = ArrayField(
        models.CharField(max_length=250), default=list, blank=True, editable=False
    )

    objects = ArticleManager()

    class Meta:
        ordering = ["-original_published_on", "-created_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [("translate_article", _("Can edit the translations of an article"))]
        indexes = [
            # Newest first with undated pieces last: the order of every list and of search by date
            # (an index walked in this order finds the newest matches of a common term at once).
            models.Index(
                F("original_published_on").desc(nulls_last=True),
                F("id").desc(),
                name="article_newest_idx",
            ),
            GinIndex(fields=["facet_keys"], name="article_facet_keys_gin"),
            # Each vector with the facet keys: a filtered search (outlet, year, author…) is one
            # GIN scan that intersects the two inside the index, skipping through a common
            # word's entries, instead of a bitmap of every match of the word ANDed with the
            # filter's, or the filter's rows each tested by reading its vector. A search without
            # filters reads the vector's entries alone, as from an index of it alone. The
            # words and the characters of a version share one index (migration 0019): a query
            # with both a word and characters that are no word (`DeepSeek 的了`) is one scan
            # that intersects them, not the word's matches each tested by reading its
            # characters vector.
            *[
                GinIndex(
                    fields=[
                        search_column(code),
                        search_column(code, chars=True),
                        "facet_keys",
                    ],
                    name=f"{search_column(code)}_gin",
                )
                for code in language_codes()
            ],
            *[
                GinIndex(
                    fields=[search_column(code, head=True), "facet_keys"],
                    name=f"{search_column(code, head=True)}_gin",
                )
                for code in language_codes()
            ],
            *[
                GinIndex(
                    Func(
                        F(search_column(code)),
                        function=WORD_PAIRS_FUNCTION,
                        output_field=SearchVectorField(),
                    ),
                    name=word_pairs_index_name(code),
                )
                for code in word_pair_languages()
            ],
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(original_language__in=language_codes()),
                name="article_original_language_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    def text(self, field: str, language: str) -> str:
        return localized(self, field, language)

    def paragraphs(self, language: str) -> list[str]:
        return split_paragraphs(self.text("body", language))

    def has_text(self, language: str) -> bool:
        return bool(self.text("title", language) or self.text("body", language))

    @property
    def display_title(self) -> str:
        from django.utils.translation import get_language

        order = [get_language(), self.original_language, *language_codes()]
        order = [code for code in order if code in language_codes()]
        for code in order:
            if self.text("title", code):
                return self.text("title", code)
        # Untitled (some corpus records): the start of the first paragraph, marked as cut.
        for code in order:
            paragraphs = self.paragraphs(code)
            if paragraphs:
                first = paragraphs[0]
                return first if len(first) <= 80 else first[:79].rstrip() + "…"
        return self.external_id

    # --- the public side: published versions only ----------------------------------------

    @property
    def public_renditions(self) -> list[Rendition]:
        """The published language versions, in LANGUAGES order."""
        found = getattr(self, "_public_renditions", None)
        if found is None:
            now = timezone.now()
            found = [r for r in self.renditions.all() if r.is_public(now, article=self)]
        order = language_codes()
        return sorted(found, key=lambda r: order.index(r.language))

    @property
    def public_languages(self) -> list[str]:
        """The published versions' languages, in LANGUAGES order. A list that only needs these
        (titles, slugs, links) can annotate `published_languages` (an array, see
        `reading.related_pieces`) instead of fetching the versions."""
        annotated = getattr(self, "published_languages", None)
        if annotated is not None:  # (one rendition a language: no duplicates to keep)
            return [code for code in language_codes() if code in annotated]
        return [r.language for r in self.public_renditions]

    def public_rendition(self, language: str) -> Rendition | None:
        return next((r for r in self.public_renditions if r.language == language), None)

    def reading_language(self, preferred: str) -> str | None:
        """The version a reader asking for `preferred` is shown: that one when it is published,
        else the original, else the first published one; None when nothing is published."""
        public = self.public_languages
        for code in (preferred, self.original_language, *public):
            if code in public:
                return code
        return None

    @property
    def default_language(self) -> str | None:
        """The version for a reader whose language is unknown (hreflang x-default)."""
        return self.reading_language(settings.LANGUAGE_CODE)

    def public_title(self, preferred: str) -> str:
        """The title of the version shown for `preferred`; an untitled piece is named by the
        start of its first paragraph. Never text of an unpublished version."""
        code = self.reading_language(preferred)
        if code is None:
            return ""
        if self.text("title", code):
            return self.text("title", code)
        paragraphs = self.paragraphs(code)
        if paragraphs:
            first = paragraphs[0]
            return first if len(first) <= 80 else first[:79].rstrip() + "…"
        return self.external_id

    def slug(self, language: str, title: str | None = None) -> str:
        """The URL slug of the version shown for `language`, of its `public_title` (`title`:
        that title, where a caller has it already)."""
        if title is None:
            title = self.public_title(language)
        slug = unicode_slug(title)[:80].strip("-")
        if not slug or slug in RESERVED_SLUGS:
            slug = f"article-{slug}".strip("-")
        return slug

    def url(self, language: str, head: str | None = None, title: str | None = None) -> str:
        """The canonical path of this article's page in `language` (what reversing
        `archive:article` gives, from a prefix reversed once: a page of search results has 40);
        `head`: that prefix, `article_path_head(language)`, and `title`: the version's
        `public_title(language)`, where a caller has them already."""
        if head is None:
            head = article_path_head(language)
        return f"{head}{self.pk}/{quote_segment(self.slug(language, title))}/"

    def get_absolute_url(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        language = language if language in language_codes() else get_language()
        return self.url(language if language in language_codes() else settings.LANGUAGE_CODE)

    def public_date(self):
        """The original's date, else the earliest published version's (None when unknown)."""
        if self.original_published_on:
            return self.original_published_on
        dates = [r.published_on for r in self.public_renditions if r.published_on]
        return min(dates) if dates else None

    def compute_original_hash(self) -> str:
        lang = self.original_language
        return text_hash(
            self.text("title", lang), self.text("summary", lang), self.text("body", lang)
        )


for _column in search_columns():
    Article.add_to_class(_column, SearchVectorField(null=True, editable=False))


class CharacterText(models.Model):
    """The characters that a published version's `search_chars_<lang>` vector indexes, as text:
    the CJK runs of its title, of its summary and actor names, and of its body (normalised; runs
    apart by a space, slots by a line break). Part of the search index (archive/indexing.py).

    A phrase of characters (a quoted Chinese phrase, a string that is no word) is found by its
    pairs in the characters vector's GIN index, and then checked here with `strpos`, not by its
    pairs' positions in the vector: ~4.5 kB to read an article instead of ~29 kB (every
    character and pair, and their positions), ~4× faster for a phrase of common pairs. Where an
    article has no row yet (indexed before migration 0016), the vector is checked as before."""

    # (the unique constraint's index, article first, serves the foreign key as well)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+", db_index=False)
    language = models.CharField(max_length=16)
    characters = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="charactertext_article_language"
            )
        ]


class Authorship(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="authorships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="authorships")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "person"], name="authorship_unique_person"),
        ]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self) -> str:
        return str(self.person)


class RenditionStatus(models.TextChoices):
    MISSING = "missing", _("missing")
    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    PUBLISHED = "published", _("published")


class TranslationMethod(models.TextChoices):
    UNKNOWN = "", _("unknown")
    HUMAN = "human", _("human")
    MACHINE = "machine", _("machine")
    POST_EDITED = "post_edited", _("machine, post-edited")


class Rendition(models.Model):
    """One language version of an article: its metadata and workflow status."""

    Status = RenditionStatus
    Method = TranslationMethod

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="renditions")
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=16, choices=RenditionStatus.choices, default=RenditionStatus.MISSING
    )
    method = models.CharField(
        _("method"),
        max_length=16,
        choices=TranslationMethod.choices,
        default=TranslationMethod.UNKNOWN,
        blank=True,
    )
    translators = models.ManyToManyField(
        Person,
        verbose_name=_("translators"),
        through="Translatorship",
        related_name="translated_renditions",
        blank=True,
    )
    reviewer = models.ForeignKey(
        Person,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_renditions",
    )
    publisher = models.ForeignKey(
        Outlet,
        verbose_name=_("publisher"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_renditions",
    )
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    # Scheduled publication: a published version stays hidden until then (see `public_q`);
    # `manage.py publish_due` indexes it when due and clears this.
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_("Leave empty to publish now; a future time keeps it hidden until then."),
    )
    # Hash of the original's text this translation was made from ("" = not known).
    source_hash = models.CharField(_("source hash"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RenditionQuerySet.as_manager()

    class Meta:
        ordering = ["article_id", "language"]
        verbose_name = _("language version")
        verbose_name_plural = _("language versions")
        permissions = [("publish_rendition", _("Can publish language versions"))]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="rendition_unique_language"
            ),
            models.CheckConstraint(
                condition=Q(language__in=language_codes()), name="rendition_language_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RenditionStatus.values), name="rendition_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(method__in=TranslationMethod.values), name="rendition_method_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "language"], name="rendition_status_idx")]

    def __str__(self) -> str:
        return f"{self.article.external_id} [{self.language}]"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        has_text = self.article.has_text(self.language)
        if self.status != RenditionStatus.MISSING and not has_text:
            raise ValidationError(
                {"status": _("This language version has no title or body yet: it is missing.")}
            )
        if self.status == RenditionStatus.MISSING and has_text:
            raise ValidationError(
                {"status": _("This language version has text: mark it draft, not missing.")}
            )

    @property
    def is_original(self) -> bool:
        return self.language == self.article.original_language

    def is_public(
        self, now: datetime.datetime | None = None, *, article: Article | None = None
    ) -> bool:
        """`public_q` for a loaded row (`article`: the loaded article, to save a query)."""
        article = article or self.article
        if self.status != RenditionStatus.PUBLISHED or article.deleted_at is not None:
            return False
        return self.publish_at is None or self.publish_at <= (now or timezone.now())

    @property
    def is_scheduled(self) -> bool:
        """Published for a time still to come."""
        return (
            self.status == RenditionStatus.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )

    @property
    def is_outdated(self) -> bool:
        """A translation is outdated when the original's text changed after it was made.

        Unknown provenance (no recorded source hash, or no original text archived) is not outdated.
        """
        if self.is_original or self.status == self.Status.MISSING:
            return False
        current = self.article.original_hash
        return bool(self.source_hash and current and self.source_hash != current)


class Translatorship(models.Model):
    rendition = models.ForeignKey(
        Rendition, on_delete=models.CASCADE, related_name="translatorships"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="translatorships")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rendition", "person"], name="translatorship_unique_person"
            ),
        ]
        verbose_name = _("translator")
        verbose_name_plural = _("translators")

    def __str__(self) -> str:
        return str(self.person)


# --- actors: who and what articles are about (logic in archive/actors.py) ------------------------


class ActorKind(models.TextChoices):
    PERSON = "person", _("person")
    COMPANY = "company", _("company")
    GOVERNMENT = "government", _("government body")
    ORGANISATION = "organisation", _("organisation")
    PRODUCT = "product", _("product or model")
    PLACE = "place", _("place")


class Actor(models.Model):
    """A person, company, government body, organisation, product or place articles are about."""

    Kind = ActorKind

    kind = models.CharField(_("kind"), max_length=16, choices=ActorKind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    wikidata_id = models.CharField(
        _("Wikidata id"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[1-9]\d*$", _("A Wikidata item id: Q followed by digits."))],
        help_text=_("Only when certain, e.g. Q95; leave blank otherwise."),
    )
    # Words that make this actor's "needs context" aliases count when they occur in the same
    # language version of an article (e.g. "magazine" for TIME); see archive/actors.py.
    context_words = models.JSONField(_("context words"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("actor")
        verbose_name_plural = _("actors")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ActorKind.values), name="actor_kind_valid"),
            models.CheckConstraint(
                condition=Q(wikidata_id="") | Q(wikidata_id__regex=r"^Q[1-9][0-9]*$"),
                name="actor_wikidata_id_valid",
            ),
        ]
        indexes = [models.Index(fields=["kind", "slug"], name="actor_kind_idx")]

    def __str__(self) -> str:
        return display_name(self) or self.slug


class AliasScript(models.TextChoices):
    SIMPLIFIED = "simplified", _("simplified Chinese")
    TRADITIONAL = "traditional", _("traditional Chinese")
    LATIN = "latin", _("Latin")


class ActorAlias(models.Model):
    """A name an actor goes by in a language and script ("马斯克", "馬斯克", "Musk")."""

    Script = AliasScript

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES)
    text = models.CharField(_("text"), max_length=200)
    script = models.CharField(_("script"), max_length=16, choices=AliasScript.choices)
    needs_context = models.BooleanField(
        _("needs context"),
        default=False,
        help_text=_(
            "Ambiguous on its own (TIME, Amodei): counted only where the article also has another "
            "name of this actor or one of its context words."
        ),
    )
    derived = models.BooleanField(
        _("derived"),
        default=False,
        editable=False,
        help_text=_("A traditional-script form derived automatically from a simplified alias."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["actor_id", "language", "derived", "text"]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [
            models.UniqueConstraint(fields=["actor", "text"], name="actoralias_unique_text"),
            models.CheckConstraint(
                condition=Q(language__in=language_codes()), name="actoralias_language_valid"
            ),
            models.CheckConstraint(
                condition=Q(script__in=AliasScript.values), name="actoralias_script_valid"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="actoralias_text_not_empty"),
        ]
        indexes = [models.Index(fields=["text"], name="actoralias_text_idx")]

    def __str__(self) -> str:
        return self.text


class MentionState(models.TextChoices):
    DETECTED = "detected", _("detected")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")
    ADDED = "added", _("added by an editor")


class MentionQuerySet(models.QuerySet):
    def counted(self) -> MentionQuerySet:
        """Mentions that count (everything but those an editor rejected)."""
        return self.exclude(state=MentionState.REJECTED)


class Mention(models.Model):
    """An actor named in one language version of an article, with the first passage naming it."""

    State = MentionState

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="mentions")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="mentions")
    language = models.CharField(_("language"), max_length=16, choices=settings.LANGUAGES)
    count = models.PositiveIntegerField(_("count"), default=0)
    evidence = models.TextField(_("evidence"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=MentionState.choices, default=MentionState.DETECTED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MentionQuerySet.as_manager()

    class Meta:
        ordering = ["article_id", "language", "-count", "actor_id"]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "actor", "language"], name="mention_unique_language"
            ),
            models.CheckConstraint(
                condition=Q(language__in=language_codes()), name="mention_language_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=MentionState.values), name="mention_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["actor", "state"], name="mention_actor_idx")]

    def __str__(self) -> str:
        return f"{self.actor} [{self.language}]"


# --- the glossary: fixed renderings ---------------------------------------------------------------


class GlossaryTerm(models.Model):
    """A fixed rendering: this Chinese term is always translated as this English one (and back).

    Shown beside the paragraphs that contain it in the translation editor, added to the
    segmenter's dictionary, and used by search: a query for one side also finds the other."""

    zh = models.CharField(_("Chinese"), max_length=200)
    en = models.CharField(_("English"), max_length=200)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["zh", "en"]
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary")
        constraints = [
            models.UniqueConstraint(fields=["zh", "en"], name="glossaryterm_unique_pair"),
            models.CheckConstraint(condition=~Q(zh="") & ~Q(en=""), name="glossaryterm_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.zh} ↔ {self.en}"

    def rendering(self, language: str) -> str:
        """This term in `language` ("zh-…" → the Chinese side, anything else the English)."""
        return self.zh if language.startswith("zh") else self.en


class QueueItem(Rendition):
    """The translation queue in the admin: language versions waiting for work (a proxy of
    Rendition with its own admin list and permission)."""

    class Meta:
        proxy = True
        verbose_name = _("translation queue item")
        verbose_name_plural = _("translation queue")
