"""Chinese word segmentation for the search index and queries (pure Python, no Django).

rjieba (jieba's Rust port, same dictionary and output as jieba 0.42, ~15× faster; see
BENCHMARKS.md) with a user dictionary of names and glossary terms, so that names are never split.

A document is analysed into three token streams, all of normalised text (see normalize.py):
- `precise`: precise-mode segmentation, words in order — positions for phrase queries;
- `subwords`: every dictionary word inside a longer word (国防, 部长 inside 国防部长; 人民银行
  inside 中国人民银行), then the dictionary words of three characters or more across the words
  of `precise` that stand in the text as words (市政府 in 武汉市|政府: `crossing`), so that a
  word inside a longer run is found without disturbing the positions of `precise`;
- `chars`: the CJK runs, from which `char_grams` makes the text that indexes every character and
  every pair of adjacent characters — one- and two-character queries and any substring that is
  not a dictionary word are answered from these.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress

from archive.text.normalize import CJK, has_cjk, normalize, normalize_many

_CJK_RUNS = re.compile(f"[{CJK}]+")
# Tokens that carry no searchable text.
_SKIP = re.compile(r"^[\W_]+$", re.UNICODE)
_NAME_PARTS = re.compile(r"[\s·•・.]+")
# Words of the user dictionary get a frequency that beats any split of them.
USER_WORD_FREQ = 2_000_000
# The longest word of jieba's dictionary (0.42's dict.txt, which rjieba holds): 16 characters
# (中国人民政治协商会议全国委员会 and the like). A sub-word is never longer than this or than
# the longest user word, so that a run the HMM joins into a long "word" (24 unknown characters
# in a row: one word) costs lookups in proportion to its length, not to its square.
LONGEST_DICTIONARY_WORD = 16
# A tsvector keeps at most this many positions of a lexeme: `crossing` stops looking for a word's
# places there (a text of one character repeated has a word across its words at nearly every one).
MAX_POSITIONS = 256
# Beyond every character: a word that begins with "ab" sorts before "ab" + LAST_CHAR.
LAST_CHAR = "\U0010ffff"


@dataclass(frozen=True)
class Analysis:
    precise: str
    subwords: str
    chars: str


class Segmenter:
    """One rjieba instance with a user dictionary; thread-safe for cutting."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        import rjieba

        self._jieba = rjieba.Jieba()
        self._lock = threading.Lock()
        self.user_words: set[str] = set()
        self._longest = LONGEST_DICTIONARY_WORD  # of any word, user words included
        # `user_word_spans`: its index of the user words (built when first needed) and answers
        self._index: tuple[str, list[int], list[str], list[str]] | None = None
        self._spans: dict[str, list[tuple[str, ...]]] = {}
        self.add_words(words)

    def add_words(self, words: Iterable[str]) -> None:
        with self._lock:
            for name in normalize_many(list(words)):
                # 达里奥·阿莫代伊: the segmenter splits at the dot, so each part is a word too.
                for word in {name.strip(), *_NAME_PARTS.split(name)}:
                    if (
                        len(word) > 1
                        and has_cjk(word)
                        and word not in self.user_words
                        and not _NAME_PARTS.search(word)
                    ):
                        self._jieba.add_word(word, USER_WORD_FREQ, None)
                        self.user_words.add(word)
                        self._longest = max(self._longest, len(word))
            self._index = None
            self._spans = {}

    def is_word(self, word: str) -> bool:
        return word in self.user_words or bool(self._jieba.has_word(word))

    def user_word_spans(self, word: str) -> list[tuple[str, ...]]:
        """Where a user word (a name, a glossary term: never split) takes some of the characters
        of `word` (CJK), the text's words there are not `word`: the words side by side that a
        text holding `word` has then, one tuple for each way, those sharing the most characters
        with `word` first: (美国国防部,) for a user word that holds all of it (国防 in
        美国国防部); (before…, name, after…) for one inside it; (美国国防部, 长) where one ends
        with its beginning (国防部长 in 美国国防部长, cut 美国国防部|长); (…, name) where one
        begins with its end. The characters of `word` outside the user word are cut as they
        are alone."""
        found = self._spans.get(word)
        if found is not None:
            return found
        n = len(word)
        ways: dict[tuple[str, ...], int] = {}  # way → characters shared
        for name in self._user_words_with(word) if n > 1 else ():
            if name != word:
                ways[(name,)] = n
        for a in range(n):
            for b in range(n, a + 1, -1):
                if (a, b) != (0, n) and word[a:b] in self.user_words:
                    way = (*self.cut(word[:a]), word[a:b], *self.cut(word[b:]))
                    ways.setdefault(way, b - a)
        for j in range(n - 1, 0, -1):  # a user word ending with the word's first j characters
            for name in self._user_words_with(word[:j], ending=True):
                ways.setdefault((name, *self.cut(word[j:])), j)
            for name in self._user_words_with(word[n - j :], beginning=True):  # … its last j
                ways.setdefault((*self.cut(word[: n - j]), name), j)
        found = sorted(ways, key=lambda way: -ways[way])
        if len(self._spans) >= 4096:
            self._spans.clear()
        self._spans[word] = found
        return found

    def _user_word_index(self) -> tuple[str, list[int], list[str], list[str]]:
        """The user words sorted, in one string between line breaks (which no word holds) with
        where each begins in it, and each written backwards, sorted: what `_user_words_with`
        searches. Dictionaries of the words by each pair they hold and by each proper prefix
        and suffix (180,000 entries for 25,000 words) took 250–500 ms to build, in the first
        search after each change to the register."""
        index = self._index
        if index is None:
            with self._lock:
                names = sorted(self.user_words)
                starts, at = [], 1
                for name in names:
                    starts.append(at)
                    at += len(name) + 1
                joined = "\n" + "\n".join(names) + "\n"
                index = self._index = (joined, starts, names, sorted(n[::-1] for n in names))
        return index

    def _user_words_with(
        self, text: str, *, ending: bool = False, beginning: bool = False
    ) -> list[str]:
        """The user words, in their sorted order, that hold `text` (`ending`: that end with it
        and are longer; `beginning`: that begin with it and are longer): those beginning or
        ending with it by bisection of the sorted words (or of the words written backwards),
        those holding it by a search of them all (~0.1 ms for 25,000)."""
        joined, starts, names, backwards = self._user_word_index()
        if beginning or ending:
            words, key = (names, text) if beginning else (backwards, text[::-1])
            found = words[bisect_left(words, key) : bisect_left(words, key + LAST_CHAR)]
            found = [word for word in found if word != key]
            return found if beginning else sorted(word[::-1] for word in found)
        found = []
        at = joined.find(text)
        while at >= 0:
            name = names[bisect_right(starts, at) - 1]
            if not found or found[-1] != name:
                found.append(name)
            at = joined.find(text, at + 1)
        return found

    def cut(self, text: str) -> list[str]:
        """Precise segmentation of normalised text, without white space and punctuation."""
        text = split_joined_words(text)
        # Most tokens are letters and digits only (isalnum: none of _SKIP's characters), which
        # spares them the pattern.
        return [
            t
            for t in self._jieba.cut(text, True)
            if t.isalnum() or (t.strip() and not _SKIP.match(t))
        ]

    def _tokens(self, text: str) -> list[tuple[str, int, int]]:
        """`cut`'s words, each with where it starts and ends in `split_joined_words(text)`
        (which has the length of `text`): rjieba's `tokenize`, ~25 % slower than its `cut`."""
        text = split_joined_words(text)
        return [
            token
            for token in self._jieba.tokenize(text)
            if (t := token[0]).isalnum() or (t.strip() and not _SKIP.match(t))
        ]

    def subwords(self, words: list[str]) -> list[str]:
        """Every dictionary word inside a longer word, from two characters to one fewer than
        the word (国防, 部长 and 国防部 in 国防部长; 人民银行 in 中国人民银行). Search-mode
        segmentation adds the words of two and three characters only, so that a query 人民银行,
        全国人民代表大会 or 联邦储备委员会 — a word of its own, searched as one — found nothing in
        a text that holds it inside a longer word (中国人民银行, 全国人民代表大会常务委员会,
        美国联邦储备委员会). A word of n characters has n(n - 1)/2 - 1 such strings to look up
        (fewer where it is longer than any word: `LONGEST_DICTIONARY_WORD`); almost every word has
        four characters or fewer, and for those the strings and their order are what they were."""
        has_word, user_words, longest = self._jieba.has_word, self.user_words, self._longest
        found = []
        for word in words:
            length = len(word)
            if length < 3 or not has_cjk(word):
                continue
            for size in range(2, min(length, longest + 1)):
                for start in range(length - size + 1):
                    gram = word[start : start + size]
                    if gram in user_words or has_word(gram):
                        found.append(gram)
        return found

    def crossing(self, text: str, tokens: list[tuple[str, int, int]] | None = None) -> list[str]:
        """The dictionary words of three characters or more that lie across the words of
        normalised `text` where they stand as words: those whose last character ends one of the
        text's words (市政府 in 武汉市|政府, 县检察院 in 保康县|检察院, 市委书记 in 北京市委|书记,
        国际机场 in 国际|机场), or whose part inside the word they end in is a dictionary word of
        two characters or more (市场监管 in 市场|监管局, 双边贸易 in 双边|贸易额). Not those that
        take the first character of a word the segmenter put with the next one (经济带 in
        经济|带来, 联合国 in 联合|国家, 领导力 in 领导|力量): there the text is not about them.
        One entry for each place, up to MAX_POSITIONS; none inside a single word (`subwords` has
        those). `tokens`: the text's words with their places (`_tokens`), where the caller has
        them. The dictionary words of the text come from rjieba's full mode (every word at every
        place), in one pass over the text."""
        if tokens is None:
            tokens = self._tokens(text)
        if len(tokens) < 2:
            return []
        source = split_joined_words(text)
        starts = [start for _word, start, _end in tokens]
        bounds = {*starts, *(end for _word, _start, end in tokens)}
        is_word = self.is_word
        found: list[str] = []
        every = self._jieba.cut_all(source)
        for word in dict.fromkeys(compress(every, map((2).__lt__, map(len, every)))):
            if not has_cjk(word):
                continue
            at, kept = source.find(word), 0
            while at >= 0 and kept < MAX_POSITIONS:
                end = at + len(word)
                if any(b in bounds for b in range(at + 1, end)):
                    # its part inside the word it ends in (none where it ends with a word)
                    inside = (
                        ""
                        if end in bounds
                        else source[starts[bisect_right(starts, end - 1) - 1] : end]
                    )
                    if not inside or (len(inside) > 1 and is_word(inside)):
                        found.append(word)
                        kept += 1
                at = source.find(word, at + 1)
        return found

    def analyse(self, text: str) -> Analysis:
        """The three token streams of a text (see the module's docstring)."""
        text = normalize(text)
        if not has_cjk(text):
            return Analysis(precise=split_joined_words(text), subwords="", chars="")
        tokens = self._tokens(text)
        precise = [word for word, _start, _end in tokens]
        return Analysis(
            precise=" ".join(precise),
            subwords=" ".join(self.subwords(precise) + self.crossing(text, tokens)),
            chars=chars_stream(text),
        )


# A dot, slash or at sign between two letters: host names, paths and addresses
# (visa.visitsaudi.com, bloggers/weblebrities), which PostgreSQL's parser would keep whole.
# (The separator first: the pattern is looked for at each dot, slash or at sign, not at every
# character of the text.)
_JOINED = re.compile(r"[./@](?<=[a-z\u00c0-\u024f][./@])(?=[a-z\u00c0-\u024f])")


def split_joined_words(text: str) -> str:
    """Normalised text with the words of host names, paths and e-mail addresses apart, so that
    each is found (visitsaudi in visa.visitsaudi.com). Documents and queries alike; the length
    is unchanged."""
    return _JOINED.sub(" ", text)


def chars_stream(text: str) -> str:
    """The CJK runs of a text, separated by spaces (input of `char_grams`)."""
    return " ".join(_CJK_RUNS.findall(text))


def char_grams(runs: str) -> str:
    """Every character and every pair of adjacent characters of the runs, interleaved (国 国防 防
    防部 部): the text of the character slot, which PostgreSQL's `simple` configuration turns
    into lexemes and positions. A query for any substring (美; 防部; a name not in the
    dictionary) is then a lexeme lookup or a phrase of pairs two positions apart (see
    archive/text/query.py), with no word needed. No pair spans two runs, so no phrase of pairs
    does either."""
    out: list[str] = []
    append = out.append
    for run in runs.split():
        for first, second in zip(run, run[1:], strict=False):
            append(first)
            append(first + second)
        append(run[-1])
    return " ".join(out)


# Consecutive pairs of a string are this many positions apart in the character slot.
PAIR_DISTANCE = 2


def char_pairs(text: str) -> list[str]:
    """The pairs of adjacent characters of a CJK string (what `char_grams` indexes)."""
    return [text[i : i + 2] for i in range(len(text) - 1)]
