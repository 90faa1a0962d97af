"""The RUM plan: where the server has the `rum` extension (Debian's postgresql-15-rum), a page of
a term with many matches comes from the RUM indexes' order instead of ranking every match.

The plan's own tests need the extension and are skipped on a server without it (the embedded
one); CI runs the suite on both servers. A small archive reaches the plan by lowering
RANK_ALL_WITH_RUM to 0; its answers are compared with ranking every match (the plan for a few)."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import itertools
import re
import threading
import time

import pytest
from django.db import OperationalError, connection

from archive import catalog, concurrent
from archive import search as search_module
from archive.models import RUM_HALVES, language_codes, rum_index_name, word_pair_languages
from archive.search import rum_languages, search
from tests.test_search import add, all_pages, ids, search_statements

pytestmark = pytest.mark.django_db


def _available() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        return cursor.fetchone() is not None


@pytest.fixture
def rum(monkeypatch):
    if not rum_languages():
        pytest.skip("this server has no RUM extension (the GIN plans are tested elsewhere)")
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 0)


@pytest.fixture
def ports():
    """Ten pieces about a port: the term in the title of one, in the summary of another, and
    in the bodies of the rest one to four times (ties among those), of different dates."""
    add("title", zh=("港口扩建", "工程开始。"), en=("Port expansion", "Work begins."))
    add(
        "summary",
        zh=("周报", "今天天气很好。"),
        en=None,
        summary={"zh-hans": "本周重点：港口。"},
        published="2020-01-01",
    )
    for i in range(8):
        times = 1 + i % 4
        add(
            f"body-{i}",
            zh=(f"新闻{i}", "船只驶入港口。" * times + "天气晴朗。"),
            en=(f"News {i}", "Ships entered the port. " * times + "The weather was fine."),
            published=f"20{10 + i}-03-01",
        )


def add_a_name_in_both_versions() -> None:
    """Four pieces naming Graquo in both versions, once or twice in each."""
    for i in range(4):
        add(
            f"name-{i}",
            zh=(f"消息{i}", "Graquo 公司发布新模型。" * (1 + i % 2)),
            en=(f"News {i}", "Graquo released a new model. " * (2 - i % 2)),
            published=f"202{i}-05-01",
        )


def test_rum_indexes_exist_exactly_where_the_server_has_the_extension():
    assert rum_languages() == (frozenset(language_codes()) if _available() else frozenset())


def test_rum_plan_pages_are_those_of_ranking_every_match(rum, ports, monkeypatch):
    pages = all_pages("港口", 3)
    assert {p.plan for p in pages} == {"rum"}
    found = [hit for p in pages for hit in p.hits]
    assert len(found) == len({h.article.pk for h in found}) == pages[0].count == 10
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 1_000)
    everything = search("港口", page_size=20)
    assert everything.plan == "rank-all"
    # The same scores in the same order (ties may differ in their order across pages) …
    assert [h.score for h in found] == [h.score for h in everything.hits]
    assert ids(pages[0])[:2] == ["title", "summary"]
    # … and inside a page, ties newest first.
    for page in pages:
        for a, b in zip(page.hits, page.hits[1:], strict=False):
            assert (a.score, a.article.original_published_on) >= (
                b.score,
                b.article.original_published_on,
            )


def test_rum_plan_in_english_with_filters_and_exclusions(rum, ports):
    result = search("port", page_size=20)
    assert result.plan == "rum"
    assert ids(result)[0] == "title"
    assert len(result.hits) == 9  # the summary piece has no English version
    assert set(ids(search("port", lang="en", year=2013))) == {"body-3"}
    excluded = search("港口 -扩建", page_size=20)
    assert excluded.plan == "rum" and "title" not in ids(excluded) and len(excluded.hits) == 9
    # The exclusion's own version too: RUM's scan is of the words without it, so the rows it
    # returns are tested for the whole match.
    for query in ("port -expansion", "port -expansion -zebra"):
        english = search(query, page_size=20)
        assert english.plan == "rum" and "title" not in ids(english), query
        assert len(english.hits) == english.count == 8


def test_rum_plan_follows_word_matches_with_character_matches_newest_first(rum, ports):
    # 香港口岸 holds 港口 only across two words (香港 口岸): a match of its characters.
    add("across", zh=("边境消息", "旅客经香港口岸入境。"), en=None, published="2026-01-01")
    add("across-old", zh=("旧消息", "旅客经香港口岸离境。"), en=None, published="2000-01-01")
    result = search("港口", page_size=20)
    assert result.plan == "rum" and result.count == 12
    assert ids(result)[-2:] == ["across", "across-old"]
    assert [h.score for h in result.hits[-2:]] == [0.0, 0.0]
    # The last page: one word match, then the character matches (the tail's offset is right).
    assert ids(search("港口", page=4, page_size=3))[1:] == ["across", "across-old"]


def test_without_rum_the_gin_plans_rank_every_match(ports, monkeypatch):
    monkeypatch.setattr(search_module, "rum_languages", lambda: frozenset())
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 0)
    result = search("港口", page_size=20)
    assert result.plan == "rank-all"
    assert ids(result)[:2] == ["title", "summary"]


def test_rum_plan_ranks_beyond_huge_up_to_rum_max(rum, ports, monkeypatch):
    monkeypatch.setattr(search_module, "HUGE", 0)
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 5)  # 6 listed: more than that
    result = search("港口", page_size=20)
    assert result.plan == "rum" and result.count == 10  # (a page short of full: the last)
    assert search("港口", page_size=5).count_is_estimate
    assert ids(result)[:2] == ["title", "summary"] and len(result.hits) == 10
    # Facets: of a sample of the words' matches where the word's characters would only match
    # the same articles again (every match here); else of the listed ones.
    assert sum(e["count"] for e in result.facets["year"]) == 10
    english = search("port", page_size=20)
    assert english.plan == "rum" and search("port", page_size=5).count_is_estimate
    assert sum(e["count"] for e in english.facets["year"]) == 6  # the listed ones
    monkeypatch.setattr(search_module, "RUM_MAX", 0)
    assert search("港口").plan in {"head-then-date", "common-by-date"}


def test_phrases_listed_whole_are_ranked_without_the_rum_scan(rum, ports, monkeypatch):
    # For a phrase RUM would score every article holding all its words, which may be many more
    # than its matches: the few matches listed are cheaper to rank. For several words those
    # articles are the matches: RUM's order.
    phrase = search('"ships entered"', page_size=20)
    assert phrase.plan == "rank-all" and len(phrase.hits) == 8
    both = search("ships weather", page_size=20)
    assert both.plan == "rum" and not both.count_is_estimate
    assert search("ships OR weather", page_size=20).plan == "rum"
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 200)
    ranked = search("ships weather", page_size=20)
    assert ranked.plan == "rank-all"
    assert sorted(ids(both)) == sorted(ids(ranked))


def test_filtered_queries_use_rum_only_where_it_costs_less(rum, ports, monkeypatch):
    everything = set(ids(search("港口", page_size=20)))
    # A few listed matches: ranked whole.
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 200)
    assert search("港口", year=2013).plan == "rank-all"
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 0)
    # Every match listed: RUM's order of the words alone where walking it until a page passes
    # the filters costs less than ranking each listed match …
    result = search("港口", outlet="harbor-daily", page_size=20)
    assert result.plan == "rum" and not result.count_is_estimate
    assert ids(result)[:2] == ["title", "summary"]
    assert set(ids(result)) == everything
    # … else (a common word in a selective filter: most of its order would be walked) ranked
    # whole, the same page.
    monkeypatch.setattr(search_module, "RUM_ROW_US", 10**6)
    ranked = search("港口", outlet="harbor-daily", page_size=20)
    assert ranked.plan == "rank-all" and ids(ranked) == ids(result)
    # Too many to list: RUM's order where the words alone match few …
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 1)
    result = search("港口", outlet="harbor-daily", page_size=20)
    assert result.plan == "rum" and search("港口", outlet="harbor-daily", page_size=5).plan == "rum"
    assert search("港口", outlet="harbor-daily", page_size=5).count_is_estimate
    assert set(ids(result)) == everything
    # … else the head matches ranked, then the rest newest first: not every match's vectors.
    monkeypatch.setattr(search_module, "RUM_FILTERED_MAX", 0)
    result = search("港口", outlet="harbor-daily", page_size=20)
    assert result.plan in {"head-then-date", "common-by-date"}
    assert search("港口", outlet="harbor-daily", page_size=5).count_is_estimate
    assert set(ids(result)) == everything


def test_only_the_rum_page_is_planned_on_a_rum_index(rum, ports, monkeypatch):
    """The RUM indexes hold the words vectors through a function that only the RUM page's
    scans write (migration 0018): each version's scan is planned on its RUM index, and no other
    statement of a search can be (the GIN indexes read less for a bitmap of matches)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexdef ILIKE '%USING rum%'"
        )
        found = dict(cursor.fetchall())
    for code in language_codes():
        words = f"{search_module.RUM_WORDS_FUNCTION}({search_module.search_column(code)})"
        if code in word_pair_languages():  # in halves by the id's parity (migration 0023)
            for half in range(RUM_HALVES):
                definition = found[rum_index_name(code, half)]
                assert definition.endswith(
                    f"USING rum ({words}) WHERE ((id % ({RUM_HALVES})::bigint) = {half})"
                )
            assert search_module.rum_parts(code) == RUM_HALVES
        else:
            assert found[rum_index_name(code)].endswith(f"USING rum ({words})")
            assert search_module.rum_parts(code) == 1
    statements = []
    fetch = search_module._fetch

    def spy(cursor, sql, params, settings):
        statements.append((sql, params, settings))
        return fetch(cursor, sql, params, settings)

    monkeypatch.setattr(search_module, "_fetch", spy)
    for query, filters in (("港口", {}), ("港口", {"outlet": "harbor-daily"}), ("ships -扩建", {})):
        assert search(query, page_size=20, **filters).plan == "rum"
    scans = [s for s in statements if s[2] is search_module.RUM_SCAN]
    assert len(scans) >= 3 and len(statements) > len(scans)
    with connection.cursor() as cursor:
        for sql, params, settings in statements:
            plan = [line.strip() for (line,) in fetch(cursor, f"EXPLAIN {sql}", params, settings)]
            # ("Index Scan using search_rum_en …", "Bitmap Index Scan on search_rum_en")
            on_rum = [line for line in plan if "Scan" in line and "search_rum_" in line]
            if settings is search_module.RUM_SCAN:  # each scan (a version, or half of one) …
                assert len(on_rum) == len(re.findall(r"\(SELECT \d+, \d+, a\.id", sql)) >= 1
                # (an excluded term in the other version is a test of the row: `Query.excluded`)
                conditions = [plan[plan.index(line) + 1] for line in on_rum]
                assert all(c.startswith("Index Cond:") for c in conditions)
                assert all(search_module.RUM_WORDS_FUNCTION in line for line in conditions)
            else:
                assert on_rum == [], sql


def test_several_words_with_too_many_matches_to_score_take_the_head_plan(rum, ports, monkeypatch):
    monkeypatch.setattr(search_module, "EXACT_COUNT_WITH_RUM", 1)  # too many to list
    assert search("ships weather", page_size=20).plan == "rum"
    monkeypatch.setattr(search_module, "RUM_MAX_SEVERAL", 1)
    assert search("ships weather", page_size=20).plan in {"head-then-date", "common-by-date"}
    assert search("ships", page_size=20).plan == "rum"  # one word: the scan stays cheap


def test_matches_are_listed_after_a_sample_says_they_are_not_too_many(rum, ports, monkeypatch):
    """With RUM the count and the facets come from a listing of up to EXACT_COUNT_WITH_RUM
    matches, made only where a sample of a sixteenth of the archive finds at most SAMPLE_GATE
    (scaled up); beyond, the sample is the listing and the count its estimate."""
    seen = []
    listing = search_module._listing
    monkeypatch.setattr(search_module, "_listing", lambda *a: seen.append(listing(*a)) or seen[-1])
    exact = search("port")
    assert not exact.count_is_estimate and exact.count == 9 and seen[-1].ids[0]
    assert seen[-1].sample.shares == search_module.LISTING_SHARES
    # A sample of the whole archive (to see every match in a small one), with a gate it fails.
    monkeypatch.setattr(search_module, "LISTING_SHARES", 64)
    monkeypatch.setattr(search_module, "SAMPLE_GATE", 8)
    sampled = search("port", page_size=5)  # (a full page: not known to be the last)
    assert seen[-1].ids == [[]]  # the listing's scan never ran
    assert sampled.count_is_estimate and sampled.count == 9 and sampled.plan == "rum"
    assert "basis" not in sampled.facets  # (a sample of every share: every match)
    assert ids(sampled) == ids(exact)[:5]
    assert sum(e["count"] for e in sampled.facets["year"]) == 9


def _answers(query: str, **filters) -> list:
    return [
        (ids(p), [h.score for h in p.hits], p.count, p.plan, p.facets) for p in all_pages(query, 3)
    ]


@pytest.fixture
def scans_seen(monkeypatch):
    """The names of the threads that ran the RUM page's scans (`_rum_scan`)."""
    seen: list[str] = []
    scan = search_module._rum_scan

    def spy(*args):
        seen.append(threading.current_thread().name)
        return scan(*args)

    monkeypatch.setattr(search_module, "_rum_scan", spy)
    return seen


@pytest.mark.django_db(transaction=True)
def test_rum_scans_run_on_a_second_connection_outside_a_transaction(
    rum, ports, scans_seen, settings
):
    """Outside a transaction the RUM page's scans run on the helper's connection while the
    matches are listed; the answers are those of running them in turn on one connection."""
    assert concurrent.available()
    beside = _answers("港口")
    assert {plan for *_rest, plan, _facets in beside} == {"rum"}
    # The facets' values are named (while the helper scans) as they are without it.
    assert beside[0][-1]["outlet"]
    assert all(e["name"] for *_rest, facets in beside for e in facets["outlet"])
    # (each scan on a helper, or on the request's connection where it found one left)
    assert any(name.startswith("yiwen-search") for name in scans_seen)
    settings.SEARCH_SECOND_CONNECTION = False
    scans_seen.clear()
    assert _answers("港口") == beside
    assert scans_seen and "yiwen-search" not in " ".join(scans_seen)


@pytest.mark.django_db(transaction=True)
def test_a_failing_second_connection_leaves_the_statements_to_the_first(
    rum, ports, scans_seen, monkeypatch
):
    expected = _answers("港口")
    for step in ("_rum_scan", "_rum_top"):  # the scans, or the candidates' scores after them
        done = getattr(search_module, step)

        def broken(cursor, *args, done=done):
            if threading.current_thread().name.startswith("yiwen-search"):
                raise OperationalError("the helper's connection is gone")
            return done(cursor, *args)

        monkeypatch.setattr(search_module, step, broken)
        assert _answers("港口") == expected
        monkeypatch.setattr(search_module, step, done)  # and it works again afterwards
        assert _answers("港口") == expected


@pytest.mark.django_db(transaction=True)
def test_a_name_in_both_versions_is_scanned_on_two_helpers_at_once(
    rum, ports, scans_seen, monkeypatch, settings
):
    """Where two helpers are free, the RUM scans are shared out between them (a name's scans
    side by side, not one after the other), the candidates' scores after the last; the answers
    are those of one connection. Where only one is free, it and the request's connection share
    them."""
    add_a_name_in_both_versions()
    made: list = []
    scans = search_module._RumScans

    def spy(*args):
        made.append(scans(*args))
        return made[-1]

    def first_page():  # once every helper is free (a page past the end discards its scans)
        helpers_free()
        made.clear()
        scans_seen.clear()
        return search("Graquo", page_size=3)

    monkeypatch.setattr(search_module, "_RumScans", spy)
    beside = _answers("Graquo")
    assert {plan for *_rest, plan, _facets in beside} == {"rum"}
    # (a statement a version: a name is in both, so a version's halves are scanned together)
    scans_made = len(language_codes())
    with side_by_side(monkeypatch) as met:
        page = first_page()
    assert page.plan == "rum" and len(made) == 1 and len(made[0].jobs) == 2
    assert met == [True, True]  # the first two scans ran at once, on two connections
    assert len(scans_seen) == scans_made and len(set(scans_seen)) >= 2
    assert any(n.startswith("yiwen-search") for n in scans_seen)

    helpers_free()
    taken = concurrent.submit(lambda cursor: time.sleep(0.5))  # one helper busy
    assert taken is not None and concurrent.submit_all([len, len]) is None
    made.clear()
    scans_seen.clear()
    again = search("Graquo", page_size=3)
    assert ids(again) == ids(page) and [h.score for h in again.hits] == [h.score for h in page.hits]
    assert len(made) == 1 and len(made[0].jobs) == 1 and len(scans_seen) == scans_made
    taken.result()
    assert _answers("Graquo") == beside

    settings.SEARCH_SECOND_CONNECTION = False
    made.clear()
    scans_seen.clear()
    assert _answers("Graquo") == beside
    assert made and all(m.jobs == [] for m in made)
    assert "yiwen-search" not in " ".join(scans_seen)


@pytest.mark.django_db(transaction=True)
def test_an_english_word_is_scanned_in_two_halves_on_two_connections_at_once(
    rum, ports, scans_seen, monkeypatch, settings
):
    """The English RUM index is in two halves by the parity of the id (migration 0023): a word
    of the English versions takes two ordered scans, on two connections side by side, merged by
    their distance. Every page is that of ranking every match, ties included; so it is with a
    helper busy, with none, and in a filtered query's scans (after the listing: one half on the
    request's connection, the other on a helper)."""
    if "en" not in word_pair_languages() or search_module.rum_parts("en") != RUM_HALVES:
        pytest.skip("no English RUM index in halves")
    for i in range(6):  # more ids of each parity, ties among them
        add(
            f"more-{i}",
            zh=None,
            en=(f"Harbour {i}", "Ships left the port. " * (1 + i % 2)),
            published=f"2019-0{1 + i}-01",
        )
    made: list = []
    scans = search_module._RumScans
    monkeypatch.setattr(
        search_module, "_RumScans", lambda *a, **k: made.append(scans(*a, **k)) or made[-1]
    )

    def pages(**filters):
        if settings.SEARCH_SECOND_CONNECTION:
            helpers_free()
        made.clear()
        scans_seen.clear()
        found = all_pages("port", 3, lang="en", **filters)
        return [(ids(p), [h.score for h in p.hits], p.plan) for p in found]

    def ranked_whole(**filters):
        monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 1_000)
        everything = search("port", page_size=100, lang="en", **filters)
        monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 0)
        assert everything.plan == "rank-all"
        return ids(everything), [h.score for h in everything.hits]

    beside = pages()
    assert {plan for *_rest, plan in beside} == {"rum"} and len(beside) >= 4
    # (a job a helper, once both are free; the next page may find one still finishing)
    assert len(made[0].jobs) == 2 and all(len(m.statements[0]) == RUM_HALVES for m in made)
    found = [pk for page_ids, _scores, _plan in beside for pk in page_ids]
    assert len(found) == len(set(found))  # the pages are disjoint …
    whole_ids, whole_scores = ranked_whole()
    assert sorted(found) == sorted(whole_ids)  # … and hold every match, in the scores' order
    assert [score for _ids, scores, _plan in beside for score in scores] == whole_scores
    with side_by_side(monkeypatch) as met:
        pages()
    assert met == [True, True]

    helpers_free()
    taken = concurrent.submit(lambda cursor: time.sleep(0.5))  # one helper busy
    made.clear()
    first = search("port", page_size=3, lang="en")
    assert len(made[0].jobs) == 1
    assert (ids(first), [h.score for h in first.hits]) == beside[0][:2]
    taken.result()

    settings.SEARCH_SECOND_CONNECTION = False  # no helper: both halves here
    assert pages() == beside
    assert scans_seen and "yiwen-search" not in " ".join(scans_seen)
    settings.SEARCH_SECOND_CONNECTION = True

    # A filtered query's scans, run after the listing (`_rum_page`).
    monkeypatch.setattr(search_module, "_rum_pays", lambda *a: True)
    monkeypatch.setattr(search_module, "RUM_FILTERED_MAX", 1_000)
    filtered = pages(year=2019)
    assert {plan for *_rest, plan in filtered} == {"rum"}
    assert made[0].here and len(made[0].jobs) == 1
    assert [score for _ids, scores, _plan in filtered for score in scores] == ranked_whole(
        year=2019
    )[1]
    with side_by_side(monkeypatch) as met:
        pages(year=2019)
    assert met == [True, True]


def test_only_plain_english_words_have_their_halves_scanned_apart(rum, ports, monkeypatch):
    """An extra statement costs more than half a short scan saves: the English halves are two
    statements only for plain English words, which the Chinese versions hardly hold (their scan
    goes with the second half); a name, an acronym, a Chinese word or a mix is one statement a
    version."""
    if search_module.rum_parts("en") != RUM_HALVES:
        pytest.skip("no English RUM index in halves")
    statements: list = []
    made = search_module._rum_statements
    monkeypatch.setattr(
        search_module, "_rum_statements", lambda *a: statements.append(made(*a)) or statements[-1]
    )
    codes = language_codes()
    for q, apart in (("ships", True), ("ships weather", True), ("Graquo", False), ("港口", False)):
        statements.clear()
        if q == "Graquo":
            add_a_name_in_both_versions()
        search(q, page_size=3)
        assert statements, q
        scans = statements[0][0]
        by_statement = {}
        for version, part, _sql, _params, statement, _gate in scans:
            by_statement.setdefault(statement, []).append((codes[version], part))
        found = sorted(sorted(group) for group in by_statement.values())
        if apart:
            assert found == sorted(
                [[("en", 0)], sorted([("en", 1), *[(c, 0) for c in codes if c != "en"]])]
            ), q
        else:
            assert found == sorted(
                [[(c, p) for p in range(search_module.rum_parts(c))] for c in codes]
            ), q


def test_a_version_without_the_chinese_characters_is_not_scanned(rum, monkeypatch):
    """A name with a string of Chinese characters that is no word (的的): the English versions
    hold the name but hardly ever the characters, and their RUM scan would read every row of
    the name's order and keep none. A test of the GIN indexes first (`_rum_gate`) leaves that
    scan out — and not where an English text does hold them. The pages are those without it."""
    for i in range(3):
        add(
            f"zh-{i}",
            zh=(f"消息{i}", "Senulra 的的确确发布了新模型。" * (1 + i % 2)),
            en=(f"News {i}", "Senulra released a new model."),
            published=f"202{i}-05-01",
        )
    add("other", zh=("其他", "Senulra 发布了新模型。"), en=("Other", "Senulra did."))
    scanned: list[str] = []
    fetch = search_module._fetch

    def spy(cursor, sql, params, settings):
        if "<=>" in sql and " LIMIT " in sql:  # the RUM scans
            scanned.append(sql)
        return fetch(cursor, sql, params, settings)

    monkeypatch.setattr(search_module, "_fetch", spy)
    english = f"{search_module.RUM_WORDS_FUNCTION}(a.search_en)"
    result = search("Senulra 的的")
    assert result.plan == "rum"
    assert sorted(ids(result)) == ["zh-0", "zh-1", "zh-2"]
    assert scanned and not any(english in sql for sql in scanned)
    gated, gate = ids(result), search_module._rum_gate
    monkeypatch.setattr(search_module, "_rum_gate", lambda *args: None)
    assert ids(search("Senulra 的的")) == gated
    monkeypatch.setattr(search_module, "_rum_gate", gate)
    # An English text quoting the characters: that version is scanned, and found.
    add("quoted", zh=None, en=("Quoted", "Senulra wrote “的的确确” in a letter."))
    scanned.clear()
    result = search("Senulra 的的")
    assert "quoted" in ids(result) and any(english in sql for sql in scanned)
    # Characters only excluded: no test first (every version lacks them: no use).
    gates: list = []
    monkeypatch.setattr(
        search_module, "_rum_gate", lambda *args: gates.append(gate(*args)) or gates[-1]
    )
    assert "quoted" not in ids(search("Senulra -的的"))
    assert gates and not any(gates)


def test_the_english_rum_index_goes_into_halves_and_back(rum, ports, monkeypatch):
    """Migration 0023 and its reverse: the English RUM index whole, or in two halves by the
    parity of the id; search reads which (once per process: forgotten here) and answers the
    same either way."""
    if "en" not in word_pair_languages():
        pytest.skip("no English word-pairs index")
    migration = importlib.import_module("archive.migrations.0023_rum_english_in_halves")

    def migrated(forward: bool) -> set[str]:
        with connection.cursor() as cursor:  # (the articles' deferred checks, before the DDL)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor() as editor:
            migration._split(forward)(None, editor)
        monkeypatch.setattr(catalog, "_RUM_INDEXES", {})
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef ILIKE '%USING rum%'")
            return {name for (name,) in cursor.fetchall()}

    def answers():
        pages = all_pages("port", 3, lang="en")
        assert {p.plan for p in pages} == {"rum"}
        return sorted(pk for p in pages for pk in ids(p)), [h.score for p in pages for h in p.hits]

    halves = answers()
    assert search_module.rum_parts("en") == RUM_HALVES
    assert migrated(False) == {rum_index_name(code) for code in language_codes()}
    assert search_module.rum_parts("en") == 1
    assert answers() == halves
    assert migrated(True) == {
        rum_index_name(code, half) for code in word_pair_languages() for half in range(RUM_HALVES)
    } | {rum_index_name(code) for code in rum_languages() - {*word_pair_languages()}}
    assert search_module.rum_parts("en") == RUM_HALVES
    assert answers() == halves


@pytest.mark.django_db(transaction=True)
def test_scans_not_needed_are_discarded_and_the_helper_freed(rum, ports, monkeypatch):
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 1_000)  # a few: ranked whole
    for _ in range(3):
        assert search("港口", page_size=20).plan == "rank-all"

    def one(cursor):
        cursor.execute("SELECT 1")
        return cursor.fetchone()

    job = concurrent.submit(one)
    for _ in range(100):  # the last discarded job may still be finishing
        if job is not None:
            break
        time.sleep(0.01)
        job = concurrent.submit(one)
    assert job is not None and job.result() == (1,)


def test_inside_a_transaction_everything_runs_on_its_connection(rum, ports, scans_seen):
    assert not concurrent.available()
    assert search("港口", page_size=20).plan == "rum"
    assert scans_seen == [threading.current_thread().name]


@contextlib.contextmanager
def side_by_side(monkeypatch):
    """While inside: the first two RUM scans wait for each other (for up to 10 s), and whether
    they met is recorded, True or False, in the list yielded."""
    met: list[bool] = []
    barrier = threading.Barrier(2, timeout=10)
    scan = search_module._rum_scan
    calls = itertools.count()

    def spy(*args):
        if next(calls) < 2:
            try:
                barrier.wait()
                met.append(True)
            except threading.BrokenBarrierError:
                met.append(False)
        return scan(*args)

    monkeypatch.setattr(search_module, "_rum_scan", spy)
    try:
        yield met
    finally:
        monkeypatch.setattr(search_module, "_rum_scan", scan)


def helpers_free() -> None:
    """Wait until every helper is free (a discarded job may still be running)."""
    for _ in range(500):
        jobs = concurrent.submit_all([len] * concurrent.HELPERS)
        if jobs is not None:
            for job in jobs:
                job.result()
            return
        time.sleep(0.01)
    raise AssertionError("the helpers stayed busy")


def jobs_submitted(monkeypatch) -> list:
    """The jobs handed to the helpers from now on (`concurrent.submit`, `submit_all`)."""
    submitted: list = []
    submit, submit_all = concurrent.submit, concurrent.submit_all
    monkeypatch.setattr(concurrent, "submit", lambda job: submitted.append(job) or submit(job))
    monkeypatch.setattr(
        concurrent, "submit_all", lambda jobs: submitted.extend(jobs) or submit_all(jobs)
    )
    return submitted


def analysed_counts(monkeypatch) -> dict[str, int]:
    """ANALYZE the articles and read the Chinese words' counts it found (`common_lexemes`: read
    now, forgotten after the test)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE archive_article")
    monkeypatch.setattr(catalog, "_ELEMENT_STATS", {})
    return search_module.common_lexemes()["zh-hans"]


@pytest.mark.django_db(transaction=True)
def test_no_scan_beside_the_listing_for_a_word_analyze_counted_too_common_for_rum(
    rum, ports, scans_seen, monkeypatch
):
    """A word that ANALYZE found in more than RUM_MAX articles is never ranked from RUM's
    order: its scan is not started on the helper's connection to be thrown away."""
    assert analysed_counts(monkeypatch)["港口"] == 10
    monkeypatch.setattr(search_module, "RUM_MAX", 9)
    submitted = jobs_submitted(monkeypatch)
    assert search("港口", page_size=20).plan != "rum"
    assert submitted == [] and scans_seen == []
    monkeypatch.setattr(search_module, "RUM_MAX", 10)  # as many as it has: RUM's, beside
    assert search("港口", page_size=20).plan == "rum"
    assert len(submitted) == 2  # (two helpers, sharing the scans with the request's connection)
    assert scans_seen


@pytest.mark.django_db(transaction=True)
def test_alternatives_of_common_words_are_weighed_by_all_their_entries(
    rum, ports, scans_seen, monkeypatch
):
    """RUM's scan of alternatives reads every alternative's entries: their counts add up (24
    common words ORed at 20,000 articles: 20,000 matches, a 212 ms scan), though the matches
    are no more than the commonest one's."""
    common = analysed_counts(monkeypatch)
    assert (common["港口"], common["天气"]) == (10, 9)
    monkeypatch.setattr(search_module, "RUM_MAX", 15)
    assert search("港口", page_size=20).plan == "rum"
    submitted = jobs_submitted(monkeypatch)
    either = search("港口 OR 天气", page_size=20)
    assert either.plan != "rum" and submitted == []
    assert either.count == 10  # (every piece has 港口)
    monkeypatch.setattr(search_module, "RUM_MAX", 19)
    assert search("港口 OR 天气", page_size=20).plan == "rum"


@pytest.mark.django_db(transaction=True)
def test_words_that_must_all_be_there_are_weighed_by_the_rarest(rum, ports, monkeypatch):
    """RUM's scan of words ANDed steps through the commoner words' entries only to the rarest
    one's articles: a name AND a word in half the archive is a scan of the name's articles,
    not of both words' entries added up (which sent such queries to rank every match)."""
    common = analysed_counts(monkeypatch)
    assert (common["港口"], common["天气"]) == (10, 9)
    monkeypatch.setattr(search_module, "RUM_MAX", 9)
    assert search("港口", page_size=20).plan != "rum"  # 10 > 9
    both = search("港口 天气", page_size=20)
    assert both.plan == "rum" and both.count == 9  # the rarer one's 9, not 19
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 200)
    assert ids(search("港口 天气", page_size=20)) == ids(both)  # ranking each match's vectors
    monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 0)
    monkeypatch.setattr(search_module, "RUM_MAX", 8)
    assert search("港口 天气", page_size=20).plan != "rum"


def test_known_matches_follow_the_tsquerys_operators():
    counts = {"a": 100, "b": 10, "c": 1, "it's": 7}
    known = lambda text: search_module._tsquery_matches(  # noqa: E731
        search_module.tsquery_tokens(text), lambda lexeme: counts.get(lexeme, 0)
    )
    assert known("'a'") == 100 and known("'zzz'") == 0 and known("") == 0
    assert known("'a' | 'b'") == 110  # every alternative's entries
    assert known("'a' & 'b'") == 10 and known("'a' <-> 'b'") == 10 and known("'a' <2> 'c'") == 1
    assert known("'a' & !'b'") == 100 and known("!'a'") == 0  # an exclusion drives nothing
    assert known("( 'a' | 'b' ) & 'c'") == 1 and known("( 'a' | 'b' ) & 'a':AB") == 100
    assert known("'a' & 'b' | 'c'") == 11  # & binds tighter than |
    assert known("'it''s' & 'a':*") == 7 and known("'zzz' & 'a'") == 0


def test_later_pages_score_only_their_slice_where_one_version_has_the_words(
    rum, ports, monkeypatch
):
    """The candidates of several versions are merged by their scores; where only one version
    holds the words (港口 in the Chinese ones), its index's order is the pages' order, and a
    later page scores only its own candidates. The pages are those of ranking every match."""
    add_a_name_in_both_versions()
    scored = []
    top = search_module._rum_top

    def spy(cursor, statements, wanted, offset=0, scanned=None):
        found = top(cursor, statements, wanted, offset, scanned)
        scored.append((offset, len(found[2]), found[3]))
        return found

    monkeypatch.setattr(search_module, "_rum_top", spy)
    for q, versions in (("港口", 1), ("Graquo", 2)):
        scored.clear()
        pages = all_pages(q, 3)
        assert {p.plan for p in pages} == {"rum"}, q
        later = [(n, sliced) for offset, n, sliced in scored if offset]
        assert later, q
        if versions == 1:
            assert all(sliced and n <= 3 for n, sliced in later), scored
        else:
            assert not any(sliced for _n, sliced in later), scored
        monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 1_000)
        everything = search(q, page_size=50)
        assert everything.plan == "rank-all"
        monkeypatch.setattr(search_module, "RANK_ALL_WITH_RUM", 0)
        found = [hit for p in pages for hit in p.hits]
        assert sorted(ids(everything)) == sorted(h.article.external_id for h in found), q
        assert [h.score for h in found] == [h.score for h in everything.hits], q


def test_scores_the_scans_tell_are_not_read_again():
    """A candidate's score is its best version's; the scans give it in each version whose
    rows hold it. A version whose rows do not hold it has no match for it where its scan (or
    its half's) was not full; where it was, the candidate may score up to that scan's last
    row there, so its score is known only if it is at least that."""
    day = dt.date(2024, 1, 1)
    scans = [(0, 0), (1, 0), (1, 1)]  # version 0 in one scan, version 1 in halves (id % 2)
    scans = [(*scan, "sql", [], 0, None) for scan in scans]
    rows = [
        # version 0: full (2 rows of 2), its last row scores 0.5
        (0, 0, 10, 1.0, 1.0, day),
        (0, 0, 14, 2.0, 0.5, day),
        # version 1, even half: full, last row 0.8; odd half: not full
        (1, 0, 12, 1.0, 1.0, day),
        (1, 0, 10, 1.25, 0.8, day),
        (1, 1, 13, 4.0, 0.25, day),
    ]
    scored, unknown = search_module._scanned_scores(scans, rows, 2, [10, 12, 13, 14])
    # 10: in both versions, its best. 12: only in version 1, 1.0, at least version 0's last
    # row. 13 (odd): 0.25, below version 0's last row (0.5): it may score more there. 14
    # (even): only in version 0, 0.5; version 1's even half was full down to 0.8.
    assert scored == [(10, 1.0, day), (12, 1.0, day)]
    assert unknown == [13, 14]
    # Versions that are not full tell that a piece not among their rows has no match there.
    scored, unknown = search_module._scanned_scores(scans, rows[2:], 2, [10, 12, 13])
    assert scored == [(10, 0.8, day), (12, 1.0, day), (13, 0.25, day)] and unknown == []


def test_a_rum_page_reads_no_vectors_again_where_the_scans_tell_the_scores(rum, ports):
    """港口 is in the Chinese versions only: the scans' scores are the page's, and no
    statement reads the candidates' vectors for them; the page is the same as ranking every
    match (`test_rum_plan_pages_are_those_of_ranking_every_match`)."""
    result, statements = search_statements("港口", page_size=20)
    assert result.plan == "rum" and result.count == 10
    assert any(re.match(r"\(SELECT \d+, \d+, a\.id", sql) for sql in statements)
    assert not [sql for sql in statements if sql.startswith("SELECT a.id") and "<=>" in sql]


def fetched(monkeypatch) -> list[str]:
    """The SQL of every statement the search runs through `_fetch` from now on, in order."""
    statements: list[str] = []
    execute = search_module._fetch
    monkeypatch.setattr(
        search_module,
        "_fetch",
        lambda c, sql, params, *a: statements.append(sql) or execute(c, sql, params, *a),
    )
    return statements


def test_a_phrase_of_chinese_words_is_checked_in_the_rum_index(ports, monkeypatch):
    """A quoted phrase of words in a version without the word-pairs index (Chinese): a GIN index
    only finds the articles holding all its words and each one's vector is read to check their
    positions (是不是 <-> 一 at 20k: 4.4 s); the RUM index holds the positions. The same
    answers either way."""
    add("adjacent", zh=("码头", "码头停满船只。港口很忙。"), en=None)
    add("apart", zh=("港口", "港口的船只很多。"), en=None)
    query = '"船只 - 港口"'  # a Chinese phrase with other characters in it: a phrase of words
    statements = fetched(monkeypatch)
    found = sorted(ids(search(query, page_size=50)))
    assert "adjacent" in found and "apart" not in found
    rum_column = f"{search_module.RUM_WORDS_FUNCTION}(a.search_zh_hans) @@"
    if "zh-hans" in rum_languages():
        assert any(rum_column in sql for sql in statements)
    else:
        assert not any(rum_column in sql for sql in statements)
    monkeypatch.setattr(search_module, "_rum_phrase_languages", frozenset)
    assert sorted(ids(search(query, page_size=50))) == found


def test_a_phrase_with_a_word_rarer_than_the_commonest_is_checked_in_the_gin_index(
    ports, monkeypatch
):
    """Where ANALYZE counted every word of the phrase among the commonest of the Chinese
    versions, RUM checks it; where one of them is rarer (not among them), the GIN index finds
    the few articles holding them all and checks those, faster than RUM steps through the
    common words' positions; before any ANALYZE, RUM. The same answers every way."""
    if "zh-hans" not in search_module._rum_phrase_languages():
        pytest.skip("this server has no RUM extension (the GIN plans are tested elsewhere)")
    add("adjacent", zh=("码头", "码头停满船只。港口很忙。"), en=None)
    add("apart", zh=("港口", "港口的船只很多。"), en=None)
    query = '"船只 - 港口"'  # a phrase of words (船只 <-> 港口)
    statements = fetched(monkeypatch)
    rum_column = f"{search_module.RUM_WORDS_FUNCTION}(a.search_zh_hans) @@"

    def checked_in_rum(counts: dict[str, int]) -> tuple[bool, list[str]]:
        monkeypatch.setattr(search_module, "common_lexemes", lambda: {"zh-hans": counts})
        statements.clear()
        found = sorted(ids(search(query, page_size=50)))
        return any(rum_column in sql for sql in statements), found

    assert checked_in_rum({"船只": 10, "港口": 11}) == (True, ["adjacent"])
    assert checked_in_rum({"港口": 11, "天气": 10}) == (False, ["adjacent"])
    assert checked_in_rum({}) == (True, ["adjacent"])
