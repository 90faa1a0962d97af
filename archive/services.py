"""Every write to the archive goes through here.

`article_save` (admin and other editors) and `article_import` (import formats) keep the derived
state consistent in the same transaction: one Rendition per language, the original's text hash, a
translation's source hash, the version counter, and the actors mentioned (detected again only
when the text changed; `archive/actors.py`). `import_file` wraps a whole file in one
transaction so that a bad record leaves nothing from that file written.

The editorial workflow (roles, states, scheduled publication, the translation editor's saves,
optimistic concurrency, soft delete, revision history and restore) is in the section "editorial
workflow" below: every editor's write takes the acting `user`, checks their permissions here (not
only in the admin) and records a revision (django-reversion) with who and when.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import reversion
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname
from reversion.models import Version

from archive.actors import (
    actor_import,
    aliases_derive,
    export_actor_records,
    mentions_detect,
    mentions_detect_all,
    mentions_detect_new,
    read_actor_lines,
)
from archive.indexing import (
    PART_LIMITS,
    PreparedTexts,
    prepare_texts,
    reset_segmenter,
    search_index_update,
    segmenter,
)
from archive.interchange import (
    ArticleRecord,
    Contributor,
    Line,
    RecordError,
    is_wmt_record,
    languages,
    parse_seed_text,
    read_jsonl,
    wmt_record_to_interchange,
)
from archive.models import (
    Actor,
    Article,
    Authorship,
    GlossaryTerm,
    Mention,
    Outlet,
    Person,
    Rendition,
    RenditionStatus,
    Translatorship,
    localized,
)
from archive.text.paragraphs import normalize_body, normalize_line
from archive.text.segment import Segmenter

TEXT_FIELDS = ("title", "summary", "body")


# --- contributors ------------------------------------------------------------------------------


class Contributors:
    """Finds or creates Outlets and People for one import, caching lookups by key."""

    def __init__(self) -> None:
        self._cache: dict[tuple[type, str], Any] = {}

    def outlet(self, record: Contributor) -> Outlet:
        outlet = self._get(Outlet, record)
        changed = self._merge_names(outlet, record)
        if record.url and outlet.homepage != record.url:
            outlet.homepage, changed = record.url, True
        if record.social and outlet.social_links != record.social:
            outlet.social_links, changed = record.social, True
        if changed:
            outlet.save()
        return outlet

    def person(self, record: Contributor) -> Person:
        person = self._get(Person, record)
        if self._merge_names(person, record):
            person.save()
        return person

    def prefetch(self, model: type, records: Iterable[Contributor]) -> None:
        """Resolve many contributors at once (for batch import): one query for slugs, one for
        names, one insert for the new ones. Names are merged as in `outlet`/`person`."""
        wanted = {}
        for record in records:
            key = record.key()
            if (model, key) not in self._cache and key not in wanted:
                wanted[key] = record
        if not wanted:
            return
        found = {obj.slug: obj for obj in model.objects.filter(slug__in=list(wanted))}
        by_name: dict[tuple[str, str], Any] = {}
        unnamed = [r for k, r in wanted.items() if k not in found and not r.slug and r.names]
        if unnamed:
            condition = Q()
            for record in unnamed:
                for code, name in record.names.items():
                    condition |= Q(**{f"{build_localized_fieldname('name', code)}__iexact": name})
            for obj in model.objects.filter(condition).order_by("-id"):
                for code in languages():
                    name = localized(obj, "name", code)
                    if name:
                        by_name[(code, name.lower())] = obj
        created = []
        for key, record in wanted.items():
            obj = found.get(key)
            if obj is None:
                obj = next(
                    (
                        by_name[(c, n.lower())]
                        for c, n in record.names.items()
                        if (c, n.lower()) in by_name
                    ),
                    None,
                )
            if obj is None:
                obj = model(slug=key)
                created.append(obj)
            self._cache[(model, key)] = obj
        model.objects.bulk_create(created)
        for key, record in wanted.items():
            obj = self._cache[(model, key)]
            if obj in created:
                obj._state.adding = False
            if model is Outlet:
                self.outlet(record)
            else:
                self.person(record)

    def _get(self, model: type, record: Contributor):
        key = record.key()
        cached = self._cache.get((model, key))
        if cached is not None:
            return cached
        found = model.objects.filter(slug=key).first()
        if found is None and not record.slug and record.names:
            by_name = Q()
            for code, name in record.names.items():
                by_name |= Q(**{f"{build_localized_fieldname('name', code)}__iexact": name})
            found = model.objects.filter(by_name).order_by("id").first()
        if found is None:
            found = model(slug=_free_slug(model, key))
            found.save()
        self._cache[(model, key)] = found
        return found

    @staticmethod
    def _merge_names(obj: Outlet | Person, record: Contributor) -> bool:
        changed = False
        for code, name in record.names.items():
            column = build_localized_fieldname("name", code)
            if getattr(obj, column) != name:
                setattr(obj, column, name)
                changed = True
        return changed


def _free_slug(model: type, base: str) -> str:
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        suffix = f"-{n}"
        slug = base[: 200 - len(suffix)] + suffix
    return slug


# --- articles ----------------------------------------------------------------------------------


def _ensure_renditions(article: Article) -> dict[str, Rendition]:
    existing = {r.language: r for r in article.renditions.all()}
    for code in languages():
        if code not in existing:
            existing[code] = Rendition.objects.create(
                article=article,
                language=code,
                # Text typed in by an editor starts as a draft; publishing is a decision.
                status=Rendition.Status.DRAFT
                if article.has_text(code)
                else Rendition.Status.MISSING,
                source_hash="" if code == article.original_language else article.original_hash,
            )
    return existing


def _snapshot(article: Article) -> dict[str, str]:
    return {
        build_localized_fieldname(f, code): localized(article, f, code)
        for f in TEXT_FIELDS
        for code in languages()
    }


@transaction.atomic
def article_save(
    *,
    article: Article,
    previous_text: dict[str, str] | None = None,
    user=None,
    expected_version: int | None = None,
) -> Article:
    """Save an edited article and keep its derived state consistent.

    `previous_text` is the text as it was before the edit (`text_snapshot(article)` taken when the
    edit began); see `rendition_sources_sync`. With `expected_version` (the version the editor
    started from) a save over someone else's newer save raises EditConflict. With `user`, the
    edit is checked against their permissions and recorded in the history under their name.
    """
    if article.pk:
        if user is not None:
            _check_article_edit(article, user)
        if expected_version is not None:
            article_version_check(pk=article.pk, expected_version=expected_version)
        article_baseline(article)
    with _revision(user):
        _article_save(article, previous_text)
        _record(article)
    return article


def _article_save(article: Article, previous_text: dict[str, str] | None) -> None:
    for code in languages():
        for name in TEXT_FIELDS:
            column = build_localized_fieldname(name, code)
            value = getattr(article, column) or ""
            clean = normalize_line(value) if name == "title" else normalize_body(value)
            setattr(article, column, clean)
    article.original_hash = article.compute_original_hash()
    stored = _stored_text(article.pk)
    if article.pk:
        article.version = (article.version or 0) + 1
    article.save()
    _ensure_renditions(article)
    if previous_text is not None:
        rendition_sources_sync(article=article, previous_text=previous_text)
    if stored != _snapshot(article):  # detection only when the text changed
        mentions_detect(article=article)
    _statuses_follow_text(article)
    search_index_update([article.pk])


def _statuses_follow_text(article: Article) -> None:
    """A version that gained text is a draft (publishing stays a decision); one whose text was
    all removed is missing again (and so not public)."""
    for rendition in article.renditions.all():
        has_text = article.has_text(rendition.language)
        if rendition.status == RenditionStatus.MISSING and has_text:
            rendition.status = RenditionStatus.DRAFT
        elif rendition.status != RenditionStatus.MISSING and not has_text:
            rendition.status, rendition.publish_at = RenditionStatus.MISSING, None
        else:
            continue
        rendition.save(update_fields=["status", "publish_at", "updated_at"])


def _stored_text(pk: int | None) -> dict[str, str] | None:
    """The text columns as they are in the database (None for a new article)."""
    if pk is None:
        return None
    columns = [build_localized_fieldname(f, c) for f in TEXT_FIELDS for c in languages()]
    row = Article.objects.filter(pk=pk).values(*columns).first()
    return {c: row[c] or "" for c in columns} if row is not None else None


@transaction.atomic
def article_edited(*, article: Article, previous_text: dict[str, str] | None) -> None:
    """After an edit's related rows (language versions, authors) are saved: bring translations'
    source hashes and the search index up to date (the admin calls this after its inlines)."""
    rendition_sources_sync(article=article, previous_text=previous_text)
    search_index_update([article.pk])
    _record(article)


@transaction.atomic
def rendition_save(*, rendition: Rendition, user=None) -> Rendition:
    """Save a language version's metadata or status; its visibility changes what is searchable.

    With `user`: a status change must be a transition they may make (`transition_check`), and
    only editors change the original's metadata or a scheduled publication time."""
    stored = Rendition.objects.filter(pk=rendition.pk).first() if rendition.pk else None
    if user is not None and stored is not None:
        if rendition.is_original and not can_edit_articles(user):
            raise PermissionDenied(_("Only editors change the original's metadata."))
        if stored.status != rendition.status or stored.publish_at != rendition.publish_at:
            transition_check(
                rendition=stored, to=rendition.status, user=user, publish_at=rendition.publish_at
            )
    rendition.full_clean(exclude=["article", "language", "translators"])
    if stored is not None:
        article_baseline(rendition.article)
    with _revision(user):
        rendition.save()
        search_index_update([rendition.article_id])
        _record(rendition.article)
    return rendition


@transaction.atomic
def rendition_sources_sync(*, article: Article, previous_text: dict[str, str] | None) -> None:
    """A translation whose own text was edited is taken to have been made from the current
    original: its source hash is brought up to date. Others keep theirs (and may be outdated)."""
    if previous_text is None:
        return
    current = _snapshot(article)
    for rendition in article.renditions.all():
        if rendition.language == article.original_language:
            continue
        own = [build_localized_fieldname(f, rendition.language) for f in TEXT_FIELDS]
        if any(previous_text.get(c, "") != current[c] for c in own):
            rendition.source_hash = article.original_hash
            rendition.save(update_fields=["source_hash", "updated_at"])


def text_snapshot(article: Article) -> dict[str, str]:
    """The article's translated text columns, for `article_save(previous_text=…)`."""
    return _snapshot(article)


@dataclass
class ImportOutcome:
    article: Article
    action: str  # "created", "updated", "unchanged" or "kept"


@transaction.atomic
def article_import(
    *,
    record: ArticleRecord,
    contributors: Contributors | None = None,
    keep_existing: bool = False,
) -> ImportOutcome:
    """Create or update the article `record.external_id` from a validated record.

    Only what the record states is changed: a language the record has no text or rendition for,
    and keys it leaves out, are kept as they are (a one-language seed file never erases the other
    language). Re-importing the same record changes nothing, not even the version.
    """
    contributors = contributors or Contributors()
    article = Article.objects.filter(external_id=record.external_id).first()
    if article is not None and keep_existing:
        return ImportOutcome(article, "kept")
    before = article_export(article) if article is not None else None
    created = article is None
    if created:
        article = Article(external_id=record.external_id)
    previous_hash = article.original_hash
    previous_text = _snapshot(article)

    article.original_language = record.original_language
    for code in record.languages:
        for name in TEXT_FIELDS:
            if name == "summary" and "summary" not in record.keys and not created:
                continue
            values = getattr(record, name)
            setattr(article, build_localized_fieldname(name, code), values.get(code, ""))
    if "outlet" in record.keys:
        article.outlet = contributors.outlet(record.outlet) if record.outlet else None
    if "original_url" in record.keys:
        article.original_url = record.original_url
    if "published_at" in record.keys:
        article.original_published_on = record.published_on
    article.original_hash = article.compute_original_hash()
    article.save()

    if "authors" in record.keys:
        people = _distinct([contributors.person(a) for a in record.authors], "authors")
        if [a.person_id for a in article.authorships.all()] != [p.pk for p in people]:
            article.authorships.all().delete()
            Authorship.objects.bulk_create(
                Authorship(article=article, person=p, position=i) for i, p in enumerate(people)
            )

    renditions = _ensure_renditions(article)
    current_text = _snapshot(article)
    for code in record.languages:
        given = record.renditions[code]
        rendition = renditions[code]
        rendition.status = given.status
        rendition.method = given.method
        rendition.url = given.url
        rendition.published_on = given.published_on
        rendition.publisher = contributors.outlet(given.publisher) if given.publisher else None
        rendition.reviewer = contributors.person(given.reviewer) if given.reviewer else None
        if code == article.original_language:
            rendition.source_hash = ""
        elif given.source_hash is not None:
            rendition.source_hash = given.source_hash
        else:
            own = [build_localized_fieldname(f, code) for f in TEXT_FIELDS]
            text_changed = any(previous_text[c] != current_text[c] for c in own)
            if created or text_changed or rendition.source_hash == previous_hash == "":
                rendition.source_hash = article.original_hash
        rendition.save()
        people = _distinct(
            [contributors.person(t) for t in given.translators], f"renditions.{code}.translators"
        )
        if [t.person_id for t in rendition.translatorships.all()] != [p.pk for p in people]:
            rendition.translatorships.all().delete()
            Translatorship.objects.bulk_create(
                Translatorship(rendition=rendition, person=p, position=i)
                for i, p in enumerate(people)
            )

    if created or current_text != previous_text:
        mentions_detect(article=article)
    if created:
        search_index_update([article.pk])
        return ImportOutcome(article, "created")
    if article_export(article) == before:
        return ImportOutcome(article, "unchanged")
    search_index_update([article.pk])
    Article.objects.filter(pk=article.pk).update(version=article.version + 1)
    article.version += 1
    return ImportOutcome(article, "updated")


def _distinct(people: list[Person], where: str) -> list[Person]:
    seen = set()
    for person in people:
        if person.pk in seen:
            raise RecordError(f"{where}: {person.slug!r} is listed twice (by slug and by name)")
        seen.add(person.pk)
    return people


@transaction.atomic
def articles_create(
    *,
    records: list[ArticleRecord],
    contributors: Contributors,
    prepared: PreparedTexts | None = None,
) -> list[Article]:
    """Create many new articles at once: the batch form of `article_import` for records whose
    external ids are not in the archive yet (the caller checks). Same result, a few queries
    per batch instead of a few dozen per article. `prepared`: the records' texts analysed
    ahead for the search index (`records_prepare`)."""
    people = [p for r in records for p in r.authors]
    outlets = [r.outlet for r in records if r.outlet]
    for record in records:
        for rendition in record.renditions.values():
            people.extend(rendition.translators)
            people.extend([rendition.reviewer] if rendition.reviewer else [])
            outlets.extend([rendition.publisher] if rendition.publisher else [])
    contributors.prefetch(Person, people)
    contributors.prefetch(Outlet, outlets)

    articles = []
    for record in records:
        article = Article(
            external_id=record.external_id,
            original_language=record.original_language,
            outlet=contributors.outlet(record.outlet) if record.outlet else None,
            original_url=record.original_url,
            original_published_on=record.published_on,
        )
        for code in languages():
            for name in TEXT_FIELDS:
                setattr(
                    article,
                    build_localized_fieldname(name, code),
                    getattr(record, name).get(code, ""),
                )
        article.original_hash = article.compute_original_hash()
        articles.append(article)
    Article.objects.bulk_create(articles)

    renditions, authorships, credits = [], [], []
    for article, record in zip(articles, records, strict=True):
        authors = _distinct([contributors.person(a) for a in record.authors], "authors")
        authorships.extend(
            Authorship(article=article, person=p, position=i) for i, p in enumerate(authors)
        )
        for code in languages():
            given = record.renditions[code]
            if code == article.original_language:
                source_hash = ""
            elif given.source_hash is not None:
                source_hash = given.source_hash
            else:
                source_hash = article.original_hash
            rendition = Rendition(
                article=article,
                language=code,
                status=given.status,
                method=given.method,
                url=given.url,
                published_on=given.published_on,
                publisher=contributors.outlet(given.publisher) if given.publisher else None,
                reviewer=contributors.person(given.reviewer) if given.reviewer else None,
                source_hash=source_hash,
            )
            renditions.append(rendition)
            translators = _distinct(
                [contributors.person(t) for t in given.translators],
                f"renditions.{code}.translators",
            )
            credits.append((rendition, translators))
    Authorship.objects.bulk_create(authorships)
    Rendition.objects.bulk_create(renditions)
    Translatorship.objects.bulk_create(
        Translatorship(rendition=rendition, person=p, position=i)
        for rendition, translators in credits
        for i, p in enumerate(translators)
    )
    # What indexing reads, already in hand: no query per article.
    by_article: dict[int, list[Rendition]] = {}
    for rendition, translators in credits:
        by_article.setdefault(rendition.article_id, []).append(rendition)
        rendition._prefetched_objects_cache = {
            "translatorships": [
                Translatorship(rendition=rendition, person=p, position=i)
                for i, p in enumerate(translators)
            ]
        }
    authors_of: dict[int, list[Authorship]] = {}
    for authorship in authorships:
        authors_of.setdefault(authorship.article_id, []).append(authorship)
    for article in articles:
        article._prefetched_objects_cache = {
            "renditions": by_article[article.pk],
            "authorships": authors_of.get(article.pk, []),
        }
    mentions_detect_new(articles=articles)
    search_index_update([], articles=articles, prepared=prepared)
    return articles


def records_prepare(seg: Segmenter, records: list[ArticleRecord]) -> PreparedTexts:
    """The records' titles, summaries and bodies analysed for the search index (pure Python:
    an import runs it for the next batch on a thread of its own while the server writes this
    batch)."""
    return prepare_texts(
        seg,
        (
            (part, text)
            for record in records
            for part in PART_LIMITS
            for text in getattr(record, part).values()
        ),
    )


# --- editorial workflow --------------------------------------------------------------------------
#
# Roles are the groups "Editor" and "Translator" (data migration 0005). What each may do is a
# permission, checked here on every write, so that no view or admin form can skip it:
# - archive.change_article: edit the original and the article's metadata (Editors);
# - archive.translate_article: edit a translation's text (Translators, Editors);
# - archive.change_rendition: a language version's metadata and its draft ↔ in review moves;
# - archive.publish_rendition: publish, schedule, unpublish (Editors);
# - archive.delete_article: (soft) delete and undelete (Editors).

EDITOR_GROUP = "Editor"
TRANSLATOR_GROUP = "Translator"

# Allowed moves between states; who may make them is `transition_check`.
TRANSITIONS: dict[str, set[str]] = {
    RenditionStatus.MISSING: {RenditionStatus.DRAFT},
    RenditionStatus.DRAFT: {RenditionStatus.IN_REVIEW, RenditionStatus.PUBLISHED},
    RenditionStatus.IN_REVIEW: {RenditionStatus.DRAFT, RenditionStatus.PUBLISHED},
    RenditionStatus.PUBLISHED: {
        RenditionStatus.DRAFT,
        RenditionStatus.IN_REVIEW,
        RenditionStatus.PUBLISHED,  # a new publication time
    },
}


class EditConflict(Exception):
    """Someone else saved the article after this edit began; nothing was written."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(
            _(
                "Someone else saved this article while you were editing it (it is now at version "
                "%(version)d). Your text was not saved: it is still in the form below. Copy it, "
                "reload the page to see their changes, and apply yours again."
            )
            % {"version": current_version}
        )


def can_edit_articles(user) -> bool:
    return bool(user and user.has_perm("archive.change_article"))


def can_translate(user) -> bool:
    return bool(user and (user.has_perm("archive.translate_article") or can_edit_articles(user)))


def can_publish(user) -> bool:
    return bool(user and user.has_perm("archive.publish_rendition"))


def can_edit_language(user, article: Article, language: str) -> bool:
    """Editors edit every language version; translators only the translations."""
    if language == article.original_language:
        return can_edit_articles(user)
    return can_translate(user)


def _check_article_edit(article: Article, user) -> None:
    if not can_edit_articles(user):
        raise PermissionDenied(_("Only editors change an article's original or metadata."))


def transition_check(
    *, rendition: Rendition, to: str, user, publish_at: datetime.datetime | None = None
) -> None:
    """Raise PermissionDenied or ValidationError unless `user` may move `rendition` (as stored)
    to state `to` (with `publish_at` when publishing). `user=None` is the system (import)."""
    current = rendition.status
    if to == current and to != RenditionStatus.PUBLISHED:
        return
    if to not in TRANSITIONS.get(current, set()):
        raise ValidationError(
            _("A language version cannot go from %(from)s to %(to)s.")
            % {
                "from": RenditionStatus(current).label,
                "to": RenditionStatus(to).label if to in RenditionStatus.values else to,
            }
        )
    if to != RenditionStatus.MISSING and not rendition.article.has_text(rendition.language):
        raise ValidationError(_("This language version has no title or body yet: it is missing."))
    if user is None:
        return
    if RenditionStatus.PUBLISHED in (to, current) and not can_publish(user):
        raise PermissionDenied(_("Only editors publish, schedule or unpublish."))
    if not can_edit_language(user, rendition.article, rendition.language):
        raise PermissionDenied(_("You may not change the state of this language version."))
    if not user.has_perm("archive.change_rendition"):
        raise PermissionDenied(_("You may not change language versions."))


@transaction.atomic
def rendition_transition(
    *, rendition: Rendition, to: str, user, publish_at: datetime.datetime | None = None
) -> Rendition:
    """Move one language version to state `to`. Publishing with a future `publish_at` schedules
    it: it stays off every public surface until then (`archive.models.public_q`)."""
    locked = Rendition.objects.select_for_update().select_related("article").get(pk=rendition.pk)
    transition_check(rendition=locked, to=to, user=user, publish_at=publish_at)
    article_baseline(locked.article)
    with _revision(
        user,
        _("%(language)s: %(state)s")
        % {
            "language": locked.language,
            "state": RenditionStatus(to).label,
        },
    ):
        locked.status = to
        locked.publish_at = publish_at if to == RenditionStatus.PUBLISHED else None
        if (
            to == RenditionStatus.PUBLISHED
            and publish_at is not None
            and publish_at <= timezone.now()
        ):
            locked.publish_at = None  # a time already past is "now"
        locked.save(update_fields=["status", "publish_at", "updated_at"])
        search_index_update([locked.article_id])
        _record(locked.article)
    rendition.status, rendition.publish_at = locked.status, locked.publish_at
    return locked


def publish_due(*, now: datetime.datetime | None = None) -> list[Rendition]:
    """Scheduled versions whose time has come: index them (they are public from `publish_at` on
    by the read rule; their text enters the search index here) and clear the schedule. Safe to
    run any number of times (cron): a second run finds nothing to do."""
    now = now or timezone.now()
    done = []
    with transaction.atomic():
        due = list(
            Rendition.objects.select_for_update()
            .filter(status=RenditionStatus.PUBLISHED, publish_at__lte=now)
            .order_by("pk")
        )
        for rendition in due:
            rendition.published_on = rendition.published_on or timezone.localdate(
                rendition.publish_at
            )
            rendition.publish_at = None
            rendition.save(update_fields=["publish_at", "published_on", "updated_at"])
            done.append(rendition)
        search_index_update(sorted({r.article_id for r in done}))
    return done


def article_version_check(*, pk: int, expected_version: int) -> None:
    """Lock the article's row until the end of the transaction and raise EditConflict when its
    version moved on from `expected_version`."""
    current = Article.objects.select_for_update().values_list("version", flat=True).get(pk=pk)
    if current != expected_version:
        raise EditConflict(current)


@dataclass
class TranslationEdit:
    paragraphs: list[str]
    title: str | None = None
    summary: str | None = None


def translation_paragraphs(edit: TranslationEdit) -> str:
    """The body for the editor's paragraph inputs: empty inputs at the end are left out; an empty
    input between filled ones is refused (paragraphs pair with the original's by position)."""
    cleaned = [normalize_body(p).replace("\n\n", "\n") for p in edit.paragraphs]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    gaps = [i + 1 for i, p in enumerate(cleaned) if not p]
    if gaps:
        raise ValidationError(
            _(
                "Paragraph %(n)s is empty but later ones are filled in: paragraphs pair with the "
                "original's by position, so fill it in (or leave every later one empty)."
            )
            % {"n": ", ".join(str(g) for g in gaps)}
        )
    return "\n\n".join(cleaned)


@transaction.atomic
def translation_save(
    *, article: Article, language: str, edit: TranslationEdit, expected_version: int, user
) -> Article:
    """Save one language version's text from the side-by-side editor, paragraph by paragraph,
    through `article_save` (so source hashes, mentions, search index and history follow)."""
    if not can_edit_language(user, article, language):
        raise PermissionDenied(_("You may not edit this language version."))
    article_version_check(pk=article.pk, expected_version=expected_version)
    article = Article.objects.get(pk=article.pk)
    previous = _snapshot(article)
    body = translation_paragraphs(edit)
    setattr(article, build_localized_fieldname("body", language), body)
    if edit.title is not None:
        setattr(article, build_localized_fieldname("title", language), edit.title)
    if edit.summary is not None:
        setattr(article, build_localized_fieldname("summary", language), edit.summary)
    article_baseline(article)
    with _revision(user, _("%(language)s text edited") % {"language": language}):
        _article_save(article, previous)
        _record(article)
    return article


@transaction.atomic
def article_delete(*, article: Article, user) -> Article:
    """Soft delete (Editors): off every public surface and out of the search index at once;
    `article_undelete` brings it back."""
    if not (user and user.has_perm("archive.delete_article")):
        raise PermissionDenied(_("Only editors delete articles."))
    article_baseline(article)
    with _revision(user, _("Deleted")):
        Article.objects.filter(pk=article.pk).update(
            deleted_at=timezone.now(), deleted_by=user, updated_at=timezone.now()
        )
        article.refresh_from_db()
        search_index_update([article.pk])
        _record(article)
    return article


@transaction.atomic
def article_undelete(*, article: Article, user) -> Article:
    if not (user and user.has_perm("archive.delete_article")):
        raise PermissionDenied(_("Only editors restore deleted articles."))
    with _revision(user, _("Restored after deletion")):
        Article.objects.filter(pk=article.pk).update(
            deleted_at=None, deleted_by=None, updated_at=timezone.now()
        )
        article.refresh_from_db()
        search_index_update([article.pk])
        _record(article)
    return article


# What a restore brings back from a revision: the text and the article's own metadata. Language
# versions' states are not restored (publishing stays a decision made through a transition).
def restored_fields() -> list[str]:
    return [
        *(build_localized_fieldname(name, code) for name in TEXT_FIELDS for code in languages()),
        "original_language",
        "outlet_id",
        "original_url",
        "original_published_on",
    ]


@transaction.atomic
def article_revert(*, article: Article, version: Version, user) -> Article:
    """Restore the article's text and metadata as they were in `version` (one of its own), as a
    new revision: nothing in the history is lost, and the restore itself can be undone."""
    _check_article_edit(article, user)
    if version.object_id != str(article.pk) or version._model is not Article:
        raise ValidationError(_("That revision is not one of this article's."))
    article = Article.objects.select_for_update().get(pk=article.pk)
    previous = _snapshot(article)
    old = version.field_dict
    for name in restored_fields():
        if name in old:
            setattr(article, name, old[name])
    article_baseline(article)
    with _revision(
        user, _("Restored the revision of %(date)s") % {"date": version.revision.date_created}
    ):
        _article_save(article, previous)
        _record(article)
    return article


def article_baseline(article: Article) -> None:
    """Before the first recorded change of an article that has no history yet (imported in
    bulk), record how it is, so that every later change has something to be compared with."""
    if reversion.is_active() or not article.pk:
        return
    if Version.objects.get_for_object_reference(Article, article.pk).exists():
        return
    stored = Article.objects.get(pk=article.pk)
    with reversion.create_revision():
        reversion.set_comment(_("As it was before the first recorded change"))
        _record(stored)


def _record(article: Article) -> None:
    """Put the article, its language versions and credits in the active revision as they are now."""
    if not reversion.is_active():
        return
    reversion.add_to_revision(Article.objects.get(pk=article.pk))
    for rendition in Rendition.objects.filter(article_id=article.pk):
        reversion.add_to_revision(rendition)


@contextmanager
def _revision(user, comment: str = ""):
    """A revision with who (None: the system) and why; inside another, joins it."""
    with reversion.create_revision():
        if user is not None and getattr(user, "is_authenticated", False):
            reversion.set_user(user)
        if comment and not reversion.get_comment():
            reversion.set_comment(comment)
        yield


# --- glossary ------------------------------------------------------------------------------------


@transaction.atomic
def glossary_term_save(*, term: GlossaryTerm, user=None) -> GlossaryTerm:
    """Save a fixed rendering. The segmenter's dictionary follows (its cache key includes the
    glossary); the stored search vectors of articles are not rebuilt (`manage.py reindex` does),
    since queries are expanded with the glossary at search time."""
    if user is not None and not user.has_perm("archive.change_glossaryterm"):
        raise PermissionDenied(_("Only editors change the glossary."))
    term.zh, term.en = normalize_line(term.zh), normalize_line(term.en)
    term.full_clean()
    with _revision(user):
        term.save()
    reset_segmenter()
    return term


# --- files -------------------------------------------------------------------------------------

FORMATS = ("auto", "interchange", "seed", "wmt")


@dataclass
class FileReport:
    path: str
    format: str = ""
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    )
    rejected: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False
    # (line, external id, action) of each imported record, in file order.
    outcomes: list[tuple[int, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{n} {action}" for action, n in self.counts.items() if n]
        if self.rejected:
            parts.append(f"{len(self.rejected)} rejected")
        return f"{self.path}: " + (", ".join(parts) if parts else "no records")


class ImportRejected(Exception):
    """A file had bad records and nothing from it was written."""

    def __init__(self, report: FileReport):
        self.report = report
        super().__init__(f"{report.path}: {len(report.rejected)} bad record(s); nothing written")


class _Rollback(Exception):
    pass


IMPORT_BATCH = 500
# A file of at least this many records imported into an empty archive builds the GIN indexes
# once at the end (sorted, in bulk) instead of inserting every article's ~3,500 keys one by one:
# the way pg_restore loads. Readers wait for the import's end meanwhile (the table is locked),
# which only an empty archive can afford.
BULK_INDEX_RECORDS = 5_000
BULK_INDEX_MEMORY = "256MB"


def _defer_gin_indexes(path: Path) -> list[str]:
    """Drop the article table's GIN (and RUM) indexes (inside the import's transaction) when the
    file is big and the archive empty; their definitions, to build them again at the end."""
    if Article.objects.exists():
        return []
    with open(path, "rb") as fh:  # enough lines? (not the whole file: it may be gigabytes)
        if sum(1 for _ in itertools.islice(fh, BULK_INDEX_RECORDS)) < BULK_INDEX_RECORDS:
            return []
    return search_indexes_drop()


def search_indexes_drop() -> list[str]:
    """Drop the article table's GIN (and RUM) indexes inside the caller's transaction, which then
    holds the table until it ends (readers and writers wait); their definitions, to build them
    again with `search_indexes_build` before it ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = %s "
            "AND (indexdef ILIKE '%%USING gin%%' OR indexdef ILIKE '%%USING rum%%') "
            "ORDER BY indexname",
            [Article._meta.db_table],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def search_indexes_build(definitions: list[str]) -> None:
    """Build indexes that `search_indexes_drop` dropped, each in one pass over the table."""
    if not definitions:
        return
    with connection.cursor() as cursor:
        # The deferred foreign key checks run now (as they would at commit): an index cannot be
        # built on a table with checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [BULK_INDEX_MEMORY])
        for definition in definitions:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class _ImportState:
    """One file's import: new articles in batches, the rest one by one, bad ones reported."""

    def __init__(self, report: FileReport, keep_existing: bool) -> None:
        self.report = report
        self.keep_existing = keep_existing
        self.contributors = Contributors()

    def import_batch(self, lines: list[Line], analysing: Future | None = None) -> None:
        """Import a batch: new articles at once, the others one by one. `analysing`: the texts'
        analyses being made ahead (`records_prepare`); computed here if it failed."""
        prepared = None
        if analysing is not None and analysing.exception() is None:
            prepared = analysing.result()
        ids = [line.record.external_id for line in lines]
        existing = set(
            Article.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
        )
        new = [line for line in lines if line.record.external_id not in existing]
        if len(new) > 1:
            try:
                with transaction.atomic():
                    articles_create(
                        records=[line.record for line in new],
                        contributors=self.contributors,
                        prepared=prepared,
                    )
            except (RecordError, DatabaseError):
                self.contributors = Contributors()  # find the bad record(s) one by one
            else:
                self.report.counts["created"] += len(new)
                self.report.outcomes.extend(
                    (line.number, line.record.external_id, "created") for line in new
                )
                lines = [line for line in lines if line.record.external_id in existing]
        for line in lines:
            self.import_one(line)

    def import_one(self, line: Line) -> None:
        try:
            with transaction.atomic():
                outcome = article_import(
                    record=line.record,
                    contributors=self.contributors,
                    keep_existing=self.keep_existing,
                )
        except RecordError as exc:
            self.contributors = Contributors()  # cached rows may have been rolled back
            self.report.rejected.append((line.number, str(exc)))
            return
        except DatabaseError as exc:
            self.contributors = Contributors()
            self.report.rejected.append((line.number, f"database refused it: {exc}".strip()))
            return
        self.report.counts[outcome.action] += 1
        self.report.outcomes.append((line.number, line.record.external_id, outcome.action))


def detect_format(path: Path) -> str:
    if path.suffix.lower() == ".txt":
        return "seed"
    with open(path, "rb") as fh:
        for raw in fh:
            if raw.strip():
                try:
                    return "wmt" if is_wmt_record(json.loads(raw)) else "interchange"
                except (ValueError, RecursionError):
                    return "interchange"  # the reader reports the bad line
    return "interchange"


def _lines(path: Path, fmt: str, options: dict[str, Any]) -> Iterator[Line]:
    if fmt == "seed":
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Line(1, error=f"not UTF-8 ({exc.reason} at byte {exc.start})")
            return
        try:
            yield Line(1, record=parse_seed_text(text, filename=path.name, **options))
        except RecordError as exc:
            yield Line(1, error=str(exc))
        return
    adapter = wmt_record_to_interchange if fmt == "wmt" else None
    yield from read_jsonl(path, adapter=adapter)


def import_file(
    path: str | Path,
    *,
    fmt: str = "auto",
    skip_invalid: bool = False,
    keep_existing: bool = False,
    seed_options: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Import one file. Without `skip_invalid`, any bad record rolls the whole file back and
    raises ImportRejected listing every bad line; with it, the valid records are imported and the
    bad ones listed in the report."""
    path = Path(path)
    report = FileReport(path=str(path))
    seed_options = {
        "original_language": settings.ARCHIVE_DEFAULT_ORIGINAL_LANGUAGE,
        **{k: v for k, v in (seed_options or {}).items() if v is not None},
    }
    if not path.is_file():
        report.rejected.append((0, "no such file"))
        raise ImportRejected(report)
    report.format = detect_format(path) if fmt == "auto" else fmt
    state = _ImportState(report, keep_existing)
    seen: dict[str, int] = {}
    batch: list[Line] = []
    # A full batch's texts are analysed for the search index on a thread of its own while the
    # batch before it is written (the segmentation runs while this thread waits for the server).
    pending: tuple[list[Line], Future[PreparedTexts]] | None = None
    try:
        with transaction.atomic(), ThreadPoolExecutor(1, "yiwen-import") as ahead:
            rebuild = _defer_gin_indexes(path)
            for line in _lines(path, report.format, seed_options):
                if progress:
                    progress(line.number)
                if line.error is None and line.record.external_id in seen:
                    line.error = (
                        f"external_id {line.record.external_id!r} already on line "
                        f"{seen[line.record.external_id]}"
                    )
                if line.error is not None:
                    report.rejected.append((line.number, line.error))
                    continue
                seen[line.record.external_id] = line.number
                if report.rejected and not skip_invalid:
                    batch.clear()
                    continue  # the file will be rolled back: only validate the rest
                batch.append(line)
                if len(batch) >= IMPORT_BATCH:
                    records = [item.record for item in batch]
                    analysing = ahead.submit(records_prepare, segmenter(), records)
                    if pending:
                        state.import_batch(*pending)
                    pending, batch = (batch, analysing), []
            if not (report.rejected and not skip_invalid):
                if pending:
                    state.import_batch(*pending)
                if batch:
                    state.import_batch(batch)
            if report.rejected and not skip_invalid:
                raise _Rollback
            search_indexes_build(rebuild)
    except _Rollback:
        report.counts = dict.fromkeys(report.counts, 0)
        raise ImportRejected(report) from None
    report.written = True
    return report


class _DryRun(Exception):
    def __init__(self, report: FileReport):
        self.report = report


def import_preview(path: str | Path, **options: Any) -> FileReport:
    """What `import_file(path, **options)` would create and update, without writing anything:
    the import runs in a transaction that is always rolled back. A bad file's report lists
    every bad line (as import_file's ImportRejected does)."""
    try:
        with transaction.atomic():
            raise _DryRun(import_file(path, **options))
    except _DryRun as dry:
        report = dry.report
    except ImportRejected as exc:
        report = exc.report
    report.written = False
    reset_segmenter()  # nothing it learnt in the rolled-back transaction is true
    return report


# --- export ------------------------------------------------------------------------------------


def _contributor(obj: Outlet | Person) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": {c: localized(obj, "name", c) for c in languages() if localized(obj, "name", c)},
        "slug": obj.slug,
    }
    if isinstance(obj, Outlet):
        data["url"] = obj.homepage or None
        data["social"] = [
            {"label": link.get("label", ""), "url": link["url"]} for link in obj.social_links or []
        ]
    return data


def _localized_dict(article: Article, name: str) -> dict[str, str]:
    return {c: article.text(name, c) for c in languages() if article.text(name, c)}


def article_export(article: Article) -> dict[str, Any]:
    """The interchange record for one article (docs/interchange.md)."""
    renditions = {r.language: r for r in article.renditions.all()}
    record: dict[str, Any] = {
        "external_id": article.external_id,
        "original_language": article.original_language,
        "title": _localized_dict(article, "title"),
        "summary": _localized_dict(article, "summary"),
        "body": _localized_dict(article, "body"),
        "authors": [_contributor(a.person) for a in article.authorships.all()],
        "outlet": _contributor(article.outlet) if article.outlet else None,
        "original_url": article.original_url or None,
        "published_at": article.original_published_on.isoformat()
        if article.original_published_on
        else None,
        "renditions": {},
    }
    for code in languages():
        r = renditions.get(code)
        if r is None:
            continue
        record["renditions"][code] = {
            "status": r.status,
            "method": r.method or None,
            "translators": [_contributor(t.person) for t in r.translatorships.all()],
            "reviewer": _contributor(r.reviewer) if r.reviewer else None,
            "publisher": _contributor(r.publisher) if r.publisher else None,
            "url": r.url or None,
            "published_at": r.published_on.isoformat() if r.published_on else None,
            "source_hash": r.source_hash,
        }
    return record


def export_records(articles: Iterable[Article] | None = None) -> Iterator[dict[str, Any]]:
    """Interchange records for `articles` (default: the whole archive, by external id)."""
    if articles is None:
        articles = (
            Article.objects.order_by("external_id")
            .select_related("outlet")
            .prefetch_related(
                "authorships__person",
                "renditions__translatorships__person",
                "renditions__publisher",
                "renditions__reviewer",
            )
            .iterator(chunk_size=500)
        )
    for article in articles:
        yield article_export(article)


def export_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


# --- the actor register ------------------------------------------------------------------------


def actors_import_file(
    path: str | Path, *, detect: bool = True, keep_existing: bool = False
) -> FileReport:
    """Import a register file (docs/actors.md). A bad record rolls the whole file back and raises
    ImportRejected listing every bad line. When the register changed and `detect` is on, mentions
    are detected again in every article, in the same transaction. With `keep_existing`, actors
    already in the register are left as editors made them (how `make run` loads the fixtures)."""
    path = Path(path)
    report = FileReport(path=str(path), format="actors")
    report.counts = {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}
    if not path.is_file():
        report.rejected.append((0, "no such file"))
        raise ImportRejected(report)
    seen: dict[str, int] = {}
    try:
        with transaction.atomic():
            for number, record, error in read_actor_lines(path):
                if error is None and record.slug in seen:
                    error = f"slug {record.slug!r} already on line {seen[record.slug]}"
                if error is not None:
                    report.rejected.append((number, error))
                    continue
                seen[record.slug] = number
                if report.rejected:
                    continue  # the file will be rolled back: only validate the rest
                if keep_existing and Actor.objects.filter(slug=record.slug).exists():
                    report.counts["kept"] += 1
                    continue
                try:
                    with transaction.atomic():
                        action = actor_import(record=record)
                except (RecordError, ValidationError) as exc:
                    report.rejected.append((number, _reason(exc)))
                    continue
                except DatabaseError as exc:
                    report.rejected.append((number, f"database refused it: {exc}".strip()))
                    continue
                report.counts[action] += 1
            if report.rejected:
                raise _Rollback
            if detect and (report.counts["created"] or report.counts["updated"]):
                mentions_detect_all()
                _reindex_mentioning()
    except _Rollback:
        report.counts = dict.fromkeys(report.counts, 0)
        raise ImportRejected(report) from None
    report.written = True
    return report


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return str(exc)


def actor_aliases_derive(*, actor) -> None:
    """After an editor changed an actor's aliases: bring the derived traditional forms in step."""
    aliases_derive(actor=actor)


def actors_export() -> Iterator[dict[str, Any]]:
    """The register's records, by slug (docs/actors.md)."""
    return export_actor_records()


def mentions_redetect(*, articles: Iterable[Article] | None = None) -> int:
    """Detect mentions again (after the register changed); returns the number of articles."""
    with transaction.atomic():
        n = mentions_detect_all(articles)
        _reindex_mentioning()
        return n


def _reindex_mentioning() -> None:
    """After the register or mentions changed: new names for the segmenter's dictionary, and the
    index of every article that names an actor (their actor names are in the index)."""
    reset_segmenter()
    ids = list(Mention.objects.values_list("article_id", flat=True).distinct().order_by())
    for start in range(0, len(ids), 500):
        search_index_update(ids[start : start + 500])
