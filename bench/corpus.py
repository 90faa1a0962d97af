"""A deterministic synthetic bilingual corpus for the search benchmark, as interchange JSON Lines.

Each article is a Chinese original (~1,500 Chinese characters) with a published English
translation (~800 words). Words are drawn from the `wordfreq` package's English and Chinese
frequency lists (real, Zipf-like frequencies), so a few words occur in almost every article and
most in very few — the shape that makes full-text ranking expensive. Mixed in, as in real news:
invented Latin-script company names used inside the Chinese text ("Zentrova融资"), a few dozen
outlets, a few hundred authors and translators, and dates across eight years.

The text is word salad with sentence and paragraph structure: good for measuring an index, not
for reading. The same `--seed` always writes the same bytes, and a smaller corpus is a prefix of
a larger one with the same seed (articles are made in fixed-size batches).

    python bench/corpus.py --articles 20000 --seed 1 -o /tmp/corpus-20k.jsonl

Needs `wordfreq` and `numpy` (see BENCHMARKS.md for the pinned versions).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import multiprocessing
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

BATCH = 256  # articles drawn at once; fixed so that corpora with one seed are prefixes
EN_VOCAB = 40_000
ZH_VOCAB = 40_000
FIRST_DAY = dt.date(2018, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)

# Words a news archive would not print; dropped from the English list.
_BLOCKED = {
    "fuck",
    "fucking",
    "fucked",
    "fucker",
    "shit",
    "shitty",
    "bitch",
    "bitches",
    "cunt",
    "dick",
    "pussy",
    "twat",
    "nigga",
    "niggas",
    "nigger",
    "fag",
    "faggot",
    "whore",
    "slut",
    "cock",
    "asshole",
    "bullshit",
    "motherfucker",
    "retard",
    "retarded",
    "porn",
    "porno",
    "dildo",
}

# Chinese words that follow a company name in headlines and news ("Zentrova融资").
NEWS_VERBS = [
    "融资",
    "发布",
    "收购",
    "上市",
    "合作",
    "估值",
    "裁员",
    "投资",
    "推出",
    "宣布",
    "起诉",
    "回应",
    "扩张",
    "亏损",
    "盈利",
    "合并",
]

_SURNAMES = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("高", "Gao"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("许", "Xu"),
    ("韩", "Han"),
    ("冯", "Feng"),
    ("邓", "Deng"),
    ("曹", "Cao"),
]
_GIVEN = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂", "gui"),
    ("华", "hua"),
    ("晓", "xiao"),
    ("建", "jian"),
    ("国", "guo"),
    ("文", "wen"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("玲", "ling"),
    ("宇", "yu"),
    ("欣", "xin"),
    ("婷", "ting"),
    ("浩", "hao"),
    ("凯", "kai"),
    ("琳", "lin"),
    ("雪", "xue"),
    ("海", "hai"),
    ("波", "bo"),
    ("帆", "fan"),
    ("倩", "qian"),
    ("嘉", "jia"),
    ("子", "zi"),
]
_FIRST = [
    "Alice",
    "Ben",
    "Clara",
    "Daniel",
    "Emma",
    "Felix",
    "Grace",
    "Henry",
    "Iris",
    "Jack",
    "Karen",
    "Leo",
    "Maya",
    "Nora",
    "Oscar",
    "Paula",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xena",
    "Yusuf",
    "Zoe",
    "Adam",
    "Bella",
    "Chris",
    "Dana",
    "Ethan",
    "Fiona",
    "George",
    "Hannah",
    "Ivan",
    "Julia",
    "Kevin",
    "Laura",
    "Martin",
    "Nina",
    "Owen",
    "Petra",
    "Ruth",
    "Simon",
    "Tom",
    "Ursula",
    "Victor",
    "Wendy",
]
_LAST = [
    "Adams",
    "Baker",
    "Carter",
    "Dawson",
    "Ellis",
    "Fisher",
    "Grant",
    "Hughes",
    "Irving",
    "Jensen",
    "Keller",
    "Lambert",
    "Morgan",
    "Nolan",
    "Ortiz",
    "Parker",
    "Quigley",
    "Reed",
    "Sutton",
    "Turner",
    "Underwood",
    "Vaughn",
    "Walsh",
    "Young",
    "Zimmerman",
    "Brooks",
    "Chandler",
    "Doyle",
    "Evans",
    "Foster",
    "Gibson",
    "Harper",
    "Ingram",
    "Jordan",
    "Kerr",
    "Lowe",
    "Mills",
    "Norris",
    "Owens",
    "Price",
]
_OUTLET_PLACES = [
    ("南方", "Southern"),
    ("东方", "Eastern"),
    ("北方", "Northern"),
    ("环球", "Global"),
    ("华夏", "Huaxia"),
    ("长江", "Yangtze"),
    ("珠江", "Pearl River"),
    ("北京", "Beijing"),
    ("上海", "Shanghai"),
    ("深圳", "Shenzhen"),
    ("广州", "Guangzhou"),
    ("杭州", "Hangzhou"),
    ("成都", "Chengdu"),
    ("武汉", "Wuhan"),
    ("香港", "Hong Kong"),
    ("台湾", "Taiwan"),
]
_OUTLET_KINDS = [
    ("日报", "Daily"),
    ("晚报", "Evening News"),
    ("周刊", "Weekly"),
    ("新闻网", "News Net"),
    ("时报", "Times"),
    ("观察", "Observer"),
    ("财经", "Finance"),
    ("科技评论", "Tech Review"),
]
_SYLLABLES = [
    "ka",
    "lo",
    "ri",
    "ze",
    "no",
    "va",
    "tri",
    "qu",
    "il",
    "mex",
    "an",
    "dor",
    "sen",
    "tal",
    "vi",
    "ro",
    "bel",
    "cor",
    "fin",
    "gra",
    "hex",
    "ion",
    "jun",
    "kor",
    "lum",
    "mir",
    "nex",
    "ob",
    "pix",
    "quo",
    "ryn",
    "syn",
    "tor",
    "ul",
    "vex",
    "wyn",
    "xan",
    "yor",
    "zel",
]
_SUFFIXES = ["", "", "", "", "ix", "ra", "io", "on", "us", "Labs", "Mind", "Volt", "Mesh", "Seek"]


class Vocabulary:
    """Words with their frequencies, sampled in bulk with Walker's alias method (exact, O(1))."""

    def __init__(self, words: list[str], p: np.ndarray):
        self.words = words
        p = p / p.sum()
        self.mean_length = float((p * np.array([len(w) for w in words])).sum())
        n = len(p)
        prob = (p * n).tolist()
        alias = list(range(n))
        small = [i for i, q in enumerate(prob) if q < 1.0]
        large = [i for i, q in enumerate(prob) if q >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            alias[s] = g
            prob[g] -= 1.0 - prob[s]
            (small if prob[g] < 1.0 else large).append(g)
        for i in small + large:
            prob[i] = 1.0
        self._prob = np.array(prob)
        self._alias = np.array(alias, dtype=np.int64)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        i = rng.integers(0, len(self._prob), size=size)
        return np.where(rng.random(size) < self._prob[i], i, self._alias[i])


def _vocabulary(
    lang: str, size: int, pattern: str, blocked: set[str]
) -> tuple[Vocabulary, Vocabulary]:
    """The `size` most frequent words, and the same list without its 60 most frequent (function)
    words for titles."""
    import wordfreq

    freqs = wordfreq.get_frequency_dict(lang)
    wanted = re.compile(pattern)
    words = []
    for word in wordfreq.top_n_list(lang, size * 2):
        if wanted.fullmatch(word) and word not in blocked:
            words.append(word)
            if len(words) == size:
                break
    p = np.array([freqs[w] for w in words], dtype=np.float64)
    title_p = p.copy()
    title_p[:60] = 0.0
    return Vocabulary(words, p), Vocabulary(words, title_p)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class CorpusModel:
    """Everything drawn once per seed: vocabularies, company names, outlets, people."""

    def __init__(self, seed: int):
        rng = np.random.default_rng([seed, 0])
        self.en, self.en_title = _vocabulary("en", EN_VOCAB, r"[a-z]+", _BLOCKED)
        self.zh, self.zh_title = _vocabulary("zh", ZH_VOCAB, r"[\u4e00-\u9fff]+", set())
        self.verbs = [self.zh.words.index(v) for v in NEWS_VERBS]

        english = set(self.en.words)
        entities: list[str] = []
        while len(entities) < 400:
            parts = rng.choice(_SYLLABLES, size=rng.integers(2, 4))
            name = "".join(parts).capitalize() + str(rng.choice(_SUFFIXES))
            if len(name) >= 5 and name.lower() not in english and name not in entities:
                entities.append(name)
        self.entities = entities
        # Some companies are in the news all the time, most rarely (Zipf over the pool).
        ranks = np.arange(1, len(entities) + 1, dtype=np.float64)
        self.entity_cdf = (np.cumsum(1.0 / ranks) / np.sum(1.0 / ranks)).tolist()

        self.outlets = []
        combos = [(a, b) for a in _OUTLET_PLACES for b in _OUTLET_KINDS]
        for i in rng.permutation(len(combos))[:36]:
            (zh_place, en_place), (zh_kind, en_kind) = combos[i]
            en_name = f"{en_place} {en_kind}"
            self.outlets.append(
                {
                    "name": {"zh-hans": zh_place + zh_kind, "en": en_name},
                    "slug": _slug(en_name),
                    "url": f"https://{_slug(en_name)}.example.cn/",
                }
            )
        ranks = np.arange(1, len(self.outlets) + 1, dtype=np.float64)
        self.outlet_cdf = (np.cumsum(1.0 / ranks**0.8) / np.sum(1.0 / ranks**0.8)).tolist()

        self.authors = []
        seen: set[str] = set()
        while len(self.authors) < 300:
            s_zh, s_en = _SURNAMES[rng.integers(len(_SURNAMES))]
            given = [_GIVEN[i] for i in rng.integers(len(_GIVEN), size=rng.integers(1, 3))]
            zh_name = s_zh + "".join(g[0] for g in given)
            en_name = f"{s_en} {''.join(g[1] for g in given).capitalize()}"
            if zh_name in seen or _slug(en_name) in {a["slug"] for a in self.authors}:
                continue
            seen.add(zh_name)
            self.authors.append(
                {"name": {"zh-hans": zh_name, "en": en_name}, "slug": _slug(en_name)}
            )
        self.translators = []
        while len(self.translators) < 200:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            if _slug(name) not in {t["slug"] for t in self.translators}:
                self.translators.append({"name": {"en": name}, "slug": _slug(name)})

        # Token tables: row = how the token ends (see _marks), column = word id.
        # Company names are extra columns after the vocabulary.
        en_words = self.en.words + entities
        caps = [w.capitalize() for w in self.en.words] + entities
        self.en_table = np.array(
            [
                [w + " " for w in en_words],
                [w + " " for w in caps],
                [w + ". " for w in en_words],
                [w + ".\n\n" for w in en_words],
                [w + ", " for w in en_words],
            ],
            dtype=object,
        )
        zh_words = self.zh.words + entities + [e + " " for e in entities]
        self.zh_table = np.array(
            [
                zh_words,
                zh_words,
                [w.rstrip() + "。" for w in zh_words],
                [w.rstrip() + "。\n\n" for w in zh_words],
                [w.rstrip() + "，" for w in zh_words],
            ],
            dtype=object,
        )


def _marks(
    rng: np.random.Generator,
    segments: np.ndarray,
    paragraphs: np.ndarray,
    sentence: tuple[int, int],
    paragraph_chance: float,
) -> np.ndarray:
    """How each token of a batch's stream ends: 0 plain, 1 sentence start (capitalised in
    English), 2 sentence end, 3 paragraph end, 4 comma. `segments` are the lengths of the texts
    in the stream (each ends a sentence); `paragraphs` says which of them have paragraphs."""
    lo, hi = sentence
    n = int(segments.sum())
    seg_ends = np.cumsum(segments)
    seg_starts = seg_ends - segments
    ends = np.cumsum(rng.integers(lo, hi + 1, size=n // lo + 2))
    ends = ends[ends < n]
    seg = np.searchsorted(seg_ends, ends, side="left")  # the text each sentence end falls in
    ends = ends[(seg_ends[seg] - ends >= lo) & (ends - seg_starts[seg] >= lo)]
    ends = np.sort(np.concatenate((ends, seg_ends)))  # disjoint sets
    marks = np.zeros(n, dtype=np.int8)
    marks[rng.integers(0, n, size=rng.binomial(n, 0.06))] = 4
    marks[np.concatenate(([0], ends[:-1]))] = 1
    marks[ends - 1] = 2
    seg = np.searchsorted(seg_ends, ends, side="left")
    breaks = paragraphs[seg] & (seg_ends[seg] != ends) & (rng.random(len(ends)) < paragraph_chance)
    marks[ends[breaks] - 1] = 3
    return marks


def _title_en(model: CorpusModel, idx: np.ndarray, lead: str) -> str:
    words = [model.en.words[i] for i in idx]
    if lead:
        words[0] = lead
    small = {"a", "an", "and", "the", "of", "in", "on", "to", "for", "by", "with", "at", "or"}
    out = [w if (w in small and k) else w[:1].upper() + w[1:] for k, w in enumerate(words)]
    return " ".join(out)


def _title_zh(model: CorpusModel, idx: np.ndarray, length: int, lead: str) -> str:
    """About `length` characters (at most 25): the lead, then words."""
    title = lead
    for i in idx.tolist():
        word = model.zh.words[i]
        if len(title) + len(word) <= 25:
            title += word
        if len(title) >= length:
            break
    return title


def generate(articles: int, seed: int, model: CorpusModel | None = None) -> Iterator[dict]:
    """Yield `articles` interchange records, deterministic for `seed`."""
    model = model or CorpusModel(seed)
    for batch_no in range((articles + BATCH - 1) // BATCH):
        yield from generate_batch(model, seed, batch_no, min(BATCH, articles - batch_no * BATCH))


def generate_batch(
    model: CorpusModel, seed: int, batch_no: int, count: int = BATCH
) -> Iterator[dict]:
    """The first `count` articles of batch `batch_no` (each batch is independent of the others)."""
    days = (LAST_DAY - FIRST_DAY).days
    n_ent = len(model.entities)
    made = batch_no * BATCH
    articles = made + count
    rng = np.random.default_rng([seed, 1, batch_no])
    rand = random.Random(f"{seed}:{batch_no}").random
    scale = np.clip(rng.normal(1.0, 0.15, size=BATCH), 0.6, 1.5)
    # The stream of each language: body 0, summary 0, body 1, summary 1, …
    en_seg = np.empty(2 * BATCH, dtype=np.int64)
    en_seg[0::2] = (800 * scale).astype(np.int64)
    en_seg[1::2] = rng.integers(20, 46, size=BATCH)
    zh_seg = np.empty(2 * BATCH, dtype=np.int64)
    zh_seg[0::2] = (1500 * scale / model.zh.mean_length).astype(np.int64)
    zh_seg[1::2] = rng.integers(25, 55, size=BATCH)
    has_paragraphs = np.tile([True, False], BATCH)
    en_idx = model.en.sample(rng, int(en_seg.sum()))
    zh_idx = model.zh.sample(rng, int(zh_seg.sum()))
    en_titles = model.en_title.sample(rng, BATCH * 14)
    zh_titles = model.zh_title.sample(rng, BATCH * 20)
    # Later years have more articles, as archives grow.
    day = (days * np.sqrt(rng.random(BATCH))).astype(np.int64).tolist()
    en_off = np.concatenate(([0], np.cumsum(en_seg))).tolist()
    zh_off = np.concatenate(([0], np.cumsum(zh_seg))).tolist()

    # Companies each article is about, named a few times in both versions.
    about = []
    for b in range(BATCH):
        ents = sorted(
            {bisect.bisect_right(model.entity_cdf, rand()) for _ in range(1 + int(rand() * 3))}
        )
        ents = [min(e, n_ent - 1) for e in ents]
        about.append(ents)
        a, z = en_off[2 * b], zh_off[2 * b]
        en_len, zh_len = en_off[2 * b + 2] - a, zh_off[2 * b + 2] - z
        for e in ents:
            for _ in range(2 + int(rand() * 5)):
                en_idx[a + int(rand() * en_len)] = EN_VOCAB + e
                p = z + int(rand() * (zh_len - 1))
                zh_idx[p] = ZH_VOCAB + e + (n_ent if rand() < 0.3 else 0)
                if rand() < 0.5:
                    zh_idx[p + 1] = model.verbs[int(rand() * len(model.verbs))]

    en_tokens = model.en_table[_marks(rng, en_seg, has_paragraphs, (8, 32), 0.25), en_idx]
    zh_tokens = model.zh_table[_marks(rng, zh_seg, has_paragraphs, (8, 28), 0.3), zh_idx]

    for b in range(BATCH):
        if made >= articles:
            break
        texts = []
        for tokens, off in ((en_tokens, en_off), (zh_tokens, zh_off)):
            for k in (2 * b, 2 * b + 1):
                texts.append("".join(tokens[off[k] : off[k + 1]].tolist()).rstrip())
        body_en, summary_en, body_zh, summary_zh = texts

        ents = about[b]
        lead_en = lead_zh = ""
        if rand() < 0.4:
            lead_en = model.entities[ents[0]]
            lead_zh = lead_en + NEWS_VERBS[int(rand() * len(NEWS_VERBS))]
        title_en = _title_en(model, en_titles[b * 14 : b * 14 + 8 + int(rand() * 7)], lead_en)
        title_zh = _title_zh(model, zh_titles[b * 20 : b * 20 + 20], 12 + int(rand() * 14), lead_zh)

        outlet = model.outlets[
            min(bisect.bisect_right(model.outlet_cdf, rand()), len(model.outlets) - 1)
        ]
        authors = [
            model.authors[i]
            for i in sorted(
                {int(rand() * len(model.authors)) for _ in range(1 if rand() < 0.8 else 2)}
            )
        ]
        translators = [
            model.translators[i]
            for i in sorted(
                {int(rand() * len(model.translators)) for _ in range(1 if rand() < 0.8 else 2)}
            )
        ]
        published = FIRST_DAY + dt.timedelta(days=day[b])
        translated = min(published + dt.timedelta(days=int(rand() * 15)), LAST_DAY)
        number = made + 1
        external_id = f"bench-{number:07d}"
        yield {
            "external_id": external_id,
            "original_language": "zh-hans",
            "title": {"zh-hans": title_zh, "en": title_en},
            "summary": {"zh-hans": summary_zh, "en": summary_en},
            "body": {"zh-hans": body_zh, "en": body_en},
            "authors": authors,
            "outlet": outlet,
            "original_url": f"{outlet['url']}a/{number}.html",
            "published_at": published.isoformat(),
            "renditions": {
                "zh-hans": {"status": "published"},
                "en": {
                    "status": "published",
                    "method": "human" if rand() < 0.8 else "post_edited",
                    "translators": translators,
                    "url": f"https://yiwen.example/en/{external_id}/",
                    "published_at": translated.isoformat(),
                },
            },
        }
        made += 1


_worker: tuple[CorpusModel, int, int] | None = None  # (model, seed, articles), set before fork
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _text(value: str) -> str:
    # The generated texts hold letters, CJK and the punctuation added here: only the paragraph
    # breaks need escaping in JSON (`main --check` compares with json.dumps).
    return '"' + value.replace("\n", "\\n") + '"'


def encode(record: dict) -> str:
    """One JSON line for a generated record: json.dumps' output, about twice as fast."""
    head = {k: record[k] for k in ("external_id", "original_language", "title")}
    tail = {k: v for k, v in record.items() if k not in ("summary", "body") and k not in head}
    s, b = record["summary"], record["body"]
    return (
        _dumps(head)[:-1]
        + f',"summary":{{"zh-hans":{_text(s["zh-hans"])},"en":{_text(s["en"])}}}'
        + f',"body":{{"zh-hans":{_text(b["zh-hans"])},"en":{_text(b["en"])}}},'
        + _dumps(tail)[1:]
        + "\n"
    )


def _batch_lines(batch_no: int) -> str:
    model, seed, articles = _worker
    count = min(BATCH, articles - batch_no * BATCH)
    return "".join(encode(r) for r in generate_batch(model, seed, batch_no, count))


def write(
    path: str | Path, articles: int, seed: int, jobs: int = 0, progress: bool = True
) -> float:
    """Write the corpus to `path` (JSON Lines) with `jobs` processes (0: one per core); returns
    articles per second. The output does not depend on `jobs`."""
    global _worker
    started = time.perf_counter()
    _worker = (CorpusModel(seed), seed, articles)
    batches = range((articles + BATCH - 1) // BATCH)
    jobs = jobs or os.cpu_count() or 1
    out = sys.stdout if str(path) == "-" else open(path, "w", encoding="utf-8")  # noqa: SIM115
    pool = None
    try:
        if jobs > 1 and len(batches) > 1:
            pool = multiprocessing.get_context("fork").Pool(jobs)
            chunks = pool.imap(_batch_lines, batches)
        else:
            chunks = map(_batch_lines, batches)
        for batch_no, text in enumerate(chunks):
            out.write(text)
            done = min((batch_no + 1) * BATCH, articles)
            if progress and done % 20_480 == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} articles ({rate:,.0f}/s)", file=sys.stderr)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if out is not sys.stdout:
            out.close()
    return articles / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", required=True, help="file to write, or - for stdout")
    parser.add_argument("--jobs", type=int, default=0, help="processes (default: one per core)")
    parser.add_argument(
        "--check", action="store_true", help="also check the fast JSON encoder on 2,000 records"
    )
    args = parser.parse_args(argv)
    if args.check:
        for record in generate(2000, args.seed):
            if encode(record) != _dumps(record) + "\n":
                sys.exit(f"encode() differs from json.dumps for {record['external_id']}")
        print("encode() matches json.dumps on 2,000 records", file=sys.stderr)
    rate = write(args.output, args.articles, args.seed, jobs=args.jobs)
    print(f"{args.articles:,} articles → {args.output} ({rate:,.0f} articles/s)", file=sys.stderr)


if __name__ == "__main__":
    main()
