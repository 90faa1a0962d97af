"""The page of a search's results: its hits and the names of its facets' values.

`archive.search` finds the page's article ids and counts the facet keys of the matches; this
module turns them into what the search page and the API show: the articles, read in one
statement with their outlets, counted mentions and published versions (`page_articles`); each
hit with its snippets and actors (`page_hits`; the snippets are `archive.snippets`'); and the
facets, each kind cut to its most frequent values (`count_facets`), the outlets', people's and
actors' values named (`name_facets`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape  # (Django's adds a wrapper for lazy text, which titles never are)

from django.db import connection
from django.utils import timezone
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname

from archive.indexing import ActorCache
from archive.models import (
    Actor,
    Article,
    Mention,
    Outlet,
    Person,
    Rendition,
    from_row,
    id_array,
    language_codes,
    localized,
    search_columns,
    text_array,
)
from archive.snippets import LATIN, marked, searched, snippet
from archive.text.normalize import has_cjk, normalize
from archive.text.query import QUOTED_LEXEME, highlight_terms, name_marks

TABLE = Article._meta.db_table


@dataclass
class Hit:
    article: Article
    score: float
    snippets: dict[str, str | None]
    actors: list = field(default_factory=list)  # Actor, most mentioned first
    marks: tuple = ()  # what the snippets mark: (Chinese words, Latin words, names)
    phrases: tuple[str, ...] = ()  # the query's quoted phrases, each marked whole

    def title(self, code: str) -> str:
        """A version's title as HTML, the query's matches in <mark>, as the search page shows
        it (the API's titles are plain text): "" where it has none."""
        text = self.article.text("title", code)
        if not self.marks:
            return escape(text)
        return marked(text, *self.marks, phrases=self.phrases)


def _actors(mentions: list[tuple], published: set[str], actors: dict) -> list:
    """The actors a hit is about: counted mentions (actor id, language, count) in its published
    versions, most first."""
    counts: dict[int, int] = {}
    for actor_id, language, count in mentions:
        if language in published and actor_id in actors:
            counts[actor_id] = counts.get(actor_id, 0) + count
    return [actors[i] for i in sorted(counts, key=lambda i: (-counts[i], actors[i].slug))]


FACET_KINDS = ("lang", "outlet", "author", "translator", "actor", "year")
FACET_LIMIT = 30  # entries per kind


def count_facets(counted: list[tuple[str, int]], count: int, rows: int, *, sample: bool) -> dict:
    """Counts per language, outlet, author, translator, actor and year among the matches (among
    a `sample` of `rows` of them, see `archive.search._listing`), from the facet keys counted."""
    ranked: dict[str, list[tuple[int, str]]] = {kind: [] for kind in FACET_KINDS}
    for key, n in counted:
        kind, _, value = key.partition(":")
        found = ranked.get(kind)
        if found is not None:
            found.append((-n, value))
    facets: dict = {}
    for kind, found in ranked.items():
        found.sort()  # the most frequent first, then by value; entries only for those kept
        facets[kind] = [{"value": value, "count": -n} for n, value in found[:FACET_LIMIT]]
    facets["year"].sort(key=lambda e: e["value"], reverse=True)
    if sample:
        facets["basis"] = f"a sample of {rows} matches"
    return facets


# The facets whose values are named (`name_facets`), and by which model's rows.
NAMED_FACETS = (("outlet", Outlet), ("author", Person), ("translator", Person), ("actor", Actor))


def _names_statement(facets: dict) -> tuple[str, list, list] | None:
    """The statement that reads the names of the facets' outlets, people and actors, for `page_hits`
    to send with the page's articles (one round trip, not two); None when no facet has such
    values."""
    slugs: dict = {}
    for kind, model in NAMED_FACETS:
        slugs.setdefault(model, set()).update(e["value"] for e in facets.get(kind, ()))
    parts, params = [], []
    codes = language_codes()
    for i, (model, wanted) in enumerate(slugs.items()):
        if not wanted:
            continue
        columns = ", ".join(
            model._meta.get_field(build_localized_fieldname("name", c)).column for c in codes
        )
        parts.append(
            f"SELECT {i}, slug, {columns} FROM {model._meta.db_table} "
            "WHERE slug = ANY(%s::varchar[])"
        )
        params.append(text_array(sorted(wanted)))
    if not parts:
        return None
    return " UNION ALL ".join(parts), params, list(slugs)


def name_facets(facets: dict, names: dict | None = None) -> None:
    """Each outlet, person and actor value of the facets gets its names ({language: name}) from
    `names` ((model, slug) → names: `_read_names`), or as read now (a statement of their own)."""
    if names is None:
        naming = _names_statement(facets)
        if naming is None:
            return
        names_sql, names_params, models = naming
        with connection.cursor() as cursor:
            cursor.execute(names_sql, names_params)
            names = _read_names(cursor.fetchall(), models)
    for kind, model in NAMED_FACETS:
        for entry in facets.get(kind, ()):
            entry["name"] = names.get((model, entry["value"]), {})


def _read_names(rows: list[tuple], models: list) -> dict:
    """(model, slug) → {language: name} from the rows of `_names_statement`'s statement."""
    codes = language_codes()
    return {
        (models[row[0]], row[1]): {c: name for c, name in zip(codes, row[2:], strict=True) if name}
        for row in rows
    }


# The clock in the public rule's compiled SQL (`_page_sql`), replaced by the time of each search.
_CLOCK = dt.datetime(1, 1, 2, tzinfo=dt.UTC)


# An article's times that a page of results never shows (nor the rules it follows: the public
# versions come with the page's statement), left deferred: three timestamps an article were
# 0.7 ms of a page's 4.2 for reading its 20 articles (Django's time zone loader, at 20,000).
UNSHOWN = ("created_at", "updated_at", "deleted_at")


@lru_cache(maxsize=1)
def _page_sql() -> tuple[str, tuple, tuple[str, ...], tuple[str, ...]]:
    """The statement that reads a page's articles, each with its outlet, its counted mentions
    and its published versions' languages; its parameters before the ids (the clock as
    `_CLOCK`); the articles' and the outlets' field names in the statement's order.

    Every column but the search vectors, the facet keys (an array of a dozen strings an
    article, parsed for nothing: 0.2 ms of a page's 2.4 at 20,000 articles), the record's
    times (`UNSHOWN`) and the untranslated originals of the translated fields (`title`, `body`
    …: modeltranslation reads the per-language columns, so a page would fetch every body a
    second time). The published versions follow the ORM's own SQL of the public rule
    (`Rendition.objects.public`), compiled once, not a second query per page."""
    unread = {*search_columns(), "facet_keys", *UNSHOWN}
    originals = set(translator.get_options_for_model(Article).fields)
    article = tuple(
        f
        for f in Article._meta.concrete_fields
        if f.attname not in unread and f.attname not in originals
    )
    outlet = tuple(Outlet._meta.concrete_fields)
    mention = Mention._meta.db_table
    public_sql, public_params = (
        Rendition.objects.public(now=_CLOCK)
        .order_by()
        .values("article_id", "language")
        .query.sql_with_params()
    )
    columns = [f"a.{f.column}" for f in article] + [f"o.{f.column}" for f in outlet]
    sql = (
        f"SELECT {', '.join(columns)}, (SELECT coalesce(json_agg(json_build_array("
        f"m.actor_id, m.language, m.count)), '[]') FROM {mention} m "
        "WHERE m.article_id = a.id AND m.state <> %s), "
        f"(SELECT array_agg(p.language) FROM ({public_sql}) p(article_id, language) "
        "WHERE p.article_id = a.id) "
        f"FROM {TABLE} a LEFT JOIN {Outlet._meta.db_table} o ON o.id = a.outlet_id "
        "WHERE a.id = ANY(%s::bigint[])"
    )
    params = (Mention.State.REJECTED, *public_params)
    return sql, params, tuple(f.attname for f in article), tuple(f.attname for f in outlet)


def page_articles(
    ids: list[int], facets: dict | None = None
) -> tuple[dict[int, Article], dict[int, list[tuple]]]:
    """The page's articles by id (with their outlet and `published_languages`) and their counted
    mentions as (actor id, language, count): in one statement, without compiling a queryset for
    every page — that was a third of a page's Python time — and with models built from the rows
    as `from_db` leaves them (`from_row`). The `facets`' values are named in the same round
    trip (`_names_statement`)."""
    sql, params, article_fields, outlet_fields = _page_sql()
    now = timezone.now()
    params = [now if p == _CLOCK else p for p in params]
    outlet_field = Article._meta.get_field("outlet")
    articles: dict[int, Article] = {}
    mentions: dict[int, list[tuple]] = {}
    naming = _names_statement(facets) if facets else None
    with connection.cursor() as cursor:
        if naming is None:
            cursor.execute(sql, [*params, id_array(ids)])
            rows = cursor.fetchall()
        else:
            names_sql, names_params, models = naming
            cursor.execute(f"{sql}; {names_sql}", [*params, id_array(ids), *names_params])
            rows = cursor.fetchall()
            cursor.nextset()
            name_facets(facets, _read_names(cursor.fetchall(), models))
    width, alias = len(article_fields), connection.alias
    for row in rows:
        article = from_row(Article, article_fields, row[:width], alias)
        outlet_row = row[width : width + len(outlet_fields)]
        outlet = (
            from_row(Outlet, outlet_fields, outlet_row, alias)
            if outlet_row[0] is not None
            else None
        )
        outlet_field.set_cached_value(article, outlet)
        found, article.published_languages = row[-2], list(row[-1] or [])
        if isinstance(found, str):
            found = json.loads(found)
        mentions[article.pk] = [tuple(m) for m in found]
        articles[article.pk] = article
    return articles, mentions


def page_hits(
    rows, parsed, seg, query_text: str, actors: ActorCache, facets: dict | None = None
) -> list[Hit]:
    """The page's hits, with their snippets and actors (read from `actors`, the register's
    actors read so far); and the `facets`' values named."""
    if not rows:
        if facets:  # no page to read them with
            name_facets(facets)
        return []
    articles, mentions = page_articles([row[0] for row in rows], facets)
    named_ids = {found[0] for listed in mentions.values() for found in listed}
    actors = actors.get(named_ids) if named_ids else {}
    words = highlight_terms(parsed, seg)
    names = name_marks(parsed)
    lexemes = {lx.replace("''", "'") for lx in QUOTED_LEXEME.findall(query_text)} - names
    stems = {lx for lx in lexemes if not has_cjk(lx)}
    # The query's Latin words that PostgreSQL searched for (not its stop words: "of" would mark
    # "off" and "Office"), as typed and as stemmed (happy, happi: each a prefix of some forms).
    latin = {w for w in words if not has_cjk(w) and searched(w, stems)} | stems
    cjk = [w for w in words if has_cjk(w)]
    phrases = tuple(term.text for group in parsed.groups for term in group if term.phrase)
    hits = []
    for article_id, score in rows:
        article = articles.get(article_id)
        if article is None:
            continue
        published = set(article.public_languages)
        about = _actors(mentions.get(article_id, []), published, actors)
        more_cjk, more_latin, named = _named_actors(about, cjk, latin | {n[1:] for n in names})
        marks = (cjk + more_cjk, latin | more_latin, names)
        snippets = {
            code: snippet(article, code, *marks, phrases, named) if code in published else None
            for code in language_codes()
        }
        hits.append(
            Hit(
                article=article,
                score=float(score or 0.0),
                snippets=snippets,
                actors=about,
                marks=marks,
                phrases=phrases,
            )
        )
    return hits


def _named_actors(
    actors: list, cjk: list[str], latin: set[str]
) -> tuple[list[str], set[str], tuple[tuple[str, ...], ...]]:
    """Every name and alias of the hit's actors that the query names, to highlight as well: a
    query 五角大楼 marks "Pentagon" in an English text it found through the actor. And for
    each such actor, its names with the query's words that name it: one term of the query, for
    the snippet to count once (`snippet`)."""
    more_cjk: list[str] = []
    more_latin: set[str] = set()
    named: list[tuple[str, ...]] = []
    for actor in actors:
        names = [localized(actor, "name", code) for code in language_codes()]
        names = [normalize(n) for n in [*names, *actor.alias_texts] if n]  # (`ActorCache`)
        words = {w for n in names if not has_cjk(n) for w in re.findall(rf"[{LATIN}]+", n)}
        naming = [w for w in cjk if w in names or (len(w) > 1 and any(w in n for n in names))] + [
            w for w in latin if w in names or (len(w) > 2 and w in words)
        ]
        if naming:
            more_cjk.extend(n for n in names if has_cjk(n))
            more_latin.update(n for n in names if not has_cjk(n))
            named.append(tuple(sorted({*names, *naming})))
    return more_cjk, more_latin, tuple(named)
