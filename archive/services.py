"""Every write to the archive goes through here.

`article_save` (admin and other editors) and `article_import` (import formats) keep the derived
state consistent in the same transaction: one Rendition per language, the original's text hash, a
translation's source hash, the version counter, and the actors mentioned (detected again only
when the text changed; `archive/actors.py`). `import_file` wraps a whole file in one
transaction so that a bad record leaves nothing from that file written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from modeltranslation.utils import build_localized_fieldname

from archive.actors import (
    actor_import,
    aliases_derive,
    export_actor_records,
    mentions_detect,
    mentions_detect_all,
    mentions_detect_new,
    read_actor_lines,
)
from archive.indexing import reset_segmenter, search_index_update
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
    Mention,
    Outlet,
    Person,
    Rendition,
    Translatorship,
    localized,
)
from archive.text.paragraphs import normalize_body, normalize_line

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
def article_save(*, article: Article, previous_text: dict[str, str] | None = None) -> Article:
    """Save an edited article and keep its derived state consistent.

    `previous_text` is the text as it was before the edit (`text_snapshot(article)` taken when the
    edit began); see `rendition_sources_sync`.
    """
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
    search_index_update([article.pk])
    return article


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


@transaction.atomic
def rendition_save(*, rendition: Rendition) -> Rendition:
    """Save a language version's metadata or status; its visibility changes what is searchable."""
    rendition.full_clean(exclude=["article", "language", "translators"])
    rendition.save()
    search_index_update([rendition.article_id])
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
def articles_create(*, records: list[ArticleRecord], contributors: Contributors) -> list[Article]:
    """Create many new articles at once: the batch form of `article_import` for records whose
    external ids are not in the archive yet (the caller checks). Same result, a few queries
    per batch instead of a few dozen per article."""
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
    search_index_update([], articles=articles)
    return articles


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


class _ImportState:
    """One file's import: new articles in batches, the rest one by one, bad ones reported."""

    def __init__(self, report: FileReport, keep_existing: bool) -> None:
        self.report = report
        self.keep_existing = keep_existing
        self.contributors = Contributors()

    def import_batch(self, lines: list[Line]) -> None:
        ids = [line.record.external_id for line in lines]
        existing = set(
            Article.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
        )
        new = [line for line in lines if line.record.external_id not in existing]
        if len(new) > 1:
            try:
                with transaction.atomic():
                    articles_create(
                        records=[line.record for line in new], contributors=self.contributors
                    )
            except (RecordError, DatabaseError):
                self.contributors = Contributors()  # find the bad record(s) one by one
            else:
                self.report.counts["created"] += len(new)
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
    try:
        with transaction.atomic():
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
                    state.import_batch(batch)
                    batch = []
            if batch and not (report.rejected and not skip_invalid):
                state.import_batch(batch)
            if report.rejected and not skip_invalid:
                raise _Rollback
    except _Rollback:
        report.counts = dict.fromkeys(report.counts, 0)
        raise ImportRejected(report) from None
    report.written = True
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
