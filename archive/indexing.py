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


def _analyse(texts: Iterable[str], limit: int) -> tuple[str, str, str]:
    """Precise words, subwords and characters of some texts, each stream joined."""
    seg = segmenter()
    precise, subwords, chars = [], [], []
    for text in texts:
        if not text:
            continue
        analysis = seg.analyse(text[:limit])
        precise.append(analysis.precise)
        subwords.append(analysis.subwords)
        chars.append(analysis.chars)
    return (
        " ".join(p for p in precise if p),
        " ".join(s for s in subwords if s),
        " the ".join(c for c in chars if c),
    )


# The fixed layout of the stored vectors: (weight) per text slot, in concatenation order.
# Positions saturate at 16,383, so the slots that must keep theirs (titles) come first.
FULL_WEIGHTS = ("A", "A", "B", "B", "C", "C", "D")
HEAD_WEIGHTS = ("A", "A", "B", "B")


def document_texts(article: Article) -> tuple[list[str], list[str]]:
    """The texts of the `search_vector` slots and of the `search_head` slots (FULL_WEIGHTS,
    HEAD_WEIGHTS): titles, summaries + actor names, bodies (precise words, then subwords), then
    the characters of all three. Only published language versions count."""
    languages = published_languages(article)
    if not languages:
        return [""] * len(FULL_WEIGHTS), [""] * len(HEAD_WEIGHTS)
    titles, middle = head_texts(article, languages)
    bodies = [article.text("body", code) for code in languages]
    t_precise, t_sub, t_chars = _analyse(titles, MAX_INDEXED_CHARS["A"])
    m_precise, m_sub, m_chars = _analyse(middle, MAX_INDEXED_CHARS["B"])
    b_precise, b_sub, b_chars = _analyse(bodies, MAX_INDEXED_CHARS["C"])
    chars = " the ".join(c for c in (t_chars, m_chars, b_chars) if c)
    head = [t_precise, t_sub, m_precise, m_sub]
    return [*head, b_precise, b_sub, chars], head


def _vector(weights: tuple[str, ...]) -> str:
    return " || ".join(f"setweight(to_tsvector('{CONFIG}', %s), '{w}')" for w in weights)


UPDATE_SQL = (
    f"UPDATE {Article._meta.db_table} SET search_vector = {_vector(FULL_WEIGHTS)}, "
    f"search_head = {_vector(HEAD_WEIGHTS)} WHERE id = %s"
)
STALE_SQL = (
    f"SELECT id FROM {Article._meta.db_table} WHERE id = %s AND ("
    f"search_vector IS DISTINCT FROM {_vector(FULL_WEIGHTS)} OR "
    f"search_head IS DISTINCT FROM {_vector(HEAD_WEIGHTS)})"
)


def search_index_update(article_ids: Iterable[int], articles: Iterable[Article] = ()) -> None:
    """Rebuild the stored vectors of these articles (inside the caller's transaction).

    `articles` may pass already-loaded articles (with their renditions prefetched) to save
    reading them again.
    """
    loaded = {a.pk: a for a in articles}
    ids = [pk for pk in article_ids if pk not in loaded]
    if ids:
        loaded.update(
            (a.pk, a) for a in Article.objects.filter(pk__in=ids).prefetch_related("renditions")
        )
    rows = []
    for pk, article in loaded.items():
        full, head = document_texts(article)
        rows.append([*full, *head, pk])
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(UPDATE_SQL, rows)


def stale_article_ids(article_ids: Iterable[int] | None = None, batch: int = 200, progress=None):
    """Yield ids of articles whose stored vectors differ from a fresh build."""
    queryset = Article.objects.order_by("pk").prefetch_related("renditions")
    if article_ids is not None:
        queryset = queryset.filter(pk__in=list(article_ids))
    with connection.cursor() as cursor:
        for article in queryset.iterator(chunk_size=batch):
            full, head = document_texts(article)
            cursor.execute(STALE_SQL, [article.pk, *full, *head])
            if progress:
                progress(1)
            if cursor.fetchone():
                yield article.pk
