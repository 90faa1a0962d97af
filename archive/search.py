"""The search read path: query → tsquery → ranking plan → page of hits with highlights and facets.

One entry point, `search(q, *, lang=…, actor=…, …)`, used by the search page and the JSON API
alike. No request objects here. Each language version has its own stored vectors
(archive/indexing.py); a query searches every language's, or only `lang`'s.

Ranking plan (ORDER BY ts_rank over every match is what makes common terms slow: each match's
vector must be read and decompressed):
- the planner's estimate of the number of matches comes first (EXPLAIN, ≈ 1 ms);
- up to RANK_ALL matches: all are ranked (title A > summary/actors B > body C), newer first on ties;
- more than that: the matches in titles, summaries and actor names (`search_head_<lang>`, small,
  inline, with their own GIN indexes) are ranked first, and then the rest follow newest first —
  a term that common says little about relevance (its IDF is near zero), so recency is the
  honest order;
- when even the head matches are too many, everything is newest first.
Counts above EXACT_COUNT are the planner's estimates, flagged as such.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.db import connection
from django.utils.html import escape
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from archive.indexing import CONFIG, published_languages, segmenter
from archive.models import (
    Actor,
    Article,
    GlossaryTerm,
    Mention,
    Outlet,
    Person,
    language_codes,
    localized,
    search_column,
)
from archive.text.normalize import has_cjk, normalize, normalize_with_offsets
from archive.text.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    Term,
    compile_query,
    compile_term,
    highlight_terms,
    parse,
)

LATIN = "0-9a-z\u00c0-\u024f"  # what counts as part of a Latin word when highlighting
RANK_ALL = 2_000
EXACT_COUNT = 5_000
FACET_ROWS = 2_000
MAX_PAGE_SIZE = 100
SNIPPET_CHARS = {"zh-hans": 110, "en": 260}
TABLE = Article._meta.db_table

MESSAGES = {
    "shortened": format_lazy(
        _("The query was shortened to its first {n} characters."), n=MAX_QUERY_CHARS
    ),
    "too_many_terms": format_lazy(_("Only the first {n} terms were searched."), n=MAX_TERMS),
    "only_excluded": _("Add a word to search for: a query cannot only exclude."),
    "nothing": _("There is nothing to search for in this query."),
    "stop_words": _("The query only has words too common to search for (like “the”)."),
}


class SearchError(ValueError):
    """A request the search cannot answer (bad filter values); the message is for the user."""


@dataclass
class Hit:
    article: Article
    score: float
    snippets: dict[str, str | None]
    actors: list = field(default_factory=list)  # Actor, most mentioned first


def _actors(article: Article, published: set[str]) -> list:
    """The actors a hit is about: counted mentions in its published versions, most first."""
    counts: dict[int, int] = {}
    by_id = {}
    for mention in article.mentions.all():
        if mention.state != Mention.State.REJECTED and mention.language in published:
            counts[mention.actor_id] = counts.get(mention.actor_id, 0) + mention.count
            by_id[mention.actor_id] = mention.actor
    return [by_id[i] for i in sorted(counts, key=lambda i: (-counts[i], by_id[i].slug))]


@dataclass
class SearchPage:
    query: str
    count: int = 0
    count_is_estimate: bool = False
    page: int = 1
    page_size: int = 20
    hits: list[Hit] = field(default_factory=list)
    facets: dict = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    plan: str = ""

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))


@dataclass
class Filters:
    lang: str | None = None
    actor: str | None = None
    outlet: str | None = None
    author: str | None = None
    translator: str | None = None
    year: int | None = None

    def sql(self) -> tuple[list[str], list]:
        """WHERE clauses on the articles' facet keys (one GIN-indexed containment test)."""
        if self.lang and self.lang not in language_codes():
            raise SearchError(_("Unknown language."))
        keys = [
            f"{kind}:{value}"
            for kind, value in (
                ("lang", self.lang),
                ("outlet", self.outlet),
                ("author", self.author),
                ("translator", self.translator),
                ("actor", self.actor),
                ("year", self.year),
            )
            if value
        ]
        if not keys:
            return [], []
        return ["a.facet_keys @> %s::varchar[]"], [keys]


ORDER_BY_DATE = "a.original_published_on DESC NULLS LAST, a.id DESC"


def search(
    q: str,
    *,
    lang: str | None = None,
    actor: str | None = None,
    outlet: str | None = None,
    author: str | None = None,
    translator: str | None = None,
    year: int | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
    with_facets: bool = True,
) -> SearchPage:
    """Search the published archive; see the module's docstring for the plan."""
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    if sort not in ("relevance", "date"):
        raise SearchError(_("sort must be 'relevance' or 'date'."))
    result = SearchPage(query=q or "", page=page, page_size=page_size)
    parsed = parse(q or "")
    result.messages.extend(str(MESSAGES[code]) for code in parsed.messages)
    filters = Filters(lang, actor, outlet, author, translator, year)
    where, params = filters.sql()
    seg = segmenter()
    expand = glossary_expansion(seg)
    tsquery = compile_query(parsed, seg, expand)
    rank_tsquery = compile_query(parsed, seg, expand, exclusions=False)
    if not tsquery:
        if q and q.strip() and not parsed.messages:
            result.messages.append(str(MESSAGES["nothing"]))
        if where and not (q or "").strip():
            return _browse(result, where, params, seg, with_facets)
        return result
    # With words, `lang` chooses which versions' text is searched (a match there implies that
    # version is published), so it is not a separate filter.
    where, params = Filters(None, actor, outlet, author, translator, year).sql()
    languages = [lang] if lang else language_codes()
    query = Query(languages, tsquery, rank_tsquery)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT to_tsquery('{CONFIG}', %s)::text, numnode(to_tsquery('{CONFIG}', %s))",
            [tsquery, tsquery],
        )
        query_text, nodes = cursor.fetchone()
        if not nodes:
            result.messages.append(str(MESSAGES["stop_words"]))
            return result
        match_sql, match_params = query.match()
        where_sql = " AND ".join([match_sql, *where])
        where_params = [*match_params, *params]
        # Up to EXACT_COUNT matches are listed once — one pass over the index and over any
        # phrase's position checks — and the rest of the plan reads them by primary key.
        cursor.execute(
            f"SELECT a.id FROM {TABLE} a WHERE {where_sql} LIMIT %s",
            [*where_params, EXACT_COUNT + 1],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= EXACT_COUNT:
            result.count = len(ids)
            where_sql, where_params = "a.id = ANY(%s)", [ids]
        else:  # more: the planner's estimate (never below what was seen)
            estimate = _estimate(cursor, where_sql, where_params)
            result.count, result.count_is_estimate = max(estimate, EXACT_COUNT + 1), True
        offset = (page - 1) * page_size
        ranked = _page_ids(cursor, result, query, where_sql, where_params, sort, offset)
        if with_facets and result.count:
            result.facets = _facets(cursor, where_sql, where_params, result.count)
    result.hits = _hits(ranked, parsed, seg, query_text)
    return result


def glossary_renderings() -> dict[str, list[str]]:
    """Each glossary term (normalised, either language) → its fixed renderings in the other."""
    found: dict[str, list[str]] = {}
    for zh, en in GlossaryTerm.objects.values_list("zh", "en"):
        found.setdefault(normalize(zh), []).append(normalize(en))
        found.setdefault(normalize(en), []).append(normalize(zh))
    return found


def glossary_expansion(seg):
    """`expansions` for compile_query: a term equal to a glossary term in one language also
    matches its fixed rendering in the other (粮食安全 finds "food security" and back)."""
    renderings = glossary_renderings()
    if not renderings:
        return None

    def expand(term: Term) -> list[str]:
        fragments = (
            compile_term(Term(text=other, phrase=True), seg)
            for other in renderings.get(" ".join(term.text.split()), [])
        )
        return [f for f in fragments if f]

    return expand


@dataclass
class Query:
    """SQL fragments of one compiled query over the searched languages' stored vectors."""

    languages: list[str]
    tsquery: str  # for matching (with exclusions)
    rank_tsquery: str  # for scoring (without: ts_rank scores a negated term as a miss)

    def _columns(self, head: bool) -> list[str]:
        return [f"a.{search_column(code, head=head)}" for code in self.languages]

    def match(self, *, head: bool = False) -> tuple[str, list[str]]:
        columns = self._columns(head)
        tsquery = self.rank_tsquery if head else self.tsquery
        sql = " OR ".join(f"{c} @@ to_tsquery('{CONFIG}', %s)" for c in columns)
        return f"({sql})", [tsquery] * len(columns)

    def rank(self, *, head: bool = False) -> tuple[str, list[str]]:
        columns = self._columns(head)
        sql = " + ".join(
            f"ts_rank(coalesce({c}, ''::tsvector), to_tsquery('{CONFIG}', %s))" for c in columns
        )
        return f"({sql})", [self.rank_tsquery] * len(columns)


PUBLISHED = "a.facet_keys <> '{}'"  # facet keys are empty while nothing is published


def _browse(result: SearchPage, where: list[str], params: list, seg, with_facets) -> SearchPage:
    """No words, only filters (e.g. ?actor=anthropic): every published match, newest first."""
    where_sql = " AND ".join([PUBLISHED, *where])
    result.plan = "browse"
    with connection.cursor() as cursor:
        estimate = _estimate(cursor, where_sql, params)
        if estimate <= EXACT_COUNT:
            cursor.execute(f"SELECT count(*) FROM {TABLE} a WHERE {where_sql}", params)
            result.count = cursor.fetchone()[0]
        else:
            result.count, result.count_is_estimate = estimate, True
        cursor.execute(
            f"SELECT a.id, 0.0 FROM {TABLE} a WHERE {where_sql} "
            f"ORDER BY {ORDER_BY_DATE} LIMIT %s OFFSET %s",
            [*params, result.page_size, (result.page - 1) * result.page_size],
        )
        rows = cursor.fetchall()
        if with_facets and result.count:
            result.facets = _facets(cursor, where_sql, params, result.count)
    result.hits = _hits(rows, parse(""), seg, "")
    return result


def _estimate(cursor, where_sql: str, params: list) -> int:
    cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {TABLE} a WHERE {where_sql}", params)
    plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _by_date(cursor, query: Query, where_sql, params, limit, offset) -> list:
    """The page's rows newest first; scores are computed for those rows only (in the ORDER BY
    query, PostgreSQL would compute them for every match before sorting)."""
    cursor.execute(
        f"SELECT a.id FROM {TABLE} a WHERE {where_sql} ORDER BY {ORDER_BY_DATE} LIMIT %s OFFSET %s",
        [*params, limit, offset],
    )
    ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    rank_sql, rank_params = query.rank()
    cursor.execute(
        f"SELECT a.id, {rank_sql} FROM {TABLE} a WHERE a.id = ANY(%s)", [*rank_params, ids]
    )
    scores = dict(cursor.fetchall())
    return [(pk, scores.get(pk, 0.0)) for pk in ids]


def _page_ids(cursor, result, query: Query, where_sql, params, sort, offset) -> list:
    """(id, score) of the page's rows, by the plan the result's size calls for."""
    limit = result.page_size
    rank_sql, rank_params = query.rank()
    if sort == "date" or result.count == 0:
        result.plan = "date"
        return _by_date(cursor, query, where_sql, params, limit, offset)
    if result.count <= RANK_ALL and not result.count_is_estimate:
        result.plan = "rank-all"
        cursor.execute(
            f"SELECT a.id, {rank_sql} AS score FROM {TABLE} a WHERE {where_sql} "
            f"ORDER BY score DESC, {ORDER_BY_DATE} LIMIT %s OFFSET %s",
            [*rank_params, *params, limit, offset],
        )
        return cursor.fetchall()
    # A common term: rank the head matches, then the others newest first.
    head_match, head_match_params = query.match(head=True)
    head_where = f"{where_sql} AND {head_match}"
    head_params = [*params, *head_match_params]
    if _estimate(cursor, head_where, head_params) > RANK_ALL:
        result.plan = "common-by-date"
        return _by_date(cursor, query, where_sql, params, limit, offset)
    result.plan = "head-then-date"
    head_rank, head_rank_params = query.rank(head=True)
    cursor.execute(f"SELECT count(*) FROM {TABLE} a WHERE {head_where}", head_params)
    head_count = cursor.fetchone()[0]
    rows: list[tuple[int, float]] = []
    if offset < head_count:
        cursor.execute(
            f"SELECT a.id, {head_rank} AS score FROM {TABLE} a WHERE {head_where} "
            f"ORDER BY score DESC, {ORDER_BY_DATE} LIMIT %s OFFSET %s",
            [*head_rank_params, *head_params, limit, offset],
        )
        rows = cursor.fetchall()
    if len(rows) < limit:
        cursor.execute(
            f"SELECT a.id, 0.0 FROM {TABLE} a WHERE {where_sql} AND NOT coalesce({head_match}, "
            f"false) ORDER BY {ORDER_BY_DATE} LIMIT %s OFFSET %s",
            [*params, *head_match_params, limit - len(rows), max(0, offset - head_count)],
        )
        rows += cursor.fetchall()
    return rows


FACET_KINDS = ("lang", "outlet", "author", "translator", "actor", "year")
FACET_LIMIT = 30  # entries per kind


def _facets(cursor, where_sql: str, params: list, count: int) -> dict:
    """Counts per language, outlet, author, translator, actor and year among the matches (among
    a sample of FACET_ROWS of them when there are more), from the matches' facet keys."""
    limited = count > FACET_ROWS
    # More matches than that: count a sample of FACET_ROWS of them (the first the index yields;
    # choosing the newest would read every match).
    matches = f"SELECT a.facet_keys FROM {TABLE} a WHERE {where_sql}" + (
        f" LIMIT {FACET_ROWS}" if limited else ""
    )
    cursor.execute(
        f"SELECT k, count(*) FROM ({matches}) m, unnest(m.facet_keys) k GROUP BY k", params
    )
    facets: dict = {kind: [] for kind in FACET_KINDS}
    for key, n in cursor.fetchall():
        kind, _, value = key.partition(":")
        if kind in facets:
            facets[kind].append({"value": value, "count": n})
    for kind in FACET_KINDS:
        facets[kind].sort(key=lambda e: (-e["count"], e["value"]))
        facets[kind] = facets[kind][:FACET_LIMIT]
    facets["year"].sort(key=lambda e: e["value"], reverse=True)
    for kind, model in (
        ("outlet", Outlet),
        ("author", Person),
        ("translator", Person),
        ("actor", Actor),
    ):
        slugs = [e["value"] for e in facets[kind]]
        names = {
            obj.slug: {
                c: localized(obj, "name", c) for c in language_codes() if localized(obj, "name", c)
            }
            for obj in model.objects.filter(slug__in=slugs)
        }
        for entry in facets[kind]:
            entry["name"] = names.get(entry["value"], {})
    if limited:
        facets["basis"] = f"a sample of {FACET_ROWS} matches"
    return facets


def _hits(rows, parsed, seg, query_text: str) -> list[Hit]:
    if not rows:
        return []
    ids = [row[0] for row in rows]
    articles = {
        a.pk: a
        for a in Article.objects.filter(pk__in=ids)
        .select_related("outlet")
        .prefetch_related("renditions", "authorships__person", "mentions__actor__aliases")
    }
    words = highlight_terms(parsed, seg)
    lexemes = re.findall(r"'((?:[^']|'')*)'", query_text)
    latin = {w for w in words if not has_cjk(w)} | {
        lx.replace("''", "'") for lx in lexemes if not has_cjk(lx)
    }
    cjk = [w for w in words if has_cjk(w)]
    hits = []
    for article_id, score in rows:
        article = articles.get(article_id)
        if article is None:
            continue
        published = set(published_languages(article))
        actors = _actors(article, published)
        more_cjk, more_latin = _named_actors(actors, cjk, latin)
        snippets = {
            code: snippet(article, code, cjk + more_cjk, latin | more_latin)
            if code in published
            else None
            for code in language_codes()
        }
        hits.append(
            Hit(article=article, score=float(score or 0.0), snippets=snippets, actors=actors)
        )
    return hits


def _named_actors(actors: list, cjk: list[str], latin: set[str]) -> tuple[list[str], set[str]]:
    """Every name and alias of the hit's actors that the query names, to highlight as well: a
    query 五角大楼 marks "Pentagon" in an English text it found through the actor."""
    more_cjk: list[str] = []
    more_latin: set[str] = set()
    for actor in actors:
        names = [localized(actor, "name", code) for code in language_codes()]
        names = [normalize(n) for n in [*names, *(a.text for a in actor.aliases.all())] if n]
        words = {w for n in names if not has_cjk(n) for w in re.findall(rf"[{LATIN}]+", n)}
        named = any(w in names or (len(w) > 1 and any(w in n for n in names)) for w in cjk) or any(
            w in names or (len(w) > 2 and w in words) for w in latin
        )
        if named:
            more_cjk.extend(n for n in names if has_cjk(n))
            more_latin.update(n for n in names if not has_cjk(n))
    return more_cjk, more_latin


def snippet(article: Article, language: str, cjk: list[str], latin: set[str]) -> str:
    """An HTML-safe passage of the language version around its first match, matches in <mark>:
    in the title, else the summary, else the paragraph of the body where the first match is.
    Each field is normalised and searched once, not paragraph by paragraph."""
    width = SNIPPET_CHARS.get(language, 200)
    fields = [article.text(f, language) for f in ("title", "summary", "body")]
    for text in fields:
        spans = find_spans(text, cjk, latin) if text else []
        if spans:  # the paragraph of the first match
            begin = text.rfind("\n\n", 0, spans[0][0])
            begin = 0 if begin < 0 else begin + 2
            end = text.find("\n\n", spans[0][1])
            end = len(text) if end < 0 else end
            inside = [(a - begin, b - begin) for a, b in spans if a >= begin and b <= end]
            return _window(text[begin:end], inside, width)
    first = next((t for t in article.paragraphs(language)), fields[0])
    return escape(first[:width] + ("…" if len(first) > width else ""))


def _window(text: str, spans: list[tuple[int, int]], width: int) -> str:
    start = max(0, spans[0][0] - width // 3)
    end = min(len(text), start + width)
    out = ["…" if start else ""]
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[cursor:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        cursor = e
    out.append(escape(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)


def find_spans(text: str, cjk: list[str], latin: set[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of `text` matching the query: Chinese words as
    substrings, Latin words as word prefixes (covers inflections: distil → distillation)."""
    if not text:
        return []
    normal, offsets = normalize_with_offsets(text)
    spans: list[tuple[int, int]] = []
    for word in cjk:
        for m in re.finditer(re.escape(word), normal):
            spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
    if latin:
        pattern = "|".join(re.escape(w) for w in sorted(latin, key=len, reverse=True))
        for m in re.finditer(rf"(?<![{LATIN}])(?:{pattern})[{LATIN}]*", normal):
            spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            continue
        merged.append((s, e))
    return merged
