"""The editorial read side: what the translation queue, the side-by-side editor and the history
pages show. Building blocks with no `request` (the admin views call these and render); writes are
in `archive/services.py`.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from reversion.models import Version

from archive.models import (
    Actor,
    Article,
    GlossaryTerm,
    Mention,
    Rendition,
    RenditionStatus,
    language_codes,
    localized,
)
from archive.text.normalize import has_cjk, normalize
from archive.text.paragraphs import split_paragraphs, text_hash

# --- the translation queue -----------------------------------------------------------------------


def outdated_q(prefix: str = "") -> Q:
    """`Rendition.is_outdated` as a filter: a translation whose recorded source hash is not the
    original's current hash (unknown provenance is not outdated)."""
    return (
        ~Q(**{f"{prefix}language": F(f"{prefix}article__original_language")})
        & ~Q(**{f"{prefix}status": RenditionStatus.MISSING})
        & ~Q(**{f"{prefix}source_hash": ""})
        & ~Q(**{f"{prefix}article__original_hash": ""})
        & ~Q(**{f"{prefix}source_hash": F(f"{prefix}article__original_hash")})
    )


def queue(renditions: QuerySet[Rendition] | None = None) -> QuerySet[Rendition]:
    """Language versions waiting for work: missing translations, drafts, versions in review and
    outdated translations, of articles not deleted (a missing original is not archived, not
    work to do)."""
    renditions = Rendition.objects.all() if renditions is None else renditions
    waiting = Q(status__in=[RenditionStatus.DRAFT, RenditionStatus.IN_REVIEW]) | (
        Q(status=RenditionStatus.MISSING) & ~Q(language=F("article__original_language"))
    )
    return (
        renditions.filter(article__deleted_at__isnull=True)
        .filter(waiting | outdated_q())
        .select_related("article", "article__outlet")
        .prefetch_related("translatorships__person")
    )


QUEUE_STATES = ("missing", "draft", "in_review", "outdated")


def queue_state_q(state: str) -> Q:
    if state == "outdated":
        return outdated_q()
    return Q(status=state)


def queue_counts(renditions: QuerySet[Rendition]) -> dict[str, int]:
    """How many of `renditions` are in each queue state (outdated counts on its own: a draft can
    also be outdated). One query."""
    from django.db.models import Count

    found = renditions.order_by().aggregate(
        **{state: Count("pk", filter=queue_state_q(state)) for state in QUEUE_STATES}
    )
    return {state: found[state] for state in QUEUE_STATES}


AGES = {"7": 7, "30": 30, "90": 90, "365": 365}


def older_than(days: int, now: datetime.datetime | None = None) -> Q:
    """Versions untouched for more than `days` days."""
    return Q(updated_at__lt=(now or timezone.now()) - datetime.timedelta(days=days))


# --- the side-by-side editor ---------------------------------------------------------------------


@dataclass
class Hint:
    source: str  # as it appears in the original
    target: str  # the fixed rendering / the actor's name in the target language
    kind: str  # "glossary" or "actor"


@dataclass
class EditorRow:
    number: int
    original: str
    translation: str
    hints: list[Hint] = field(default_factory=list)
    change: str = ""  # "", "changed" or "added" since the translation was made
    before: str = ""  # the original's paragraph as it was then (for "changed")


@dataclass
class OutdatedDiff:
    """How the original changed since a translation was made (its recorded source hash)."""

    found: bool  # the original as it was at that hash is in the history
    changes: dict[int, tuple[str, str]] = field(default_factory=dict)  # index → (kind, before)
    removed: list[str] = field(default_factory=list)  # paragraphs the original no longer has


def original_at_hash(article: Article, source_hash: str) -> list[str] | None:
    """The original's paragraphs as they were when its text hashed to `source_hash`, from the
    revision history (newest match first); None when the history does not have it."""
    lang = article.original_language
    versions = Version.objects.get_for_object(article).filter(serialized_data__contains=source_hash)
    for version in versions:
        data = version.field_dict
        if data.get("original_hash") != source_hash:
            continue
        text = {name: data.get(f"{name}_{lang.replace('-', '_')}") or "" for name in ("title",)}
        body = data.get(f"body_{lang.replace('-', '_')}") or ""
        summary = data.get(f"summary_{lang.replace('-', '_')}") or ""
        if text_hash(text["title"], summary, body) == source_hash:
            return split_paragraphs(body)
    return None


def paragraph_diff(before: list[str], after: list[str]) -> OutdatedDiff:
    """Which of `after`'s paragraphs are new or changed relative to `before` (by position in a
    sequence alignment), and which of `before`'s are gone."""
    diff = OutdatedDiff(found=True)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "delete":
            diff.removed.extend(before[a1:a2])
            continue
        old = before[a1:a2]
        for k, j in enumerate(range(b1, b2)):
            if op == "replace" and k < len(old):
                diff.changes[j] = ("changed", old[k])
            else:
                diff.changes[j] = ("added", "")
        if op == "replace" and len(old) > b2 - b1:
            diff.removed.extend(old[b2 - b1 :])
    return diff


def outdated_diff(rendition: Rendition) -> OutdatedDiff | None:
    """For an outdated translation: the original's paragraphs changed since it was made. None
    when the translation is not outdated."""
    if not rendition.is_outdated:
        return None
    article = rendition.article
    before = original_at_hash(article, rendition.source_hash)
    if before is None:
        return OutdatedDiff(found=False)
    return paragraph_diff(before, article.paragraphs(article.original_language))


def _contains(text: str, needle: str) -> bool:
    if not needle:
        return False
    if has_cjk(needle):
        return needle in text
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", text) is not None


def paragraph_hints(
    paragraph: str, source: str, target: str, glossary: list[GlossaryTerm], actors: list[Actor]
) -> list[Hint]:
    """The glossary terms and actors a paragraph of the original names, with their renderings
    in the target language."""
    text = normalize(paragraph)
    hints: list[Hint] = []
    for term in glossary:
        if _contains(text, normalize(term.rendering(source))):
            hints.append(Hint(term.rendering(source), term.rendering(target), "glossary"))
    for actor in actors:
        names = [localized(actor, "name", code) for code in language_codes()]
        names += [alias.text for alias in actor.aliases.all()]
        said = next((n for n in names if n and _contains(text, normalize(n))), None)
        if said is None:
            continue
        target_name = localized(actor, "name", target) or next(
            (a.text for a in actor.aliases.all() if a.language == target), ""
        )
        hints.append(Hint(said, target_name or actor.slug, "actor"))
    return hints


def editor_rows(article: Article, language: str) -> tuple[list[EditorRow], OutdatedDiff | None]:
    """The editor's rows: paragraph i of the original beside paragraph i of `language`, with hints
    and, for an outdated translation, what changed in the original since it was made."""
    source = article.original_language
    original = article.paragraphs(source)
    translation = article.paragraphs(language)
    glossary = list(GlossaryTerm.objects.all())
    actor_ids = Mention.objects.counted().filter(article=article).values_list("actor_id", flat=True)
    actors = list(Actor.objects.filter(pk__in=actor_ids).prefetch_related("aliases"))
    rendition = article.renditions.filter(language=language).first()
    diff = outdated_diff(rendition) if rendition is not None else None
    rows = []
    for i in range(max(len(original), len(translation))):
        paragraph = original[i] if i < len(original) else ""
        row = EditorRow(
            number=i + 1,
            original=paragraph,
            translation=translation[i] if i < len(translation) else "",
            hints=paragraph_hints(paragraph, source, language, glossary, actors),
        )
        if diff is not None and i in diff.changes:
            row.change, row.before = diff.changes[i]
        rows.append(row)
    return rows, diff


# --- history -------------------------------------------------------------------------------------


@dataclass
class FieldChange:
    name: str
    before: str
    after: str
    html: str  # a line diff, HTML-escaped, with <ins>/<del>


def _text(value) -> str:
    return "" if value is None else str(value)


def _inline_diff(before: str, after: str) -> str:
    """A readable diff of two texts: by paragraph lines, then by character inside a changed one."""
    from django.utils.html import escape

    out = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape(before[a1:a2]))
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(before[a1:a2])}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(after[b1:b2])}</ins>")
    return "".join(out)


def version_changes(older: dict, newer: dict, skip: tuple[str, ...] = ()) -> list[FieldChange]:
    """Field-by-field differences between two versions' field dicts."""
    changes = []
    for name in newer:
        if name in skip:
            continue
        a, b = _text(older.get(name)), _text(newer.get(name))
        if a != b:
            changes.append(FieldChange(name, a, b, _inline_diff(a, b)))
    return changes


def article_versions(article: Article) -> list[Version]:
    """The article's versions, newest first, with their revision (who, when, comment)."""
    return list(
        Version.objects.get_for_object(article).select_related("revision", "revision__user")
    )


def previous_version(version: Version) -> Version | None:
    return (
        Version.objects.get_for_object_reference(version._model, version.object_id)
        .filter(pk__lt=version.pk)
        .select_related("revision")
        .first()
    )


def revision_renditions(version: Version) -> dict[str, dict]:
    """The language versions recorded in the same revision as `version`, by language."""
    from django.contrib.contenttypes.models import ContentType

    found = {}
    ct = ContentType.objects.get_for_model(Rendition)
    for other in version.revision.version_set.filter(content_type=ct):
        data = other.field_dict
        found[data["language"]] = data
    return found
