"""The actor register: names, detection of mentions, lookups.

Detection finds every alias of every actor in each language version of an article (title, summary
and body) with one Aho–Corasick automaton (pyahocorasick) over all aliases, built once per process
and rebuilt when the register changes (a fingerprint: one row that every write to actors and
aliases changes).

Rules (docs/actors.md has the editor's version):

- Latin-script aliases match at word boundaries only: the characters either side must not be Latin
  letters or digits ("Grok" is not found in "Grokking"; "Anthropic" is found in "Anthropic公司").
  Case: an all-caps alias (NPR, CNN, TIME, METR) matches in exactly that case; any other alias
  matches in any case except all lower case ("OPENAI" and "Deepseek" count, "grok", "amazon" and
  "trump" — common words — do not).
- Chinese aliases must not cut through a word: the start and end of a match must fall on word
  boundaries of a precise segmentation (rjieba, with every Chinese alias added to its dictionary).
  亚马逊 is not found in 亚马逊河 (the Amazon river), 萨克斯 not in 萨克斯风 (saxophone).
  Traditional-script text is segmented through its simplified form; traditional aliases are
  derived from simplified ones with OpenCC (s2t, s2tw, s2hk) and stored as `derived` aliases.
- Overlapping matches: the longest wins ("Elon Musk" is one mention, not "Elon Musk" + "Musk").
- An alias marked `needs_context` counts only when its article qualifies: another alias of the
  same actor (one that does not need context) occurs in any language version of the article, or
  one of the actor's `context_words` occurs in the same language version. An all-caps alias of
  three or more letters (TIME) also qualifies on its own where it stands in running text: exact
  case, not at the start of a sentence, and neither neighbouring word in capitals (so "TIME" in
  "According to TIME, …" counts; "TIME IS UP" and "Time flies" do not).

Mentions keep the editor's decisions: re-detection updates count and evidence but never changes
a mention an editor confirmed, rejected or added; a detected mention no longer found is removed.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import ahocorasick
import opencc
import rjieba
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from modeltranslation.utils import build_localized_fieldname

from archive.interchange import (
    MAX_NAME_CHARS,
    RecordError,
    _check_keys,
    _clean_text,
    _expect,
    _language,
    _localized,
    languages,
)
from archive.models import Actor, ActorAlias, Article, Mention, localized, public_q

EVIDENCE_ORDER = ("body", "summary", "title")
EVIDENCE_CHARS = 300
MAX_QUERY_CHARS = 200
MAX_DESCRIPTION_CHARS = 2000
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
SENTENCE_END = set(".!?。！？…\n")


# --- scripts -------------------------------------------------------------------------------------


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(f"{config}.json")


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def traditional_forms(text: str) -> list[str]:
    """The traditional-script spellings of a simplified Chinese name (Taiwan and Hong Kong
    standards included), without duplicates and without `text` itself."""
    forms = []
    for config in ("s2t", "s2tw", "s2hk"):
        form = _converter(config).convert(text)
        if form != text and form not in forms:
            forms.append(form)
    return forms


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def alias_script(text: str) -> str:
    if not has_cjk(text):
        return ActorAlias.Script.LATIN
    if to_simplified(text) != text:
        return ActorAlias.Script.TRADITIONAL
    return ActorAlias.Script.SIMPLIFIED


def _is_word_char(ch: str) -> bool:
    """A character that continues a Latin-script word (letters, digits; not CJK)."""
    return (ch.isalnum() or ch == "_") and not CJK.match(ch)


def _lower(text: str) -> str:
    """`text` in lower case, character for character (offsets stay valid)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


# --- the register: automaton and segmenter, cached per process ------------------------------------


@dataclass(frozen=True)
class Entry:
    alias_id: int
    actor_id: int
    text: str
    latin: bool
    needs_context: bool


@dataclass
class Register:
    fingerprint: tuple
    automaton: Any = None
    segmenter: Any = None
    context_words: dict[int, list[str]] = field(default_factory=dict)
    entries: int = 0


_lock = threading.Lock()
_cached: Register | None = None


# One row that every write to the actors, their aliases or the glossary changes: to the id of
# the writing transaction, once a transaction; and that transaction's count of its writes, a
# setting of its own (a trigger's: migration 0024).
DICTIONARY_VERSION_TABLE = "yiwen_dictionary_version"
DICTIONARY_WRITES = "yiwen.dictionary_writes"


def fingerprint_sql() -> str:
    """One statement whose single row changes whenever an actor, an alias or a glossary term is
    added, changed or removed: the version row's value, whatever the size of the register
    (counting the tables on every search, as before, was ~10 ms for 10,000 actors with 30,000
    aliases). In the transaction that wrote it, which may write again and read in between,
    with the number of its writes so far. NULL where the row is gone (deleted by hand: the
    next write puts it back)."""
    return (
        "SELECT (SELECT CASE WHEN v.changed = pg_current_xact_id_if_assigned() "
        f"THEN v.changed::text || ':' || current_setting('{DICTIONARY_WRITES}', true) "
        f"ELSE v.changed::text END FROM {DICTIONARY_VERSION_TABLE} v)"
    )


def read_fingerprint() -> tuple:
    """The row of `fingerprint_sql`: the version of the register and the glossary."""
    with connection.cursor() as cursor:
        cursor.execute(fingerprint_sql())
        return cursor.fetchone()


def register() -> Register:
    """The current register, rebuilt when actors or aliases changed since it was built."""
    global _cached
    fingerprint = read_fingerprint()
    with _lock:
        if _cached is None or _cached.fingerprint != fingerprint:
            _cached = _build(fingerprint)
        return _cached


def _build(fingerprint: tuple) -> Register:
    reg = Register(fingerprint=fingerprint)
    by_key: dict[str, list[Entry]] = defaultdict(list)
    segmenter = rjieba.Jieba()
    for alias_id, actor_id, text, script, needs_context in ActorAlias.objects.values_list(
        "id", "actor_id", "text", "script", "needs_context"
    ):
        latin = script == ActorAlias.Script.LATIN
        by_key[_lower(text)].append(Entry(alias_id, actor_id, text, latin, needs_context))
        if not latin:
            segmenter.add_word(to_simplified(text), None, None)
    if by_key:
        automaton = ahocorasick.Automaton()
        for key, entries in by_key.items():
            automaton.add_word(key, (key, tuple(entries)))
        automaton.make_automaton()
        reg.automaton = automaton
    reg.segmenter = segmenter
    reg.entries = sum(len(e) for e in by_key.values())
    for actor_id, words in Actor.objects.exclude(context_words=[]).values_list(
        "id", "context_words"
    ):
        reg.context_words[actor_id] = [w for w in words or [] if isinstance(w, str) and w]
    return reg


# --- finding aliases in a text -------------------------------------------------------------------


@dataclass
class Hit:
    start: int
    end: int
    entries: tuple[Entry, ...]


def _case_ok(alias: str, found: str) -> bool:
    if found == alias:
        return True
    if alias.isupper():  # acronyms and all-caps names: exact case only
        return False
    return not found.islower()  # "grok", "amazon": common words, not names


def _latin_boundaries_ok(text: str, start: int, end: int) -> bool:
    return not (start > 0 and _is_word_char(text[start - 1])) and not (
        end < len(text) and _is_word_char(text[end])
    )


def _word_boundaries(reg: Register, text: str) -> set[int]:
    """Offsets between words of a precise segmentation of `text` (via its simplified form)."""
    simplified = to_simplified(text)
    if len(simplified) != len(text):
        simplified = text
    bounds = {0, len(text)}
    for _word, start, end in reg.segmenter.tokenize(simplified):
        bounds.add(start)
        bounds.add(end)
    return bounds


def _find(reg: Register, text: str, *, query: bool = False) -> list[Hit]:
    """Non-overlapping alias matches in `text` (longest first), boundary and case rules applied.

    In `query` mode (a search box's text) case does not matter, except for all-caps aliases."""
    if reg.automaton is None or not text:
        return []
    lowered = _lower(text)
    candidates: list[Hit] = []
    chinese: list[Hit] = []
    for last, (key, entries) in reg.automaton.iter(lowered):
        start, end = last - len(key) + 1, last + 1
        found = text[start:end]
        if entries[0].latin:
            if not _latin_boundaries_ok(text, start, end):
                continue
            entries = tuple(
                e for e in entries if _case_ok(e.text, found) or (query and not e.text.isupper())
            )
            if entries:
                candidates.append(Hit(start, end, entries))
        else:
            chinese.append(Hit(start, end, entries))
    if chinese:
        bounds = _word_boundaries(reg, text)
        candidates += [h for h in chinese if h.start in bounds and h.end in bounds]
    candidates.sort(key=lambda h: (h.start, -(h.end - h.start)))
    hits: list[Hit] = []
    taken_until = -1
    for hit in candidates:  # leftmost, then longest; overlapping shorter matches are dropped
        if hit.start >= taken_until:
            hits.append(hit)
            taken_until = hit.end
    return hits


def _contains_word(text: str, lowered: str, word: str) -> bool:
    """`word` occurs in `text` (any case; at Latin word boundaries for a Latin word)."""
    key = _lower(word)
    start = lowered.find(key)
    while start != -1:
        end = start + len(key)
        if has_cjk(word) or _latin_boundaries_ok(text, start, end):
            return True
        start = lowered.find(key, start + 1)
    return False


def _stands_alone(text: str, start: int, end: int) -> bool:
    """An all-caps word in running text: not at a sentence start, neighbours not in capitals."""
    before = text[max(0, start - 200) : start].rstrip(" \t\"'“‘(")
    if not before or before[-1] in SENTENCE_END:
        return False
    previous = re.search(r"([^\W\d_]+)\W*$", before)
    following = re.match(r"\W*([^\W\d_]+)", text[end : end + 200])
    return not any(
        m and len(m.group(1)) > 1 and m.group(1).isupper() for m in (previous, following)
    )


# --- detection -----------------------------------------------------------------------------------


def article_texts(article: Article) -> dict[str, str]:
    """Each language version's body, summary and title as one text (paragraphs kept). The body
    comes first so that the evidence is the first passage of the body naming the actor (the
    title's when only the title names it)."""
    return {
        code: "\n\n".join(t for t in (localized(article, f, code) for f in EVIDENCE_ORDER) if t)
        for code in languages()
    }


def evidence_passage(text: str, start: int, end: int, width: int = EVIDENCE_CHARS) -> str:
    """The paragraph around text[start:end], cut to about `width` characters around it."""
    para_start = text.rfind("\n\n", 0, start)
    para_start = 0 if para_start == -1 else para_start + 2
    para_end = text.find("\n\n", end)
    para_end = len(text) if para_end == -1 else para_end
    if para_end - para_start <= width:
        return text[para_start:para_end].strip()
    room = max(width - (end - start), 0) // 2
    left, right = max(para_start, start - room), min(para_end, end + room)
    passage = text[left:right].strip()
    return ("…" if left > para_start else "") + passage + ("…" if right < para_end else "")


@dataclass
class Found:
    count: int = 0
    first: tuple[int, int] | None = None


def _by_actor(hit: Hit) -> dict[int, Entry]:
    """One entry per actor for a match (two aliases may differ only in case: "DoD", "DOD"),
    preferring one that does not need context."""
    best: dict[int, Entry] = {}
    for entry in hit.entries:
        if entry.actor_id not in best or best[entry.actor_id].needs_context:
            best[entry.actor_id] = entry
    return best


def detect_in_texts(texts: dict[str, str], reg: Register | None = None) -> dict:
    """{(actor_id, language): Found} for texts by language, every rule applied."""
    reg = reg or register()
    hits = {code: _find(reg, text) for code, text in texts.items() if text}
    every = [e for found in hits.values() for h in found for e in _by_actor(h).values()]
    named = {e.actor_id for e in every}
    plain = {e.actor_id for e in every if not e.needs_context}
    results: dict[tuple[int, str], Found] = defaultdict(Found)
    for code, found in hits.items():
        text = texts[code]
        lowered = _lower(text)
        words_present = {
            actor_id
            for actor_id in named
            if any(_contains_word(text, lowered, w) for w in reg.context_words.get(actor_id, []))
        }
        for hit in found:
            for actor_id, entry in _by_actor(hit).items():
                if entry.needs_context and not (
                    actor_id in plain
                    or actor_id in words_present
                    or (
                        entry.latin
                        and len(entry.text) >= 3
                        and entry.text.isupper()
                        and _stands_alone(text, hit.start, hit.end)
                    )
                ):
                    continue
                result = results[(actor_id, code)]
                result.count += 1
                result.first = result.first or (hit.start, hit.end)
    return results


@transaction.atomic
def mentions_detect_new(*, articles: list[Article]) -> None:
    """`mentions_detect` for articles just created in a batch (no mentions yet): one insert for
    all; each article's `mentions` is left prefetched (with actors and aliases) for indexing."""
    reg = register()
    created: dict[int, list[Mention]] = {a.pk: [] for a in articles}
    for article in articles:
        texts = article_texts(article)
        for (actor_id, code), found in detect_in_texts(texts, reg).items():
            created[article.pk].append(
                Mention(
                    article=article,
                    actor_id=actor_id,
                    language=code,
                    count=found.count,
                    evidence=evidence_passage(texts[code], *found.first),
                )
            )
    Mention.objects.bulk_create([m for ms in created.values() for m in ms])
    actor_ids = {m.actor_id for ms in created.values() for m in ms}
    by_id = Actor.objects.prefetch_related("aliases").in_bulk(actor_ids)
    for article in articles:
        for mention in created[article.pk]:
            mention.actor = by_id[mention.actor_id]
        cache = getattr(article, "_prefetched_objects_cache", {})
        cache["mentions"] = created[article.pk]
        article._prefetched_objects_cache = cache


@transaction.atomic
def mentions_detect(*, article: Article) -> list[Mention]:
    """Find the register's actors in each language version of `article` and store the mentions.

    Returns every mention of the article (rejected ones included), by language and count.
    """
    texts = article_texts(article)
    results = detect_in_texts(texts)
    existing = {(m.actor_id, m.language): m for m in article.mentions.all()}
    create, update, delete = [], [], []
    for key, found in results.items():
        actor_id, code = key
        evidence = evidence_passage(texts[code], *found.first)
        mention = existing.get(key)
        if mention is None:
            create.append(
                Mention(
                    article=article,
                    actor_id=actor_id,
                    language=code,
                    count=found.count,
                    evidence=evidence,
                )
            )
        elif (mention.count, mention.evidence) != (found.count, evidence):
            mention.count, mention.evidence = found.count, evidence
            update.append(mention)
    for key, mention in existing.items():
        if key in results:
            continue
        if mention.state == Mention.State.DETECTED:
            delete.append(mention.pk)
        elif mention.count:
            mention.count = 0  # an editor's decision stays; the text no longer names the actor
            update.append(mention)
    if delete:
        Mention.objects.filter(pk__in=delete).delete()
    if create:
        Mention.objects.bulk_create(create)
    for mention in update:
        mention.save(update_fields=["count", "evidence", "updated_at"])
    return list(
        article.mentions.select_related("actor").order_by("language", "-count", "actor__slug")
    )


def mentions_detect_all(
    articles: Iterable[Article] | None = None, progress: Callable[[int], None] | None = None
) -> int:
    """Re-detect mentions in `articles` (default: all); returns how many were processed."""
    if articles is None:
        articles = Article.objects.order_by("pk").iterator(chunk_size=200)
    n = 0
    for n, article in enumerate(articles, start=1):
        mentions_detect(article=article)
        if progress:
            progress(n)
    return n


# --- lookups (search box, cross-language search, segmenter) -------------------------------------


def clean_query(q: Any) -> str:
    """A search box's text, or "" when it is unusable (control characters, too long)."""
    if not isinstance(q, str):
        return ""
    q = " ".join(q.split())
    if not q or len(q) > MAX_QUERY_CHARS or any(ord(c) < 32 or c == "\x7f" for c in q):
        return ""
    return q


def actors_matching_text(text: str) -> list[Actor]:
    """The actors whose alias occurs in `text` (a search query), in order of first occurrence.

    Same rules as detection, but case does not matter (except for all-caps aliases), and an alias
    that needs context counts when it is the whole query ("Amodei") or the query qualifies.
    """
    text = text if isinstance(text, str) else ""
    text = text.replace("\x00", "")[: MAX_QUERY_CHARS * 5]
    reg = register()
    hits = _find(reg, text, query=True)
    plain = {a for h in hits for a, e in _by_actor(h).items() if not e.needs_context}
    whole = (len(text) - len(text.lstrip()), len(text.rstrip()))
    order: list[int] = []
    lowered = _lower(text)
    for hit in hits:
        for e in _by_actor(hit).values():
            words = reg.context_words.get(e.actor_id, [])
            qualifies = (
                not e.needs_context
                or e.actor_id in plain
                or (hit.start, hit.end) == whole
                or any(_contains_word(text, lowered, w) for w in words)
            )
            if qualifies and e.actor_id not in order:
                order.append(e.actor_id)
    actors = Actor.objects.in_bulk(order)
    return [actors[pk] for pk in order if pk in actors]


def user_dictionary_words() -> list[str]:
    """Every Chinese alias and name (both scripts), for the search segmenter's user dictionary.
    In one plain statement: read through the ORM, 10,000 actors' 20,000 Chinese aliases and
    their names took ~250 ms of each process's first search after a change to the register."""
    alias = ActorAlias._meta
    names = [
        Actor._meta.get_field(build_localized_fieldname("name", code)).column
        for code in languages()
    ]
    sql = " UNION ALL ".join(
        [
            f"SELECT {alias.get_field('text').column}, true FROM {alias.db_table} "
            f"WHERE {alias.get_field('script').column} <> %s",
            *(f"SELECT {column}, false FROM {Actor._meta.db_table}" for column in names),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ActorAlias.Script.LATIN])
        rows = cursor.fetchall()
    return sorted({text for text, aliased in rows if aliased or (text and has_cjk(text))})


def counted_mentions() -> QuerySet[Mention]:
    """Mentions that count on public pages: not rejected, in a published version (the mention's
    own: what a draft translation names is not public, even where another version is)."""
    return Mention.objects.counted().filter(
        public_q("article__renditions__"), article__renditions__language=F("language")
    )


def with_article_counts(actors: QuerySet[Actor]) -> QuerySet[Actor]:
    published = (
        public_q("mentions__article__renditions__")
        & Q(mentions__article__renditions__language=F("mentions__language"))
        & ~Q(mentions__state=Mention.State.REJECTED)
    )
    return actors.annotate(
        article_count=Count("mentions__article", filter=published, distinct=True)
    )


def actor_lookup(q: str, limit: int = 10) -> list[Actor]:
    """Actors whose name or alias (any language, either script) starts with or contains `q`.

    Exact matches first, then prefixes, then substrings; then by article count. Each actor has
    `article_count`. An unusable query gives [].
    """
    q = clean_query(q)
    if not q:
        return []
    limit = max(1, min(int(limit), 50))
    variants = {q, to_simplified(q), *traditional_forms(q)}
    condition = Q()
    for v in variants:
        condition |= Q(aliases__text__icontains=v) | Q(slug__icontains=v)
        for code in languages():
            condition |= Q(**{f"{build_localized_fieldname('name', code)}__icontains": v})
    candidates = list(
        with_article_counts(Actor.objects.filter(pk__in=Actor.objects.filter(condition)))
        .prefetch_related("aliases")
        .order_by("slug")[:200]
    )
    lowered = {_lower(v) for v in variants}

    def rank(actor: Actor) -> tuple:
        names = [a.text for a in actor.aliases.all()]
        names += [localized(actor, "name", c) for c in languages()] + [actor.slug]
        names = [_lower(n) for n in names if n]
        if any(n in lowered for n in names):
            level = 0
        elif any(n.startswith(v) for n in names for v in lowered):
            level = 1
        else:
            level = 2
        return (level, -actor.article_count, actor.slug)

    return sorted(candidates, key=rank)[:limit]


# --- reading pages: timeline, chart data, actors alongside ---------------------------------------


def _mentioning(actor: Actor) -> QuerySet[Article]:
    ids = counted_mentions().filter(actor=actor).values("article_id")
    return Article.objects.filter(pk__in=ids).annotate(
        dated=Coalesce("original_published_on", TruncDate("created_at"))
    )


def actor_articles(actor: Actor) -> QuerySet[Article]:
    """Articles with a published version that mention `actor` (not rejected), newest first.

    Dated by the original's publication date, else by when the article was archived."""
    return (
        _mentioning(actor)
        .order_by("-dated", "-created_at", "-id")
        .select_related("outlet")
        .prefetch_related("renditions")
    )


def actor_months(actor: Actor) -> list[tuple[Any, int]]:
    """[(first day of month, number of articles mentioning the actor that month)], by month."""
    rows = (
        _mentioning(actor)
        .annotate(month=TruncMonth("dated"))
        .values("month")
        .annotate(n=Count("id", distinct=True))
        .order_by("month")
    )
    return [(row["month"], row["n"]) for row in rows]


def most_mentioned_actors(limit: int = 12) -> list[Actor]:
    """The actors the most published articles mention (each with `article_count`), for the
    home page. One query."""
    return list(
        with_article_counts(Actor.objects.all())
        .filter(article_count__gt=0)
        .order_by("-article_count", "slug")[:limit]
    )


def actors_alongside(actor: Actor, limit: int = 10) -> list[Actor]:
    """The actors most often mentioned in the same articles, each with `shared` (article count)."""
    ids = counted_mentions().filter(actor=actor).values("article_id")
    return list(
        Actor.objects.exclude(pk=actor.pk)
        .filter(mentions__in=counted_mentions().filter(article_id__in=ids))
        .annotate(shared=Count("mentions__article", distinct=True))
        .order_by("-shared", "slug")[:limit]
    )


# --- the register's file format (docs/actors.md) -------------------------------------------------

ACTOR_KEYS = {"slug", "kind", "name", "description", "wikidata", "aliases", "context_words"}


@dataclass
class AliasRecord:
    language: str
    text: str
    needs_context: bool = False


@dataclass
class ActorRecord:
    slug: str
    kind: str
    names: dict[str, str]
    descriptions: dict[str, str]
    wikidata: str = ""
    aliases: list[AliasRecord] = field(default_factory=list)
    context_words: list[str] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)


def parse_actor_record(obj: Any) -> ActorRecord:
    """Validate one decoded JSON object of the register's format into an ActorRecord."""
    obj = _expect(obj, dict, "actor", "a JSON object")
    _check_keys(obj, ACTOR_KEYS, "actor", required={"slug", "kind", "name"})
    slug = _expect(obj["slug"], str, "slug", "a slug")
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) or len(slug) > 200:
        raise RecordError(f"slug: {slug[:60]!r} is not a slug (a-z, 0-9 and single hyphens)")
    kind = obj["kind"]
    if kind not in Actor.Kind.values:
        raise RecordError(f"kind: {kind!r} is not one of {', '.join(Actor.Kind.values)}")
    names = _localized(obj["name"], "name", MAX_NAME_CHARS)
    if not names:
        raise RecordError("name: give the name in at least one language")
    record = ActorRecord(
        slug=slug,
        kind=kind,
        names=names,
        descriptions=_localized(
            obj.get("description"), "description", MAX_DESCRIPTION_CHARS, multiline=True
        ),
        keys=set(obj),
    )
    wikidata = obj.get("wikidata") or ""
    if wikidata and not re.fullmatch(r"Q[1-9]\d*", _expect(wikidata, str, "wikidata", "a Q-id")):
        raise RecordError(f"wikidata: {wikidata[:40]!r} is not a Wikidata item id (Q123)")
    record.wikidata = wikidata
    aliases = _expect(obj.get("aliases") or {}, dict, "aliases", "an object of language → list")
    for code, items in aliases.items():
        _language(code, "aliases: key")
        for i, item in enumerate(_expect(items, list, f"aliases.{code}", "a list")):
            where = f"aliases.{code}[{i}]"
            if isinstance(item, str):
                item = {"text": item}
            item = _expect(item, dict, where, 'a name or {"text", "needs_context"}')
            _check_keys(item, {"text", "needs_context"}, where, required={"text"})
            text = _clean_text(item["text"], f"{where}.text", MAX_NAME_CHARS)
            if not text:
                raise RecordError(f"{where}.text: must not be empty")
            needs = _expect(item.get("needs_context", False), bool, where, "true or false")
            record.aliases.append(AliasRecord(code, text, needs))
    words = _expect(obj.get("context_words") or [], list, "context_words", "a list of words")
    record.context_words = [
        _clean_text(_expect(w, str, f"context_words[{i}]", "a word"), "context_words", 100)
        for i, w in enumerate(words)
    ]
    seen: dict[str, str] = {}
    for alias in record.aliases:
        if alias.text in seen:
            raise RecordError(f"aliases: {alias.text!r} is listed twice")
        seen[alias.text] = alias.language
    return record


def read_actor_lines(path: Path) -> Iterator[tuple[int, ActorRecord | None, str | None]]:
    """(line number, record, error) for each non-blank line of a register file."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, None, f"not UTF-8 ({exc.reason} at byte {exc.start})"
                continue
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield number, None, f"not valid JSON: {getattr(exc, 'msg', exc)}"
                continue
            try:
                yield number, parse_actor_record(obj), None
            except RecordError as exc:
                yield number, None, str(exc)


def actor_export(actor: Actor) -> dict[str, Any]:
    """The register record of one actor (derived traditional aliases are left out)."""
    aliases: dict[str, list] = {}
    for alias in actor.aliases.all():
        if alias.derived:
            continue
        item = {"text": alias.text, "needs_context": True} if alias.needs_context else alias.text
        aliases.setdefault(alias.language, []).append(item)
    record: dict[str, Any] = {
        "slug": actor.slug,
        "kind": actor.kind,
        "name": {
            c: localized(actor, "name", c) for c in languages() if localized(actor, "name", c)
        },
        "description": {c: d for c in languages() if (d := localized(actor, "description", c))},
        "wikidata": actor.wikidata_id or None,
        "aliases": {c: aliases[c] for c in languages() if c in aliases},
    }
    if actor.context_words:
        record["context_words"] = list(actor.context_words)
    return record


@transaction.atomic
def aliases_derive(*, actor: Actor) -> None:
    """Store the traditional-script forms of the actor's simplified aliases (derived=True), and
    drop derived forms no longer produced."""
    given = list(actor.aliases.filter(derived=False))
    texts = {a.text for a in given}
    wanted: dict[str, ActorAlias] = {}
    for alias in given:
        if alias.script != ActorAlias.Script.SIMPLIFIED:
            continue
        for form in traditional_forms(alias.text):
            if form not in texts and form not in wanted:
                wanted[form] = ActorAlias(
                    actor=actor,
                    language=alias.language,
                    text=form,
                    script=ActorAlias.Script.TRADITIONAL,
                    needs_context=alias.needs_context,
                    derived=True,
                )
    current = {a.text: a for a in actor.aliases.filter(derived=True)}
    stale = [a.pk for t, a in current.items() if t not in wanted]
    if stale:
        ActorAlias.objects.filter(pk__in=stale).delete()
    for text, alias in wanted.items():
        old = current.get(text)
        if old is None:
            alias.save()
        elif (old.language, old.needs_context) != (alias.language, alias.needs_context):
            old.language, old.needs_context = alias.language, alias.needs_context
            old.save()


@transaction.atomic
def actor_import(*, record: ActorRecord) -> str:
    """Create or update the actor `record.slug`; returns "created", "updated" or "unchanged".

    Its given (non-derived) aliases become exactly the record's aliases plus its names; the names
    and descriptions of languages the record does not give are kept.
    """
    actor = Actor.objects.filter(slug=record.slug).first()
    before = actor_export(actor) if actor else None
    created = actor is None
    actor = actor or Actor(slug=record.slug)
    changes: dict[str, Any] = {"kind": record.kind}
    for name, given in (("name", record.names), ("description", record.descriptions)):
        for code in languages():  # a language the record does not give keeps its text
            column = build_localized_fieldname(name, code)
            changes[column] = given.get(code, getattr(actor, column, None) or "")
    if "wikidata" in record.keys:
        changes["wikidata_id"] = record.wikidata
    if "context_words" in record.keys:
        changes["context_words"] = record.context_words
    if created or any(getattr(actor, k) != v for k, v in changes.items()):
        for k, v in changes.items():
            setattr(actor, k, v)
        actor.full_clean(validate_unique=False)
        actor.save()  # only when something changed: a save invalidates the cached register

    wanted = {a.text: a for a in record.aliases}
    for code, name in record.names.items():
        wanted.setdefault(name, AliasRecord(code, name))
    current = {a.text: a for a in actor.aliases.all()}
    for text, alias in current.items():
        if text not in wanted and not alias.derived:
            alias.delete()
    for text, given in wanted.items():
        alias = current.get(text)
        fields = {
            "language": given.language,
            "script": alias_script(text),
            "needs_context": given.needs_context,
            "derived": False,
        }
        if alias is None:
            ActorAlias.objects.create(actor=actor, text=text, **fields)
        elif any(getattr(alias, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(alias, k, v)
            alias.save()
    aliases_derive(actor=actor)
    if created:
        return "created"
    actor = Actor.objects.get(pk=actor.pk)
    return "unchanged" if actor_export(actor) == before else "updated"


def export_actor_records() -> Iterator[dict[str, Any]]:
    for actor in Actor.objects.order_by("slug").prefetch_related("aliases"):
        yield actor_export(actor)


def actors_by_kind() -> list[tuple[str, list[Actor]]]:
    """[(kind's label, actors with `article_count`)] in the order of Actor.Kind, by name."""
    actors = list(with_article_counts(Actor.objects.all()).order_by("slug"))
    groups = []
    for kind, label in Actor.Kind.choices:
        members = sorted((a for a in actors if a.kind == kind), key=lambda a: str(a).casefold())
        if members:
            groups.append((label, members))
    return groups


def actor_evidence(actor: Actor, article_ids: list[int]) -> dict[int, list[Mention]]:
    """{article id: the actor's counted mentions there (language, count, first passage)}."""
    result: dict[int, list[Mention]] = defaultdict(list)
    for mention in (
        counted_mentions()
        .filter(actor=actor, article_id__in=article_ids)
        .order_by("article_id", "language")
    ):
        result[mention.article_id].append(mention)
    return dict(result)
