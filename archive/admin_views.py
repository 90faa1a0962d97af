"""The admin's editorial pages (mounted by ArticleAdmin.get_urls, inside the admin's login):
the side-by-side translation editor, the revision history with diffs and restore, and the
import with a preview. Thin: check who may, call `archive.editorial` (read) or
`archive.services` (write), render.
"""

from __future__ import annotations

import contextlib
import datetime
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reversion.models import Version

from archive import editorial
from archive.models import Article, Rendition, RenditionStatus, language_codes
from archive.services import (
    EditConflict,
    ImportRejected,
    TranslationEdit,
    article_revert,
    can_edit_articles,
    can_edit_language,
    can_publish,
    can_translate,
    import_file,
    import_preview,
    rendition_transition,
    translation_save,
)

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _context(request: HttpRequest, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, "opts": Article._meta, **extra}


def article_links(request: HttpRequest, article: Article) -> list[tuple[str, str]]:
    """Links to the editorial pages of one article that `request.user` may open."""
    links = []
    for code in language_codes():
        if can_edit_language(request.user, article, code) and code != article.original_language:
            url = reverse("admin:archive_article_translate", args=[article.pk, code])
            links.append((url, _("Translate into %(language)s") % {"language": _name(code)}))
    if can_translate(request.user):
        for code in language_codes():
            label = _("Preview (%(language)s)") % {"language": _name(code)}
            links.append((_preview_url(article, code), label))
    return links


def _name(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


# --- the side-by-side translation editor -------------------------------------------------------


def _parse_publish_at(value: str) -> datetime.datetime | None:
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("The publication time is not a date and time.")) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def translate_view(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    """The original's paragraphs on the left, one input per paragraph on the right, hints
    beside each; saves go through `services.translation_save`, state changes through
    `services.rendition_transition`."""
    article = get_object_or_404(Article, pk=pk, deleted_at__isnull=True)
    if language not in language_codes():
        raise Http404("No such language.")
    if not can_edit_language(request.user, article, language):
        raise PermissionDenied
    rendition = get_object_or_404(Rendition, article=article, language=language)
    rows, diff = editorial.editor_rows(article, language)
    posted = None
    status = 200
    if request.method == "POST":
        posted = TranslationEdit(
            paragraphs=[request.POST.get(f"p-{row.number}", "") for row in rows],
            title=request.POST.get("title", ""),
            summary=request.POST.get("summary", ""),
        )
        extra = request.POST.get("p-new", "").strip()
        if extra:
            posted.paragraphs.append(extra)
        action = request.POST.get("action", "save")
        try:
            expected = int(request.POST.get("version", ""))
        except ValueError:
            expected = -1
        try:
            with transaction.atomic():
                translation_save(
                    article=article,
                    language=language,
                    edit=posted,
                    expected_version=expected,
                    user=request.user,
                )
                rendition.refresh_from_db()
                moves = action in RenditionStatus.values and action != rendition.status
                if moves or action == RenditionStatus.PUBLISHED:  # (again: a new publication time)
                    rendition_transition(
                        rendition=rendition,
                        to=action,
                        user=request.user,
                        publish_at=_parse_publish_at(request.POST.get("publish_at", "")),
                    )
        except EditConflict as exc:
            messages.error(request, str(exc))
            status = 409
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            status = 400 if isinstance(exc, ValidationError) else 403
        else:
            messages.success(request, _("Saved."))
            anchor = request.POST.get("anchor", "")
            url = reverse("admin:archive_article_translate", args=[pk, language])
            return redirect(url + (f"#{anchor}" if anchor.startswith("p-") else ""))
    article.refresh_from_db()
    rendition.refresh_from_db()
    title = article.text("title", language)
    summary = article.text("summary", language)
    version = article.version
    if posted is not None:  # refused: the translator's text stays on screen
        for row, text in zip(rows, posted.paragraphs, strict=False):
            row.translation = text
        title, summary = posted.title, posted.summary
        version = int(request.POST.get("version") or article.version)
    source = article.original_language
    context = _context(
        request,
        _("Translate “%(title)s” into %(language)s")
        % {"title": article.display_title, "language": _name(language)},
        article=article,
        rendition=rendition,
        language=language,
        language_name=_name(language),
        source=source,
        source_name=_name(source),
        source_title=article.text("title", source),
        source_summary=article.text("summary", source),
        rows=rows,
        diff=diff,
        translation_title=title,
        translation_summary=summary,
        version=version,
        can_publish=can_publish(request.user),
        can_submit=rendition.status in (RenditionStatus.DRAFT, RenditionStatus.MISSING),
        preview_url=_preview_url(article, language),
    )
    return render(request, "admin/archive/translate.html", context, status=status)


def _preview_url(article: Article, language: str) -> str:
    from django.utils.translation import override

    with override(language):
        return reverse("archive:preview", kwargs={"pk": article.pk})


# --- history ------------------------------------------------------------------------------------


def history_view(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    if not request.user.has_perm("archive.view_article"):
        raise PermissionDenied
    versions = editorial.article_versions(article)
    context = _context(
        request,
        _("History of “%(title)s”") % {"title": article.display_title},
        article=article,
        versions=versions,
        can_restore=can_edit_articles(request.user),
    )
    return render(request, "admin/archive/article/history.html", context)


def revision_view(request: HttpRequest, pk: int, version_id: int) -> HttpResponse:
    """One revision: what changed from the one before (or `?against=<id>`), and restore."""
    article = get_object_or_404(Article, pk=pk)
    if not request.user.has_perm("archive.view_article"):
        raise PermissionDenied
    version = get_object_or_404(
        Version.objects.get_for_object(article).select_related("revision__user"), pk=version_id
    )
    if request.method == "POST":
        try:
            article_revert(article=article, version=version, user=request.user)
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("The article was restored to this revision."))
        return redirect(reverse("admin:archive_article_history", args=[pk]))
    against_id = request.GET.get("against")
    older = (
        Version.objects.get_for_object(article).filter(pk=against_id).first()
        if against_id and against_id.isdigit()
        else editorial.previous_version(version)
    )
    skip = ("version", "updated_at", "original_hash")
    changes = editorial.version_changes(older.field_dict if older else {}, version.field_dict, skip)
    before_r = editorial.revision_renditions(older) if older else {}
    after_r = editorial.revision_renditions(version)
    rendition_changes = [
        (code, editorial.version_changes(before_r.get(code, {}), after_r[code], ("updated_at",)))
        for code in language_codes()
        if code in after_r
    ]
    context = _context(
        request,
        _("Revision of %(date)s") % {"date": version.revision.date_created},
        article=article,
        version=version,
        older=older,
        changes=changes,
        rendition_changes=[(c, ch) for c, ch in rendition_changes if ch],
        can_restore=can_edit_articles(request.user),
    )
    return render(request, "admin/archive/article/revision.html", context)


# --- import with a preview ----------------------------------------------------------------------

IMPORT_SESSION_KEY = "archive_import_upload"


def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a seed-format text file or a JSON Lines file; see what would be created or
    updated (a dry run in a transaction that is rolled back); then confirm or cancel. A file
    with a bad record shows every bad line and writes nothing."""
    if not (request.user.has_perm("archive.add_article") and can_edit_articles(request.user)):
        raise PermissionDenied
    stage, report = "upload", None
    if request.method == "POST" and request.POST.get("step") == "preview":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file to import."))
        else:
            # Keep the file's own name: the seed format takes the external id and language from it.
            name = Path(upload.name).name or "upload.jsonl"
            target = Path(tempfile.mkdtemp(prefix="yiwen-import-")) / name
            with target.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            request.session[IMPORT_SESSION_KEY] = {"path": str(target), "name": name}
            report = import_preview(target)
            report.path = upload.name
            stage = "rejected" if report.rejected else "preview"
    elif request.method == "POST" and request.POST.get("step") in ("confirm", "cancel"):
        pending = request.session.pop(IMPORT_SESSION_KEY, None)
        if pending is None or not Path(pending["path"]).is_file():
            messages.error(request, _("There is no file waiting to be imported; upload it again."))
        elif request.POST["step"] == "cancel":
            _discard(pending["path"])
            messages.info(request, _("Nothing was imported."))
        else:
            try:
                report = import_file(pending["path"])
            except ImportRejected as exc:
                report, stage = exc.report, "rejected"
            else:
                stage = "done"
                messages.success(request, _("Imported: %(summary)s") % {"summary": _counts(report)})
            report.path = pending["name"]
            _discard(pending["path"])
    context = _context(
        request,
        _("Import articles"),
        stage=stage,
        report=report,
        counts=_counts(report) if report else "",
    )
    status = 400 if stage == "rejected" else 200
    return render(request, "admin/archive/article/import.html", context, status=status)


def _discard(path: str) -> None:
    Path(path).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        Path(path).parent.rmdir()


def _counts(report) -> str:
    labels = {
        "created": _("created"),
        "updated": _("updated"),
        "unchanged": _("unchanged"),
        "kept": _("kept"),
    }
    parts = [f"{n} {labels[action]}" for action, n in report.counts.items() if n]
    return ", ".join(parts) or _("no records")
