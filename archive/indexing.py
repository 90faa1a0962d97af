"""The search index's write side: what of an article is searchable, and the SQL that stores it.

Each article has two stored tsvectors (both with named GIN indexes, see models.py):
- `search_vector`: everything searchable — titles (weight A), summaries and actor names (B),
  bodies (C) in every *published* language version, plus the CJK character stream (D);
- `search_head`: titles, summaries and actor names only — small enough to stay inline in the row,
  so that a term common to half the archive can be ranked among the head matches cheaply.

Python prepares the text (normalisation, segmentation: `archive.text`); PostgreSQL's `english`
configuration turns it into lexemes (stems English, drops English stop words, keeps each
segmented Chinese word as one lexeme). Every write path calls `search_index_update` in the same
transaction as the write; `manage.py reindex` rebuilds and `reindex --check` compares.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from django.db import connection

from archive.models import Article, Rendition, language_codes
from archive.text.segment import Segmenter

CONFIG = "english"
# tsvector holds at most 1 MB and positions up to 16,383. Text beyond these lengths (far more than
# any news article) is not indexed; the article stays findable by everything before it.
MAX_INDEXED_CHARS = {"A": 2_000, "B": 40_000, "C": 400_000}


@lru_cache(maxsize=1)
def segmenter() -> Segmenter:
    """The process's segmenter, with the user dictionary (names, glossary terms) loaded."""
    return Segmenter(user_dictionary_words())


def user_dictionary_words() -> list[str]:
    """Words the segmenter must never split: actor names and glossary terms (when registered)."""
    words: list[str] = []
    for source in WORD_SOURCES:
        words.extend(source())
    return words


# Callables returning words for the user dictionary; the actor register and glossary add theirs.
WORD_SOURCES: list = []


def reset_segmenter() -> None:
    segmenter.cache_clear()


def published_languages(article: Article) -> list[str]:
    published = {
        r.language for r in article.renditions.all() if r.status == Rendition.Status.PUBLISHED
    }
    return [code for code in language_codes() if code in published]


def head_texts(article: Article, languages: list[str]) -> tuple[list[str], list[str]]:
    titles = [article.text("title", code) for code in languages]
    summaries = [article.text("summary", code) for code in languages]
    return titles, summaries + actor_texts(article)


# Callables (article) -> list of names, for weight B; the actor register adds its names.
ACTOR_TEXT_SOURCES: list = []


def actor_texts(article: Article) -> list[str]:
    texts: list[str] = []
    for source in ACTOR_TEXT_SOURCES:
        texts.extend(source(article))
    return texts


def _parts(texts: Iterable[str], weight: str) -> list[tuple[str, str]]:
    """(weight, prepared text) pairs: precise words and subwords at `weight`; characters at D."""
    seg = segmenter()
    limit = MAX_INDEXED_CHARS[weight]
    precise, subwords, chars = [], [], []
    for text in texts:
        if not text:
            continue
        analysis = seg.analyse(text[:limit])
        precise.append(analysis.precise)
        subwords.append(analysis.subwords)
        chars.append(analysis.chars)
    return [
        (weight, " ".join(p for p in precise if p)),
        (weight, " ".join(s for s in subwords if s)),
        ("D", " the ".join(c for c in chars if c)),
    ]


def document_parts(article: Article) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (weight, text) parts of `search_vector` and of `search_head`."""
    languages = published_languages(article)
    if not languages:
        return [], []
    titles, middle = head_texts(article, languages)
    bodies = [article.text("body", code) for code in languages]
    title_parts = _parts(titles, "A")
    middle_parts = _parts(middle, "B")
    body_parts = _parts(bodies, "C")
    # Order matters: positions saturate at 16,383, so the parts that must keep theirs come first.
    head = [p for p in title_parts + middle_parts if p[0] != "D"]
    full = head + [p for p in body_parts if p[0] != "D"]
    full += [p for p in title_parts + middle_parts + body_parts if p[0] == "D"]
    return [p for p in full if p[1]], [p for p in head if p[1]]


def vector_sql(parts: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """An SQL expression building a weighted tsvector from the parts, and its parameters."""
    if not parts:
        return "NULL::tsvector", []
    pieces = [f"setweight(to_tsvector('{CONFIG}', %s), '{weight}')" for weight, _ in parts]
    return " || ".join(pieces), [text for _, text in parts]


def search_index_update(article_ids: Iterable[int]) -> None:
    """Rebuild the stored vectors of these articles (inside the caller's transaction)."""
    ids = list(article_ids)
    if not ids:
        return
    articles = Article.objects.filter(pk__in=ids).prefetch_related("renditions")
    with connection.cursor() as cursor:
        for article in articles:
            full, head = document_parts(article)
            full_sql, full_params = vector_sql(full)
            head_sql, head_params = vector_sql(head)
            cursor.execute(
                f"UPDATE {Article._meta.db_table} SET search_vector = {full_sql}, "
                f"search_head = {head_sql} WHERE id = %s",
                [*full_params, *head_params, article.pk],
            )


def stale_article_ids(article_ids: Iterable[int] | None = None, batch: int = 200, progress=None):
    """Yield ids of articles whose stored vectors differ from a fresh build."""
    queryset = Article.objects.order_by("pk").prefetch_related("renditions")
    if article_ids is not None:
        queryset = queryset.filter(pk__in=list(article_ids))
    with connection.cursor() as cursor:
        for article in queryset.iterator(chunk_size=batch):
            full, head = document_parts(article)
            full_sql, full_params = vector_sql(full)
            head_sql, head_params = vector_sql(head)
            cursor.execute(
                f"SELECT (search_vector IS DISTINCT FROM {full_sql}) "
                f"OR (search_head IS DISTINCT FROM {head_sql}) "
                f"FROM {Article._meta.db_table} WHERE id = %s",
                [*full_params, *head_params, article.pk],
            )
            row = cursor.fetchone()
            if progress:
                progress(1)
            if row and row[0]:
                yield article.pk
