"""Admin: articles, outlets and people with tabbed languages; per-language metadata inline.

Saves go through `archive.services.article_save`, the same write path as import, so hashes,
versions and the one-row-per-language renditions stay consistent. (The editorial workflow —
queue, side-by-side editor, roles — is built on top of this later.)
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin
from modeltranslation.utils import build_localized_fieldname

from archive.actors import alias_script
from archive.models import (
    Actor,
    ActorAlias,
    Article,
    Authorship,
    Mention,
    Outlet,
    Person,
    Rendition,
    Translatorship,
    language_codes,
)
from archive.services import (
    actor_aliases_derive,
    article_edited,
    article_save,
    mentions_redetect,
    rendition_save,
    text_snapshot,
)

# Django 6 changes forms.URLField's default scheme; say which one we mean ("example.org" → https).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


def localized_fields(*names: str) -> list[str]:
    return [build_localized_fieldname(n, code) for n in names for code in language_codes()]


class AuthorshipInline(admin.TabularInline):
    formfield_overrides = URL_FIELDS
    model = Authorship
    extra = 0
    autocomplete_fields = ["person"]
    fields = ["position", "person"]


class RenditionInline(admin.StackedInline):
    formfield_overrides = URL_FIELDS
    model = Rendition
    extra = 0
    can_delete = False
    show_change_link = True
    autocomplete_fields = ["publisher", "reviewer"]
    fields = [
        ("language", "status", "method"),
        ("publisher", "url", "published_on"),
        "reviewer",
        ("translator_names", "outdated"),
    ]
    readonly_fields = ["language", "translator_names", "outdated"]

    def has_add_permission(self, request, obj=None):
        return False  # one per language, created by the service

    @admin.display(description=_("translators (edit on the language version's page)"))
    def translator_names(self, obj: Rendition) -> str:
        return ", ".join(str(t.person) for t in obj.translatorships.all()) or "—"

    @admin.display(description=_("outdated"), boolean=True)
    def outdated(self, obj: Rendition) -> bool:
        return obj.is_outdated


class MentionInline(admin.TabularInline):
    """The actors an article names. Editors confirm or reject detected mentions and add missing
    ones; re-detection never changes their decision (a rejected mention stays rejected)."""

    model = Mention
    extra = 0
    autocomplete_fields = ["actor"]
    fields = ["actor", "language", "state", "count", "evidence"]
    readonly_fields = ["count", "evidence"]
    verbose_name = _("actor mentioned")
    verbose_name_plural = _("actors mentioned")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Article)
class ArticleAdmin(TabbedTranslationAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["display_title", "external_id", "original_language", "outlet", "version"]
    list_filter = ["original_language", "renditions__status", "outlet"]
    search_fields = ["external_id", *localized_fields("title")]
    autocomplete_fields = ["outlet"]
    readonly_fields = ["version", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["external_id", "original_language", "title", "summary", "body"]}),
        (
            _("Original publication"),
            {"fields": ["outlet", "original_url", "original_published_on"]},
        ),
        (_("Record"), {"fields": ["version", "created_at", "updated_at"]}),
    ]
    inlines = [AuthorshipInline, RenditionInline, MentionInline]
    actions = ["redetect_mentions"]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The text as it was when the edit began, before the form writes into the object.
            obj._previous_text = text_snapshot(obj)
        return obj

    def save_model(self, request, obj, form, change):
        article_save(article=obj)

    def save_related(self, request, form, formsets, change):
        # After the inline language versions are saved, so that their form data cannot overwrite
        # the source hashes of translations whose text was just edited.
        super().save_related(request, form, formsets, change)
        article_edited(
            article=form.instance, previous_text=getattr(form.instance, "_previous_text", None)
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is Mention:
            for mention_form in formset.forms:
                mention = mention_form.instance
                if (
                    mention.pk is None
                    and mention_form.has_changed()
                    and mention.state == Mention.State.DETECTED
                ):
                    mention.state = Mention.State.ADDED  # typed in by an editor
        super().save_formset(request, form, formset, change)

    @admin.display(description=_("title"))
    def display_title(self, obj: Article) -> str:
        return obj.display_title

    @admin.action(description=_("Detect mentioned actors again"))
    def redetect_mentions(self, request, queryset):
        n = mentions_redetect(articles=queryset.order_by("pk"))
        self.message_user(
            request,
            _("Mentions detected again. Articles processed: %(n)d.") % {"n": n},
            messages.SUCCESS,
        )


class TranslatorshipInline(admin.TabularInline):
    formfield_overrides = URL_FIELDS
    model = Translatorship
    extra = 0
    autocomplete_fields = ["person"]
    fields = ["position", "person"]


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["__str__", "language", "status", "method", "publisher"]
    list_filter = ["language", "status", "method"]
    search_fields = ["article__external_id", *[f"article__{f}" for f in localized_fields("title")]]
    autocomplete_fields = ["publisher", "reviewer"]
    readonly_fields = ["article", "language", "source_hash"]
    fields = [
        ("article", "language"),
        ("status", "method"),
        ("publisher", "url", "published_on"),
        "reviewer",
        "source_hash",
    ]
    inlines = [TranslatorshipInline]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        rendition_save(rendition=obj)


@admin.register(Outlet)
class OutletAdmin(TabbedTranslationAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["__str__", "slug", "homepage"]
    search_fields = ["slug", *localized_fields("name")]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "homepage", "social_links"]


@admin.register(Person)
class PersonAdmin(TabbedTranslationAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["__str__", "slug"]
    search_fields = ["slug", *localized_fields("name")]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug"]


class ActorAliasInline(admin.TabularInline):
    model = ActorAlias
    extra = 1
    fields = ["text", "language", "script", "needs_context", "derived"]
    readonly_fields = ["script", "derived"]
    verbose_name = _("alias")
    verbose_name_plural = _("aliases (traditional-script forms are derived on save)")


@admin.register(Actor)
class ActorAdmin(TabbedTranslationAdmin):
    list_display = ["__str__", "kind", "slug", "wikidata_id"]
    list_filter = ["kind"]
    search_fields = ["slug", "aliases__text", *localized_fields("name")]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["kind", "name", "slug", "description", "wikidata_id", "context_words"]
    inlines = [ActorAliasInline]

    def get_search_results(self, request, queryset, search_term):
        queryset, _duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    def save_formset(self, request, form, formset, change):
        for alias_form in formset.forms:
            alias = alias_form.instance
            if alias.text:
                alias.script = alias_script(alias.text)
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        actor_aliases_derive(actor=form.instance)
