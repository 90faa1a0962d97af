"""Reading the archive's import formats into validated records (no database access).

Three sources, one record type (`ArticleRecord`), one validator:
- JSON Lines in the interchange format (docs/interchange.md), which export writes too;
- the seed's plain-text format (`Author: NAME, OUTLET`, `Original Title: …`, body, trailing links);
- the WMT corpus records in ../shared/corpus (`wmt_record_to_interchange` adapts them).

Every problem is a `RecordError` with a reason a person can act on; unknown keys are errors, never
silently dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify

from archive.text.paragraphs import (
    describe_character,
    find_forbidden_character,
    normalize_body,
    normalize_line,
)

STATUSES = ("missing", "draft", "in_review", "published")
METHODS = ("human", "machine", "post_edited")

MAX_LINE_BYTES = 16 * 1024 * 1024  # one JSON record
MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 20_000
MAX_BODY_CHARS = 2_000_000
MAX_NAME_CHARS = 200
MAX_URL_CHARS = 1000
MAX_EXTERNAL_ID_CHARS = 200


class RecordError(ValueError):
    """A record that cannot be imported; `str()` is the reason."""


@dataclass
class Contributor:
    """A Person (author, translator, reviewer) or, with `url`/`social`, an Outlet."""

    names: dict[str, str]
    slug: str = ""
    url: str = ""
    social: list[dict[str, str]] = field(default_factory=list)

    def key(self) -> str:
        """The slug to look the contributor up by (explicit, else derived from a name)."""
        if self.slug:
            return self.slug
        for code in ["en", *languages()]:
            if self.names.get(code):
                derived = slugify(self.names[code], allow_unicode=True)
                if derived:
                    return derived[:200]
        return ""


@dataclass
class RenditionRecord:
    status: str
    method: str = ""
    translators: list[Contributor] = field(default_factory=list)
    reviewer: Contributor | None = None
    publisher: Contributor | None = None
    url: str = ""
    published_on: dt.date | None = None
    source_hash: str | None = None  # None: "made from the original as imported"


@dataclass
class ArticleRecord:
    external_id: str
    original_language: str
    title: dict[str, str]
    summary: dict[str, str]
    body: dict[str, str]
    authors: list[Contributor] = field(default_factory=list)
    outlet: Contributor | None = None
    original_url: str = ""
    published_on: dt.date | None = None
    renditions: dict[str, RenditionRecord] = field(default_factory=dict)
    # What the source stated: its top-level keys, and the languages it gave text or a rendition
    # for. Import changes only these, so a partial record never erases what it does not mention.
    keys: set[str] = field(default_factory=set)
    languages: list[str] = field(default_factory=list)


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


# --- validation helpers ------------------------------------------------------------------------


def _expect(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise RecordError(f"{where}: expected {what}, got {_describe(value)}")
    return value


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def _check_keys(obj: dict, allowed: set[str], where: str, required: set[str] = frozenset()):
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise RecordError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(k) for k in unknown)} (allowed: {', '.join(sorted(allowed))})"
        )
    missing = sorted(required - set(obj))
    if missing:
        raise RecordError(f"{where}: missing required key {', '.join(repr(k) for k in missing)}")


def _clean_text(value: Any, where: str, max_chars: int, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    text = _expect(value, str, where, "a string")
    position = find_forbidden_character(text)
    if position is not None:
        raise RecordError(
            f"{where}: contains {describe_character(text[position])} at position {position}"
        )
    text = normalize_body(text) if multiline else normalize_line(text)
    if len(text) > max_chars:
        raise RecordError(f"{where}: {len(text):,} characters, more than the {max_chars:,} allowed")
    return text


def _language(value: Any, where: str) -> str:
    code = _expect(value, str, where, "a language code")
    if code not in languages():
        raise RecordError(
            f"{where}: unknown language {code!r} (expected one of {', '.join(languages())})"
        )
    return code


def _localized(value: Any, where: str, max_chars: int, *, multiline: bool = False) -> dict:
    if value is None:
        return {}
    obj = _expect(value, dict, where, "an object of language → text")
    result = {}
    for code, text in obj.items():
        _language(code, f"{where}: key")
        cleaned = _clean_text(text, f"{where}.{code}", max_chars, multiline=multiline)
        if cleaned:
            result[code] = cleaned
    return result


_url_validator = URLValidator(schemes=["http", "https"])


def _url(value: Any, where: str) -> str:
    if value in (None, ""):
        return ""
    url = _expect(value, str, where, "a URL").strip()
    if len(url) > MAX_URL_CHARS:
        raise RecordError(f"{where}: URL longer than {MAX_URL_CHARS} characters")
    try:
        _url_validator(url)
    except ValidationError:
        raise RecordError(f"{where}: not a valid http(s) URL: {url[:100]!r}") from None
    return url


def _date(value: Any, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    text = _expect(value, str, where, 'a date "YYYY-MM-DD"')
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise RecordError(f'{where}: expected a date "YYYY-MM-DD", got {text[:40]!r}')
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RecordError(f"{where}: not a real date: {text!r}") from None


def _slug(value: Any, where: str) -> str:
    if value in (None, ""):
        return ""
    text = _expect(value, str, where, "a slug")
    if slugify(text, allow_unicode=True) != text or len(text) > 200:
        raise RecordError(f"{where}: {text[:60]!r} is not a slug (lower-case letters, digits, -)")
    return text


def _person(value: Any, where: str, default_language: str) -> Contributor:
    if isinstance(value, str):  # shorthand: a name in the rendition's own language
        value = {"name": {default_language: value}}
    obj = _expect(value, dict, where, "a person object or a name")
    _check_keys(obj, {"name", "slug"}, where, required={"name"})
    person = Contributor(
        names=_localized(obj["name"], f"{where}.name", MAX_NAME_CHARS),
        slug=_slug(obj.get("slug"), f"{where}.slug"),
    )
    if not person.key():
        raise RecordError(f"{where}: a person needs a name or a slug")
    return person


def _outlet(value: Any, where: str) -> Contributor | None:
    if value is None:
        return None
    obj = _expect(value, dict, where, "an outlet object")
    _check_keys(obj, {"name", "slug", "url", "social"}, where)
    social = []
    for i, link in enumerate(_expect(obj.get("social") or [], list, f"{where}.social", "a list")):
        link_where = f"{where}.social[{i}]"
        link = _expect(link, dict, link_where, 'an object {"label", "url"}')
        _check_keys(link, {"label", "url"}, link_where, required={"url"})
        social.append(
            {
                "label": _clean_text(link.get("label"), f"{link_where}.label", MAX_NAME_CHARS),
                "url": _url(link["url"], f"{link_where}.url"),
            }
        )
    outlet = Contributor(
        names=_localized(obj.get("name"), f"{where}.name", MAX_NAME_CHARS),
        slug=_slug(obj.get("slug"), f"{where}.slug"),
        url=_url(obj.get("url"), f"{where}.url"),
        social=social,
    )
    if not outlet.key():
        raise RecordError(f"{where}: an outlet needs a name or a slug")
    return outlet


RECORD_KEYS = {
    "external_id",
    "original_language",
    "title",
    "summary",
    "body",
    "authors",
    "outlet",
    "original_url",
    "published_at",
    "renditions",
}
RENDITION_KEYS = {
    "translators",
    "publisher",
    "url",
    "published_at",
    "method",
    "status",
    "reviewer",
    "source_hash",
}


def parse_record(obj: Any) -> ArticleRecord:
    """Validate one interchange object (already decoded from JSON) into an ArticleRecord."""
    obj = _expect(obj, dict, "record", "a JSON object")
    _check_keys(obj, RECORD_KEYS, "record", required={"external_id", "original_language"})
    external_id = _clean_text(obj["external_id"], "external_id", MAX_EXTERNAL_ID_CHARS)
    if not external_id:
        raise RecordError("external_id: must not be empty")
    record = ArticleRecord(
        external_id=external_id,
        original_language=_language(obj["original_language"], "original_language"),
        title=_localized(obj.get("title"), "title", MAX_TITLE_CHARS),
        summary=_localized(obj.get("summary"), "summary", MAX_SUMMARY_CHARS, multiline=True),
        body=_localized(obj.get("body"), "body", MAX_BODY_CHARS, multiline=True),
        outlet=_outlet(obj.get("outlet"), "outlet"),
        original_url=_url(obj.get("original_url"), "original_url"),
        published_on=_date(obj.get("published_at"), "published_at"),
    )
    authors = _expect(obj.get("authors") or [], list, "authors", "a list")
    record.authors = [
        _person(a, f"authors[{i}]", record.original_language) for i, a in enumerate(authors)
    ]
    _check_unique([a.key() for a in record.authors], "authors")

    record.keys = set(obj)
    given = _expect(obj.get("renditions") or {}, dict, "renditions", "an object of language → …")
    record.languages = [
        c
        for c in languages()
        if c in given or any(c in getattr(record, f) for f in ("title", "summary", "body"))
    ]
    for code, value in given.items():
        _language(code, "renditions: key")
        record.renditions[code] = _rendition(value, f"renditions.{code}", code, record)
    for code in languages():
        if code not in record.renditions:
            has_text = bool(record.title.get(code) or record.body.get(code))
            record.renditions[code] = RenditionRecord(status="published" if has_text else "missing")
    record.renditions = {code: record.renditions[code] for code in languages()}

    if not any(record.title.get(c) or record.body.get(c) for c in languages()):
        raise RecordError("record has no title and no body in any language")
    for code, rendition in record.renditions.items():
        has_text = bool(record.title.get(code) or record.body.get(code))
        if rendition.status == "missing" and has_text:
            raise RecordError(
                f"renditions.{code}.status: 'missing', but the record has {code} text "
                "(use 'draft', 'in_review' or 'published', or remove the text)"
            )
        if rendition.status != "missing" and not has_text:
            raise RecordError(
                f"renditions.{code}.status: {rendition.status!r}, but the record has no {code} "
                "title or body (a version without text is 'missing')"
            )
    return record


def _rendition(value: Any, where: str, code: str, record: ArticleRecord) -> RenditionRecord:
    obj = _expect(value, dict, where, "an object")
    _check_keys(obj, RENDITION_KEYS, where)
    has_text = bool(record.title.get(code) or record.body.get(code))
    status = obj.get("status") or ("published" if has_text else "missing")
    if status not in STATUSES:
        raise RecordError(f"{where}.status: {status!r} is not one of {', '.join(STATUSES)}")
    method = obj.get("method") or ""
    if method and method not in METHODS:
        raise RecordError(f"{where}.method: {method!r} is not one of {', '.join(METHODS)}")
    translators = _expect(obj.get("translators") or [], list, f"{where}.translators", "a list")
    source_hash = obj.get("source_hash")
    if source_hash is not None and not re.fullmatch(r"(|[0-9a-f]{64})", str(source_hash)):
        raise RecordError(f"{where}.source_hash: expected 64 hex digits or an empty string")
    rendition = RenditionRecord(
        status=status,
        method=method,
        translators=[
            _person(t, f"{where}.translators[{i}]", code) for i, t in enumerate(translators)
        ],
        reviewer=_person(obj["reviewer"], f"{where}.reviewer", code)
        if obj.get("reviewer")
        else None,
        publisher=_outlet(obj.get("publisher"), f"{where}.publisher"),
        url=_url(obj.get("url"), f"{where}.url"),
        published_on=_date(obj.get("published_at"), f"{where}.published_at"),
        source_hash=source_hash,
    )
    _check_unique([t.key() for t in rendition.translators], f"{where}.translators")
    return rendition


def _check_unique(keys: list[str], where: str) -> None:
    seen = set()
    for key in keys:
        if key in seen:
            raise RecordError(f"{where}: {key!r} is listed twice")
        seen.add(key)


# --- JSON Lines --------------------------------------------------------------------------------


@dataclass
class Line:
    number: int
    record: ArticleRecord | None = None
    error: str | None = None


def read_jsonl(path: Path, adapter=None) -> Iterator[Line]:
    """Yield each non-blank line of a JSON Lines file as a parsed record or an error.

    `adapter` turns a decoded object of another schema into an interchange object first.
    """
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if len(raw) > MAX_LINE_BYTES:
                yield Line(number, error=f"line is {len(raw):,} bytes, over {MAX_LINE_BYTES:,}")
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Line(number, error=f"not UTF-8 ({exc.reason} at byte {exc.start})")
                continue
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield Line(number, error=f"not valid JSON: {getattr(exc, 'msg', exc)}")
                continue
            try:
                if adapter is not None:
                    obj = adapter(obj)
                yield Line(number, record=parse_record(obj))
            except RecordError as exc:
                yield Line(number, error=str(exc))


def is_wmt_record(obj: Any) -> bool:
    return isinstance(obj, dict) and "wmt_docid" in obj and "zh_paragraphs" in obj


def wmt_record_to_interchange(obj: Any) -> dict:
    """Adapt one ../shared/corpus record (see its SOURCES.md) to the interchange format.

    The headline heuristic, where present, becomes the title and is not repeated in the body. The
    English reference translation is human-made; no translator, date or URL is known, so none is
    invented. Segments become paragraphs, which keeps the corpus's alignment for the parallel view.
    """
    if not is_wmt_record(obj):
        raise RecordError("not a WMT corpus record (expected keys 'wmt_docid', 'zh_paragraphs')")
    zh = _expect(obj.get("zh_paragraphs"), list, "zh_paragraphs", "a list")
    en = _expect(obj.get("en_paragraphs"), list, "en_paragraphs", "a list")
    if len(zh) != len(en):
        raise RecordError(f"zh_paragraphs has {len(zh)} segments but en_paragraphs {len(en)}")
    title = {}
    if obj.get("zh_title_heuristic") and obj.get("en_title_heuristic"):
        title = {"zh-hans": obj["zh_title_heuristic"], "en": obj["en_title_heuristic"]}
        zh, en = zh[1:], en[1:]
    outlet = str(obj.get("outlet") or "")
    return {
        "external_id": str(obj.get("id") or ""),
        "original_language": "zh-hans",
        "title": title,
        "body": {"zh-hans": "\n\n".join(zh), "en": "\n\n".join(en)},
        "outlet": {"name": {"en": outlet}, "slug": slugify(outlet)} if outlet else None,
        "renditions": {
            "zh-hans": {"status": "published"},
            "en": {"status": "published", "method": "human"},
        },
    }


# --- the seed's plain-text format --------------------------------------------------------------

_HEADER = re.compile(r"^(Author|Original Title|Title|Summary|URL|Date)\s*:\s*(.*)$")
_LINK = re.compile(r"^(?P<label>[^:：]{1,80}?)\s*[:：]\s*(?P<url>https?://\S+)\s*$")
_LANGUAGE_SUFFIX = re.compile(r"\.([a-z]{2}(?:-[a-z]+)?)$")


def parse_seed_text(
    text: str,
    *,
    filename: str,
    original_language: str,
    language: str | None = None,
    publisher: str | None = None,
) -> ArticleRecord:
    """Parse the seed's plain-text format into a record for one language version.

    The file name gives the external id and the text's language (`slug.en.txt`). Header lines come
    first (`Author: NAME, OUTLET`, `Original Title: …`); every other non-empty line is a paragraph,
    except the trailing block of `Label: https://…` lines (`Twitter:…`, `Bitpush TG …:…`), which are
    the republisher's links: they name the publisher (the word before `TG`) and become its links.
    """
    position = find_forbidden_character(text)
    if position is not None:
        line = text.count("\n", 0, position) + 1
        raise RecordError(f"line {line}: contains {describe_character(text[position])}")
    stem = Path(filename).name
    stem = stem[: -len(".txt")] if stem.endswith(".txt") else stem
    suffix = _LANGUAGE_SUFFIX.search(stem)
    file_language = None
    if suffix and suffix.group(1) in {c.lower() for c in languages()} | {"zh"}:
        file_language = "zh-hans" if suffix.group(1) == "zh" else suffix.group(1)
        stem = stem[: suffix.start()]
    language = language or file_language
    if language is None:
        raise RecordError(
            f"cannot tell the text's language from the file name {filename!r} "
            "(name it like slug.en.txt, or pass --language)"
        )
    _language(language, "language")
    _language(original_language, "original language")
    external_id = slugify(stem, allow_unicode=True)
    if not external_id:
        raise RecordError(f"cannot derive an external id from the file name {filename!r}")

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headers: dict[str, str] = {}
    index = 0
    while index < len(lines):
        stripped = lines[index].strip().lstrip("\ufeff")
        if not stripped and not headers:
            index += 1
            continue
        match = _HEADER.match(stripped)
        if not match:
            break
        headers[match.group(1)] = match.group(2).strip()
        index += 1
    if "Author" not in headers:
        raise RecordError("line 1: expected a header line 'Author: NAME, OUTLET'")
    title = headers.get("Original Title") or headers.get("Title") or ""
    if not title:
        raise RecordError("expected a header line 'Original Title: …'")

    body_lines = [line.strip() for line in lines[index:]]
    while body_lines and not body_lines[-1]:
        body_lines.pop()
    links: list[dict[str, str]] = []
    while body_lines and (match := _LINK.match(body_lines[-1])):
        links.insert(0, {"label": match.group("label").strip(), "url": match.group("url")})
        body_lines.pop()
        while body_lines and not body_lines[-1]:
            body_lines.pop()
    paragraphs = [line for line in body_lines if line]
    if not paragraphs:
        raise RecordError("the file has headers but no body text")

    author_name, _, outlet_name = headers["Author"].partition(",")
    author_name, outlet_name = author_name.strip(), outlet_name.strip()
    if not author_name:
        raise RecordError("the 'Author:' line names nobody")

    publisher_record = None
    if links:
        name = publisher or _publisher_from_links(links)
        if not name:
            raise RecordError(
                "the trailing links do not name their publisher (pass --publisher NAME)"
            )
        publisher_record = _outlet({"name": {"en": name}, "social": links}, "publisher")
    elif publisher:
        publisher_record = _outlet({"name": {"en": publisher}}, "publisher")

    interchange: dict[str, Any] = {
        "external_id": external_id,
        "original_language": original_language,
        "title": {language: title},
        "body": {language: "\n\n".join(paragraphs)},
        "authors": [{"name": {language: author_name}}],
        "outlet": {"name": {language: outlet_name}} if outlet_name else None,
        "published_at": headers.get("Date") or None,
        "original_url": headers.get("URL") or None,
    }
    if headers.get("Summary"):
        interchange["summary"] = {language: headers["Summary"]}
    record = parse_record({k: v for k, v in interchange.items() if v is not None})
    record.renditions[language].publisher = publisher_record
    return record


def _publisher_from_links(links: list[dict[str, str]]) -> str:
    for link in links:
        match = re.match(r"^(?P<name>.+?)\s+TG\b", link["label"])
        if match:
            return match.group("name").strip()
    return ""
