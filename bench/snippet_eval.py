"""Snippet quality on real data: does a hit's snippet show the query's words?

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/yiwen .venv/bin/python bench/search_eval.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/yiwen .venv/bin/python bench/snippet_eval.py

Reads the evaluation's database (`<name>_eval`, which `bench/search_eval.py` fills with the 193
real articles of ../shared/corpus). For every article and language, from one body paragraph
other than the first (drawn with `--seed`), it draws
- two words (English: 6+ letters, not stop words; Chinese: 2–4 character words of rjieba's
  segmentation) and searches them unquoted: are both marked in the article's own snippet?
  Reported also for the pairs that stand further apart in the paragraph than a third of the
  snippet's width, where one window cannot show both;
- a phrase (English: two adjacent words, quoted; Chinese: a quoted string of four characters):
  is it marked whole, as one mark?
Each query is searched in that language (`lang=`) with a page of 100; a query whose article is
not on that page is left out (the relevance evaluation measures finding it).
"""

from __future__ import annotations

import argparse
import random
import re
import sys

import benchlib
from benchlib import STOP_WORDS

MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
LATIN_WORD = re.compile(r"[A-Za-z]{6,}")
ADJACENT = re.compile(r"\b([A-Za-z]{4,}) ([A-Za-z]{4,})\b")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
HAN_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")


def _words(paragraph: str, lang: str) -> list[tuple[str, int]]:
    """The paragraph's candidate words with their first position, each once."""
    found: dict[str, int] = {}
    if lang == "en":
        for m in LATIN_WORD.finditer(paragraph):
            if m.group().lower() not in STOP_WORDS:
                found.setdefault(m.group().lower(), m.start())
    else:
        import rjieba

        position = 0
        for word in rjieba.cut(paragraph):
            if 2 <= len(word) <= 4 and HAN.match(word):
                found.setdefault(word, position)
            position += len(word)
    return sorted(found.items())


def _phrase(paragraph: str, lang: str, rnd: random.Random) -> str | None:
    if lang == "en":
        pairs = [
            m.group()
            for m in ADJACENT.finditer(paragraph)
            if not {w.lower() for w in m.groups()} & STOP_WORDS
        ]
        return rnd.choice(pairs) if pairs else None
    runs = list(HAN_RUN.finditer(paragraph))
    if not runs:
        return None
    run = rnd.choice(runs).group()
    start = rnd.randrange(len(run) - 3)
    return run[start : start + 4]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-suffix", default="_eval")
    args = parser.parse_args(argv)
    benchlib.setup_django(database_suffix=args.database_suffix)
    from archive.models import Article
    from archive.search import search
    from archive.snippets import SNIPPET_CHARS

    articles = list(Article.objects.order_by("external_id"))
    if not articles:
        sys.exit("the evaluation's database is empty: run bench/search_eval.py first")
    rnd = random.Random(args.seed)
    rows: dict[str, list[int]] = {}

    def count(name: str, ok: bool) -> None:
        row = rows.setdefault(name, [0, 0])
        row[0] += ok
        row[1] += 1

    def own_snippet(query: str, article, code: str) -> str | None:
        result = search(query, lang=code, page_size=100)
        hit = next((h for h in result.hits if h.article.pk == article.pk), None)
        return None if hit is None else (hit.snippets.get(code) or "")

    for article in articles:
        for lang, code, name in (("en", "en", "English"), ("zh", "zh-hans", "Chinese")):
            paragraphs = [p for p in (article.text("body", code) or "").split("\n") if p.strip()]
            if len(paragraphs) < 2:
                continue
            paragraph = rnd.choice(paragraphs[1:])
            words = _words(paragraph, lang)
            if len(words) >= 2:
                (w1, p1), (w2, p2) = rnd.sample(words, 2)
                snippet = own_snippet(f"{w1} {w2}", article, code)
                if snippet is not None:
                    marked = [m.lower() for m in MARK.findall(snippet)]
                    ok = all(any(w in m or m in w for m in marked) for w in (w1, w2))
                    count(f"{name}: two words of one paragraph, both marked", ok)
                    if abs(p1 - p2) > SNIPPET_CHARS[code] // 3 * 2:
                        count(f"{name}: … of those, the two further apart than one window", ok)
            phrase = _phrase(paragraph, lang, rnd)
            if phrase:
                snippet = own_snippet(f'"{phrase}"', article, code)
                if snippet is not None:
                    marks = [" ".join(m.lower().split()) for m in MARK.findall(snippet)]
                    count(f"{name}: a quoted phrase, marked whole", phrase.lower() in marks)
    print(f"Snippets on {len(articles)} real articles (seed {args.seed}):\n")
    print("| query | shown |\n|---|---|")
    for name, (ok, n) in rows.items():
        print(f"| {name} | {ok} / {n} |")


if __name__ == "__main__":
    main()
