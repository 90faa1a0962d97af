"""The search index's write side: what of an article is searchable, and the SQL that stores it.

Each article has three stored tsvectors per language (all with named GIN indexes, see models.py),
built from that language version when it is *published* and empty otherwise:
- `search_<lang>`: words — title (weight A), summary and the names of the actors the version
  mentions (B), body (C), and at D every name and alias of those actors in every language and
  script (so a query in one language finds the piece in the other, below pieces that contain the
  words); and the name lexemes of each of these (words written with a capital, never stemmed:
  `archive.text.names`) at its weight;
- `search_head_<lang>`: title, summary and actor names only — small enough to stay inline in the
  row, so that a term common to half the archive can be ranked among the head matches cheaply;
- `search_chars_<lang>`: every CJK character and pair of adjacent characters (title A, summary
  B, body C), for one-character queries and substrings that are no word. Kept apart from the
  words, it is read only by queries that need it: ranking and phrase checks read the words
  vector, a quarter of the size.

Beside them, each published version's `CharacterText`: the CJK runs that its characters vector
indexes, as text, where phrases of characters are checked (`archive.search._render_characters`).

Python prepares the text (normalisation, segmentation: `archive.text`); PostgreSQL's `english`
configuration turns it into lexemes (stems English, drops English stop words, keeps each
segmented Chinese word as one lexeme). Every write path calls `search_index_update` in the same
transaction as the write; `manage.py reindex` rebuilds and `reindex --check` compares.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname

from archive import actors
from archive.models import (
    Actor,
    ActorAlias,
    Article,
    CharacterText,
    GlossaryTerm,
    Mention,
    from_row,
    id_array,
    language_codes,
    localized,
    search_column,
)
from archive.text.names import names_text
from archive.text.normalize import has_cjk, normalize, normalize_many
from archive.text.segment import Analysis, Segmenter, char_grams, chars_stream

CONFIG = "english"
CHAR_CONFIG = "simple"
# tsvector holds at most 1 MB and positions up to 16,383. Text beyond these lengths (far more than
# any news article) is not indexed; the article stays findable by everything before it.
MAX = {"A": 2_000, "B": 40_000, "C": 400_000}


def segmenter() -> Segmenter:
    """The segmenter with the current user dictionary (rebuilt when the actor register or the
    glossary changes: one cheap statement tells)."""
    return _segmenter_for(dictionary_fingerprint())


def dictionary_fingerprint() -> tuple:
    """Changes whenever an actor, an alias or a glossary term is added, changed or removed."""
    return actors.read_fingerprint()


@lru_cache(maxsize=1)
def _segmenter_for(fingerprint: tuple) -> Segmenter:
    """The segmenter of the user words as they are now: the one built last where the change
    to the register or glossary left them as they were (a description, an English name or
    alias, a glossary term's English side: most changes), which spares loading rjieba's own
    dictionary and adding every word again (~300 ms with 25,000 words)."""
    words = user_dictionary_words()
    last = _last_segmenter[0] if _last_segmenter else None
    if last is not None and last[0] == words:
        return last[1]
    built = Segmenter(words)
    _last_segmenter[:] = [(words, built)]
    return built


# The segmenter `_segmenter_for` built last, with the words it was built from.
_last_segmenter: list[tuple[list[str], Segmenter]] = []


def dictionary_fingerprint_sql() -> str:
    """The statement of `dictionary_fingerprint` (its columns can ride along in another)."""
    return actors.fingerprint_sql()


def search_dictionary(
    fingerprint: tuple | None = None,
) -> tuple[Segmenter, tuple[tuple[str, str], ...], ActorCache]:
    """What the search reads of the register and the glossary: the segmenter, the glossary's
    (zh, en) pairs and the actors read so far (`ActorCache`), each anew when one changed.
    `fingerprint`: the dictionary's fingerprint as the caller read it (else read here)."""
    if fingerprint is None:
        fingerprint = dictionary_fingerprint()
    _last_seen[:] = [fingerprint]
    return _segmenter_for(fingerprint), _glossary_for(fingerprint), _actors_for(fingerprint)


# The fingerprint `search_dictionary` was last given in this process. The search starts from it
# and reads the current one in its first statement (Query.prepare), starting again in the rare
# case that it changed: no statement of its own for a check that almost never finds a change.
_last_seen: list[tuple] = []


def last_dictionary_fingerprint() -> tuple | None:
    return _last_seen[0] if _last_seen else None


class ActorCache:
    """The actors the search has read since the register last changed, by id, each with its
    aliases' texts as `alias_texts` (for the hits' marks): read a page's worth at a time, as
    pages name them (`get`), not the whole register. Reading every actor after each change
    took 1.3–2.7 s for 10,000 actors with 30,000 aliases (bench/register_bench.py), in each
    process's first search after it, for pages that name a few dozen."""

    def __init__(self) -> None:
        self._actors: dict[int, Actor] = {}

    def get(self, ids: Iterable[int]) -> dict[int, Actor]:
        """These actors by id (one statement for those not read yet; an id that no longer
        names an actor is left out)."""
        wanted = set(ids)
        missing = wanted - self._actors.keys()
        if missing:
            self._actors.update(_read_actors(missing))
        return {pk: self._actors[pk] for pk in wanted if pk in self._actors}


def _read_actors(ids: Iterable[int]) -> dict[int, Actor]:
    """These actors — what a hit shows and marks of them: slug, kind and names, the other
    fields deferred — with their aliases' texts in the order they were added, in one plain
    statement, as instances that are only read (`from_row`). The ORM's queryset of whole
    actors took 10–14 ms for 100 of them, this ~5 (bench/register_bench.py's register)."""
    attnames, sql = _actors_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [id_array(ids)])
        rows = cursor.fetchall()
    found = {}
    for *values, alias_texts in rows:
        actor = from_row(Actor, attnames, values, connection.alias)
        actor.alias_texts = tuple(alias_texts or ())
        found[actor.pk] = actor
    return found


@lru_cache(maxsize=1)
def _actors_sql() -> tuple[tuple[str, ...], str]:
    names = [build_localized_fieldname("name", code) for code in language_codes()]
    fields = [Actor._meta.get_field(name) for name in ("id", "kind", "slug", "name", *names)]
    alias = ActorAlias._meta
    sql = (
        f"SELECT {', '.join(f'a.{field.column}' for field in fields)}, "
        f"ARRAY(SELECT t.{alias.get_field('text').column} FROM {alias.db_table} t "
        f"WHERE t.{alias.get_field('actor').column} = a.id ORDER BY t.id) "
        f"FROM {Actor._meta.db_table} a WHERE a.id = ANY(%s::bigint[])"
    )
    return tuple(field.attname for field in fields), sql


@lru_cache(maxsize=1)
def _actors_for(fingerprint: tuple) -> ActorCache:
    return ActorCache()


@lru_cache(maxsize=1)
def _glossary_for(fingerprint: tuple) -> tuple[tuple[str, str], ...]:
    return tuple(GlossaryTerm.objects.values_list("zh", "en"))


def user_dictionary_words() -> list[str]:
    """Words the segmenter must never split: actor names and aliases, and the glossary's
    Chinese terms."""
    glossary = normalize_many(GlossaryTerm.objects.values_list("zh", flat=True))
    return sorted({*actors.user_dictionary_words(), *(w for w in glossary if has_cjk(w))})


def reset_segmenter() -> None:
    """Forget the segmenter (its dictionary changed with the actor register)."""
    _segmenter_for.cache_clear()
    _glossary_for.cache_clear()
    _actors_for.cache_clear()


def published_languages(article: Article) -> list[str]:
    """The public versions' languages (`Rendition.is_public`: published, due, not deleted)."""
    now = timezone.now()
    published = {r.language for r in article.renditions.all() if r.is_public(now, article=article)}
    return [code for code in language_codes() if code in published]


def actor_names(article: Article, language: str) -> tuple[list[str], list[str]]:
    """Names of the actors one language version is about (its counted mentions): in that
    language (weight B), and every name and alias in every language and script (weight D)."""
    own: list[str] = []
    every: list[str] = []
    for mention in article.mentions.all():
        if mention.state == Mention.State.REJECTED or mention.language != language:
            continue
        actor = mention.actor
        own.append(localized(actor, "name", language))
        every.extend(localized(actor, "name", code) for code in language_codes())
        every.extend(alias.text for alias in actor.aliases.all())
    return [n for n in own if n], [n for n in every if n]


# What of each part of a version is indexed, and at which weight's length.
PART_LIMITS = {"title": MAX["A"], "summary": MAX["B"], "body": MAX["C"]}


@dataclass(frozen=True)
class PreparedTexts:
    """Analyses made ahead of `search_index_update` (an import makes the next batch's on another
    thread while the server writes this one's), keyed by (text, length limit), and the
    character slot texts of their CJK runs (`char_grams`), keyed by the runs. They are used
    only while `seg` is still the segmenter (the dictionary has not changed since)."""

    seg: Segmenter
    analyses: dict[tuple[str, int], Analysis]
    grams: dict[str, str]


def prepare_texts(seg: Segmenter, parts: Iterable[tuple[str, str]]) -> PreparedTexts:
    """Analyse texts as indexing will: (part, text) pairs, part one of PART_LIMITS. Pure Python
    (no database), so it can run on any thread; `seg` comes from the caller's `segmenter()`."""
    analyses: dict[tuple[str, int], Analysis] = {}
    grams: dict[str, str] = {}
    for part, text in parts:
        key = (text, PART_LIMITS[part])
        if text and key not in analyses:
            analyses[key] = analysis = seg.analyse(text[: key[1]])
            if analysis.chars and analysis.chars not in grams:
                grams[analysis.chars] = char_grams(analysis.chars)
    return PreparedTexts(seg, analyses, grams)


def _grams(runs: str, prepared: PreparedTexts | None) -> str:
    found = prepared.grams.get(runs) if prepared else None
    return char_grams(runs) if found is None else found


def _analyse(
    seg: Segmenter,
    texts: Iterable[str],
    limit: int,
    prepared: PreparedTexts | None = None,
) -> tuple[str, str, str]:
    """Precise words, subwords and characters of some texts, each stream joined."""
    precise, subwords, chars = [], [], []
    for text in texts:
        if not text:
            continue
        analysis = prepared.analyses.get((text, limit)) if prepared else None
        if analysis is None:
            analysis = seg.analyse(text[:limit])
        precise.append(analysis.precise)
        subwords.append(analysis.subwords)
        chars.append(analysis.chars)
    return (
        " ".join(p for p in precise if p),
        " ".join(s for s in subwords if s),
        " ".join(c for c in chars if c),
    )


# The fixed layout of one language's vectors: a weight per text slot, in concatenation order.
# Positions saturate at 16,383, so the slots that must keep theirs (the title) come first.
# Last, the name lexemes of title, of summary and names, of body and of every name
# (`archive.text.names`), at the same weights.
FULL_WEIGHTS = ("A", "A", "B", "B", "C", "C", "D", "A", "B", "C", "D")
HEAD_WEIGHTS = ("A", "A", "B", "B", "A", "B")
CHARS_WEIGHTS = ("A", "B", "C")
PREFETCH = ("renditions", "mentions__actor__aliases")


def language_texts(
    article: Article,
    language: str,
    seg: Segmenter,
    prepared: PreparedTexts | None = None,
) -> tuple[list[str], list[str], list[str], str | None]:
    """The texts of one language's `search_<lang>` slots (FULL_WEIGHTS), `search_head_<lang>`
    slots (HEAD_WEIGHTS) and `search_chars_<lang>` slots (CHARS_WEIGHTS): title; summary and
    actor names; body (precise words, then subwords); every name of its actors in any language;
    the name lexemes of those four (`names_text`); and the characters and pairs of characters of
    title, of summary and names, and of body.
    Last, the version's `CharacterText`: the CJK runs of those three slots, a line each (None
    for a version that is not published)."""
    if language not in published_languages(article):
        empty = [""] * len(FULL_WEIGHTS), [""] * len(HEAD_WEIGHTS), [""] * len(CHARS_WEIGHTS)
        return (*empty, None)
    own_names, every_name = actor_names(article, language)
    middle = [article.text("summary", language), *own_names]
    title, body = article.text("title", language), article.text("body", language)
    t_precise, t_sub, t_chars = _analyse(seg, [title], PART_LIMITS["title"], prepared)
    m_precise, m_sub, m_chars = _analyse(seg, middle, PART_LIMITS["summary"], prepared)
    b_precise, b_sub, b_chars = _analyse(seg, [body], PART_LIMITS["body"], prepared)
    names, _sub, _chars = _analyse(seg, every_name, MAX["B"])
    named = [
        names_text([t[:limit] for t in texts if t])
        for texts, limit in (
            ([title], PART_LIMITS["title"]),
            (middle, PART_LIMITS["summary"]),
            ([body], PART_LIMITS["body"]),
            (every_name, MAX["B"]),
        )
    ]
    head = [t_precise, t_sub, m_precise, m_sub]
    chars = [_grams(t_chars, prepared), _grams(m_chars, prepared), _grams(b_chars, prepared)]
    full = [*head, b_precise, b_sub, names, *named]
    return full, [*head, *named[:2]], chars, "\n".join([t_chars, m_chars, b_chars])


PREFETCH += ("authorships__person", "renditions__translatorships__person")


# Every published article is in one of this many shares of the archive ("sample:<id % 64>"), a
# facet key like the others, so inside every vector's GIN index. A sample of a common term's
# matches is then the term in a share or a few: the index skips through the term's entries to
# the share's, and no bitmap of every match is built (`archive.search._listing`).
SAMPLE_SHARES = 64


def sample_key(share: int) -> str:
    """The facet key of one share of the archive (0 … SAMPLE_SHARES - 1)."""
    return f"sample:{share}"


def facet_keys(article: Article) -> list[str]:
    """The keys the search filters and counts facets by: "kind:value" for the published
    languages, the outlet, authors, translators of published versions, the actors the published
    versions are about, and the year; and the article's share of the archive for samples
    (SAMPLE_SHARES). Empty while nothing is published."""
    languages = published_languages(article)
    if not languages:
        return []
    keys = [f"lang:{code}" for code in languages]
    if article.outlet_id:
        keys.append(f"outlet:{article.outlet.slug}")
    keys += [f"author:{a.person.slug}" for a in article.authorships.all()]
    keys += [
        f"translator:{t.person.slug}"
        for r in article.renditions.all()
        if r.language in languages
        for t in r.translatorships.all()
    ]
    keys += [
        f"actor:{m.actor.slug}"
        for m in article.mentions.all()
        if m.state != Mention.State.REJECTED and m.language in languages
    ]
    if article.original_published_on:
        keys.append(f"year:{article.original_published_on.year}")
    keys.append(sample_key(article.pk % SAMPLE_SHARES))
    return sorted(set(keys))


def document_texts(
    article: Article,
    seg: Segmenter | None = None,
    prepared: PreparedTexts | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Every slot's text of every language, in the order of UPDATE_SQL's parameters; and the
    `CharacterText` of each published version."""
    seg = seg or segmenter()
    texts: list[str] = []
    characters: dict[str, str] = {}
    for code in language_codes():
        full, head, chars, runs = language_texts(article, code, seg, prepared)
        texts.extend(full + head + chars)
        if runs is not None:
            characters[code] = runs
    return texts, characters


def _vector(weights: tuple[str, ...], config: str = CONFIG) -> str:
    """The SQL of one vector from its slots' texts."""
    return " || ".join(f"setweight(to_tsvector('{config}', %s), '{w}')" for w in weights)


def _assignments() -> list[tuple[str, str]]:
    pairs = []
    for code in language_codes():
        pairs.append((search_column(code), _vector(FULL_WEIGHTS)))
        pairs.append((search_column(code, head=True), _vector(HEAD_WEIGHTS)))
        # Single characters and pairs are lexemes as they are: the `simple` configuration.
        pairs.append((search_column(code, chars=True), _vector(CHARS_WEIGHTS, CHAR_CONFIG)))
    return pairs


UPDATE_SQL = (
    f"UPDATE {Article._meta.db_table} SET "
    + ", ".join(f"{column} = {vector}" for column, vector in _assignments())
    + ", facet_keys = %s WHERE id = %s"
)
CHARACTERS_TABLE = CharacterText._meta.db_table
STALE_SQL = (
    f"SELECT id FROM {Article._meta.db_table} WHERE id = %s AND ("
    + " OR ".join(f"{column} IS DISTINCT FROM {vector}" for column, vector in _assignments())
    + " OR facet_keys IS DISTINCT FROM %s::varchar[]"
    + " OR (SELECT coalesce(jsonb_object_agg(language, characters), '{}') "
    + f"FROM {CHARACTERS_TABLE} WHERE article_id = %s) IS DISTINCT FROM %s::jsonb)"
)
# Each version's characters as text (`CharacterText`): its rows are replaced (upserted: a row
# another transaction wrote after this one's delete began is overwritten, not a conflict).
CHARACTERS_DELETE_SQL = f"DELETE FROM {CHARACTERS_TABLE} WHERE article_id = ANY(%s)"
CHARACTERS_INSERT_SQL = (
    f"INSERT INTO {CHARACTERS_TABLE} (article_id, language, characters) "
    "SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::text[]) "
    "ON CONFLICT (article_id, language) DO UPDATE SET characters = EXCLUDED.characters"
)


def search_index_update(
    article_ids: Iterable[int],
    articles: Iterable[Article] = (),
    prepared: PreparedTexts | None = None,
) -> None:
    """Rebuild the stored vectors of these articles (inside the caller's transaction).

    `articles` may pass already-loaded articles (with their renditions prefetched) to save
    reading them again; `prepared`, analyses of their texts made ahead (`prepare_texts`).
    """
    loaded = {a.pk: a for a in articles}
    ids = [pk for pk in article_ids if pk not in loaded]
    if ids:
        loaded.update(_load(ids))
    rows = []
    characters: dict[int, dict[str, str]] = {}
    seg = segmenter()
    if prepared is not None and prepared.seg is not seg:
        prepared = None  # made with another dictionary
    for pk, article in loaded.items():
        texts, characters[pk] = document_texts(article, seg, prepared)
        rows.append([*texts, facet_keys(article), pk])
    if rows:
        with _cursor() as cursor:
            cursor.executemany(UPDATE_SQL, rows)
        _write_characters(characters)


# Articles a data migration rebuilds at a time (`reindex_where`).
REINDEX_BATCH = 500


def indexed_texts(article: Article) -> Iterator[str]:
    """The normalised texts with Chinese in them that an article's search index is analysed
    from: each published version's title, summary and body, and the names of the actors it is
    about in its language. For data migrations that test which articles a change of the
    analysis touches."""
    for code in published_languages(article):
        own, _every = actor_names(article, code)
        texts = [article.text(part, code) for part in ("title", "summary", "body")] + own
        for text in filter(has_cjk, filter(None, texts)):
            yield normalize(text)


def reindex_where(
    condition: str, params: list | None = None, *, keep: Callable[[Article], bool] | None = None
) -> int:
    """Rebuild the search index of the articles matching an SQL `condition`, in which `{text}`
    stands for all their titles, summaries and bodies joined; for data migrations that rebuild
    only what a change of indexing touches. `keep`, a test in Python of each article the
    condition found (loaded as indexing loads it), narrows them down further. Returns how many
    were rebuilt."""
    columns = [
        f"{field}_{code.replace('-', '_')}"
        for code in language_codes()
        for field in ("title", "summary", "body")
    ]
    text = f"concat_ws(' ', {', '.join(columns)})"
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM archive_article)")
        if not cursor.fetchone()[0]:
            return 0
        where = condition.format(text=text)
        cursor.execute(f"SELECT id FROM archive_article WHERE {where} ORDER BY id", params or None)
        ids = [row[0] for row in cursor.fetchall()]
    rebuilt = 0
    for start in range(0, len(ids), REINDEX_BATCH):
        batch = ids[start : start + REINDEX_BATCH]
        if keep is None:
            search_index_update(batch)
            rebuilt += len(batch)
        else:
            kept = [article for article in _load(batch).values() if keep(article)]
            search_index_update([article.pk for article in kept], kept)
            rebuilt += len(kept)
    return rebuilt


def _cursor():
    """A cursor of the connection (so of its transaction) that binds parameters on the server:
    an article's ~25 texts go as they are, where a client-side binding would quote each into
    the statement for the server to parse again (and executemany prepares the UPDATE once)."""
    connection.ensure_connection()
    cursor = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


def _load(article_ids: list[int]) -> dict[int, Article]:
    return {
        a.pk: a
        for a in Article.objects.filter(pk__in=article_ids)
        .select_related("outlet")
        .prefetch_related(*PREFETCH)
    }


def _write_characters(characters: dict[int, dict[str, str]]) -> None:
    """Replace these articles' `CharacterText` rows (article → language → text)."""
    rows: tuple[list, list, list] = ([], [], [])
    for pk, texts in characters.items():
        for code, text in texts.items():
            for column, value in zip(rows, (pk, code, text), strict=True):
                column.append(value)
    with _cursor() as cursor:
        cursor.execute(CHARACTERS_DELETE_SQL, [list(characters)])
        if rows[0]:
            cursor.execute(CHARACTERS_INSERT_SQL, list(rows))


def version_characters(article: Article, language: str) -> str | None:
    """A version's `CharacterText` as `language_texts` makes it, without segmenting anything:
    the CJK runs of the normalised title, of the summary and actor names, and of the body."""
    if language not in published_languages(article):
        return None
    own_names, _every = actor_names(article, language)
    slots = (
        ([article.text("title", language)], MAX["A"]),
        ([article.text("summary", language), *own_names], MAX["B"]),
        ([article.text("body", language)], MAX["C"]),
    )
    return "\n".join(
        " ".join(r for r in (chars_stream(normalize(t[:limit])) for t in texts if t) if r)
        for texts, limit in slots
    )


def characters_update(article_ids: Iterable[int]) -> None:
    """Rebuild only these articles' `CharacterText` rows (no vector is rewritten, so no index
    entry either: what an archive indexed before migration 0016 needs, in minutes)."""
    loaded = _load(list(article_ids))
    _write_characters(
        {
            pk: {
                code: text
                for code in language_codes()
                if (text := version_characters(article, code)) is not None
            }
            for pk, article in loaded.items()
        }
    )


def stale_article_ids(article_ids: Iterable[int] | None = None, batch: int = 200, progress=None):
    """Yield ids of articles whose stored vectors differ from a fresh build."""
    queryset = Article.objects.order_by("pk").select_related("outlet").prefetch_related(*PREFETCH)
    if article_ids is not None:
        queryset = queryset.filter(pk__in=list(article_ids))
    seg = segmenter()
    with _cursor() as cursor:
        for article in queryset.iterator(chunk_size=batch):
            texts, runs = document_texts(article, seg)
            cursor.execute(
                STALE_SQL, [article.pk, *texts, facet_keys(article), article.pk, json.dumps(runs)]
            )
            if progress:
                progress(1)
            if cursor.fetchone():
                yield article.pk
