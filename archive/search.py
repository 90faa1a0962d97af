"""The search read path: query → tsquery → ranking plan → page of hits with highlights and facets.

One entry point, `search(q, *, lang=…, actor=…, …)`, used by the search page and the JSON API
alike. No request objects here. Each language version has its own stored vectors
(archive/indexing.py); a query searches every language's, or only `lang`'s.

A query compiles to a `Match` (archive/text/query.py): tsqueries over the slots of each version's
index — words (`search_<lang>`), characters (`search_chars_<lang>`) and, for phrases, adjacent
word pairs (an expression index) — combined with AND, OR and NOT.

Plan (ORDER BY ts_rank over every match is what makes common terms slow: each match's vector must
be read and decompressed; so is testing row after row, which the planner likes for common terms):
- the planner's estimate of the number of matches comes first (EXPLAIN, ≈ 1 ms);
- up to HUGE estimated matches, up to EXACT_COUNT are listed per language from the GIN bitmaps
  (one statement, which counts the facets on the way: `_listing`; each vector's GIN index holds
  the facet keys too, so a filter and the words meet inside one index scan, and a version's
  words and characters share one index, so words and characters that are no word do as well);
  when that is all of them, the count is exact and up to RANK_ALL are all ranked (title A >
  summary/actors B > body C, newer first on ties), each by the best version it matched in — a
  query of characters only by where its terms stand (`Query.literal_score`), not by reading
  characters vectors; from RANK_SPLIT of them on, half on a second connection (`_rank_all`);
- where the server has the RUM extension (migration 0012) and the query has words, only
  EXACT_COUNT_WITH_RUM matches are listed (all versions at once: ranking needs no list), and
  only where a sample of LISTING_SHARES of the archive's SAMPLE_SHARES shares (a facet key,
  so inside the GIN indexes: `Sample`) finds at most SAMPLE_GATE, scaled up — beyond, that
  sample is the listing, for the facets and an estimated count; and
  beyond RANK_ALL_WITH_RUM matches, up to RUM_MAX, a page comes from the RUM indexes' order:
  each version's best matches straight from its index (the words vector through
  RUM_WORDS_FUNCTION, migration 0018), no match's vector read (`_rum_page`;
  outside a transaction those scans run on the helper connections while the listing is made,
  an English word's two halves side by side: `archive.concurrent`, `_RumScans`);
  with filters, where walking RUM's order of the words alone until a page passes the filters
  costs less than ranking every listed match, or, when they are too many to list, where the
  words alone have few matches (`_rum_plan`), else the head plan below;
- otherwise, more than RANK_ALL: the matches in titles, summaries and actor names (small
  `search_head_<lang>`, inline, with their own GIN indexes) are ranked first, and then the rest
  follow newest first — a term that common says little about relevance (its IDF is near zero),
  so recency is the honest order; when even the head matches are too many, everything is newest
  first (out of a few thousand matches, the newest years one at a time: `_by_year`);
- beyond HUGE, facets are counted on a sample of up to FACET_ROWS matches, those in as many
  shares of the archive as hold about SAMPLE_TARGET of them (of the words alone where that is
  the match: `Query.words_sample`; for a term in nearly every article, whose shares the
  planner would take from the facet keys alone and test row by row, each row's characters
  text is tested rather than its 29 kB characters vector: `_rows_tested`), and (beyond what
  RUM ranks) a page is found by
  walking the newest-first index and testing rows until it is full (a term in a twentieth of
  the archive needs ~20 rows a hit; after 50 rows a hit, the estimate was wrong: `_walk`).
Counts above what was listed are estimates, flagged as such: extrapolated from the part of the
table that the listing covered, or from the sample's shares, or beyond HUGE the planner's (of
the words alone, where the sample is).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from django.db import connection
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from archive import concurrent
from archive.catalog import (
    archive_rows,
    common_characters,
    common_lexemes,
    filters_within,
    rum_indexes,
    rum_languages,
    rum_parts,
)
from archive.indexing import (
    CONFIG,
    SAMPLE_SHARES,
    ActorCache,
    dictionary_fingerprint_sql,
    last_dictionary_fingerprint,
    sample_key,
    search_dictionary,
)
from archive.models import (
    RUM_HALVES,
    RUM_WORDS_FUNCTION,
    WORD_PAIRS_FUNCTION,
    Article,
    CharacterText,
    id_array,
    language_codes,
    search_column,
    text_array,
    word_pair_languages,
)
from archive.results import Hit, count_facets, name_facets, page_hits
from archive.text.normalize import (
    has_cjk,
    normalize,
)
from archive.text.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    QUOTED_LEXEME,
    Match,
    ParsedQuery,
    Term,
    any_of,
    compile_query,
    compile_term,
    parse,
    quote,
)
from archive.text.segment import PAIR_DISTANCE

RANK_ALL = 2_000
RANK_ALL_WITH_RUM = 50  # beyond, where a RUM index is there, a page comes from its order …
RUM_MAX = 50_000  # … up to this many (estimated) matches: RUM scores them all, ~0.3 ms a 1,000
RUM_FILTERED_MAX = 10_000  # … and with filters, up to this many matches of the words alone
RUM_MAX_SEVERAL = 3_000  # … and for several words (AND, a phrase), ~2.5 µs a match
EXACT_COUNT = 2_000
FACET_ROWS = 500  # facets beyond this many matches are counted on a sample of this many
EXACT_COUNT_WITH_RUM = FACET_ROWS  # ranking from RUM needs no list of every match
HUGE = 10_000  # estimated matches beyond which none are listed and pages walk the date index
SAMPLE_TARGET = 750  # the matches a sample's shares should hold (it reads FACET_ROWS of them)
# A sample of a term estimated in at least this share of the archive may be tested row by row
# (`_rows_tested`): the planner's plan is looked at first.
NEARLY_ALL = 0.75
# With RUM, matches are listed after a sample of this many shares (a sixteenth of the archive)
# says they are at most SAMPLE_GATE; beyond, the sample is the listing.
LISTING_SHARES = 4
SAMPLE_GATE = 2_000
MAX_PAGE_SIZE = 100
TABLE = Article._meta.db_table

MESSAGES = {
    "shortened": format_lazy(
        _("The query was shortened to its first {n} characters."), n=MAX_QUERY_CHARS
    ),
    "too_many_terms": format_lazy(_("Only the first {n} terms were searched."), n=MAX_TERMS),
    "only_excluded": _("Add a word to search for: a query cannot only exclude."),
    "nothing": _("There is nothing to search for in this query."),
    "stop_words": _("The query only has words too common to search for (like “the”)."),
    "excludes_itself": _(
        "Nothing can match: the query excludes a word it searches for (the forms of a word, and "
        "its traditional and simplified spellings, are searched as one)."
    ),
    "past_the_end": _(
        "This page is past the last result: there were fewer matches than estimated."
    ),
    "across_versions": _(
        "No language version of a piece holds all these words: these pieces hold them in their "
        "versions together."
    ),
    "by_date": _(
        "So many pieces match that they are listed newest first: add a word to rank them by "
        "relevance."
    ),
    "head_then_date": _(
        "So many pieces match that those with these words in their title, summary or actors come "
        "first, ranked; the others follow newest first."
    ),
}

# Plans that list a relevance search's matches (or most of them) newest first, and what the
# page says of it: a researcher reading "most relevant" should know when it is not so.
ORDER_MESSAGES = {
    "common-by-date": "by_date",
    "across-versions-by-date": "by_date",
    "head-then-date": "head_then_date",
}


class SearchError(ValueError):
    """A request the search cannot answer (bad filter values); the message is for the user."""


@dataclass
class SearchPage:
    query: str
    count: int = 0
    count_is_estimate: bool = False
    page: int = 1
    page_size: int = 20
    hits: list[Hit] = field(default_factory=list)
    facets: dict = field(default_factory=dict)
    # How many of the matches the facets counted, where they are a sample's (`facets["basis"]`
    # says so too); 0 where they counted every match.
    facet_sample: int = 0
    messages: list[str] = field(default_factory=list)
    plan: str = ""
    # True where the query was answered without searching (a message says why): a page then
    # has no advice of its own to add to the message's.
    unsearched: bool = False

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
    available: str | None = None  # a published version in that language (the facet "lang")

    def sql(self, *, dates: bool = True, arm: int = 0) -> tuple[list[str], list]:
        """WHERE clauses on the articles' facet keys (one GIN-indexed containment test) and,
        with `dates`, the year's as a range of dates, for a walk of the newest-first index to
        start at the year. Not for listing matches: the planner takes the range for a cheap
        way to the year's rows and tests each one's vectors, where the GIN indexes of the
        vectors with the facet keys would find the matches of the year at once. `arm`: the
        same test written differently for each arm of an OR (`arm_keys`)."""
        keys = self.keys()
        if not keys:
            return [], []
        where, params = ["a.facet_keys @> %s::varchar[]"], [text_array(arm_keys(keys, arm))]
        if dates:
            range_sql, range_params = self.date_range()
            where, params = [*where, *range_sql], [*params, *range_params]
        return where, params

    def keys(self) -> list[str]:
        """The facet keys an article must hold (`facet_keys`)."""
        for code in (self.lang, self.available):
            if code and code not in language_codes():
                raise SearchError(_("Unknown language."))
        keys = [
            f"{kind}:{value}"
            for kind, value in (
                ("lang", self.lang),
                ("lang", self.available),
                ("outlet", self.outlet),
                ("author", self.author),
                ("translator", self.translator),
                ("actor", self.actor),
                ("year", self.year),
            )
            if value
        ]
        return list(dict.fromkeys(keys))

    def date_range(self) -> tuple[list[str], list]:
        """The year's filter as a range of dates (none without a year)."""
        if not (self.year and 1 <= int(self.year) < 9999):
            return [], []
        return (
            ["a.original_published_on >= %s AND a.original_published_on < %s"],
            [dt.date(int(self.year), 1, 1), dt.date(int(self.year) + 1, 1, 1)],
        )


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
    available: str | None = None,
    _checked: tuple | None = None,
) -> SearchPage:
    """Search the published archive; see the module's docstring for the plan. `lang`: search
    only that language's versions; `available`: only pieces with that version published,
    whichever version matched (what the facet "lang" counts)."""
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    if sort not in ("relevance", "date"):
        raise SearchError(_("sort must be 'relevance' or 'date'."))
    result = SearchPage(query=q or "", page=page, page_size=page_size)
    parsed = parse(q or "")
    result.messages.extend(str(MESSAGES[code]) for code in parsed.messages)
    filters = Filters(lang, actor, outlet, author, translator, year, available)
    where, params = filters.sql()
    # The register and glossary as last seen (checked by the first statement below), or as
    # read now.
    assumed = _checked or last_dictionary_fingerprint()
    read_now = assumed is None
    seg, glossary, actors = search_dictionary(assumed)
    assumed = last_dictionary_fingerprint()
    expand = glossary_expansion(seg, glossary)
    match = compile_query(parsed, seg, expand)
    if match is None:
        # Nothing to search for, said by a message (a shortened query's message says not why).
        result.unsearched = "only_excluded" in parsed.messages
        if q and q.strip() and not parsed.messages:
            result.messages.append(str(MESSAGES["nothing"]))
            result.unsearched = True
        if where and not (q or "").strip():
            if not read_now and _checked is None:
                seg, glossary, actors = search_dictionary()
            return _browse(result, where, params, seg, actors, with_facets)
        return result
    # With words, `lang` chooses which versions' text is searched (a match there implies that
    # version is published), so it is not a separate filter.
    match_filters = Filters(None, actor, outlet, author, translator, year, available)
    where, params = match_filters.sql(dates=False)
    languages = [lang] if lang else language_codes()
    offset = (page - 1) * page_size
    with connection.cursor() as cursor:
        positive = compile_query(parsed, seg, expand, exclusions=False, spans=False)
        # A piece is one text in two languages: an excluded term in any searched version
        # excludes the piece (`Query.excluded`) — and, as a glossary term finds its fixed
        # rendering in the other language, excluding it excludes that too.
        renderings = [m for term in parsed.excluded for m in expand(term)] if expand else []
        excluded = any_of([compile_term(term, seg) for term in parsed.excluded] + renderings)
        query, current = Query.prepare(cursor, languages, match, positive, excluded)
        if current is not None and current != assumed and _checked is None:
            # An actor, alias or glossary term changed since: again, with the current ones.
            search_dictionary(current)
            return search(
                q,
                lang=lang,
                available=available,
                actor=actor,
                outlet=outlet,
                author=author,
                translator=translator,
                year=year,
                sort=sort,
                page=page,
                page_size=page_size,
                with_facets=with_facets,
                _checked=current,
            )
        if query is None:
            result.messages.append(str(MESSAGES["stop_words"]))
            result.unsearched = True
            return result
        if _excludes_itself(query):
            result.messages.append(str(MESSAGES["excludes_itself"]))
            result.unsearched = True
            return result
        query.exclude_own = bool(renderings)
        query.filters = (where, params)
        query.literals = tuple(
            dict.fromkeys(
                "".join(term.text.split())
                for group in parsed.groups
                for term in group
                if has_cjk(term.text)
            )
        )
        query.dates = filters.date_range()  # for walks of the date index
        query.exclusion_candidates = exclusion_candidates(query)
        query.sample_tests_excluded = sample_tests_excluded(query)
        match_sql, match_params = query.match()
        where_sql = " AND ".join([match_sql, *where])
        where_params = [*match_params, *params]
        # With RUM the listing is as short as the facets' sample, so it is made whatever the
        # size, and says it (exactly, or extrapolated): no planner's estimate first — unless a
        # huge result set's sample can be cheaper than the listing (`Query.words_sample`).
        sample = query.words_sample()
        if sample is not None:
            # Of the words alone: the planner estimates a common lexeme well, but adds up words
            # OR characters as if they were independent (朋友: 134,000 for 84,000 matches).
            sample = (" AND ".join([sample[0], *where]), [*sample[1], *params])
            estimate = _estimate(cursor, *sample)
        elif query.ranked_by_rum:
            estimate = 0
        else:
            estimate = _estimate(cursor, where_sql, where_params)
        # The RUM page's scans, where it is likely to be the plan, on a second connection while
        # this one lists the matches (they do not depend on it): a name's scans are 10-25 ms at
        # 200,000 articles, the listing 5-8 ms. Not with filters: whether RUM's order pays is
        # weighed after the listing, and a scan of a common word's order until a page passes a
        # selective filter can be long (`_rum_plan`). Nor for a word that ANALYZE counted in more
        # than RUM_MAX articles (`known_matches`): its page is never RUM's, and the scan would
        # score every match on the other core for nothing (en-common at 200k: p50 +2 ms with
        # the scan, and the helper busy for the next search).
        prefetched = None
        if (
            sort == "relevance"
            and query.ranked_by_rum
            and query.one_term
            and not where
            and estimate <= RUM_MAX
            and known_matches(query) <= RUM_MAX
        ):
            wanted = offset + page_size
            prefetched = _RumScans(_rum_statements(query, wanted), wanted, offset)
        # Each version's match with the filters (their OR is `listed_where`'s), for the listing.
        listed_where, per_version = query.for_listing(match_filters)
        # The same for a sample of them: its few hundred rows tested for a common excluded term
        # where the listing would list every article that holds one (`Query.sample_tests_excluded`).
        sampled_where, sampled_arms = listed_where, per_version
        if query.sample_tests_excluded:
            sampled_where, sampled_arms = query.for_listing(match_filters, listing=False)
        try:
            if estimate <= HUGE:
                # Up to EXACT_COUNT matches per language are listed, language by language (each
                # version's vectors are read only for the candidates of its own index); the rest of
                # the plan reads them by primary key.
                listed = None
                if query.ranked_by_rum:
                    # Ranking needs no list of the matches per version: all versions at once, and
                    # only as many as the facets' sample — after a sample of a sixteenth of the
                    # archive says there are not too many (no bitmap of every match of a common
                    # word: it skips through the index to the sample's shares). With filters,
                    # per version: a few hundred matches of a word in one outlet are then ranked
                    # each by its vector in the versions it matched in only (a Chinese word's
                    # matches' English vectors are not read: 5.3 → 3.0 ms for 332 at 20k).
                    # No sample where the filters alone hold fewer articles than its gate
                    # (`filters_within`): their matches' bitmap is that small.
                    limit = EXACT_COUNT_WITH_RUM
                    parts = per_version if where or query.excluded else [listed_where]
                    if not filters_within(match_filters, SAMPLE_GATE):
                        listed = Sample(
                            *sampled_where, LISTING_SHARES, gate=SAMPLE_GATE, arms=sampled_arms
                        )
                else:
                    # Every match listed, up to EXACT_COUNT per version, for ranking them all —
                    # after the same sample says there may be that few, where the planner expects
                    # more than a few hundred: it takes a single character in a sixth of 200,000
                    # articles for 2,000, and listing it was a bitmap of 34,000 matches and 2,000
                    # heap rows read to extrapolate the count (21 ms; the sample: 4 ms). So too
                    # where the planner's estimate is a guess (`Query.estimated_poorly`: 100 for 阻
                    # at 20k, in 3,373 articles; 2,001 listed, 10.5 ms; sampled first: 3.3 ms). A
                    # phrase, expected rare, is listed straight away (its sample costs its checks).
                    limit, parts = EXACT_COUNT, per_version
                    if (estimate > FACET_ROWS or query.estimated_poorly) and not filters_within(
                        match_filters, EXACT_COUNT
                    ):
                        listed = Sample(
                            *sampled_where, LISTING_SHARES, gate=EXACT_COUNT, arms=sampled_arms
                        )
                listing = _listing(
                    cursor, parts, limit + 1, with_facets, listed, query.excluded_list()
                )
                ids = list(dict.fromkeys(pk for found in listing.ids for pk in found))
                if listing.from_sample:
                    ids, estimate = listing.sampled, listing.sample_estimate()
                    query.walk = estimate > HUGE
                elif all(len(found) <= limit for found in listing.ids):
                    result.count = len(ids)
                    query.exact, query.listed = True, ids
                    where_sql, where_params = "a.id = ANY(%s::bigint[])", [id_array(ids)]
                    if len(parts) == len(languages):
                        query.matched = {
                            code: set(found)
                            for code, found in zip(languages, listing.ids, strict=True)
                        }
                else:
                    estimate = listing.extrapolate()
                    query.walk = estimate > HUGE  # the planner's estimate was too low
            else:  # far more: only a sample for the facets; pages walk the newest-first index
                query.walk = True
                ids, listing = [], None
                if with_facets:
                    part, arms = sampled_where, sampled_arms
                    if sample is not None:
                        part, arms = sample, query.words_arms(where, params)
                    shares = sample_shares(estimate)
                    sampled = Sample(*part, shares, arms=arms)
                    excluded = None
                    if sample is None and not query.sample_tests_excluded:
                        excluded = query.excluded_list()
                    if (
                        sample is None
                        and estimate >= NEARLY_ALL * archive_rows()
                        and _rows_tested(cursor, sampled, excluded)
                    ):
                        arms = query.row_arms(match_filters, listing=excluded is not None)
                        sampled = Sample(*_any_arm(arms), shares, arms=arms)
                    listing = _listing(cursor, [], 0, True, sampled, excluded)
                    ids = listing.sampled
            if not query.exact:  # an estimate (never below what was seen)
                result.count, result.count_is_estimate = max(estimate, len(ids)), True
            if listing is not None and with_facets and result.count:
                result.facets, result.facet_sample = listing.facets(result.count)
                if prefetched is not None:
                    # Named now, while the second connection may still be scanning for the
                    # page; otherwise with the page's articles, in the same round trip
                    # (`page_hits`).
                    name_facets(result.facets)
            if offset and offset >= result.count * _past(result):
                # Past the last match: no statement (page 10,000 of 100 of a character in every
                # article at 20,000 articles: the date walk gave up and every match was sorted,
                # 4.6 s for an empty page).
                ranked = []
            else:
                ranked = _page_ids(
                    cursor, result, query, where_sql, where_params, sort, offset, prefetched
                )
        finally:
            if prefetched is not None:
                prefetched.discard()
    unnamed = result.facets if prefetched is None else None
    lexemes = query.lexemes
    if result.count == 0 and len(parsed.groups) > 1 and len(languages) > 1:
        across = _across_versions(
            result, parsed, seg, expand, languages, (where, params), sort, offset
        )
        if across is not None:
            ranked, lexemes = across
            unnamed = result.facets if with_facets else None
            if not with_facets:
                result.facets = {}
    if result.count_is_estimate and len(ranked) < page_size:
        # Every plan pages through all the matches: a short page is the last one, so the count
        # is known now (5,072 estimated for 4,749: pages 238 to 254 were empty).
        if ranked:
            result.count, result.count_is_estimate = offset + len(ranked), False
        elif page > 1:
            result.messages.append(str(MESSAGES["past_the_end"]))
    if sort == "relevance" and ranked and result.plan in ORDER_MESSAGES:
        result.messages.append(str(MESSAGES[ORDER_MESSAGES[result.plan]]))
    result.hits = page_hits(ranked, parsed, seg, lexemes, actors, unnamed)
    return result


def _across_versions(
    result: SearchPage, parsed, seg, expand, languages, filters, sort: str, offset: int
) -> tuple[list, str] | None:
    """Where no language version holds every term of a query of several (`Motegi 茂木`: the
    name in the English text, the Chinese name in the Chinese one), the pieces that hold each
    term in one version or another — a piece is one text in two languages. An excluded term is
    excluded from every version (as in `search`). Only for an empty result: where some version
    holds every term, those pieces are the answer.

    Up to FACET_ROWS matches are listed and ranked by the words' ts_rank summed over the
    versions (RUM's distance is infinite where a version lacks a word), newer first on ties;
    more (the count extrapolated, the facets of those listed) are newest first, as with
    `sort=date`. None where there is nothing more to find; else the page's (id, score) rows
    and the words' lexemes (for the snippets)."""
    clauses, positives = [], []
    for group in parsed.groups:
        one = ParsedQuery(groups=[group])
        clause = compile_query(one, seg, expand)
        positive = compile_query(one, seg, expand, exclusions=False, spans=False)
        if clause is not None and positive is not None:
            clauses.append(clause)
            positives.append(positive)
    for term in parsed.excluded:  # with a glossary term's renderings, as in `search`
        fragment = any_of([compile_term(term, seg), *(expand(term) if expand else [])])
        if fragment is not None:
            clauses.append(Match("not", children=(fragment,)))
    if len(positives) < 2:
        return None
    full, positive = Match("and", children=tuple(clauses)), Match("or", children=tuple(positives))
    with connection.cursor() as cursor:
        query, _fingerprint = Query.prepare(cursor, languages, full, positive)
        if query is None or query.full.op != "and":
            return None  # a single term left (the others only stop words): searched already
        conditions, condition_params = [], []
        for child in query.full.children:
            if child.op == "not":
                # An excluded term in no version: the articles that hold it, from the indexes,
                # left out (a hashed list), rather than each candidate's vectors read to test it
                # (family 一 -中国 at 20k: 380 ms).
                rendered = [_render(child.children[0], code) for code in languages]
                sql = " OR ".join(sql for sql, _ in rendered)
                conditions.append(f"a.id NOT IN (SELECT a.id FROM {TABLE} a WHERE {sql})")
            else:  # a term in any version
                rendered = [_render(child, code) for code in languages]
                conditions.append("(" + " OR ".join(sql for sql, _ in rendered) + ")")
            condition_params += [p for _, child_params in rendered for p in child_params]
        where, params = filters
        where_sql = " AND ".join([*conditions, *where])
        where_params = [*condition_params, *params]
        listing = _listing(cursor, [(where_sql, where_params)], FACET_ROWS + 1, True)
        ids = listing.ids[0]
        if not ids:
            return None
        ranked = len(ids) <= FACET_ROWS and sort == "relevance"
        if len(ids) > FACET_ROWS:
            result.count, result.count_is_estimate = listing.extrapolate(), True
        else:
            result.count = len(ids)
        result.facets, result.facet_sample = listing.facets(result.count)
        result.plan = "across-versions" if ranked else "across-versions-by-date"
        result.messages.append(str(MESSAGES["across_versions"]))
        words = query.positive.tsquery("words") if query.positive else ""
        if ranked and words:
            scores = " + ".join(
                f"coalesce(ts_rank(a.{search_column(code)}, to_tsquery('{CONFIG}', %s)), 0)"
                for code in languages
            )
            statement, statement_params = (
                f"SELECT a.id, {scores} AS score FROM {TABLE} a WHERE a.id = ANY(%s::bigint[]) "
                f"ORDER BY score DESC, {ORDER_BY_DATE}",
                [*[words] * len(languages), id_array(ids)],
            )
        elif len(ids) <= FACET_ROWS:  # all listed: newest first
            statement, statement_params = (
                f"SELECT a.id, 0.0 FROM {TABLE} a WHERE a.id = ANY(%s::bigint[]) "
                f"ORDER BY {ORDER_BY_DATE}",
                [id_array(ids)],
            )
        else:
            # Many: newest first from the date index, each row tested until the page is full (a
            # common word beside a common character at 20k: 3 ms, where ranking 2,000 listed
            # matches by both versions' vectors took 66 ms and listing them 129).
            statement, statement_params = (
                f"SELECT a.id, 0.0 FROM {TABLE} a WHERE {where_sql} ORDER BY {ORDER_BY_DATE}",
                where_params,
            )
        rows = _fetch(
            cursor,
            f"{statement} LIMIT %s OFFSET %s",
            [*statement_params, result.page_size, offset],
            ACROSS_PAGE,
        )
        return rows, query.lexemes


@lru_cache(maxsize=1)
def glossary_renderings(pairs: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    """Each glossary term (normalised, either language) → its fixed renderings in the other."""
    found: dict[str, list[str]] = {}
    for zh, en in pairs:
        found.setdefault(normalize(zh), []).append(normalize(en))
        found.setdefault(normalize(en), []).append(normalize(zh))
    return found


def glossary_expansion(seg, pairs):
    """`expansions` for compile_query: a term equal to a glossary term in one language also
    matches its fixed rendering in the other (粮食安全 finds "food security" and back)."""
    if not pairs:
        return None
    renderings = glossary_renderings(pairs)

    def expand(term: Term) -> list[Match]:
        fragments = (
            compile_term(Term(text=other, phrase=True), seg)
            for other in renderings.get(" ".join(term.text.split()), [])
        )
        return [f for f in fragments if f is not None]

    return expand


@dataclass
class Query:
    """SQL of one compiled query (`archive.text.query.Match`) over the searched languages'
    stored vectors: the words slot is `search_<lang>`, the characters slot `search_chars_<lang>`.
    """

    languages: list[str]
    full: Match  # for matching (with exclusions)
    positive: Match | None  # for scoring (without: ts_rank scores a negated term as a miss)
    # The excluded terms (any of them): a version matches only where no searched version of
    # its piece holds one (`full` excludes them in its own; `_elsewhere` in the others).
    excluded: Match | None = None
    # Whether the match (with `excluded`) is rendered for the listing's statement, where they are
    # a hashed list of the articles that hold one in any searched version, from the indexes (its
    # CTE, `excluded_list`), rather than tested on the rows.
    listing: bool = False
    # Whether `excluded` holds more than `full` excludes in a version's own text (a glossary
    # term's renderings): tested there too.
    exclude_own: bool = False
    lexemes: str = ""  # the words slot's tsquery as PostgreSQL reads it (for highlighting)
    # language → ids of the matches in that version, when every match was listed
    matched: dict[str, set[int]] | None = None
    walk: bool = False  # so many matches that a page is found by walking the date index
    matches: int = 0  # how many (counted or estimated), for the walk's budget (`_walk`)
    filters: tuple[list[str], list] = ([], [])  # the WHERE clauses of the filters
    dates: tuple[list[str], list] = ([], [])  # the year's filter as a range of dates
    rum: frozenset[str] = frozenset()  # the languages whose words vector has a RUM index
    exact: bool = False  # whether the count is exact (every match was listed)
    listed: list[int] = field(default_factory=list)  # then, the matches' ids
    # The query's Chinese terms as they stand in a text (a query of characters only is ranked
    # by where they stand: `literal_score`)
    literals: tuple[str, ...] = ()
    # Each leaf's tsquery text (of `full` and `excluded`) as PostgreSQL reads it
    parsed: dict[str, str] = field(default_factory=dict)
    # Up to how many of the query's own candidates the listing tests for its excluded terms row
    # by row, rather than listing every article that holds one (`exclusion_candidates`); 0: the
    # whole list.
    exclusion_candidates: int = 0
    # Whether a sample of the matches (`Sample`: the facets', or the one before a listing) tests
    # its rows for the excluded terms rather than read the listing's list of every article that
    # holds one: where they are common (`exclusion_row_budget`) and the query's own candidates
    # are not few (else the list is of those only, `exclusion_candidates`). A sample reads a
    # few hundred to a few thousand rows whatever the archive's size; the list of 美国 is 15,664
    # articles at 20,000 (12 ms) and ten times that at 200,000. Where the sample's gate opens
    # (few matches), the listing's parts read the list as before.
    sample_tests_excluded: bool = False

    @property
    def ranked_by_rum(self) -> bool:
        """Whether every searched version has a RUM index and the query has words to rank."""
        return bool(
            self.rum.issuperset(self.languages)
            and self.positive is not None
            and self.positive.tsquery("words")
        )

    @property
    def one_term(self) -> bool:
        """Whether the words are one term or alternatives (no AND, no phrase): RUM's ordered scan
        then costs ~0.3 µs a match; with AND or a phrase it scores every article holding all the
        terms (a phrase of common words: tens of thousands), which ranking a short list of
        matches beats."""
        return "&" not in self.lexemes and "<" not in self.lexemes

    @property
    def phrase(self) -> bool:
        """Whether the words hold a phrase (RUM then scores every article holding all of its
        words, not only its matches)."""
        return "<" in self.lexemes

    @property
    def beyond_words(self) -> bool:
        """Whether some matches may lack the words that the score reads: found by their
        characters only (芯片 inside 芯片组), or by words around a user word that takes some of
        a word's characters (the phrases of `archive.text.query._word_in_text`, which only the
        match has)."""
        return any(leaf.op != "words" for leaf in _leaves(self.positive)) or any(
            leaf.op == "words" and "<->" in leaf.text for leaf in _leaves(self.full)
        )

    @property
    def implied_by_words(self) -> bool:
        """Whether matching the words (`positive`'s words tsquery) is matching the query (no
        exclusion, no characters that must match besides: 优秀 as a word or as characters is)."""
        return _implied_by_words(self.full)

    def version_score(self, code: str) -> tuple[str, list]:
        """With RUM: the score of the words in one version, 0 where that version does not match
        (RUM's distance is infinite where the words do not match; the rest of the match, when
        there is more, is tested)."""
        words = self.positive.tsquery("words")
        score = self.score(f"a.{search_column(code)}")
        if self.implied_by_words:
            return score, [words]
        sql, params = self.match(code, pairs=False)
        return f"CASE WHEN {sql} THEN {score} ELSE 0 END", [*params, words]

    @classmethod
    def prepare(
        cls, cursor, languages, full: Match, positive: Match | None, excluded: Match | None = None
    ) -> tuple[Query | None, tuple | None]:
        """The query with every leaf that PostgreSQL reduces to nothing (only stop words)
        left out, None when nothing is left to search for; and, read in the same statement,
        the fingerprint of the register and glossary (`indexing.dictionary_fingerprint`)."""
        leaves = sorted({leaf.text for leaf in (*_leaves(full), *_leaves(excluded))})
        words = positive.tsquery("words") if positive else ""
        cursor.execute(
            f"SELECT x, numnode(to_tsquery('{CONFIG}', x)), to_tsquery('{CONFIG}', x)::text, "
            f"querytree(to_tsquery('{CONFIG}', x)) = 'T', d.* "
            f"FROM unnest(%s::text[]) x, ({dictionary_fingerprint_sql()}) d",
            [text_array([*leaves, *([words] if words else [])])],
        )
        rows = cursor.fetchall()
        fingerprint = tuple(rows[0][4:]) if rows else None
        found = {text: (nodes, lexemes) for text, nodes, lexemes, _t, *_d in rows}
        empty = {text for text, (nodes, _lexemes) in found.items() if not nodes}
        full, positive = _prune(full, empty), _prune(positive, empty)
        if full is None or positive is None:
            return None, fingerprint
        parsed = {text: lexemes for text, (_nodes, lexemes) in found.items()}
        full = _with_word_pairs(_with_positions(full, parsed), parsed)
        # A tsquery with no term it must have: an index answers it only by reading all of itself,
        # and a RUM index's scan for one (1.3.13) crashes the server process — every connection
        # is cut (found by fuzzing: -ab OR …, where !'ab' stood alone).
        full = _not_indexed(full, {row[0] for row in rows if row[3]})
        query = cls(
            languages,
            full,
            positive,
            excluded=_prune(excluded, empty),
            lexemes=found[words][1] if words else "",
            rum=rum_languages(),
            parsed=parsed,
        )
        return query, fingerprint

    def match(
        self,
        language: str | None = None,
        *,
        pairs: bool = True,
        rows: bool = False,
        words: str = "",
    ) -> tuple[str, list[str]]:
        """The WHERE clause of a match in one language version, or in any searched one; without
        the word pairs pre-filter (`pairs=False`) where a RUM index checks phrases itself; for
        testing rows one by one rather than for an index (`rows`: `_render_characters`); with
        the words vector as `words` writes it (the RUM index's expression) rather than its
        column, in one version."""
        if language is not None:
            sql, params = _render(
                self.full, language, pairs=pairs, rows=rows, words=words, listing=self.listing
            )
            return self._elsewhere(language, sql, params)
        parts = [
            self._elsewhere(
                code, *_render(self.full, code, pairs=pairs, rows=rows, listing=self.listing)
            )
            for code in self.languages
        ]
        return (
            "(" + " OR ".join(sql for sql, _ in parts) + ")",
            [p for _, params in parts for p in params],
        )

    def _elsewhere(self, language: str, sql: str, params: list) -> tuple[str, list]:
        """One version's match, and none of the excluded terms in the piece's other searched
        versions (its own excludes them already), tested on the row; for the listing, none in
        any version, from its hashed list (`excluded_list`)."""
        if self.excluded is None:
            return sql, params
        if self.listing:
            return f"(a.id NOT IN (SELECT id FROM {EXCLUDED_CTE}) AND {sql})", params
        others = [
            _render(_cheap_first(self.excluded), code, pairs=False, rows=True)
            for code in self.languages
            if code != language or self.exclude_own
        ]
        if not others:
            return sql, params
        test = " OR ".join(other for other, _ in others)
        other_params = [p for _, found in others for p in found]
        return f"({sql} AND NOT coalesce(({test}), false))", [*params, *other_params]

    def excluded_list(self) -> tuple[str, list] | None:
        """The listing statement's CTE of the articles that hold an excluded term in a searched
        version, from the GIN indexes (named EXCLUDED_CTE; `_listing`). With
        `exclusion_candidates`, of the query's own candidates only (its match in any version
        with the filters, without the exclusions: what the listing's parts can list), tested
        row by row where they are no more than that; else, as without, all of them."""
        if self.excluded is None:
            return None
        found = [_render(self.excluded, code, pairs=False) for code in self.languages]
        listed = "(" + " OR ".join(sql for sql, _ in found) + ")"
        listed_params = [p for _, params in found for p in params]
        if not self.exclusion_candidates:
            return f"SELECT a.id FROM {TABLE} a WHERE {listed}", listed_params
        own = [_render(self.full, code, listing=True) for code in self.languages]
        where, where_params = self.filters
        excluded = _cheap_first(self.excluded)
        tested = [_render(excluded, code, pairs=False, rows=True) for code in self.languages]
        limit = self.exclusion_candidates
        few = "(SELECT count(*) FROM c) <= %s"
        return (
            f"WITH c AS MATERIALIZED (SELECT a.id FROM {TABLE} a WHERE "
            + " AND ".join(["(" + " OR ".join(sql for sql, _ in own) + ")", *where])
            + f" LIMIT %s) SELECT a.id FROM {TABLE} a WHERE {listed} AND NOT {few} "
            f"UNION ALL SELECT a.id FROM {TABLE} a WHERE a.id = ANY(ARRAY(SELECT id FROM c)) "
            f"AND {few} AND (" + " OR ".join(sql for sql, _ in tested) + ")",
            [
                *(p for _, params in own for p in params),
                *where_params,
                limit + 1,
                *listed_params,
                limit,
                limit,
                *(p for _, params in tested for p in params),
            ],
        )

    def for_listing(
        self, filters: Filters, *, listing: bool = True
    ) -> tuple[tuple[str, list], list[tuple[str, list]]]:
        """The match with the filters, and each version's (`match_filtered`), as the listing's
        statement tests them: an excluded term against a hashed list of the articles that hold
        it in any searched version (`excluded_list`; `_listing`'s work_mem holds 200k ids),
        rather than by reading each candidate's vectors (market -中国 at 20k, 4,749 candidates:
        28 ms against 101 for its Chinese vectors; 市场 -中国, whose own version's test read them
        too: 32–35 ms against 97–106; such a query is listed version by version, `search`).
        Not `listing`: tested on the rows, for a sample (`Query.sample_tests_excluded`)."""
        self.listing = listing and self.excluded is not None  # (without, the match is the same)
        try:
            sql, params = self.match()
            where, where_params = filters.sql(dates=False)
            whole = (" AND ".join([sql, *where]), [*params, *where_params])
            arms = [
                self.match_filtered(code, lambda arm: filters.sql(dates=False, arm=arm))
                for code in self.languages
            ]
        finally:
            self.listing = False
        return whole, arms

    def match_filtered(
        self, language: str, filters: Callable[[int], tuple[list[str], list]]
    ) -> tuple[str, list]:
        """One version's match with the filters (`filters(arm)`: `Filters.sql`'s clauses, for
        the `arm`-th arm of an OR). Where the match is an OR (a Chinese word as a word or inside
        a longer one: 如果 in 如果说), each arm gets the filters of its own. As a factor of the
        whole OR, they led the planner to list the filtered articles from the facet keys alone
        and test each one's vectors (如果 in one outlet at 20k: 225 rows, 2,058 buffers, 5.2 ms;
        each arm's index scanned with the keys: 161 buffers, 0.7 ms)."""
        where, params = filters(0)
        if not where or self.full.op != "or":
            sql, match_params = self.match(language)
            return " AND ".join([sql, *where]), [*match_params, *params]
        arms, arm_params = [], []
        for i, child in enumerate(self.full.children):
            sql, child_params = self._elsewhere(
                language, *_render(child, language, listing=self.listing)
            )
            where, params = filters(i)
            arms.append("(" + " AND ".join([sql, *where]) + ")")
            arm_params += [*child_params, *params]
        return "(" + " OR ".join(arms) + ")", arm_params

    def for_rows(self, where_sql: str, params: list) -> tuple[str, list]:
        """A WHERE clause that begins with the match (`match()`, as `search` makes them) with
        the match for testing rows one by one instead; any other as it is."""
        sql, match_params = self.match()
        row_sql, row_params = self.match(rows=True)
        n = len(match_params)
        if row_sql == sql or not where_sql.startswith(sql) or params[:n] != match_params:
            return where_sql, params
        return row_sql + where_sql[len(sql) :], [*row_params, *params[n:]]

    def words_sample(self) -> tuple[str, list] | None:
        """For a sample of a huge result set (the facets'): the match of the words alone, where
        that is matching the query and the query also reads other indexes — a common word's
        characters (中国 as a pair of characters) match nearly the same articles again, and each
        GIN bitmap of them costs as much as the sample's rows (~9 ms for 190,000 matches at
        200k articles). None where the whole match is the sample."""
        words = self.positive.tsquery("words") if self.positive else ""
        if not (words and self.implied_by_words and _ALTERNATIVES.fullmatch(self.lexemes)):
            # Only one word, or its alternatives (the names that hold it: `archive.text.query.
            # _word_in_text`): the planner's estimate of several (a phrase, AND) is a guess, and
            # beyond HUGE a page is found by walking the date index, which a phrase with a
            # handful of matches would walk to its end.
            return None
        if all(leaf.op == "words" for leaf in _leaves(self.full)):
            return None
        return self._words_in(words)

    def row_arms(self, filters: Filters, *, listing: bool = True) -> list[tuple[str, list]]:
        """Each version's match with the filters, its characters tested in the version's
        `CharacterText` (`match(rows=True)`), for a sample whose rows are tested one by one
        (`_rows_tested`); excluded terms against the listing's list of them, as the listing's
        arms (`for_listing`), or (not `listing`) on the rows too."""
        self.listing = listing and self.excluded is not None
        try:
            arms = []
            for i, code in enumerate(self.languages):
                sql, params = self.match(code, rows=True)
                where, where_params = filters.sql(dates=False, arm=i)
                arms.append((" AND ".join([sql, *where]), [*params, *where_params]))
        finally:
            self.listing = False
        return arms

    def words_arms(self, where: list[str], params: list) -> list[tuple[str, list]]:
        """`words_sample`'s match (with the filters) as its OR's arms, one a version (`Sample`)."""
        words = self.positive.tsquery("words")
        return [
            (
                " AND ".join([f"a.{search_column(code)} @@ to_tsquery('{CONFIG}', %s)", *where]),
                [words, *params],
            )
            for code in self.languages
        ]

    @property
    def estimated_poorly(self) -> bool:
        """Whether the planner's estimate of the matches is a guess: the query reads the
        characters vectors, whose statistics hold ~1,000 of their ~100,000 characters and pairs
        (ANALYZE's most common elements) and give any other 0.5 % of the archive. Not for
        phrases of characters (a sample of them costs their checks)."""
        chars = [leaf for leaf in _leaves(self.full) if leaf.op == "chars"]
        return bool(chars) and not self.phrase and not any("<" in c.text for c in chars)

    def head_match(self) -> tuple[str, list[str]] | None:
        """Matches of the words in titles, summaries and actor names (`search_head_<lang>`)."""
        words = self.positive.tsquery("words") if self.positive else ""
        if not words:
            return None
        return self._words_in(words, head=True)

    def _words_in(self, words: str, *, head: bool = False) -> tuple[str, list[str]]:
        """The words tsquery matched in any searched version's words (or head) vector."""
        columns = [f"a.{search_column(code, head=head)}" for code in self.languages]
        sql = " OR ".join(f"{c} @@ to_tsquery('{CONFIG}', %s)" for c in columns)
        return f"({sql})", [words] * len(columns)

    def score(self, vector: str) -> str:
        """SQL of one vector's score for a tsquery (its one parameter): ts_rank, or where the
        RUM extension is there, RUM's own rank (1 / the `<=>` distance its index orders by) —
        the same for one term; for several, RUM weighs how close together they are."""
        if self.rum:
            return rum_score(f"({vector} <=> to_tsquery('{CONFIG}', %s))")
        return f"ts_rank({vector}, to_tsquery('{CONFIG}', %s))"

    def literal_score(self, code: str) -> tuple[str, list]:
        """A query of characters only, in one version: 1 for each term in the title, 0.4 in the
        summary, 0.1 elsewhere (the body, the actors' names), averaged over the terms. Its
        ts_rank would read and decompress the characters vector of every match (~30 kB, every
        character and pair of the text: ~40 µs a match, 35 ms for 800); title and summary are
        in the row. Terms as stored, not normalised: a title in traditional script ranks as
        the body (the match itself is found on the normalised characters)."""
        title = f"a.{build_localized_fieldname('title', code)}"
        summary = f"a.{build_localized_fieldname('summary', code)}"
        parts, params = [], []
        for literal in self.literals:
            parts.append(
                f"CASE WHEN strpos({title}, %s) > 0 THEN 1.0 "
                f"WHEN strpos({summary}, %s) > 0 THEN 0.4 ELSE 0.1 END"
            )
            params += [literal, literal]
        score = f"(({' + '.join(parts)}) / {len(parts)})" if parts else "0.1"
        # Only a published version's text (an unpublished one has an empty index).
        return (
            f"(CASE WHEN a.facet_keys @> %s::varchar[] THEN {score} ELSE 0 END)::real",
            [text_array([f"lang:{code}"]), *params],
        )

    def rank(self, *, head: bool = False) -> tuple[str, list]:
        """The score: ts_rank of the words (for a query of characters only, where they stand:
        `literal_score`) in the searched version that matches best — read only for rows matched in
        that version, when that is known. The best, not the sum: a piece is as relevant as its
        best version (its translation says the same again), and a RUM index can then give the
        top of each version separately (`_rum_page`)."""
        words = self.positive.tsquery("words") if self.positive else ""
        chars = self.positive.tsquery("chars") if self.positive else ""
        if not words and (head or not chars):
            return "0.0", []
        terms, params = [], []
        for code in self.languages:
            if self.ranked_by_rum and not head:
                sql, version_params = self.version_score(code)
                found = None if self.matched is None else self.matched.get(code, set())
                if found is not None and not found:
                    continue
                if found is not None:
                    sql = f"CASE WHEN a.id = ANY(%s::bigint[]) THEN {sql} ELSE 0 END"
                    params.append(id_array(sorted(found)))
                terms.append(sql)
                params += version_params
                continue
            if words:
                sql, score_params = self.score(f"a.{search_column(code, head=head)}"), [words]
            else:  # characters only
                sql, score_params = self.literal_score(code)
            found = None if self.matched is None else self.matched.get(code, set())
            if found is not None and not found:
                continue
            if found is not None and not head:
                sql = f"CASE WHEN a.id = ANY(%s::bigint[]) THEN {sql} ELSE 0 END"
                params.append(id_array(sorted(found)))
            terms.append(f"coalesce({sql}, 0)")
            params += score_params
        if not terms:
            return "0.0", params
        return (f"greatest({', '.join(terms)})" if len(terms) > 1 else terms[0]), params


def rum_score(distance: str) -> str:
    """SQL of the score of a RUM distance (an expression of `<=>`): the one spelling of it, for
    `Query.score` and for the RUM page's scans, which return it with each row
    (`_scanned_scores` takes it for the score `Query.rank` would read)."""
    return f"(1 / {distance})::real"


# A tsquery's text (as PostgreSQL writes it) that is one lexeme or alternatives of lexemes.
_ALTERNATIVES = re.compile(f"{QUOTED_LEXEME.pattern}(?: \\| {QUOTED_LEXEME.pattern})*")


def _implied_by_words(match: Match) -> bool:
    """Whether a text matching the words of the query (its `words` tsquery) matches the query:
    no characters-only part, no exclusion."""
    if match.op == "words":
        # Not with an exclusion merged into the tsquery ('port' & !'expansion'): the words
        # tsquery of the scans and the ranking (`Query.positive`) is without it.
        return not match.negates
    if match.op == "pairs":
        return True
    if match.op in ("chars", "not"):
        return False
    children = [c for c in match.children if c.tsquery("words") or c.op == "pairs"]
    if match.op == "and":
        return len(children) == len(match.children) and all(map(_implied_by_words, children))
    return all(map(_implied_by_words, children))


def _excludes(match: Match) -> bool:
    """Whether the match has a NOT (a node, or a negation in a leaf's tsquery)."""
    return match.negates or match.op == "not" or any(_excludes(c) for c in match.children)


# A tsquery of lexemes that must all be there, and nothing else (of alternatives: _ALTERNATIVES)
_ALL_OF = re.compile(f"{QUOTED_LEXEME.pattern}(?: & {QUOTED_LEXEME.pattern})*")


def _excludes_itself(query: Query) -> bool:
    """Whether every match would hold an excluded term, as PostgreSQL reads the terms: one that
    the query must find is also one of the excluded alternatives (公司 -公司; tax -taxes, both
    'tax'; 中国 -中國, both 中国). Nothing can match — and the listing would read every article
    that holds it to say so (公司 -公司 at 20k: 140 ms for no result)."""
    if query.excluded is None or query.positive is None:
        return False

    def key(match: Match) -> tuple:
        if match.is_leaf:
            return (match.op, query.parsed.get(match.text, match.text))
        return (match.op, tuple(key(child) for child in match.children))

    def terms(match: Match, joiner: str, lexemes: re.Pattern) -> set[tuple]:
        """The match's own key and, through `joiner` nodes (and the lexemes of a leaf's tsquery
        that `lexemes` matches whole), its parts' keys."""
        found = {key(match)}
        if match.is_leaf:
            read = query.parsed.get(match.text, match.text)
            if lexemes.fullmatch(read):
                found |= {(match.op, f"'{lexeme}'") for lexeme in QUOTED_LEXEME.findall(read)}
        elif match.op == joiner:
            for child in match.children:
                found |= terms(child, joiner, lexemes)
        return found

    required = terms(query.positive, "and", _ALL_OF)
    return not required.isdisjoint(terms(query.excluded, "or", _ALTERNATIVES))


def _leaves(match: Match | None):
    if match is None:
        return
    if match.is_leaf:
        yield match
    for child in match.children:
        yield from _leaves(child)


def _with_positions(match: Match, parsed: dict[str, str]) -> Match:
    """The match with its words leaves whose tsquery (as PostgreSQL reads it) has a phrase
    marked `positions`."""
    if match.is_leaf:
        read_as = parsed.get(match.text, "")
        phrase = match.op == "words" and "<" in read_as
        return replace(match, positions=True, read_as=read_as) if phrase else match
    return replace(match, children=tuple(_with_positions(c, parsed) for c in match.children))


def _not_indexed(match: Match, texts: set[str]) -> Match:
    """The match with its leaves of these tsquery texts marked not `indexable`."""
    if match.is_leaf:
        return replace(match, indexable=False) if match.text in texts else match
    return replace(match, children=tuple(_not_indexed(c, texts) for c in match.children))


def _prune(match: Match | None, empty: set[str]) -> Match | None:
    """The match without the leaves whose tsquery is empty (stop words only)."""
    if match is None:
        return None
    if match.is_leaf:
        return None if match.text in empty else match
    children = [c for c in (_prune(child, empty) for child in match.children) if c is not None]
    if not children:
        return None
    if match.op == "not":
        return Match("not", children=tuple(children))
    return children[0] if len(children) == 1 else Match(match.op, children=tuple(children))


_LEXEME = r"'((?:[^'\\]|'')*)'"
# Two lexemes in a row of a phrase: adjacent (<->) or with stop words between (<2>, <3>), as the
# pairs index has them (migration 0011).
_CONSECUTIVE = re.compile(_LEXEME + r" <(-|[23])> (?=" + _LEXEME + ")")
_ONE_PAIR = re.compile(_LEXEME + r" <(?:-|[23])> " + _LEXEME)
# A phrase and nothing else: every one of its lexemes is in one of its pairs.
_CHAIN = re.compile(_LEXEME + r"(?: <(?:-|[23])> " + _LEXEME + ")+")


def _with_word_pairs(match: Match, parsed: dict[str, str]) -> Match:
    """Each words leaf with a phrase gets its adjacent word pairs as a pre-filter (the `pairs`
    slot: an index of every vector's adjacent lexemes), so that only the articles with those
    pairs have their positions checked. Only leaves that are plain ANDs of terms and phrases:
    under OR or NOT a missing pair would not mean a miss."""
    if match.op == "words":
        text = parsed.get(match.text, "")
        if "|" in text or "!" in text:
            return match
        pairs = sorted(
            {
                (f"{a} {b}" if gap == "-" else f"{a} {gap} {b}").replace("''", "'")
                for a, gap, b in _CONSECUTIVE.findall(text)
            }
        )
        if not pairs:
            return match
        literal = " & ".join(quote(p) for p in pairs)
        if _ONE_PAIR.fullmatch(text):
            # The phrase is its one pair: the pairs index answers it exactly, no recheck (the
            # words leaf stays for the versions without that index).
            return Match("pairs", literal, children=(match,))
        return Match("and", children=(match, Match("pairs", literal)))
    if match.is_leaf or match.op == "not":
        return match
    children = tuple(_with_word_pairs(child, parsed) for child in match.children)
    return Match(match.op, children=children)


_CHAIN_GLUE = f" <{PAIR_DISTANCE}> "


def _character_strings(text: str) -> tuple[str, list[str], list[str]] | None:
    """A characters tsquery that is an AND of strings (each a single character or pair, or a
    phrase of pairs PAIR_DISTANCE apart: `archive.text.query._by_characters`): its lexemes ANDed
    without positions — what the GIN index answers exactly —, the strings of its phrases, and
    every string (the single ones too). None for any other tsquery (OR, NOT)."""
    if "|" in text or "!" in text:
        return None
    lexemes: list[str] = []
    literals: list[str] = []
    strings: list[str] = []
    for part in text.replace("(", "").replace(")", "").split(" & "):
        found = QUOTED_LEXEME.findall(part)
        if not found or part.strip() != _CHAIN_GLUE.join(f"'{x}'" for x in found):
            return None
        lexemes += found
        units = [x.replace("''", "'") for x in found]
        if len(found) == 1:
            strings.append(units[0])
            continue
        if any(len(u) != 2 for u in units) or any(
            a[1] != b[0] for a, b in zip(units, units[1:], strict=False)
        ):
            return None
        literals.append(units[0] + "".join(u[1] for u in units[1:]))
        strings.append(literals[-1])
    return " & ".join(f"'{x}'" for x in dict.fromkeys(lexemes)), literals, strings


def _character_phrases(text: str) -> tuple[str, list[str]] | None:
    """`_character_strings`'s lexemes and phrases; None for a tsquery without a phrase."""
    found = _character_strings(text)
    if found is None or not found[1]:
        return None
    return found[0], found[1]


def _render_characters(match: Match, language: str, *, rows: bool = False) -> tuple[str, list]:
    """A characters leaf. Its phrases are checked in the version's `CharacterText` (`strpos`:
    ~4.5 kB an article) rather than by the positions of their pairs in the characters vector
    (~29 kB); the vector's GIN index finds the articles with all the pairs. An article without
    the text yet (indexed before migration 0016) is checked in the vector.

    With `rows`, for testing rows one by one (`_walk`): every string in the `CharacterText`,
    the single characters and pairs too — no index answers there, and reading the text is ~3×
    faster than reading the vector (国 in 10,000 rows: 150 against 470 ms)."""
    column = f"a.{search_column(language, chars=True)}"
    exact = f"{column} @@ to_tsquery('{CONFIG}', %s)"
    strings = _character_strings(match.text) if rows else None
    if strings is not None:
        checks = " AND ".join(["strpos(t.characters, %s) > 0"] * len(strings[2]))
        return (
            f"coalesce((SELECT {checks} FROM {CharacterText._meta.db_table} t "
            f"WHERE t.article_id = a.id AND t.language = %s), {exact})",
            [*strings[2], language, match.text],
        )
    phrases = _character_phrases(match.text)
    if phrases is None:
        return exact, [match.text]
    lexemes, literals = phrases
    checks = " AND ".join(["strpos(t.characters, %s) > 0"] * len(literals))
    return (
        f"({column} @@ to_tsquery('{CONFIG}', %s) AND coalesce((SELECT {checks} "
        f"FROM {CharacterText._meta.db_table} t WHERE t.article_id = a.id AND t.language = %s), "
        f"{exact}))",
        [lexemes, *literals, language, match.text],
    )


def _render(
    match: Match,
    language: str,
    *,
    pairs: bool = True,
    rows: bool = False,
    words: str = "",
    listing: bool = False,
) -> tuple[str, list[str]]:
    """SQL of a match in one version (see `Query.match`); with `listing`, without its
    exclusions that are tested on rows (NOT nodes, leaves of negations alone: `Match.indexable`),
    which the listing tests against its list (`Query.excluded_list`)."""
    if listing and (match.op == "not" or (match.is_leaf and not match.indexable)):
        return "true", []
    if match.is_leaf and not match.indexable:
        # A test on rows: a function of the match is no index condition (`Match.indexable`).
        column = search_column(language, chars=match.op == "chars")
        negated = _NEGATION.fullmatch(match.text) if match.op == "chars" else None
        if negated and _character_strings(negated[1]) is not None:
            # Characters excluded (!'的的'): in the version's text, not its 29 kB vector, which
            # a RUM page's scan read for every row it passed (a version without the vector
            # holds nothing, as the tsquery said).
            sql, params = _render_characters(Match("chars", negated[1]), language, rows=True)
            return f"(a.{column} IS NOT NULL AND NOT coalesce({sql}, false))", params
        return f"coalesce(a.{column} @@ to_tsquery('{CONFIG}', %s), false)", [match.text]
    if match.op == "chars":
        return _render_characters(match, language, rows=rows)
    if match.op == "not":
        # Never an index's condition, always a test on rows: of characters in the version's
        # text rather than its characters vector, and before the words (`_cheap_first`); of
        # the words in their column (not through the RUM index's expression: a PL/pgSQL call
        # a row for the same vector).
        sql, params = _render(_cheap_first(match.children[0]), language, pairs=pairs, rows=True)
        return f"NOT coalesce({sql}, false)", params
    if match.op == "pairs":
        if not pairs or language not in word_pair_languages():
            if not match.children:
                return "true", []
            return _render(
                match.children[0], language, pairs=pairs, rows=rows, words=words, listing=listing
            )
        vector = f"{WORD_PAIRS_FUNCTION}(a.{search_column(language)})"
        return f"{vector} @@ %s::tsquery", [match.text]
    if match.is_leaf:
        column = words or f"a.{search_column(language)}"  # (characters: `_render_characters`)
        if (
            match.positions
            and not (words or rows)
            and language in _rum_phrase_languages()
            and _phrase_of_common_words(match, language)
        ):
            # A phrase of words where no word-pairs index pre-filters it: a GIN index gives every
            # article holding its words, each read to check their positions (是不是 <-> 一 at
            # 20k: 4.4 s); a RUM index holds the positions and answers it exactly (7 ms).
            column = f"{RUM_WORDS_FUNCTION}(a.{search_column(language)})"
        return f"{column} @@ to_tsquery('{CONFIG}', %s)", [match.text]
    parts = [
        _render(child, language, pairs=pairs, rows=rows, words=words, listing=listing)
        for child in match.children
    ]
    if (
        match.op == "and"
        and pairs
        and not rows
        and language in word_pair_languages()
        and any(c.op == "pairs" for c in match.children)
    ):
        # A phrase beside its word pairs: the pairs' index finds the candidates, and the phrase
        # is checked on their rows, never offered to the words' GIN index, which the planner
        # may take on a poor estimate of the phrase ("second la cancellation" at 200,000
        # articles: every article with its three words, 379 vectors read for 1 match, 7 ms).
        parts = [
            (f"coalesce({sql}, false)", child_params)
            if child.op == "words" and child.positions and _CHAIN.fullmatch(child.read_as)
            else (sql, child_params)
            for child, (sql, child_params) in zip(match.children, parts, strict=True)
        ]
    params = [p for _, child_params in parts for p in child_params]
    joiner = " AND " if match.op == "and" else " OR "
    return "(" + joiner.join(sql for sql, _ in parts) + ")", params


# A tsquery that is one negation of terms without parentheses and nothing else: !(…)
_NEGATION = re.compile(r"!\(([^()]*)\)")


def _cheap_first(match: Match) -> Match:
    """The match with the characters first in each OR, for a test on rows: PostgreSQL tests an
    OR's terms in order and stops at the first true one, and a version's characters text
    (`_render_characters` with `rows`: ~4.5 kB in the row of its own table) is read faster than
    its words vector (~10 kB in TOAST) — an excluded 中国 is found in either in nine articles in
    ten, and each reads it once."""
    if match.is_leaf:
        return match
    children = tuple(_cheap_first(child) for child in match.children)
    if match.op == "or":
        children = tuple(sorted(children, key=lambda child: child.op != "chars"))
    return replace(match, children=children)


def _phrase_of_common_words(match: Match, language: str) -> bool:
    """Whether a words leaf with positions is to be checked in the RUM index in a language's
    versions: where the rarest word it must have is among the commonest lexemes there
    (`common_lexemes`), or nothing is known of them yet (before any ANALYZE). A GIN index gives
    every article holding all its words, each read to check their positions ('努力' <-> '一种'
    at 200k: 3.75 s), where RUM holds the positions (26 ms). With a rarer word, those articles
    are few and the GIN index finds and checks them faster than RUM steps through the common
    words' positions: 'countri' <-> 'graquoseek' in the Chinese versions at 200k (the name in
    15,000 of them, the English word in few), 0.26 ms against 8.9 ms."""
    common = common_lexemes().get(language)
    if not common:
        return True
    tokens = tsquery_tokens(match.read_as)
    return _tsquery_matches(tokens, lambda lexeme: common.get(lexeme, 0)) > 0


def _rum_phrase_languages() -> frozenset[str]:
    """The languages whose phrases of words are checked in the RUM index: those with a whole
    one (not in halves: one index condition) and without the word-pairs index (whose pre-filter
    leaves few articles to check)."""
    whole = {code for code, parts in rum_indexes().items() if parts == 1}
    return frozenset(whole - set(word_pair_languages()))


PUBLISHED = "a.facet_keys <> '{}'"  # facet keys are empty while nothing is published


def _browse(
    result: SearchPage, where: list[str], params: list, seg, actors: ActorCache, with_facets: bool
) -> SearchPage:
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
            sample = Sample(where_sql, params, sample_shares(result.count))
            listing = _listing(cursor, [], 0, True, sample)
            result.facets, result.facet_sample = listing.facets(result.count)
    result.hits = page_hits(rows, parse(""), seg, "", actors, result.facets)
    return result


@dataclass
class Sample:
    """The matches (a WHERE clause) in `shares` of the archive's SAMPLE_SHARES shares: each
    vector's GIN index holds the share keys too (migration 0015), so it skips through a common
    word's entries to the shares' instead of building a bitmap of every match — 25 ms → 2 ms for
    a word in 160,000 of 200,000 articles. With `gate`, the parts of the listing are listed only
    where the sample finds at most that many matches (scaled to the archive)."""

    where_sql: str
    params: list
    shares: int
    gate: int | None = None
    # The WHERE clauses whose OR is `where_sql` (one a version): each gets the shares' condition
    # of its own (`share_condition`), so that each is one scan of its vector's index with the
    # share keys; the planner would otherwise take the shares out of the OR as a common factor,
    # list every article of the shares from the facet keys alone and test each one's vectors
    # (还有 at 20k: 1,060 rows, 12,729 buffers, 29 ms; a scan each: 3.8 ms).
    arms: list[tuple[str, list]] | None = None

    @property
    def scale(self) -> float:
        return SAMPLE_SHARES / self.shares

    @property
    def gate_rows(self) -> int:
        """The most sample rows that still open the gate."""
        return int(self.gate / self.scale) if self.gate is not None else -1

    def condition(self) -> tuple[str, list]:
        """The WHERE clause of the matches in the sample's shares (each arm with its own)."""
        if self.shares >= SAMPLE_SHARES:
            return self.where_sql, self.params
        ors, params = [], []
        for i, (arm_sql, arm_params) in enumerate(self.arms or [(self.where_sql, self.params)]):
            share_sql, share_params = share_condition(self.shares, i)
            ors.append(f"({arm_sql} AND {share_sql})")
            params += [*arm_params, *share_params]
        return " OR ".join(ors), params


def _rows_tested(cursor, sample: Sample, excluded: tuple[str, list] | None = None) -> bool:
    """Whether the planner would list the sample's shares from their facet keys alone and test
    each row's vectors, not intersect the shares with the matches in the vectors' GIN indexes
    (`Sample`). It does for a term in nearly every article: both plans then read the same rows
    as far as it knows, and the intersection costs an index scan more. But a bitmap heap scan
    tests an index's condition again only on a lossy page, so the intersection reads no vector,
    where the test reads each row's (a characters vector is ~29 kB): at 20k articles, 7 ms
    against 0.6 for the sample of a character in 97.8 % of the archive (the planner's turn is
    at ~97.5 %). The characters' text (`CharacterText`, ~4.5 kB, one page) is then tested
    instead (`Query.row_arms`): 2.5-3 ms. (`excluded`: the listing's CTE of the articles
    holding an excluded term, which the arms name: `Query.excluded_list`.)"""
    where_sql, params = sample.condition()
    ctes, cte_params = "", []
    if excluded is not None:
        ctes, cte_params = f"WITH {EXCLUDED_CTE} AS MATERIALIZED ({excluded[0]}) ", excluded[1]
    rows = _fetch(
        cursor,
        f"EXPLAIN (FORMAT JSON) {ctes}SELECT a.id FROM {TABLE} a WHERE {where_sql} LIMIT %s",
        [*cte_params, *params, FACET_ROWS],
        BITMAP_ONLY,
    )
    plan = rows[0][0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes = [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        if "search_" in node.get("Filter", ""):
            return True
        nodes.extend(node.get("Plans", []))
    return False


def _any_arm(arms: list[tuple[str, list]]) -> tuple[str, list]:
    """The OR of a sample's arms (its `where_sql` and `params`)."""
    return "(" + " OR ".join(sql for sql, _ in arms) + ")", [p for _, ps in arms for p in ps]


def arm_keys(keys: list[str], arm: int) -> list[str]:
    """The same keys in another order (or with the first repeated) for the `arm`-th arm of an
    OR, so that no two arms' conditions on them are equal and the planner keeps each with its
    arm rather than take it out as a common factor (see `Sample.arms`, `Query.match_filtered`)."""
    turn = arm % len(keys)
    return keys[turn:] + keys[:turn] + keys[:1] * (arm // len(keys))


def share_condition(shares: int, arm: int) -> tuple[str, list]:
    """The condition "in one of the first `shares` shares" for the `arm`-th arm of an OR."""
    keys = arm_keys([sample_key(n) for n in range(shares)], arm)
    return "a.facet_keys && %s::varchar[]", [text_array(keys)]


def sample_shares(estimate: int) -> int:
    """How many shares hold about SAMPLE_TARGET of `estimate` matches (all of them for few)."""
    wanted = SAMPLE_SHARES * SAMPLE_TARGET / max(1, estimate)
    return max(1, min(SAMPLE_SHARES, math.ceil(wanted)))


@dataclass
class Listing:
    """What `_listing` read: per part, the ids of up to `limit` matches (in the order of the
    table) and the last table block read; the table's size in blocks; the facet keys counted
    over up to FACET_ROWS of the listed articles; and, with a `Sample`, up to FACET_ROWS of its
    ids and its last block read."""

    ids: list[list[int]]
    blocks: list[float]
    limit: int
    table_blocks: int
    facet_counts: list[tuple[str, int]]
    sample: Sample | None = None
    sampled: list[int] = field(default_factory=list)
    sample_block: float = 0.0

    @property
    def from_sample(self) -> bool:
        """Whether the parts were left unlisted (the sample found too many matches, or there
        were no parts): the count is the sample's estimate and the facets are its."""
        return self.sample is not None and (
            not self.ids or len(self.sampled) > self.sample.gate_rows
        )

    def facet_rows(self) -> int:
        """How many articles the facets were counted over."""
        if self.from_sample:
            return len(self.sampled)
        return min(FACET_ROWS, len({pk for found in self.ids for pk in found}))

    def facets(self, count: int) -> tuple[dict, int]:
        """The facets of `count` matches (`count_facets`), said to be a sample's where they are; and
        the sample's size (0 where they counted every match)."""
        rows = self.facet_rows()
        partial = self.from_sample and self.sample.shares < SAMPLE_SHARES
        sampled = partial or count > rows
        return count_facets(self.facet_counts, count, rows, sample=sampled), rows if sampled else 0

    def extrapolate(self) -> int:
        """The number of matches of a listing cut at its limit, extrapolated from the share of
        the table read (the bitmap is read in the table's order, which has nothing to do with
        the words): far closer than the planner's estimate for all but the commonest terms."""
        return max(
            int(len(found) * self.table_blocks / max(1.0, block + 1))
            if len(found) >= self.limit
            else 0
            for found, block in zip(self.ids, self.blocks, strict=True)
        )

    def sample_estimate(self) -> int:
        """The number of matches, from the sample's: scaled up from its shares (from the part of
        the table read as well, when the sample was cut at FACET_ROWS)."""
        found = len(self.sampled)
        if found >= FACET_ROWS:
            found = found * self.table_blocks / max(1.0, self.sample_block + 1)
        return int(found * self.sample.scale)


def _listing(
    cursor,
    parts: list[tuple[str, list]],
    limit: int,
    facets: bool,
    sample: Sample | None = None,
    excluded: tuple[str, list] | None = None,
) -> Listing:
    """In one statement: up to `limit` matches of each part (a WHERE clause: one version's match
    and the filters), each part's heap rows read once — their facet keys are counted there,
    over up to FACET_ROWS of the articles listed (all of them when that is all there are; else
    the first listed, in the order of the table, which does not favour any value).

    With a `sample`: up to FACET_ROWS of its matches first; the parts are listed only where it
    opens its gate (else the facets are counted over the sample). With `excluded` (a query's
    `Query.excluded_list`), the articles holding an excluded term, once, as EXCLUDED_CTE."""
    ctes, selects, params = [], [], []
    if excluded is not None:
        ctes.append(f"{EXCLUDED_CTE} AS MATERIALIZED ({excluded[0]})")
        params += excluded[1]
    gated = ""
    if sample is not None:
        where_sql, where_params = sample.condition()
        ctes.append(
            f"s AS MATERIALIZED (SELECT a.id, (a.ctid::text::point)[0] AS block, a.facet_keys "
            f"FROM {TABLE} a WHERE ({where_sql}) LIMIT %s)"
        )
        params += [*where_params, FACET_ROWS]
        selects.append(f"SELECT -3, {_LISTED} FROM s")
        if parts:  # a one-time filter: the parts' scans do not start where it is false
            gated = f" AND (SELECT count(*) FROM s) <= {sample.gate_rows:d}"
    for i, (where_sql, part_params) in enumerate(parts):
        ctes.append(
            f"l{i} AS MATERIALIZED (SELECT a.id, (a.ctid::text::point)[0] AS block, "
            f"a.facet_keys FROM {TABLE} a WHERE {where_sql}{gated} LIMIT %s)"
        )
        params += [*part_params, limit]
        selects.append(f"SELECT {i}, {_LISTED} FROM l{i}")
    selects.append(
        "SELECT -1, NULL, pg_relation_size(%s::regclass) / current_setting('block_size')::int, "
        "NULL, NULL"
    )
    params.append(TABLE)
    if facets:
        # Each article once: a later part leaves out the ids of the earlier ones. The sample's
        # where the parts were left unlisted.
        union = [
            f"SELECT facet_keys FROM l{i}"
            + "".join(
                f"{' AND' if j else ' WHERE'} id NOT IN (SELECT id FROM l{j})" for j in range(i)
            )
            for i in range(len(parts))
        ]
        if sample is not None:
            gate = f" WHERE (SELECT count(*) FROM s) > {sample.gate_rows:d}" if parts else ""
            union.insert(0, f"SELECT facet_keys FROM s{gate}")
        # Counted here (keys and counts as two arrays), cut to each kind's FACET_LIMIT most
        # frequent in Python (`count_facets`): ~500 keys cross the wire in less time than
        # PostgreSQL takes to sort them by kind and number them (1.8 against 4.1 ms for 500
        # articles of 20k).
        selects.append(
            "SELECT -2, NULL, NULL, array_agg(k), array_agg(n) FROM (SELECT k, count(*) AS n "
            "FROM (SELECT unnest(facet_keys) AS k FROM ("
            f"{' UNION ALL '.join(union)} LIMIT %s) listed) u GROUP BY k) counted"
        )
        params.append(FACET_ROWS)
    sql = f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}"
    rows = _fetch(cursor, sql, params, BITMAP_ONLY)
    listing = Listing([[] for _ in parts], [0.0] * len(parts), limit, 1, [], sample)
    for part, pks, block, keys, counts in rows:
        if part >= 0:
            listing.ids[part], listing.blocks[part] = pks or [], block or 0.0
        elif part == -3:
            listing.sampled, listing.sample_block = pks or [], block or 0.0
        elif part == -1:
            listing.table_blocks = max(1, int(block))
        else:
            listing.facet_counts = list(zip(keys or (), counts or (), strict=True))
    return listing


# The listing statement's CTE of the articles that hold an excluded term (`Query.excluded_list`).
EXCLUDED_CTE = "excluded_ids"

# A part's (or the sample's) ids, in the order listed, and the last table block read: one row of
# arrays rather than a row a match (2,000 rows were ~1 ms more to send and read than one array).
_LISTED = "array_agg(id)::bigint[], max(block)::float8, NULL::varchar[], NULL::bigint[]"


# Listing matches: from the GIN indexes' bitmaps. The planner would rather test row after row
# for a common term, reading each row's vector: ~10× slower. No parallel workers: starting them
# costs more than they save on a listing of 2,000 rows (a few ms at 200k articles, 2 cores).
# Enough work_mem for a bitmap of every page of the table to stay exact (~64 bytes a page; a
# 200k-article table has 71,633 pages, about what the default 4 MB holds): a lossy bitmap
# tests every row of a lossy page again by reading its vectors — 4× slower for a common term
# at 20k articles with work_mem forced down. A guard: only what a bitmap needs is allocated.
BITMAP_ONLY = {
    "enable_seqscan": "off",
    "enable_indexscan": "off",
    "max_parallel_workers_per_gather": "0",
    "work_mem": "64MB",
}


# The page of `_across_versions`' many matches: newest first from the date index, the excluded
# terms' articles a hashed list from the GIN indexes (the listing's work_mem). With the default
# (4 MB; 8 MB of hash memory), the planner made that list by reading every row's vectors (a
# parallel sequential scan: take 一 -中国 at 20k, 450 ms), and where the list outgrows the hash
# memory — a word in nine articles in ten at 200k — it tests each candidate against the whole
# list (at 20k with work_mem forced to 256 kB: 880 ms for 394 candidates).
ACROSS_PAGE = {
    "enable_seqscan": "off",
    "max_parallel_workers_per_gather": "0",
    "work_mem": BITMAP_ONLY["work_mem"],
}


def _fetch(cursor, sql: str, params: list, settings: dict[str, str]) -> list[tuple]:
    """The rows of one statement run with these planner settings for it alone. Outside a
    transaction, the settings go first in the same message (one round trip: the statements
    of one message are one implicit transaction, which `set_config(…, true)` lasts for);
    inside the caller's transaction, they are set before and put back after."""
    if not settings:
        cursor.execute(sql, params)
        return cursor.fetchall()
    names = list(settings)
    assignments = ", ".join(["set_config(%s, %s, true)"] * len(names))
    values = [x for name in names for x in (name, settings[name])]
    if not connection.in_atomic_block:
        cursor.execute(f"SELECT {assignments}; {sql}", [*values, *params])
        cursor.nextset()
        return cursor.fetchall()
    reads = ", ".join(["current_setting(%s)"] * len(names))
    cursor.execute(f"SELECT {reads}, {assignments}", [*names, *values])
    before = cursor.fetchone()[: len(names)]
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    # Put back (after an error the caller's transaction is rolled back, and the settings with it).
    cursor.execute(
        f"SELECT {assignments}",
        [x for name, value in zip(names, before, strict=True) for x in (name, value)],
    )
    return rows


def _estimate(cursor, where_sql: str, params: list) -> int:
    return _estimates(cursor, [(where_sql, params)])[0]


def _estimates(cursor, wheres: list[tuple[str, list]]) -> list[int]:
    """The planner's estimate of the rows of each WHERE clause, in one round trip."""
    explain = f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {TABLE} a WHERE "
    cursor.execute(
        "; ".join(explain + sql for sql, _params in wheres),
        [p for _sql, params in wheres for p in params],
    )
    found = []
    for i in range(len(wheres)):
        if i:
            cursor.nextset()
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        found.append(int(plan[0]["Plan"]["Plan Rows"]))
    return found


def _by_date(cursor, query: Query, where_sql, params, limit, offset) -> list:
    """The page's rows newest first; scores are computed for those rows only (in the ORDER BY
    query, PostgreSQL would compute them for every match before sorting)."""
    ids = None
    if query.walk:
        ids = _walk(cursor, query, where_sql, params, limit, offset)
    elif not query.exact and (budget := _walk_excluding(query, offset + limit)):
        ids = _walk(cursor, query, where_sql, params, limit, offset, budget)
    if ids is None and not query.exact:
        # A few thousand matches (or a walk that found far fewer than estimated): from the
        # bitmap, newest year first.
        ids = _by_year(cursor, query, where_sql, params, limit, offset)
    elif ids is None:  # the listed matches: by their ids
        cursor.execute(
            f"SELECT a.id FROM {TABLE} a WHERE {where_sql} "
            f"ORDER BY {ORDER_BY_DATE} LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    rank_sql, rank_params = query.rank()
    cursor.execute(
        f"SELECT a.id, {rank_sql} FROM {TABLE} a WHERE a.id = ANY(%s::bigint[])",
        [*rank_params, id_array(ids)],
    )
    scores = dict(cursor.fetchall())
    return [(pk, scores.get(pk, 0.0)) for pk in ids]


WALK_ROWS_PER_HIT = 50  # a walk tests at most this many rows a row of the page …
WALK_ROWS_MAX = 20_000  # … and at most this many in all …
# … and at most a WALK_SHARE-th of the matches, but always WALK_ROWS_MIN; a page the walk would
# need more rows for (at the matches' share of the archive) is not walked. Testing a row as it
# passes costs ~18 µs for characters and 30–45 µs for words (their vectors are read); reading a
# match from the bitmap to sort them all, 2–4 µs. At 200,000 articles, page 500 walked / all
# sorted: 不同 (in 44 %) 1,203 / 347 ms (the walk gave up after 20,000 rows), every (42 %) 837 /
# 323, 个 (99 %) 318 / 380; page 150 of 键 (17 %) by date, 323 / 178; page 150 of 个 54 / 460.
WALK_SHARE = 10
WALK_ROWS_MIN = 1_000
WALK_YEARS = 5  # roughly the years an archive's articles span (`_walk_excluding`)


def _walk(
    cursor, query: Query, where_sql, params, limit: int, offset: int, budget: int = 0
) -> list[int] | None:
    """The ids of a page of a huge result set newest first: walk the newest-first index and
    test each row until the page is full (a term in half the archive needs about two rows a
    hit) rather than read every match's row and sort them, which is the plan PostgreSQL
    prefers. None when the walk reads its limit of rows (a few matches a hundred thousand
    rows apart would be walked to the end: the planner's estimate was far too high), or the
    end, before the page is full, and without a statement when the page is further than its
    limit (a deep page: sorting all the matches costs less): the caller then takes the page
    from the bitmap. Characters are looked for in the character text (`Query.for_rows`).
    `budget`: at most this many rows (`_walk_excluding`), rather than its own."""
    wanted = offset + limit
    budget = budget or min(WALK_ROWS_PER_HIT * wanted, WALK_ROWS_MAX)
    needed = wanted
    if query.matches and not _excludes(query.full):
        # (an exclusion is tested on each row either way: sorting all is no cheaper a match)
        budget = min(budget, max(WALK_ROWS_MIN, query.matches // WALK_SHARE))
        rows = archive_rows()
        if rows > query.matches:  # (ANALYZE's count: 0 before the first)
            needed = int(wanted * rows / query.matches)
    if needed > budget:  # the page is past what pays to walk
        return None
    dates, date_params = query.dates  # start at the year, when there is one
    where_sql, params = query.for_rows(where_sql, list(params))
    rows = _fetch(
        cursor,
        f"SELECT id FROM (SELECT a.id, ({where_sql}) AS hit FROM {TABLE} a "
        f"{'WHERE ' + ' AND '.join(dates) if dates else ''} ORDER BY {ORDER_BY_DATE} "
        "LIMIT %s) w WHERE hit LIMIT %s",
        [*params, *date_params, budget, wanted],
        {"enable_bitmapscan": "off"},
    )
    if len(rows) < wanted:
        return None
    return [row[0] for row in rows[offset:]]


def _walk_excluding(query: Query, wanted: int) -> int:
    """How many rows to walk for a page of a query with an excluded term, with fewer matches
    than HUGE (0: none). `_by_year` would test the exclusion on each of the newest year's
    matches of its words (`people -中国` at 200,000 articles, 7,200 matches: 32,000 rows of the
    newest year tested, 491 ms), where the walk tests about `wanted` × the archive's rows over
    the matches' (555, ~110 ms with the words' test of each row). So it walks as many rows as a
    page may take or as a year holds of the words (ANALYZE's count over WALK_YEARS), within
    WALK_ROWS_MAX; and only where the matches' share says that is enough (else, or where it
    finds fewer, the years)."""
    rows = archive_rows()
    if not (query.matches and rows and _excludes(query.full)):
        return 0
    budget = min(WALK_ROWS_MAX, max(WALK_ROWS_PER_HIT * wanted, known_matches(query) // WALK_YEARS))
    return budget if wanted * rows / query.matches <= budget else 0


YEARS_ONE_BY_ONE = 4  # the newest years with matches taken one at a time, then the rest at once
YEARS_BEFORE = 2_000  # … for a page that starts before this many matches; a later one at once


def _by_year(cursor, query: Query, where_sql, params, limit: int, offset: int) -> list[int]:
    """The ids of a page newest first, out of a few thousand matches: each match's row must be
    read for its date and they sorted, so the newest years are taken one at a time — the year
    is a facet key inside the vectors' GIN indexes, so a year's matches come straight from the
    index and only their rows are read (a page usually needs the newest year or two, not
    every match). After YEARS_ONE_BY_ONE years, the older and undated matches at once.

    A page past the first YEARS_BEFORE matches is taken from all of them at once: it needs
    most of them anyway, and for a term in most of a year's articles the planner takes the
    year from the facet keys alone and tests each of its articles by reading their vectors
    (~50 µs an article; 国 page 400 at 20,000 articles: 390 ms, at once: 56 ms)."""
    wanted = offset + limit
    cursor.execute(
        f"SELECT extract(year FROM max(original_published_on))::int, "
        f"extract(year FROM min(original_published_on))::int FROM {TABLE}"
    )
    newest, oldest = cursor.fetchone()
    found: list[int] = []
    year = newest
    # (a year filter is one year already)
    if newest is not None and not query.dates[0] and offset < YEARS_BEFORE:
        for year in range(newest, max(oldest, newest - YEARS_ONE_BY_ONE + 1) - 1, -1):
            rows = _fetch(
                cursor,
                f"SELECT a.id FROM {TABLE} a WHERE {where_sql} AND a.facet_keys @> %s::varchar[] "
                f"ORDER BY {ORDER_BY_DATE} LIMIT %s",
                [*params, text_array([f"year:{year}"]), wanted - len(found)],
                BITMAP_ONLY,
            )
            found += [row[0] for row in rows]
            if len(found) >= wanted:
                return found[offset:wanted]
        older = ["(a.original_published_on < %s OR a.original_published_on IS NULL)"]
        older_params = [dt.date(year, 1, 1)]
    else:
        older, older_params = [], []
    page = found[offset:wanted]
    rows = _fetch(
        cursor,
        f"SELECT a.id FROM {TABLE} a WHERE {' AND '.join([where_sql, *older])} "
        f"ORDER BY {ORDER_BY_DATE} LIMIT %s OFFSET %s",
        [*params, *older_params, limit - len(page), max(0, offset - len(found))],
        BITMAP_ONLY,
    )
    return page + [row[0] for row in rows]


def _past(result: SearchPage) -> float:
    """How many times its count a page must start past to be known empty: once an exact count;
    twice an estimate made from a full sample (FACET_ROWS matches: off by a few per cent); a
    rougher estimate never (a sample of a few in a small archive can be far too low)."""
    if not result.count_is_estimate:
        return 1
    return 2 if result.facet_sample >= FACET_ROWS else math.inf


def _page_ids(
    cursor, result, query: Query, where_sql, params, sort, offset, prefetched=None
) -> list:
    """(id, score) of the page's rows, by the plan the result's size calls for (the RUM page's
    statements taken from `prefetched`, a `concurrent.Job`, where they were run there)."""
    limit = result.page_size
    query.matches = result.count
    if sort == "date" or result.count == 0:
        result.plan = "date"
        return _by_date(cursor, query, where_sql, params, limit, offset)
    plan = _rum_plan(cursor, result, query) if query.ranked_by_rum else None
    if plan == "rum":
        result.plan = "rum"
        top = prefetched.top(cursor) if prefetched is not None else None
        return _rum_page(cursor, query, where_sql, params, limit, offset, top)
    if plan is None and result.count <= RANK_ALL and not result.count_is_estimate:
        result.plan = "rank-all"
        return _rank_all(cursor, query, where_sql, params, limit, offset)
    # A common term: rank the head matches, then the others newest first.
    head = query.head_match()
    if head is None:
        result.plan = "common-by-date"
        return _by_date(cursor, query, where_sql, params, limit, offset)
    head_match, head_match_params = head
    if not query.exact and _implied_by_words(query.full):
        # Matching the words in the head implies the whole match: only the filters remain (the
        # whole match would be tested row by row, reading each candidate's vectors).
        filters, filter_params = query.filters
        head_where = " AND ".join([*filters, head_match])
        head_params = [*filter_params, *head_match_params]
    else:
        head_where = f"{where_sql} AND {head_match}"
        head_params = [*params, *head_match_params]
    if _estimate(cursor, head_where, head_params) > RANK_ALL:
        result.plan = "common-by-date"
        return _by_date(cursor, query, where_sql, params, limit, offset)
    result.plan = "head-then-date"
    head_rank, head_rank_params = query.rank(head=True)
    # Only as far as the page's end: a page that the head matches fill needs no more of them,
    # and one they do not fill has them all, so their number is known (`GraquoSeek 投资` at
    # 200,000 articles: 2,268 head matches were sorted and sent for 20, 1.5 ms more).
    cursor.execute(
        f"SELECT a.id, {head_rank} AS score FROM {TABLE} a WHERE {head_where} "
        f"ORDER BY score DESC, {ORDER_BY_DATE} LIMIT %s",
        [*head_rank_params, *head_params, offset + limit],
    )
    head_rows = cursor.fetchall()
    rows = head_rows[offset : offset + limit]
    if len(rows) < limit:
        rest = _by_date(
            cursor,
            query,
            f"{where_sql} AND NOT coalesce({head_match}, false)",
            [*params, *head_match_params],
            limit - len(rows),
            max(0, offset - len(head_rows)),
        )
        rows += [(pk, 0.0) for pk, _score in rest]
    return rows


# Ranking every listed match reads each one's vectors (~20 µs a match at 200,000 articles, 8-12
# ms for a filtered query's few hundred): from this many on, the helper's connection
# (`archive.concurrent`) ranks half of them on the other core while this one ranks the rest.
RANK_SPLIT = 300


def _rank_all(cursor, query: Query, where_sql, params, limit: int, offset: int) -> list:
    """(id, score) of the page when every match is ranked: ORDER BY the score, newest first on
    ties. Where every match was listed and they are many, in two halves at once (each half's
    best `offset + limit`, merged in the same order: the page is the same)."""
    rank_sql, rank_params = query.rank()
    ids = query.listed if query.exact else []
    if len(ids) >= RANK_SPLIT:
        statement = (
            f"SELECT a.id, {rank_sql} AS score, a.original_published_on FROM {TABLE} a "
            f"WHERE a.id = ANY(%s::bigint[]) ORDER BY score DESC, {ORDER_BY_DATE} LIMIT %s"
        )
        wanted = offset + limit
        halves = [
            [*rank_params, id_array(ids[i::2]), wanted] for i in range(2)
        ]  # every other id: both halves alike over the table and the dates

        def rank(cursor, half: list) -> list:
            cursor.execute(statement, half)
            return cursor.fetchall()

        other = concurrent.submit(lambda helper: rank(helper, halves[1]))
        if other is not None:
            try:
                rows = rank(cursor, halves[0])
                theirs = other.result()
                if theirs is None:  # the helper failed: this connection ranks them
                    theirs = rank(cursor, halves[1])
            finally:
                other.discard()
            merged = sorted(rows + theirs, key=_rank_order, reverse=True)[offset:wanted]
            return [(pk, score) for pk, score, _date in merged]
    cursor.execute(
        f"SELECT a.id, {rank_sql} AS score FROM {TABLE} a WHERE {where_sql} "
        f"ORDER BY score DESC, {ORDER_BY_DATE} LIMIT %s OFFSET %s",
        [*rank_params, *params, limit, offset],
    )
    return cursor.fetchall()


def _rank_order(row: tuple) -> tuple:
    """A ranked row's (id, score, date) place in `ORDER BY score DESC, ORDER_BY_DATE`, reversed:
    no score (DESC puts NULL first) above any, then the score, then dated above undated, newer
    above older, then the higher id."""
    pk, score, date = row
    return (score is None, score or 0.0, date is not None, date or dt.date.min, pk)


def _rum_plan(cursor, result, query: Query) -> str | None:
    """ "rum" where the RUM indexes' order is the cheaper way to a page; "head" where the words
    are too common for it and the matches too many to rank each (the head-then-date plan);
    None for the plan the result's size calls for (rank every listed match, else "head").

    RUM's scan scores every article holding all the words, filters or not: ~0.3 µs a match
    for one term, ~2.5 µs for several or a phrase. Listed matches (up to EXACT_COUNT_WITH_RUM)
    are ranked whole when they are few, or a phrase's (the articles holding all its words may
    be many more than its matches; for several words they are the matches). A filtered
    query's scan goes through the matches of its words alone, in RUM's order, until a page
    of them passes the filters: when every match was listed, that is weighed against ranking
    each listed match (`_rum_pays`); when they were too many to list, RUM's order is taken
    where the words alone have few matches, else the head plan (both from `_words_alone`)."""
    if result.count > RUM_MAX or (query.exact and result.count <= RANK_ALL_WITH_RUM):
        return None
    if known_matches(query) > RUM_MAX:  # alternatives of common words: their scan is long
        return None
    if not query.one_term and ((query.exact and query.phrase) or result.count > RUM_MAX_SEVERAL):
        # A phrase: RUM scores every article holding all its words, which may be many more
        # than its matches: ranking the list is cheaper. Several words with too many matches:
        # the head plan.
        return None
    filters, _filter_params = query.filters
    if not filters:
        return "rum"
    alone = _words_alone(cursor, query, result.count, counted=query.exact)
    if query.exact:
        return "rum" if _rum_pays(result, query, alone) else None
    return "rum" if alone <= RUM_FILTERED_MAX else "head"


def _words_alone(cursor, query: Query, count: int, *, counted: bool = True) -> int:
    """How many articles match a filtered query's words without its filters, from the `count`
    of its matches: that count over the filters' share of the archive, which the planner knows
    well from the facet keys' statistics, where its estimate of the words is a default for any
    word outside the commonest few thousand (生态 at 200,000 articles: 3,944 estimated, 18,688
    matches; 452 of them in one outlet and year, whose 4,704 articles of 198,683 make 19,091).
    A filter that goes with the words (an outlet of their subject) makes it more than it is:
    then ranking the listed matches, whose cost is bounded, or the head plan.

    Where the count is itself an estimate (the listing was cut: not `counted`), the larger of
    that and the planner's estimate of the words, which is good for the commonest words (朋友
    at 20,000 articles: the count extrapolated from the listing made it fewer than the
    planner, who was right, and RUM's order was 3-6 ms slower than the head plan). Before any
    ANALYZE (no table size), the planner's estimate of the words."""
    rows = archive_rows()
    if not rows:
        return _estimate(cursor, *query.match())
    filters, filter_params = query.filters
    share = (" AND ".join(filters), filter_params)
    if counted:
        filtered = _estimate(cursor, *share)
        return min(rows, count * rows // max(1, filtered))
    filtered, planned = _estimates(cursor, [share, query.match()])
    return max(planned, min(rows, count * rows // max(1, filtered)))


# What the plans cost, roughly (µs, measured on the 2-core machine of BENCHMARKS.md, 20k and
# 200k articles): ranking one listed match (reading its versions' words vectors); RUM's
# ordered scan scoring one match of its words (one term; several); one row of that order
# fetched and tested against the filters.
RANK_MATCH_US = 20
RUM_SCORE_US = 0.3
RUM_SCORE_SEVERAL_US = 2.5
RUM_ROW_US = 4


def _rum_pays(result, query: Query, alone: int) -> bool:
    """Whether a filtered query whose matches were all listed (`result.count` of them, `alone`
    for its words without the filters) gets its page more cheaply from RUM's order than by
    ranking every listed match. RUM scores every match of the words and reads its order until
    `page × page_size` of them passed the filters: with a selective filter (a common word in
    one outlet) that is most of them. From RANK_SPLIT listed matches on, ranking them costs
    half: they are ranked in two halves at once (`_rank_all`)."""
    wanted = result.page * result.page_size
    scoring = alone * (RUM_SCORE_US if query.one_term else RUM_SCORE_SEVERAL_US)
    rows = min(alone, wanted * alone / max(1, result.count))
    ranking = result.count * RANK_MATCH_US
    if result.count >= RANK_SPLIT:  # in two halves at once (`_rank_all`)
        ranking /= 2
    return scoring + rows * RUM_ROW_US < ranking


def _rum_page(
    cursor, query: Query, where_sql, params, limit: int, offset: int, top: tuple | None = None
) -> list:
    """The page by relevance from the RUM indexes: each searched version's best `offset + limit`
    matches of the words in order of `vector <=> words` (1 / `Query.score`) from its index,
    no other match's vector read; then those candidates' whole scores (the best of the versions
    they match in, as `Query.rank`), newest first on ties. Matches without the words (found by
    their characters only: 芯片 inside 芯片组) score 0 and follow, newest first.

    Ties: RUM returns equal distances in no useful order, and ordering a tie group of hundreds
    (every article with the term once in its body) by date would mean reading them all. So the
    page is the candidates' `offset`…`offset + limit` by score, ties in the index's order (pages
    stay disjoint: each is a slice of one order), and inside the page ties are newest first.
    An article's score is its best version's, so the best `offset + limit` of each version
    hold the page: nothing below the cuts could outrank them."""
    wanted = offset + limit
    if top is None:  # not already run on the helpers' connections: here, with them if free
        scans = _RumScans(_rum_statements(query, wanted), wanted, offset, here=True)
        try:
            top = scans.top(cursor)
        finally:
            scans.discard()
    candidates, full, scored, sliced = top
    rows: list = []
    if scored:
        scored = sorted(scored, key=lambda row: (-row[1], candidates[row[0]]))
        page = scored if sliced else scored[offset : offset + limit]
        page.sort(key=lambda row: (row[2] or dt.date.min, row[0]), reverse=True)
        page.sort(key=lambda row: row[1], reverse=True)  # stable: newest first on ties
        rows = [(pk, score) for pk, score, _date in page]
    if len(rows) < limit and not full and query.beyond_words:
        # Every match of the words is a candidate: the others follow, newest first.
        rest = _by_date(
            cursor,
            query,
            f"{where_sql} AND NOT a.id = ANY(%s::bigint[])",
            [*params, id_array(sorted(candidates))],
            limit - len(rows),
            max(0, offset - len(candidates)),
        )
        rows += [(pk, 0.0) for pk, _score in rest]
    return rows


RUM_SCAN = {"enable_bitmapscan": "off", "enable_seqscan": "off"}


class _RumScans:
    """The RUM page's scans (`_rum_statements`), shared out between the helpers' connections
    (`archive.concurrent`) and the calling one: each takes the next scan not yet taken until
    none is left, and the one that finishes the last scores the candidates. The English
    version's halves (migration 0023: an English word in 40,000 of 200,000 articles, 12-17 ms
    in one scan) are scanned on two connections side by side; so are a name's two versions
    (5-8 ms each).

    The scans are taken a statement at a time: each version's, or for plain English words
    the English halves apart, the Chinese scan (which finds little) with the second
    (`_halves_apart`). Without `here`, the calling connection lists the matches meanwhile, and
    takes what is left when it needs the page (`top`); with `here`, it scans from the start. A
    statement whose helper failed is put back for the others."""

    def __init__(self, statements: tuple, wanted: int, offset: int, here: bool = False) -> None:
        self.statements, self.wanted, self.offset, self.here = statements, wanted, offset, here
        scans = statements[0]
        self._guard = threading.Lock()
        # Each statement's scans (`_rum_statements`), the first statement first.
        self._todo = [
            [i for i, scan in enumerate(scans) if scan[4] == item]
            for item in sorted({scan[4] for scan in scans})
        ]
        self._rows: list[tuple] = []  # the rows of the scans done (`_rum_scan`'s) …
        self._done = 0  # … and how many scans that is
        self._top: tuple | None = None
        self._discarded = False
        helpers = min(concurrent.HELPERS, len(self._todo) - (1 if here else 0))
        jobs = None
        if helpers > 1:
            jobs = concurrent.submit_all([self._work] * helpers)
        if jobs is None and helpers > 0:
            job = concurrent.submit(self._work)
            jobs = [job] if job is not None else None
        self.jobs: list[concurrent.Job] = jobs or []

    def _work(self, cursor, alone: bool = False) -> tuple | None:
        """Take scans until none is left (`alone`, with no helper to share them with: all in
        one statement); the candidates' scores (`_rum_top`) after the last."""
        while True:
            with self._guard:
                if not self._todo or self._discarded:
                    return None
                taken = [i for item in self._todo for i in item] if alone else self._todo[0]
                self._todo = [] if alone else self._todo[1:]
            try:
                rows = _rum_scan(cursor, [self.statements[0][i] for i in taken])
            except Exception:
                with self._guard:  # for another connection
                    self._todo = [taken, *self._todo]
                raise
            with self._guard:
                self._rows += rows
                self._done += len(taken)
                last = self._done == len(self.statements[0])
            if last:
                top = _rum_top(cursor, self.statements, self.wanted, self.offset, self._rows)
                with self._guard:
                    self._top = top
                return top

    def top(self, cursor) -> tuple:
        """What `_rum_top` gives, from what the helpers did and the rest done here."""
        found = self._work(cursor, alone=not self.jobs)
        if found is not None:
            return found
        for job in self.jobs:
            job.result()  # (None where it failed: its scan is back in the list)
        with self._guard:
            if self._top is not None:
                return self._top
        found = self._work(cursor, alone=True)
        if found is not None:
            return found
        # (every scan done; the scores, where a helper's failed)
        return _rum_top(cursor, self.statements, self.wanted, self.offset, self._rows)

    def discard(self) -> None:
        with self._guard:
            self._discarded = True
        for job in self.jobs:
            job.discard()


def _rum_statements(query: Query, wanted: int) -> tuple[list[tuple], str, list]:
    """The RUM page's statements, built from the query alone (not from its listing, so that
    they can run while it is made): each searched version's scans for its best `wanted` matches
    of the words in its index's order, with their distances, scores in the version and dates
    (with RUM_SCAN's settings; `_rum_scan` runs them), as
    (version, part, sql, params, statement, gate) — one scan a version, or one a half where
    its index is in halves (migration 0023), which statement of `_RumScans` it is run in, and
    the version's `_rum_gate` or None; and the candidates' whole scores, whose last parameter
    (their ids) `_rum_top` adds."""
    words = query.positive.tsquery("words")
    filters, filter_params = query.filters
    # The ordered index scan, not a bitmap of every match sorted afterwards; with a selective
    # filter the scan reads further down the order, still without reading any vector.
    scans: list[tuple] = []
    apart = _halves_apart(query)
    for i, code in enumerate(query.languages):
        # The words vector as the RUM index holds it (migration 0018): only these scans write
        # it so, and no other statement is planned on a RUM index.
        column = f"{RUM_WORDS_FUNCTION}(a.{search_column(code)})"
        where = [f"{column} @@ to_tsquery('{CONFIG}', %s)", *filters]
        where_params = [words, *filter_params]
        gate = None
        if not query.implied_by_words:  # the rest of the match (exclusions …), on its rows
            # (its words written as the index holds them: the scan's own condition is then
            # not tested again on each row, reading its vector: 4.4 → 14 ms at 20k otherwise)
            sql, match_params = query.match(code, pairs=False, words=column)
            where.append(sql)
            where_params += match_params
            gate = _rum_gate(query, code)
        parts = rum_parts(code)
        for part in range(parts):
            # (a half's condition as its partial index states it; the distance, which the
            # index computed for its order, merges the halves)
            half = [f"a.id %% {parts} = {part}"] if parts > 1 else []
            scans.append(
                (
                    i,
                    part,
                    # (the score of the distance computed once)
                    f"(SELECT {i}, {part}, a.id, a.d, {rum_score('a.d')}, a.day FROM (SELECT "
                    f"a.id, {column} <=> to_tsquery('{CONFIG}', %s) AS d, "
                    f"a.original_published_on AS day FROM {TABLE} a WHERE "
                    f"{' AND '.join([*where, *half])} "
                    f"ORDER BY {column} <=> to_tsquery('{CONFIG}', %s) LIMIT %s) a)",
                    [words, *where_params, words, wanted],
                    # the statement it is run in (`_RumScans`): a version's scans together, or
                    # the halves of the version the words are in apart, the others with the last
                    (part if code == apart else RUM_HALVES - 1) if apart else i,
                    gate,
                )
            )
    rank_sql, rank_params = query.rank()
    return (
        scans,
        f"SELECT a.id, {rank_sql}, a.original_published_on FROM {TABLE} a "
        "WHERE a.id = ANY(%s::bigint[])",
        rank_params,
    )


def _halves_apart(query: Query) -> str | None:
    """The searched version whose RUM halves are scanned in statements of their own: one in
    halves where the words are plain Latin words (not names nor acronyms, which Chinese texts
    hold as written too), so that the other versions' scans find little. Otherwise each
    version's scans are one statement: an extra statement costs ~0.5-1 ms of round trip and
    the helper's Python (en-rare at 200k: +1.0 ms mean), which only a long scan repays."""
    lexemes = [
        lx.replace("''", "'") for lx in QUOTED_LEXEME.findall(query.positive.tsquery("words"))
    ]
    if not lexemes or not all(lx[:1].isalpha() and not has_cjk(lx) for lx in lexemes):
        return None
    latin = [c for c in query.languages if c in word_pair_languages() and rum_parts(c) > 1]
    return latin[0] if len(latin) == 1 else None


def _rum_gate(query: Query, language: str) -> tuple[str, list] | None:
    """Whether any version in this language matches, from the GIN indexes, before its RUM scan
    tests the rest of the match row by row — for a version of a language written in Latin
    letters (`word_pair_languages`) whose match needs Chinese characters: its text hardly ever
    has them, so such a scan reads every row of the words' order and keeps none (`Senulra 的的`
    at 200,000 articles: the name in 19,749 English versions, each read and rejected, 85 of a
    query's 94 ms; this test, 0.1 ms, finds the few characters' list empty). Not for the
    Chinese versions, where the characters are everywhere and the test would be a long bitmap;
    nor for characters only excluded (`Query.positive` is without them), which the versions
    hardly hold either: their test would be a bitmap of all the words' matches. None where
    there is nothing to test."""
    if language not in word_pair_languages() or not any(
        leaf.op == "chars" and has_cjk(leaf.text) for leaf in _leaves(query.positive)
    ):
        return None
    match_sql, match_params = query.match(language)
    filters, filter_params = query.filters
    return (
        f"EXISTS (SELECT 1 FROM {TABLE} a WHERE {' AND '.join([match_sql, *filters])})",
        [*match_params, *filter_params],
    )


def _rum_scan(cursor, scans: list[tuple]) -> list[tuple]:
    """(version, part, id, distance, score, date) of these scans of `_rum_statements`, each in
    its index's order, in one statement; after their versions' gates (`_rum_gate`), in one
    statement too, without the scans of a version that has no match."""
    gates = {scan[0]: scan[5] for scan in scans if scan[5] is not None}
    if gates:
        versions = list(gates)
        found = _fetch(
            cursor,
            "SELECT " + ", ".join(gates[v][0] for v in versions),
            [p for v in versions for p in gates[v][1]],
            BITMAP_ONLY,
        )[0]
        empty = {v for v, matched in zip(versions, found, strict=True) if not matched}
        scans = [scan for scan in scans if scan[0] not in empty]
        if not scans:
            return []
    sql = " UNION ALL ".join(scan[2] for scan in scans)
    return _fetch(cursor, sql, [p for scan in scans for p in scan[3]], RUM_SCAN)


def _rum_orders(rows: list[tuple], wanted: int) -> dict[int, list[int]]:
    """Each version's ids in its RUM order, from `_rum_scan`'s rows: a version in halves has
    its halves merged by distance (ties: the first half first, each half in its own order),
    the first `wanted` of them."""
    parts: dict[int, dict[int, list[tuple]]] = {}
    for version, part, pk, distance, _score, _date in rows:
        parts.setdefault(version, {}).setdefault(part, []).append((distance, pk))
    orders: dict[int, list[int]] = {}
    for version, halves in parts.items():
        if len(halves) == 1:
            orders[version] = [pk for _distance, pk in next(iter(halves.values()))]
            continue
        merged = [
            (distance, part, position, pk)
            for part, found in halves.items()
            for position, (distance, pk) in enumerate(found)
        ]
        merged.sort()
        orders[version] = [pk for *_order, pk in merged[:wanted]]
    return orders


def _rum_top(
    cursor,
    statements: tuple[list[tuple], str, list],
    wanted: int,
    offset: int = 0,
    scanned: list[tuple] | None = None,
) -> tuple:
    """Run `_rum_statements` (the scans where they are not `scanned` already): (candidates: id →
    its best position in a version's order, whether some version has more matches of the words
    than `wanted`, the candidates' (id, score, date), whether those are only the page's).

    The candidates of several versions are merged by their scores. Most scores are known from
    the scans (`_scanned_scores`); the others are read, each from its vectors (~20 µs a
    version). Where one version alone has matches of the words (a Chinese word in the Chinese
    versions), its order is the page's: only the page's slice of it (from `offset`) is
    scored — page 500 of a common word scored 20 candidates, not 10,000."""
    scans, rank_sql, rank_params = statements
    rows = _rum_scan(cursor, scans) if scanned is None else scanned
    # (a version in halves has more than `wanted` matches where either half has `wanted`)
    full = any(n == wanted for n in Counter(row[:2] for row in rows).values())
    found = _rum_orders(rows, wanted)
    candidates: dict[int, int] = {}
    for version_ids in found.values():
        for position, pk in enumerate(version_ids):
            candidates[pk] = min(position, candidates.get(pk, position))
    sliced = offset > 0 and len(found) == 1
    wanted_ids = next(iter(found.values()))[offset:wanted] if sliced else sorted(candidates)
    scored, unknown = _scanned_scores(scans, rows, wanted, wanted_ids)
    if unknown:
        cursor.execute(rank_sql, [*rank_params, id_array(unknown)])
        scored += cursor.fetchall()
    return candidates, full, scored, sliced


def _scanned_scores(
    scans: list[tuple], rows: list[tuple], wanted: int, ids: list[int]
) -> tuple[list[tuple], list[int]]:
    """(id, score, date) of those of `ids` whose score the RUM scans' rows tell, and the ids
    whose score they do not. The score (`Query.rank` with RUM) is a piece's best version's:
    in a version where it matches, what the scan returned with it (the match is the scan's
    condition; the score is `Query.score` of the distance the scan computed); 0 where it
    does not. A version that the piece is not a row of either has no match for it (its scan,
    or the scan of its half, returned fewer than `wanted` rows, or none after its gate) or
    scores it at most as that scan's last row: the piece's score is then known only where
    its other versions score it at least that much. (Reading every candidate's vectors
    again, as the scores' statement does, took 12 buffers a candidate: a name at 20,000
    articles, 27 candidates, 344 buffers.)"""
    parts = Counter(scan[0] for scan in scans)  # each version's scans: 1, or its halves
    kept: Counter = Counter()  # each scan's rows …
    lowest: dict[tuple[int, int], float] = {}  # … and the score of its last row
    best: dict[int, float] = {}  # each piece's best score in the versions it is a row of
    seen: dict[int, set[int]] = {}  # … those versions
    dates: dict[int, dt.date | None] = {}
    for version, part, pk, _distance, score, date in rows:
        scan = (version, part)
        kept[scan] += 1
        lowest[scan] = min(score, lowest.get(scan, score))
        best[pk] = max(score, best.get(pk, score))
        seen.setdefault(pk, set()).add(version)
        dates[pk] = date
    scored, unknown = [], []
    for pk in ids:
        score = best.get(pk)
        known = score is not None
        for version, n in parts.items():
            if not known or version in seen[pk]:
                continue
            scan = (version, pk % n if n > 1 else 0)
            if kept[scan] == wanted and score < lowest[scan]:
                known = False  # it may score more in that version
        if known:
            scored.append((pk, score, dates[pk]))
        else:
            unknown.append(pk)
    return scored, unknown


# A token of a tsquery's text as PostgreSQL writes it: a quoted lexeme (with its weights or
# prefix mark), an operator or a parenthesis.
TSQUERY_TOKEN = re.compile(QUOTED_LEXEME.pattern + r"(?::[*A-D]+)?|<->|<\d+>|[&|!()]")


# An article's test for an excluded term in every searched version (its characters text, or its
# words vector where the text has none of it) costs what listing this many of the articles that
# hold it from the GIN indexes does (20,000 articles: snow -中国, 851 candidates tested in ~7
# ms, where listing the 19,000 articles with 中国 took ~20).
EXCLUSION_ROW_COST = 8
EXCLUSION_CANDIDATES_MIN = 500  # fewer: the list is a few ms at most


def exclusion_candidates(query: Query) -> int:
    """Up to how many of the query's own candidates the listing tests for its excluded terms
    row by row (`Query.excluded_list`): as many as cost what listing every article holding one
    would, where ANALYZE's statistics say they are that common (中国 -excluded is 19 articles in
    20, ~250 ms to list at 200,000 articles, whatever the query: a rare word's few hundred
    candidates are tested in a few ms). 0, the whole list, where they are not known to be
    common, where the query's own words are known to be commoner than that, or where its match
    checks positions (a phrase's candidates are checked in their rows, and would be twice)."""
    limit = exclusion_row_budget(query)
    if not limit or max(known_matches(query), _known_rows(query, query.positive)) > limit:
        return 0
    return limit


def exclusion_row_budget(query: Query) -> int:
    """How many rows tested for the excluded terms cost what listing every article that holds
    one does (`_excluded_rows`, EXCLUSION_ROW_COST); 0 where that is fewer than
    EXCLUSION_CANDIDATES_MIN (the list is short), or where the query's match checks positions
    (a phrase's candidates are checked in their rows, and would be twice)."""
    if query.excluded is None or any(
        leaf.positions or leaf.op == "pairs" or "<" in leaf.text for leaf in _leaves(query.full)
    ):
        return 0
    limit = _excluded_rows(query) // EXCLUSION_ROW_COST
    return limit if limit >= EXCLUSION_CANDIDATES_MIN else 0


def _excluded_rows(query: Query) -> int:
    """At least how many articles hold an excluded term in a searched version, as far as
    ANALYZE's commonest lexemes and characters tell (0 where none of them is among those)."""
    return _known_rows(query, query.excluded)


def _known_rows(query: Query, match: Match | None) -> int:
    """At least how many articles `match` matches in a searched version, as far as ANALYZE's
    commonest lexemes and characters tell (0 where none of them is among those): for the
    query's own words, its characters too (美: in 47,000 of 200,000 articles, a number that
    `known_matches`, of the words RUM scans, does not count)."""

    def rows(match: Match, code: str) -> int:
        if match.is_leaf:
            return _leaf_rows(query, match, code)
        if match.op == "or":
            return max(rows(child, code) for child in match.children)
        return 0  # all of several terms, or none: nothing known for certain

    if match is None:
        return 0
    return max((rows(match, code) for code in query.languages), default=0)


def _leaf_rows(query: Query, leaf: Match, code: str) -> int:
    """At least how many articles a leaf's tsquery (as PostgreSQL reads it) matches in one
    version, from ANALYZE's commonest lexemes or characters of its slot (`_tsquery_matches`)."""
    found = _counted()[leaf.op].get(code, {}) if leaf.op in ("words", "chars") else {}
    tokens = tsquery_tokens(query.parsed.get(leaf.text, leaf.text))
    return _tsquery_matches(tokens, lambda lexeme: found.get(lexeme, 0), lower=True)


def _counted() -> dict[str, dict[str, dict[str, int]]]:
    """ANALYZE's counts per slot: the words' lexemes and the characters'."""
    return {"words": common_lexemes(), "chars": common_characters()}


def sample_tests_excluded(query: Query) -> bool:
    """Whether a sample of the matches tests its rows for the excluded terms rather than read
    the list of every article that holds one (`Query.sample_tests_excluded`): where that list
    is long (`exclusion_row_budget`), the query's own candidates are not few (they are then
    listed and tested, `exclusion_candidates`), and the rows the sample must test — FACET_ROWS
    matches that hold no excluded term, each article of its shares holding none with the odds
    that ANALYZE's counts give (`_excluded_odds`), every term a test of its own — cost less than
    the list. At 200,000 articles: 中国 -美国 (22 % hold no 美国) 471 → 152 ms; 发展 -经济 -中国
    (2 % of 发展's articles left) tested all of its sample's 12,500 rows twice, 1,010 → 1,733 ms."""
    budget = exclusion_row_budget(query)
    if not budget or query.exclusion_candidates:
        return False
    left, terms = _excluded_odds(query)
    return FACET_ROWS / max(left, 1e-6) * terms <= budget


def _excluded_odds(query: Query) -> tuple[float, int]:
    """The share of the archive that holds none of the excluded terms, were they independent
    (each term's articles as ANALYZE counted them, at least; in the version where it is
    commonest), and how many terms they are: a term's slots (its words and its characters:
    an OR of leaves of different slots) are one term."""
    total = max(1, archive_rows())

    def share(match: Match, code: str) -> float:
        read = query.parsed.get(match.text, match.text)
        if _ALTERNATIVES.fullmatch(read):  # several terms merged in one slot's tsquery
            found = _counted().get(match.op, {}).get(code, {})
            return math.prod(
                1 - found.get(x.replace("''", "'"), 0) / total for x in QUOTED_LEXEME.findall(read)
            )
        return 1 - _leaf_rows(query, match, code) / total

    def terms(match: Match) -> list[Match]:
        leaves = [c for c in match.children if c.is_leaf]
        if match.op != "or" or (len(leaves) == len(match.children) == len({c.op for c in leaves})):
            return [match]  # one term (in one slot or several)
        return [t for child in match.children for t in terms(child)]

    def left(term: Match, code: str) -> float:
        if term.is_leaf:
            return max(0.0, share(term, code))
        if term.op == "or":  # one term's slots: the commonest
            return min(left(child, code) for child in term.children)
        return 1.0  # all of several terms, or none: nothing known for certain

    found = terms(query.excluded)

    def alternatives(leaf: Match) -> int:  # several terms merged in one slot's tsquery
        read = query.parsed.get(leaf.text, leaf.text)
        return len(QUOTED_LEXEME.findall(read)) if _ALTERNATIVES.fullmatch(read) else 1

    count = sum(max(alternatives(leaf) for leaf in _leaves(term)) for term in found)
    odds = min(
        (math.prod(left(term, code) for term in found) for code in query.languages), default=1.0
    )
    return odds, count


def tsquery_tokens(text: str) -> list[str]:
    return [token.group() for token in TSQUERY_TOKEN.finditer(text)]


def known_matches(query: Query) -> int:
    """At least how many index entries RUM's scan of the words reads: for one word, the
    articles that hold it in some searched version, from `common_lexemes` (0 for a word not
    among the commonest); for alternatives, the sum of each one's (the scan reads every
    alternative's entries: 24 common words ORed, 20,000 matches at 20,000 articles, scored in
    212 ms where one common word's 20,000 take ~10); for words that must all be there (AND, a
    phrase), the rarest one's (the scan steps through the other words' entries only to the
    rare one's articles: a name in 15,000 articles AND a word in half the archive is a scan of
    the name's, not of 115,000 entries). An excluded word adds nothing. Known before any
    statement about the query."""
    if not query.lexemes:
        return 0
    common = common_lexemes()
    counts = [common.get(code, {}) for code in query.languages]

    def count(lexeme: str) -> int:
        return max((found.get(lexeme, 0) for found in counts), default=0)

    return _tsquery_matches(tsquery_tokens(query.lexemes), count)


def _tsquery_matches(tokens: list[str], count, *, lower: bool = False) -> int:
    """`known_matches` of a tsquery's tokens, by PostgreSQL's precedence (! binds tighter than
    a phrase's <->, which binds tighter than &, then |); each lexeme's `count`. With `lower`,
    at least how many articles it matches, as far as the counts tell: the most of any
    alternative's, and nothing known of words together (a & b, a <-> b, a & !b)."""
    at = 0

    def peek() -> str:
        return tokens[at] if at < len(tokens) else ""

    def alternatives() -> int | None:  # a | b: every alternative's entries are read
        nonlocal at
        found = [all_of()]
        while peek() == "|":
            at += 1
            found.append(all_of())
        if all(n is None for n in found):
            return None
        return (max if lower else sum)(n or 0 for n in found)

    def all_of() -> int | None:  # a & b, a <-> b: the rarest word drives the scan
        nonlocal at
        found = [operand()]
        while peek() == "&" or peek().startswith("<"):
            at += 1
            found.append(operand())
        if lower and len(found) > 1:
            return 0
        required = [n for n in found if n is not None]
        return min(required) if required else None

    def operand() -> int | None:  # None: an excluded word, which drives nothing
        nonlocal at
        token = peek()
        at += 1
        if token == "!":
            operand()
            return None
        if token == "(":
            found = alternatives()
            if peek() == ")":
                at += 1
            return found
        if lexeme := QUOTED_LEXEME.match(token):
            return count(lexeme[1].replace("''", "'"))
        return None

    return alternatives() or 0
