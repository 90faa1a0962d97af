"""Relevance on real data: can each article of ../shared/corpus be found by a word of its own?

    EMBEDDED_PGDATA=/work/benchdata .venv/bin/python bench/search_eval.py [--write-benchmarks]

Imports `../shared/corpus/*.jsonl` (193 Chinese-original news articles with human English
translations; read at run time, never copied) through `archive.services.import_file` into a
database of its own on the benchmark server (`<name>_eval`, e.g. `yiwen_eval`, so that the
benchmark's articles stay), then for every article picks
- a distinctive Chinese term: a 2–4 character word of its Chinese text (rjieba segmentation, no
  numbers or punctuation) contained in as few other articles' Chinese text as possible (counted
  as substrings, since the search finds words inside longer words), most frequent in the article
  on ties;
- a distinctive English term: a word of its English text (4+ letters, not a stop word) whose
  stem occurs in as few other articles as possible, most frequent in the article on ties;
- and, harder and without a target, a "shared" term of each language that 2–10 articles contain,
  the one most frequent in this article relative to its spread (tf/df);
searches each through `archive.api.search_response({"q": term, "page_size": "10"})` with no
language set, and reports recall@10 (the article is among the first 10) and MRR (mean of 1/rank,
0 when not in the first 10) per language. Targets: recall@10 ≥ 0.95 and MRR ≥ 0.85.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import benchlib
from benchlib import STOP_WORDS

CORPUS_DIR = benchlib.ROOT.parent / "shared" / "corpus"
NUMERALS = set("〇零一二三四五六七八九十百千万亿两兆几第")
UNITS = set("年月日号时分秒岁个位名次元倍")
TARGET_RECALL = 0.95
TARGET_MRR = 0.85


@dataclass
class Case:
    external_id: str
    lang: str
    term: str
    df: int  # articles whose text contains the term (its stem, for English)
    tf: int
    rank: int | None = None
    count: int = 0
    top: list[str] | None = None
    ms: float = 0.0
    error: str | None = None


def load_articles(files: list[Path]) -> list[dict]:
    """The articles as the importer stores them (its own adapter), in file order."""
    from archive.interchange import wmt_record_to_interchange

    articles = []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    record = wmt_record_to_interchange(json.loads(line))
                    articles.append(record)
    return articles


def _text(record: dict, lang: str) -> str:
    return "\n".join(
        (record.get(part) or {}).get(lang, "") for part in ("title", "summary", "body")
    ).strip()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def is_number_word(word: str) -> bool:
    return all(c in NUMERALS or c in UNITS for c in word) and any(c in NUMERALS for c in word)


def _key(mode: str, df: int, tf: int, length: int, first: int):
    """Smaller is better. "distinct": the rarest term across the corpus (most frequent in the
    article on ties). "shared": a term in 2–10 articles that is most characteristic of this one
    (highest tf/df) — the article should still rank near the top among the others."""
    if mode == "distinct":
        return (df, -tf, -length, first)
    if not 2 <= df <= 10:
        return None
    return (-tf / df, -tf, -length, first)


def chinese_cases(articles: list[dict], mode: str = "distinct") -> list[Case]:
    import rjieba

    texts = [_nfkc(_text(a, "zh-hans")) for a in articles]
    cases = []
    for article, text in zip(articles, texts, strict=True):
        words = [
            w
            for w in rjieba.cut(text)
            if 2 <= len(w) <= 4 and benchlib.CJK_WORD.fullmatch(w) and not is_number_word(w)
        ]
        if not words:
            continue
        tf = Counter(words)
        order = {w: i for i, w in reversed(list(enumerate(words)))}
        best = None
        for word in tf:
            df = sum(1 for other in texts if word in other)
            key = _key(mode, df, tf[word], len(word), order[word])
            if key is not None and (best is None or key < best[0]):
                best = (key, word, df)
        if best is None:
            continue
        (_, word, df) = best
        cases.append(Case(article["external_id"], "zh-hans", word, df, tf[word]))
    return cases


def english_cases(articles: list[dict], mode: str = "distinct") -> list[Case]:
    import tantivy

    stemmer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    stem_cache: dict[str, str] = {}

    def stem(word: str) -> str:
        if word not in stem_cache:
            stems = stemmer.analyze(word)
            stem_cache[word] = stems[0] if stems else word
        return stem_cache[word]

    per_article = []
    df: Counter = Counter()
    for article in articles:
        words = [
            w
            for w in re.findall(r"[A-Za-z]+", _nfkc(_text(article, "en")))
            if len(w) >= 4 and w not in STOP_WORDS
        ]
        per_article.append(words)
        df.update({stem(w) for w in words})
    cases = []
    for article, words in zip(articles, per_article, strict=True):
        if not words:
            continue
        tf = Counter(stem(w) for w in words)
        order: dict[str, int] = {}
        for i, w in enumerate(words):
            order.setdefault(w, i)
        best = None
        for word in order:
            s = stem(word)
            key = _key(mode, df[s], tf[s], len(word), order[word])
            if key is not None and (best is None or key < best[0]):
                best = (key, word, s)
        if best is None:
            continue
        (_, word, s) = best
        cases.append(Case(article["external_id"], "en", word, df[s], tf[s]))
    return cases


# A word written with a capital inside a sentence (after a lower-case word or a comma): a name.
_NAME_IN_TEXT = re.compile(r"(?<=[a-z,;:] )([A-Z][A-Za-z]{2,})\b")


def name_cases(articles: list[dict], mode: str = "distinct") -> list[Case]:
    """For each article, a name of its English text (a capitalised word inside a sentence, as
    written) in as few other articles as possible; searched as written, so as a name."""
    per_article = [
        _NAME_IN_TEXT.findall(unicodedata.normalize("NFKC", _text(a, "en"))) for a in articles
    ]
    df: Counter = Counter()
    for names in per_article:
        df.update(set(names))
    cases = []
    for article, names in zip(articles, per_article, strict=True):
        tf = Counter(names)
        order: dict[str, int] = {}
        for i, name in enumerate(names):
            order.setdefault(name, i)
        keyed = [(_key(mode, df[n], tf[n], len(n), order[n]), n) for n in order]
        keyed = [(k, n) for k, n in keyed if k is not None]
        if keyed:
            _, name = min(keyed)
            cases.append(Case(article["external_id"], "en", name, df[name], tf[name]))
    return cases


def run(cases: list[Case], engine=None) -> None:
    """Search each case's term with `engine` (params → {"count", "ids"}); default: the API's."""
    if engine is None:
        from archive.api import search_response

        def engine(params):
            data = search_response(params)
            return {
                "count": int(data["count"]),
                "ids": [r["external_id"] for r in data["results"]],
            }

    for case in cases:
        started = time.perf_counter()
        try:
            data = engine({"q": case.term, "page_size": "10"})
        except Exception as exc:  # noqa: BLE001 - reported as a miss with its reason
            case.error = f"{type(exc).__name__}: {exc}"[:300]
            continue
        finally:
            case.ms = (time.perf_counter() - started) * 1000
        ids = data["ids"][:10]
        case.count = data["count"]
        case.top = ids
        if case.external_id in ids:
            case.rank = ids.index(case.external_id) + 1


def metrics(cases: list[Case]) -> dict:
    if not cases:
        return {"n": 0, "recall": float("nan"), "mrr": float("nan")}
    found = [c for c in cases if c.rank is not None]
    return {
        "n": len(cases),
        "recall": len(found) / len(cases),
        "mrr": sum(1 / c.rank for c in found) / len(cases),
        "first": sum(1 for c in found if c.rank == 1),
        "median_count": statistics.median(c.count for c in cases),
        "unique_terms": sum(1 for c in cases if c.df == 1),
        "median_ms": statistics.median(c.ms for c in cases),
        "errors": sum(1 for c in cases if c.error),
    }


def describe(case: Case, titles: dict[str, str] | None = None) -> str:
    """One line about a case; with `titles`, the first results' titles too (console only: the
    corpus's text is not to be copied into the repository)."""
    where = f"rank {case.rank}" if case.rank else "not in the first 10"
    if case.error:
        where = f"error {case.error}"
    top = ", ".join(
        f"{eid} ({titles.get(eid, '')[:40]})" if titles else eid for eid in (case.top or [])[:3]
    )
    return (
        f"`{case.term}` for {case.external_id}: {where}; {case.count} results; the term is in "
        f"{case.df} article(s), {case.tf}× in this one" + (f"; first results: {top}" if top else "")
    )


def tantivy_reference(articles: list[dict]):
    """The benchmark's tantivy reference over these articles, built in memory."""
    from search_bench import Reference

    reference = Reference()
    reference.build(None, lines=[json.dumps(a, ensure_ascii=False) for a in articles])
    reference.prepare()
    return reference


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS_DIR)
    parser.add_argument(
        "--database-suffix",
        default="_eval",
        help="the evaluation's own database: the benchmark database's name + this",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the articles already loaded")
    parser.add_argument("--write-benchmarks", action="store_true")
    args = parser.parse_args(argv)

    files = sorted(args.corpus_dir.glob("*.jsonl"))
    if not files:
        sys.exit(f"no *.jsonl in {args.corpus_dir} (the real corpus lives in ../shared/corpus)")
    benchlib.setup_django(database_suffix=args.database_suffix)
    from archive import services
    from archive.models import Article

    articles = load_articles(files)
    if not args.reuse or Article.objects.count() != len(articles):
        benchlib.empty_archive()
        started = time.perf_counter()
        for path in files:
            report = services.import_file(path)
            print(f"  {report.summary()}", file=sys.stderr)
        seconds = time.perf_counter() - started
        benchlib.vacuum_analyze()
        print(
            f"imported {len(articles)} articles in {seconds:.1f} s "
            f"({len(articles) / seconds:,.0f}/s)",
            file=sys.stderr,
        )

    zh = chinese_cases(articles)
    en = english_cases(articles)
    zh_shared = chinese_cases(articles, "shared")
    en_shared = english_cases(articles, "shared")
    names = name_cases(articles)
    for cases in (zh, en, zh_shared, en_shared, names):
        run(cases)
    # The same names in lower case: stemmed words, what a name was searched as before.
    names_lower = [Case(c.external_id, c.lang, c.term.lower(), c.df, c.tf) for c in names]
    run(names_lower)
    # The same terms through tantivy (bench/search_bench.py's reference, in memory) for comparison.
    reference = tantivy_reference(articles)
    reference_results = {}
    for kind, lang, cases in (
        ("distinctive", "Chinese", zh),
        ("distinctive", "English", en),
        ("shared (2–10 articles)", "Chinese", zh_shared),
        ("shared (2–10 articles)", "English", en_shared),
        ("name, as written", "English", names),
        ("the name in lower case", "English", names_lower),
    ):
        copies = [Case(c.external_id, c.lang, c.term, c.df, c.tf) for c in cases]
        run(copies, reference.search)
        reference_results[(kind, lang)] = metrics(copies)
    titles = {
        a["external_id"]: (a.get("title") or {}).get("en") or _text(a, "en")[:40] for a in articles
    }

    results = {
        ("distinctive", "Chinese"): metrics(zh),
        ("distinctive", "English"): metrics(en),
        ("shared (2–10 articles)", "Chinese"): metrics(zh_shared),
        ("shared (2–10 articles)", "English"): metrics(en_shared),
        ("name, as written", "English"): metrics(names),
        ("the name in lower case", "English"): metrics(names_lower),
    }
    lines = [
        "| term | language | articles | recall@10 | MRR | first place | median result count | "
        "terms unique to the article | median ms | tantivy recall@10 / MRR |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (kind, lang), m in results.items():
        if not m["n"]:
            continue
        target = kind == "distinctive"
        ok_r = (" ✓" if m["recall"] >= TARGET_RECALL else " ✗") if target else ""
        ok_m = (" ✓" if m["mrr"] >= TARGET_MRR else " ✗") if target else ""
        lines.append(
            f"| {kind} | {lang} | {m['n']} | {m['recall']:.3f}{ok_r} | {m['mrr']:.3f}{ok_m} | "
            f"{m['first']} | {m['median_count']:,.0f} | {m['unique_terms']} | "
            f"{m['median_ms']:.1f} | {reference_results[(kind, lang)]['recall']:.3f} / "
            f"{reference_results[(kind, lang)]['mrr']:.3f} |"
        )
    misses = [c for c in zh + en if c.rank is None]
    lower = [c for c in zh + en if c.rank is not None and c.rank > 1]
    shared_misses = [c for c in zh_shared + en_shared if c.rank is None]
    print()
    print(f"Relevance on real data: {len(articles)} articles")
    print("\n".join(lines))
    print(f"\nMisses ({len(misses)}):")
    for case in misses:
        print(f"- [{case.lang}] {describe(case, titles)}")
    print(f"\nFound below first place ({len(lower)}):")
    for case in lower:
        print(f"- [{case.lang}] {describe(case, titles)}")
    print(f"\nShared terms: not in the first 10 ({len(shared_misses)}):")
    for case in shared_misses:
        print(f"- [{case.lang}] {describe(case, titles)}")

    if args.write_benchmarks:
        info = benchlib.machine()
        db = benchlib.database()
        section = [
            f"## Relevance on real data: {len(articles)} WMT news articles",
            "",
            f"- Date: {info['date']}; commit {info['commit']}; PostgreSQL {db['version']}, "
            f"{db['kind']}, database `{db['name']}` holding only these articles.",
            "- Data: `../shared/corpus/*.jsonl` (WMT20 newstest2020 and WMT23 generaltest2023 "
            "zh→en, Chinese originals with human English references), imported with "
            "`archive.services.import_file`.",
            "- For each article, one distinctive Chinese term (a 2–4 character rjieba word of "
            "its Chinese text, no numbers, in as few other articles as possible — counted as "
            "substrings) and one distinctive English term (4+ letters, not a stop word, stem in "
            "as few other articles as possible), each searched alone with "
            "`search_response({'q': term, 'page_size': '10'})`, no language set.",
            "- And a distinctive name of its English text (a capitalised word inside a sentence), "
            "searched as written (a name: `archive/text/names.py`) and in lower case (stemmed).",
            "",
            *lines,
            "",
            f"Targets (distinctive terms): recall@10 ≥ {TARGET_RECALL}, MRR ≥ {TARGET_MRR}. "
            f"Misses: {len(misses)}; found but not first: {len(lower)}. The shared-term rows "
            "have no target: they show how ranking orders the few articles sharing a word "
            "(the article picked is the one where the word is most frequent relative to its "
            "spread).",
        ]
        if misses:
            section += ["", "Misses:", ""]
            section += [f"- [{c.lang}] {describe(c)}" for c in misses[:40]]
        benchlib.write_section("search-eval", "\n".join(section))
        print(f"wrote the section to {benchlib.BENCHMARKS}", file=sys.stderr)


if __name__ == "__main__":
    main()
