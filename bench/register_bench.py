"""Search latency with a large actor register and glossary: what the search benchmark's corpus
(which has no actors) does not show.

    DATABASE_URL=postgres://…/yiwen_bench .venv/bin/python bench/register_bench.py \\
        [--articles 2000] [--actors 10000] [--aliases 3] [--glossary 5000] [--mentions 3] \\
        [--write-benchmarks]

In a database of its own (`<name>_register`, so that the search benchmark's articles stay):
1. loads `--articles` generated articles (bench/corpus.py, seed 1) through the real import path,
   `archive.services.import_file`, then writes a register of `--actors` actors, each with
   `--aliases` aliases (Chinese and Latin names, as an editor enters them), and a glossary of
   `--glossary` terms, through the ORM; gives each published version `--mentions` confirmed
   mentions of actors picked at random (so that the hits name actors, as in a real archive)
   and rebuilds the index with their names; then VACUUM ANALYZE;
2. times the statement that tells a search whether its cached register and glossary are
   current (`archive.indexing.dictionary_fingerprint_sql`), as it is and as it was before
   migration 0024 (counts, highest ids and last changes of the three tables), in turns;
3. times searches (`archive.api.search_response`, page of 20) of words of the articles' titles
   and of the actors' names, each with the statement as it is and as it was, in turns (the old
   statement is read along with the new one, whose value the caches go by, so that neither
   way rebuilds them);
4. times the first search after a change to the register, of two kinds in turns: an actor's
   English name changed (the segmenter's user words stay) and a Chinese alias added (they
   change); it reads the glossary, the user words and the page's actors again;
5. prints p50/p95 of each, and with `--write-benchmarks` writes its section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import benchlib
from benchlib import fmt_ms, percentile

SECTION = "register-bench"
# The statement before migration 0024: each table counted and read whole, on every search.
BEFORE = "SELECT " + ", ".join(
    f"(SELECT row(count(*), max(id), max(updated_at))::text FROM {table})"
    for table in ("archive_actoralias", "archive_actor", "archive_glossaryterm")
)


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def load_articles(articles: int) -> float:
    """Generated articles through the import path; seconds."""
    import corpus

    from archive import services

    benchlib.empty_archive()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "articles.jsonl"
        corpus.write(path, articles, seed=1, jobs=1, progress=False)
        started = time.perf_counter()
        services.import_file(path)
        return time.perf_counter() - started


def write_register(actors: int, aliases: int, glossary: int, seed: int = 1) -> list[str]:
    """Replace the register and glossary with generated ones; the actors' names (to search)."""
    import corpus

    from archive.models import Actor, ActorAlias, GlossaryTerm

    rnd = random.Random(seed)
    ActorAlias.objects.all().delete()
    Actor.objects.all().delete()
    GlossaryTerm.objects.all().delete()
    made, names, seen = [], [], set()
    for _attempt in range(actors * 20):
        if len(made) == actors:
            break
        surname, given = rnd.choice(corpus._SURNAMES), rnd.sample(corpus._GIVEN, 2)
        zh = surname[0] + given[0][0] + given[1][0]
        initial = chr(ord("A") + rnd.randrange(26))
        en = f"{rnd.choice(corpus._FIRST)} {initial}. {rnd.choice(corpus._LAST)}"
        if zh in seen or en in seen:
            continue
        seen.update((zh, en))
        made.append(
            Actor(
                kind="person",
                name=en,
                name_en=en,
                name_zh_hans=zh,
                slug=f"actor-{len(made)}",
                context_words=[],
            )
        )
        names.append(rnd.choice((zh, en)))
    if len(made) < actors:
        sys.exit(f"--actors {actors:,}: more than the generated names can tell apart")
    Actor.objects.bulk_create(made, batch_size=1000)
    rows = []
    for actor in Actor.objects.order_by("id"):
        texts = [actor.name_zh_hans, actor.name_en]
        mixed = actor.name_en.split()[-1] + " " + actor.name_zh_hans  # more: a mixed form, numbered
        texts += [mixed] * max(0, aliases - 2)
        for n, text in enumerate(texts[:aliases]):
            latin = text.isascii()
            rows.append(
                ActorAlias(
                    actor=actor,
                    text=text if n < 2 else f"{text}{n}",
                    language="en" if latin else "zh-hans",
                    script="latin" if latin else "simplified",
                )
            )
    ActorAlias.objects.bulk_create(rows, batch_size=2000)
    syllables = corpus._SYLLABLES
    terms, seen_terms = [], set()
    for _attempt in range(glossary * 20):
        if len(terms) == glossary:
            break
        zh = "".join(chr(rnd.randrange(0x4E00, 0x9FA5)) for _ in range(rnd.choice((2, 3, 4))))
        en = "".join(rnd.sample(syllables, 3))
        if zh in seen_terms or en in seen_terms:
            continue
        seen_terms.update((zh, en))
        terms.append(GlossaryTerm(zh=zh, en=en))
    GlossaryTerm.objects.bulk_create(terms, batch_size=2000)
    return names


def write_mentions(per_version: int, seed: int = 1) -> int:
    """`per_version` counted mentions of actors picked at random in each published version of
    every article (as editors' confirmed mentions, which the generated texts cannot give by
    detection), then the search index rebuilt with their names, as the write path does; how
    many mentions."""
    from archive.indexing import reindex_where
    from archive.models import Actor, Mention, Rendition

    rnd = random.Random(seed)
    actor_ids = list(Actor.objects.values_list("id", flat=True))
    published = (
        Rendition.objects.filter(status="published")
        .order_by("article_id", "language")  # the same picks in every run
        .values_list("article_id", "language")
    )
    rows = [
        Mention(
            article_id=article_id,
            actor_id=actor_id,
            language=language,
            count=rnd.randint(1, 5),
            state=Mention.State.CONFIRMED,
        )
        for article_id, language in published
        for actor_id in rnd.sample(actor_ids, per_version)
    ]
    Mention.objects.bulk_create(rows, batch_size=2000)
    reindex_where("TRUE")
    return len(rows)


def title_words(limit: int, seed: int = 1) -> list[str]:
    """Words of the articles' titles: English words of four letters or more, Chinese titles'
    first two characters."""
    from archive.models import Article

    rnd = random.Random(seed)
    words = []
    for en, zh in Article.objects.values_list("title_en", "title_zh_hans")[:2000]:
        words += [w for w in (en or "").split() if len(w) >= 4 and w.isalpha()]
        if zh:
            words.append(zh[:2])
    rnd.shuffle(words)
    return words[:limit]


def time_statements(runs: int) -> dict[str, list[float]]:
    from django.db import connection

    from archive.indexing import dictionary_fingerprint_sql

    timings: dict[str, list[float]] = {"now": [], "before": []}
    with connection.cursor() as cursor:
        for _ in range(runs):
            for kind, sql in (("now", dictionary_fingerprint_sql()), ("before", BEFORE)):
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                timings[kind].append((time.perf_counter() - started) * 1000)
    return timings


def time_searches(queries: list[str]) -> dict[str, list[float]]:
    """Each query with the statement as it is and as it was (read along: `BEFORE` evaluated in
    the same statement, the value the caches go by unchanged), in turns."""
    import archive.search
    from archive.api import search_response
    from archive.indexing import dictionary_fingerprint_sql

    now = dictionary_fingerprint_sql()
    # (the old statement's columns must be computed: a condition on all of them)
    before = f"SELECT f.* FROM ({now}) f, ({BEFORE}) b(x, y, z) WHERE (b.x || b.y || b.z) <> ''"
    timings: dict[str, list[float]] = {"now": [], "before": []}
    for q in queries:
        for kind, sql in (("now", now), ("before", before)):
            archive.search.dictionary_fingerprint_sql = lambda sql=sql: sql
            try:
                started = time.perf_counter()
                search_response({"q": q, "page_size": "20"})
                timings[kind].append((time.perf_counter() - started) * 1000)
            finally:
                archive.search.dictionary_fingerprint_sql = dictionary_fingerprint_sql
    return timings


def time_after_change(rounds: int) -> dict[str, list[float]]:
    """The first search after each of `rounds` changes of two kinds, in turns: an actor's English
    name changed (the segmenter's user words stay as they were) and a Chinese alias added (they
    change)."""
    from archive.api import search_response
    from archive.models import Actor, ActorAlias

    actor = Actor.objects.order_by("id").first()
    timings: dict[str, list[float]] = {"kept": [], "changed": []}
    for i in range(rounds):
        for kind in timings:
            if kind == "kept":
                Actor.objects.filter(pk=actor.pk).update(name_en=f"{actor.name_en} {i}")
            else:
                ActorAlias.objects.create(
                    actor=actor,
                    text=f"{actor.name_zh_hans}{i}号",
                    language="zh-hans",
                    script="simplified",
                )
            started = time.perf_counter()
            search_response({"q": actor.name_zh_hans or actor.name, "page_size": "20"})
            timings[kind].append((time.perf_counter() - started) * 1000)
    return timings


def summary(timings: dict[str, list[float]]) -> dict[str, tuple[float, float]]:
    return {k: (percentile(v, 50), percentile(v, 95)) for k, v in timings.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--actors", type=int, default=10_000)
    parser.add_argument("--aliases", type=int, default=3, help="aliases an actor (2 or more)")
    parser.add_argument("--glossary", type=int, default=5_000)
    parser.add_argument(
        "--mentions", type=int, default=3, help="actors each published version is about"
    )
    parser.add_argument("--queries", type=int, default=100, help="searches of each kind")
    parser.add_argument("--runs", type=int, default=300, help="runs of the statement")
    parser.add_argument("--changes", type=int, default=5, help="changes to the register")
    parser.add_argument("--write-benchmarks", action="store_true")
    args = parser.parse_args(argv)
    if args.aliases < 2:
        parser.error("--aliases: at least 2 (an actor's Chinese and Latin names)")

    benchlib.setup_django(database_suffix="_register")
    load_seconds = load_articles(args.articles)
    log(f"{args.articles:,} articles imported in {load_seconds:,.1f} s")
    started = time.perf_counter()
    names = write_register(args.actors, args.aliases, args.glossary)
    log(f"register and glossary written in {time.perf_counter() - started:,.1f} s")
    started = time.perf_counter()
    mentions = write_mentions(args.mentions)
    seconds = time.perf_counter() - started
    log(f"{mentions:,} mentions written and the index rebuilt in {seconds:,.1f} s")
    benchlib.vacuum_analyze()

    from archive.api import search_response

    queries = title_words(args.queries) + random.Random(2).sample(names, args.queries)
    for q in queries[:10]:  # the caches' first fill (segmenter, register, glossary)
        search_response({"q": q, "page_size": "20"})
    statement = summary(time_statements(args.runs))
    searches = summary(time_searches(queries))
    after_change = time_after_change(args.changes)
    lines = [
        "## Search with a large actor register and glossary",
        "",
        *_facts(args),
        "",
        "| what | now p50 / p95 ms | before (migration 0024) p50 / p95 ms |",
        "|---|---|---|",
        f"| the register's fingerprint statement ({args.runs} runs) | "
        f"{fmt_ms(statement['now'][0])} / {fmt_ms(statement['now'][1])} | "
        f"{fmt_ms(statement['before'][0])} / {fmt_ms(statement['before'][1])} |",
        f"| a search through the API ({len(queries)} queries, page of 20) | "
        f"{fmt_ms(searches['now'][0])} / {fmt_ms(searches['now'][1])} | "
        f"{fmt_ms(searches['before'][0])} / {fmt_ms(searches['before'][1])} |",
        "",
        f"The first search after a change to the register ({args.changes} times each, in "
        "turns), which reads the glossary, the segmenter's user words and the actors its page "
        "names again: after an actor's English name changed (the user words stay: the "
        f"segmenter is kept), median {fmt_ms(percentile(after_change['kept'], 50))} ms, "
        f"slowest {fmt_ms(max(after_change['kept']))} ms; after a Chinese alias was added (the "
        "segmenter is built again), median "
        f"{fmt_ms(percentile(after_change['changed'], 50))} ms, slowest "
        f"{fmt_ms(max(after_change['changed']))} ms.",
    ]
    print("\n".join(lines))
    if args.write_benchmarks:
        benchlib.write_section(SECTION, "\n".join(lines))
        log(f"wrote the {SECTION} section of BENCHMARKS.md")


def _facts(args) -> list[str]:
    machine, db = benchlib.machine(), benchlib.database()
    return [
        f"- Date: {machine['date']}; commit {machine['commit']}.",
        f"- Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory']} memory; "
        f"load average at the end {machine['load']}.",
        f"- PostgreSQL {db['version']}, {db['kind']}, shared_buffers {db['shared_buffers']}.",
        f"- Archive: {args.articles:,} generated articles (bench/corpus.py, seed 1) imported; "
        f"register: {args.actors:,} actors with {args.aliases} aliases each; glossary: "
        f"{args.glossary:,} terms; each published version about {args.mentions} of the actors "
        "(confirmed mentions, picked at random; the index rebuilt with their names).",
        "- Searches: words of the articles' titles and the actors' names, each run with the "
        "statement as it is and as it was, in turns (`bench/register_bench.py`).",
    ]


if __name__ == "__main__":
    main()
