"""Admin: articles, outlets and people with tabbed languages; per-language metadata inline; the
editorial tools (translation queue, side-by-side editor, glossary, preview, import with a
preview, history with diffs and restore, soft delete).

Saves go through `archive.services`, the same write path as import, so hashes, versions and the
one-row-per-language renditions stay consistent, and permissions (Editor, Translator) are checked
there as well as here. The views for the editorial tools are in `archive/admin_views.py`.
"""

from __future__ import annotations

import reversion
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin
from modeltranslation.utils import build_localized_fieldname
from reversion.admin import VersionAdmin

from archive import admin_views, editorial
from archive.actors import alias_script
from archive.models import (
    Actor,
    ActorAlias,
    Article,
    Authorship,
    GlossaryTerm,
    Mention,
    Outlet,
    Person,
    QueueItem,
    Rendition,
    Translatorship,
    language_codes,
)
from archive.services import (
    EditConflict,
    actor_aliases_derive,
    article_baseline,
    article_delete,
    article_edited,
    article_save,
    article_undelete,
    article_version_check,
    can_edit_language,
    glossary_term_save,
    mentions_redetect,
    rendition_save,
    text_snapshot,
    transition_check,
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


class RenditionForm(forms.ModelForm):
    """A language version's form: a status or schedule change must be a transition the user may
    make (checked again by the service on save)."""

    user = None  # set by the admin's get_form / get_formset

    def clean(self):
        data = super().clean()
        stored = Rendition.objects.filter(pk=self.instance.pk).select_related("article").first()
        if stored is None or self.user is None:
            return data
        # The inline's parent: the article with the text being saved in the same form.
        parent = data.get("article")
        stored.article = parent if isinstance(parent, Article) else self.instance.article
        status = data.get("status", stored.status)
        publish_at = data.get("publish_at", stored.publish_at)
        if status != stored.status or publish_at != stored.publish_at:
            try:
                transition_check(rendition=stored, to=status, user=self.user, publish_at=publish_at)
            except PermissionDenied as exc:
                raise ValidationError(str(exc)) from None
        return data


def _with_user(form_class, user):
    return type(form_class.__name__, (form_class,), {"user": user})


class RenditionInline(admin.StackedInline):
    formfield_overrides = URL_FIELDS
    form = RenditionForm
    model = Rendition
    extra = 0
    can_delete = False
    show_change_link = True
    autocomplete_fields = ["publisher", "reviewer"]
    fields = [
        ("language", "status", "publish_at", "method"),
        ("publisher", "url", "published_on"),
        "reviewer",
        ("translator_names", "outdated"),
    ]
    readonly_fields = ["language", "translator_names", "outdated"]

    def has_add_permission(self, request, obj=None):
        return False  # one per language, created by the service

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = _with_user(self.form, request.user)
        return super().get_formset(request, obj, **kwargs)

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


class ArticleForm(forms.ModelForm):
    """The article form carries the version it was opened at: a save over someone else's newer
    save is refused (the form comes back with the editor's text and a message)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        data = super().clean()
        expected = data.get("expected_version")
        if self.instance.pk and expected is not None:
            try:
                article_version_check(pk=self.instance.pk, expected_version=expected)
            except EditConflict as exc:
                raise ValidationError(str(exc), code="conflict") from None
        return data


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("Not deleted")), ("yes", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.register(Article)
class ArticleAdmin(TabbedTranslationAdmin):
    form = ArticleForm
    formfield_overrides = URL_FIELDS
    change_form_template = "admin/archive/article/change_form.html"
    list_display = [
        "display_title",
        "external_id",
        "original_language",
        "outlet",
        "version",
        "deleted",
    ]
    list_filter = [DeletedFilter, "original_language", "renditions__status", "outlet"]
    search_fields = ["external_id", *localized_fields("title")]
    autocomplete_fields = ["outlet"]
    readonly_fields = ["version", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "external_id",
                    "original_language",
                    "title",
                    "summary",
                    "body",
                    "expected_version",
                ]
            },
        ),
        (
            _("Original publication"),
            {"fields": ["outlet", "original_url", "original_published_on"]},
        ),
        (_("Record"), {"fields": ["version", "created_at", "updated_at"]}),
    ]
    inlines = [AuthorshipInline, RenditionInline, MentionInline]
    actions = ["redetect_mentions", "undelete"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(admin_views.import_view), name="archive_article_import"),
            path(
                "<int:pk>/translate/<str:language>/",
                view(admin_views.translate_view),
                name="archive_article_translate",
            ),
            path(
                "<int:pk>/revisions/<int:version_id>/",
                view(admin_views.revision_view),
                name="archive_article_revision",
            ),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        """The revision history (who, when, what) instead of the admin's action log."""
        return admin_views.history_view(request, int(object_id))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            article = Article.objects.filter(pk=object_id).first()
            if article is not None:
                extra_context["editorial_links"] = admin_views.article_links(request, article)
        if request.method == "POST" and object_id:
            article = Article.objects.filter(pk=object_id).first()
            if article is not None:
                article_baseline(article)
        with reversion.create_revision():
            reversion.set_user(request.user)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("outlet")

    @admin.display(description=_("deleted"), boolean=True)
    def deleted(self, obj: Article) -> bool:
        return obj.deleted_at is not None

    # Deleting is a soft delete through the service (Editors only; recoverable).

    def delete_model(self, request, obj):
        article_delete(article=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for article in queryset:
            article_delete(article=article, user=request.user)

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        perms_needed = set()
        if not self.has_delete_permission(request):
            perms_needed.add(Article._meta.verbose_name)
        counts = {Article._meta.verbose_name_plural: len(objs)}
        return [str(o) for o in objs], counts, perms_needed, []

    @admin.action(description=_("Restore deleted articles"), permissions=["delete"])
    def undelete(self, request, queryset):
        n = 0
        for article in queryset.filter(deleted_at__isnull=False):
            article_undelete(article=article, user=request.user)
            n += 1
        self.message_user(request, _("Articles restored: %(n)d.") % {"n": n}, messages.SUCCESS)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The text as it was when the edit began, before the form writes into the object.
            obj._previous_text = text_snapshot(obj)
        return obj

    def save_model(self, request, obj, form, change):
        article_save(
            article=obj,
            user=request.user,
            expected_version=form.cleaned_data.get("expected_version") if change else None,
        )

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

    @admin.action(description=_("Detect mentioned actors again"), permissions=["change"])
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
    form = RenditionForm
    formfield_overrides = URL_FIELDS
    list_display = ["__str__", "language", "status", "publish_at", "method", "publisher"]
    list_filter = ["language", "status", "method"]
    search_fields = ["article__external_id", *[f"article__{f}" for f in localized_fields("title")]]
    autocomplete_fields = ["publisher", "reviewer"]
    readonly_fields = ["article", "language", "source_hash", "outdated"]
    fields = [
        ("article", "language"),
        ("status", "publish_at", "method"),
        ("publisher", "url", "published_on"),
        "reviewer",
        ("source_hash", "outdated"),
    ]
    inlines = [TranslatorshipInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            return can_edit_language(request.user, obj.article, obj.language)
        return allowed

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return _with_user(form, request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with reversion.create_revision():
            reversion.set_user(request.user)
            return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("outdated"), boolean=True)
    def outdated(self, obj: Rendition) -> bool:
        return obj.is_outdated

    def save_model(self, request, obj, form, change):
        rendition_save(rendition=obj, user=request.user)


class QueueStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("missing", _("missing")),
            ("draft", _("draft")),
            ("in_review", _("in review")),
            ("outdated", _("outdated")),
        ]

    def queryset(self, request, queryset):
        if self.value() in editorial.QUEUE_STATES:
            return queryset.filter(editorial.queue_state_q(self.value()))
        return queryset


class QueueAgeFilter(admin.SimpleListFilter):
    title = _("untouched for")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("7", _("over a week")),
            ("30", _("over a month")),
            ("90", _("over three months")),
            ("365", _("over a year")),
        ]

    def queryset(self, request, queryset):
        if self.value() in editorial.AGES:
            return queryset.filter(editorial.older_than(editorial.AGES[self.value()]))
        return queryset


class QueueTranslatorFilter(admin.SimpleListFilter):
    title = _("translator")
    parameter_name = "translator"

    def lookups(self, request, model_admin):
        people = Person.objects.filter(translatorships__isnull=False).distinct()
        return [(p.slug, str(p)) for p in people.order_by("slug")[:200]]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(translatorships__person__slug=self.value()).distinct()
        return queryset


@admin.register(QueueItem)
class QueueAdmin(admin.ModelAdmin):
    """The translation queue: language versions missing, in draft, in review or outdated."""

    change_list_template = "admin/archive/queueitem/change_list.html"
    list_display = [
        "article_title",
        "language",
        "state",
        "translator_names",
        "outlet",
        "age",
    ]
    list_filter = [
        QueueStateFilter,
        ("article__outlet", admin.RelatedOnlyFieldListFilter),
        "language",
        QueueTranslatorFilter,
        QueueAgeFilter,
    ]
    show_facets = admin.ShowFacets.ALWAYS
    list_per_page = 50
    ordering = ["updated_at", "pk"]
    search_fields = ["article__external_id", *[f"article__{f}" for f in localized_fields("title")]]

    def get_queryset(self, request):
        return editorial.queue(super().get_queryset(request))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if hasattr(response, "context_data") and "cl" in response.context_data:
            queryset = response.context_data["cl"].queryset
            response.context_data["queue_counts"] = [
                (state, label, n)
                for (state, label), n in zip(
                    QueueStateFilter.lookups(None, None, None),
                    editorial.queue_counts(queryset).values(),
                    strict=True,
                )
            ]
        return response

    @admin.display(description=_("article (opens the editor)"), ordering="article__external_id")
    def article_title(self, obj):
        url = reverse("admin:archive_article_translate", args=[obj.article_id, obj.language])
        return format_html('<a href="{}">{}</a>', url, obj.article.display_title)

    @admin.display(description=_("untouched for"), ordering="updated_at")
    def age(self, obj):
        return timesince(obj.updated_at)

    @admin.display(description=_("state"), ordering="status")
    def state(self, obj):
        state = _("scheduled") if obj.is_scheduled else obj.get_status_display()
        if obj.is_outdated:
            return format_html("{} · <strong>{}</strong>", state, _("outdated"))
        return state

    @admin.display(description=_("translators"))
    def translator_names(self, obj):
        return ", ".join(str(t.person) for t in obj.translatorships.all()) or "—"

    @admin.display(description=_("outlet"))
    def outlet(self, obj):
        return obj.article.outlet or "—"


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(VersionAdmin):
    list_display = ["zh", "en", "note", "updated_at"]
    search_fields = ["zh", "en", "note"]
    fields = ["zh", "en", "note"]

    def save_model(self, request, obj, form, change):
        glossary_term_save(term=obj, user=request.user)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        from archive.indexing import reset_segmenter

        reset_segmenter()


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
class ActorAdmin(VersionAdmin, TabbedTranslationAdmin):
    """Actors with their revision history (who, when; compare and revert: reversion's views)."""

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
