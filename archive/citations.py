"""Citations of one published language version: CSL-JSON, BibTeX and RIS.

Each credits the authors, the original's outlet, the translators and the version's publisher, and
gives both URLs: the archive's page for this version and the original's (or the translation's own
published) URL. Names are given whole ("literal"): the archive does not know which part of a name
is the family name, and Chinese names put it first.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.utils.translation import override

from archive.models import Article, Rendition, language_tag

FORMATS = {
    "json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
}


@dataclass
class Citation:
    key: str
    language: str  # BCP 47
    title: str
    authors: list[str]
    translators: list[str]
    container: str  # the original's outlet
    publisher: str  # who published this version
    date: object | None  # datetime.date
    url: str  # the archive's page of this version
    original_url: str
    version_url: str  # where the translation itself was published
    is_translation: bool
    original_language: str
    notes: list[str] = field(default_factory=list)


def citation(article: Article, rendition: Rendition, *, url: str) -> Citation:
    """The citation of `rendition` (published) whose archive page is at absolute `url`.
    Names and titles are in the version's language where the archive has them."""
    with override(rendition.language):
        authors = [str(a.person) for a in article.authorships.all()]
        translators = [str(t.person) for t in rendition.translatorships.all()]
        outlet = str(article.outlet) if article.outlet else ""
        publisher = str(rendition.publisher) if rendition.publisher else outlet
    is_translation = not rendition.is_original
    date = rendition.published_on if is_translation else article.original_published_on
    if date is None and not is_translation:
        date = rendition.published_on
    return Citation(
        key=f"yiwen{article.pk}{rendition.language.split('-')[0]}",
        language=language_tag(rendition.language),
        title=article.public_title(rendition.language),
        authors=authors,
        translators=translators,
        container=outlet,
        publisher=publisher,
        date=date,
        url=url,
        original_url=article.original_url,
        version_url=rendition.url if is_translation else "",
        is_translation=is_translation,
        original_language=language_tag(article.original_language),
    )


def _notes(c: Citation) -> list[str]:
    notes = []
    if c.is_translation:
        notes.append(f"Translated from {c.original_language}")
    if c.original_url:
        notes.append(f"Original: {c.original_url}")
    if c.version_url:
        notes.append(f"Translation: {c.version_url}")
    notes.append(f"Archived: {c.url}")
    return notes


def csl_json(c: Citation) -> str:
    item: dict = {
        "id": c.key,
        "type": "article-newspaper",
        "title": c.title,
        "language": c.language,
        "URL": c.url,
        "note": "\n".join(_notes(c)),
    }
    if c.authors:
        item["author"] = [{"literal": name} for name in c.authors]
    if c.translators:
        item["translator"] = [{"literal": name} for name in c.translators]
    if c.container:
        item["container-title"] = c.container
    if c.publisher:
        item["publisher"] = c.publisher
    if c.is_translation and c.container:
        item["original-publisher"] = c.container
    if c.date:
        item["issued"] = {"date-parts": [[c.date.year, c.date.month, c.date.day]]}
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


_BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")


def _bibtex_escape(text: str) -> str:
    def replace(match: re.Match) -> str:
        char = match.group(1)
        return {
            "\\": r"\textbackslash{}",
            "^": r"\textasciicircum{}",
            "~": r"\textasciitilde{}",
        }.get(char, "\\" + char)

    return _BIBTEX_SPECIAL.sub(replace, text)


def _bibtex_names(names: list[str]) -> str:
    # Each name braced whole, so BibTeX never splits it into given and family names.
    return " and ".join("{" + _bibtex_escape(name) + "}" for name in names)


def bibtex(c: Citation) -> str:
    fields: list[tuple[str, str]] = [("title", "{" + _bibtex_escape(c.title) + "}")]
    if c.authors:
        fields.append(("author", _bibtex_names(c.authors)))
    if c.translators:
        fields.append(("translator", _bibtex_names(c.translators)))
    if c.container:
        fields.append(("journal", _bibtex_escape(c.container)))
    if c.publisher:
        fields.append(("publisher", _bibtex_escape(c.publisher)))
    if c.date:
        fields.append(("year", str(c.date.year)))
        fields.append(("date", c.date.isoformat()))
    fields.append(("url", c.url))
    fields.append(("language", c.language))
    fields.append(("note", _bibtex_escape("; ".join(_notes(c)))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@article{{{c.key},\n{body}\n}}\n"


def _ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}"


def ris(c: Citation) -> str:
    lines = [_ris_line("TY", "NEWS"), _ris_line("TI", c.title)]
    lines += [_ris_line("AU", name) for name in c.authors]
    # A4: translator (the RIS tag Zotero and EndNote read as "translator").
    lines += [_ris_line("A4", name) for name in c.translators]
    if c.container:
        lines.append(_ris_line("T2", c.container))
    if c.publisher:
        lines.append(_ris_line("PB", c.publisher))
    if c.date:
        lines.append(_ris_line("PY", str(c.date.year)))
        lines.append(_ris_line("DA", c.date.strftime("%Y/%m/%d")))
    lines.append(_ris_line("UR", c.url))
    if c.original_url:
        lines.append(_ris_line("UR", c.original_url))
    if c.version_url:
        lines.append(_ris_line("UR", c.version_url))
    lines.append(_ris_line("LA", c.language))
    lines += [_ris_line("N1", note) for note in _notes(c)]
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def render(c: Citation, fmt: str) -> str:
    return {"json": csl_json, "bib": bibtex, "ris": ris}[fmt](c)
