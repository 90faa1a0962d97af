"""Snippets and highlights of a page of search results: the passage of each language version
with the most of the query's terms, its matches in <mark> (`snippet`), and a title marked the
same way (`marked`). Built in Python for the rows of a page only: `ts_headline` does not
understand unsegmented Chinese, and these are ~60 µs a snippet. No SQL here; the search
(archive/search.py) hands each hit's article and what its query marks."""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape  # Django's is this with a wrapper for lazy text: 14 calls a snippet

from archive.models import Article
from archive.text.names import ACRONYM_MARK, NAME_MARK, WORD_CHAR, is_acronym, is_name
from archive.text.normalize import (
    CJK,
    has_cjk,
    lower_keeping_length,
    normalize,
    normalize_with_offsets,
)
from archive.text.paragraphs import split_paragraphs

LATIN = "0-9a-z\u00c0-\u024f"  # what counts as part of a Latin word when highlighting
SNIPPET_CHARS = {"zh-hans": 110, "en": 260}


def snippet(
    article: Article,
    language: str,
    cjk: list[str],
    latin: set[str],
    names: frozenset[str] = frozenset(),
    phrases: tuple[str, ...] = (),
    named: tuple[tuple[str, ...], ...] = (),
) -> str:
    """An HTML-safe passage of the language version, matches in <mark>: the passage of the
    summary or the body with the most of the query's terms (a quoted phrase found as written
    counts once more; on a tie, the earlier), else the title. The title is shown beside the
    snippet: repeated, it would tell the reader nothing the heading does not. A paragraph
    longer than the snippet is shown where most of the terms are near each other.
    `names`: the name and acronym lexemes of the query (`find_spans`); `phrases`: the query's
    quoted phrases, normalised; `named`: strings that are one term, each an actor's names with
    the query's words naming it (`archive.results._named_actors`): "Pentagon" and "Department
    of Defense" are one term of the query "Pentagon".

    The passages are first looked for in the text as stored (case-insensitively), so that only
    those passages are normalised; a text whose matches only normalisation reveals (traditional
    characters, full-width letters) is normalised whole."""
    width = SNIPPET_CHARS.get(language, 200)
    title, summary, body = (article.text(f, language) for f in ("title", "summary", "body"))
    forms = {n[1:] for n in names} | {".".join(n[1:]) + "." for n in names if n[0] == ACRONYM_MARK}
    terms = _snippet_terms(tuple(cjk), tuple(sorted(latin | forms)), phrases, named)
    if terms:
        for texts in ((summary, body), (title,)):
            texts = [t for t in texts if t and (latin or names or not t.isascii())]
            found = _best_passage(texts, terms, cjk, latin, names) if texts else None
            if found:
                text, spans = found
                marks = _with_phrases(spans, phrase_spans(text, terms.phrases))
                return _window(text, spans, width, terms, marks)
    sensitive = _SENSITIVE_CJK if cjk else _SENSITIVE
    for text in (summary, body, title):
        # Not found as stored: only normalisation can reveal a match, in a text with characters
        # that it changes (full-width letters, compatibility forms, traditional characters).
        # (An ASCII text has none: `isascii` is a flag of the string, not a scan.)
        changes = text and not text.isascii() and sensitive.search(text)
        spans = find_spans(text, cjk, latin, names) if changes else []
        if spans:  # the paragraph of the first match
            begin, end = _paragraph(text, spans[0][0], spans[0][1])
            inside = [(a - begin, b - begin) for a, b in spans if a >= begin and b <= end]
            return _window(text[begin:end], inside, width, terms)
    first = _first_paragraph(body, width) or title
    return escape(first[:width] + ("…" if len(first) > width else ""))


# Paragraphs of a text looked at for a snippet (`_best_passage`): those with a quick hit, at
# most this many of a text, of which at most SNIPPET_PARAGRAPHS are checked for real matches.
SNIPPET_CANDIDATES = 64
SNIPPET_PARAGRAPHS = 8


@dataclass(frozen=True)
class _Terms:
    """What a snippet looks for: every string to mark, lower-cased, longest first; which term
    each is (a Latin word's forms are one term: visit, visiting); and the query's quoted
    phrases as written, each a pattern."""

    strings: tuple[str, ...]
    term: dict[str, str]  # string → its term
    count: int  # distinct terms
    phrases: tuple[tuple[re.Pattern, bool], ...]  # (pattern, whether it begins with a Latin word)
    cased: bool  # some string has letters with a case: the text is searched lower-cased

    def of(self, found: str) -> str:
        """The term a marked string is: itself, or the longest string it begins with (a Latin
        word marked with its ending: "visits" is the term of "visit")."""
        lower = found.lower()
        if lower in self.term:
            return self.term[lower]
        if not lower.isascii():
            lower = normalize(lower)
        return next((self.term[s] for s in self.strings if lower.startswith(s)), lower)

    def phrases_in(self, lowered: str, begin: int, end: int) -> int:
        """How many of the phrases a lower-cased passage lowered[begin:end] has as written (a
        Latin one where a word begins: not "tax cut" in "surtax cut")."""
        count = 0
        for pattern, latin in self.phrases:
            for found in pattern.finditer(lowered, begin, end):
                if not (latin and _inside_word(lowered, found.start())):
                    count += 1
                    break
        return count

    @property
    def best(self) -> int:
        return self.count + len(self.phrases)

    def paragraphs(self, text: str):
        """(begin, end, score) of each paragraph of `text` with a quick hit, in order: the
        score it may have (its distinct terms, and its phrases as written one more each) from
        strings found case-insensitively, anywhere (`str.find` on the lower-cased text: a regular
        expression of the strings, case-insensitive, took 150–290 µs to scan a 6,900-character
        text that has none, lower-casing it 40 µs and each `find` 1–4 µs)."""
        lowered = lower_keeping_length(text) if self.cased else text
        strings = self.strings
        following = [lowered.find(s) for s in strings]  # each string's next place, or -1
        position = 0
        while True:
            first, length = -1, 0
            for i, at in enumerate(following):
                if 0 <= at < position:
                    at = following[i] = lowered.find(strings[i], position)
                if at >= 0 and (first < 0 or at < first):
                    first, length = at, len(strings[i])
            if first < 0:
                return
            begin, end = _paragraph(text, first, first + length)
            seen = {self.term[s] for s, at in zip(strings, following, strict=True) if 0 <= at < end}
            phrases = self.phrases_in(lowered, begin, end) if self.phrases else 0
            yield begin, end, len(seen) + phrases
            position = end


@lru_cache(maxsize=256)
def _snippet_terms(
    cjk: tuple[str, ...],
    latin: tuple[str, ...],
    phrases: tuple[str, ...] = (),
    named: tuple[tuple[str, ...], ...] = (),
) -> _Terms | None:
    """The `_Terms` of a query's strings to mark; `named`: groups of them that are one term."""
    strings = sorted({*cjk, *(w.lower() for w in latin)}, key=len, reverse=True)
    if not strings:
        return None
    term = {}
    for s in strings:
        bare = s.replace(".", "")  # u.s.: the acronym US
        shorter = [
            t for t in strings if not has_cjk(t) and len(t) < len(bare) and bare.startswith(t)
        ]
        term[s] = min(shorter, key=len) if shorter else bare
    for group in named:
        same = {term[s] for s in group if s in term}
        for s, t in term.items():
            if t in same:
                term[s] = min(same)
    return _Terms(
        tuple(strings),
        term,
        len(set(term.values())),
        _phrases(phrases),
        any(s != s.upper() for s in strings),
    )


@lru_cache(maxsize=256)
def _phrases(phrases: tuple[str, ...]) -> tuple[tuple[re.Pattern, bool], ...]:
    """Each quoted phrase (normalised) with a word in it as `_phrase` finds it."""
    return tuple(_phrase(phrase) for phrase in phrases if re.search(r"\w", phrase))


def _inside_word(lowered: str, start: int) -> bool:
    """Whether a Latin match at `start` of a lower-cased text begins inside a word ("tax cut"
    in "surtax cut")."""
    return bool(start) and lowered[start - 1].isascii() and lowered[start - 1].isalnum()


def phrase_spans(text: str, phrases: tuple[tuple[re.Pattern, bool], ...]) -> list[tuple[int, int]]:
    """Where `text` has the query's quoted phrases (`_phrases`) as written: each one span, its
    stop words too ("Department of Defense"), and a last Latin word to its end ("tax cut" of
    the query "tax cuts" in "tax cutting")."""
    if not phrases or not text:
        return []
    lowered = lower_keeping_length(text)
    spans = []
    for pattern, latin in phrases:
        for found in pattern.finditer(lowered):
            start, end = found.span()
            if start == end or (latin and _inside_word(lowered, start)):
                continue
            if lowered[end - 1].isascii():
                while end < len(lowered) and lowered[end].isascii() and lowered[end].isalnum():
                    end += 1
            spans.append((start, end))
    return spans


def _with_phrases(
    spans: list[tuple[int, int]], phrases: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The marks of `spans` (sorted, apart) with each phrase found as written (`phrase_spans`)
    one mark: the words' marks inside or across one give way to it."""
    if not phrases:
        return spans
    whole: list[tuple[int, int]] = []
    for s, e in sorted(phrases, key=lambda span: (span[0], -span[1])):
        if not whole or s >= whole[-1][1]:
            whole.append((s, e))
    kept = [(s, e) for s, e in spans if not any(ps < e and s < pe for ps, pe in whole)]
    return sorted(kept + whole)


def _phrase(phrase: str) -> tuple[re.Pattern, bool]:
    """A quoted phrase (normalised) as written, to find in lower-cased text, and whether it
    begins with a Latin word. A Latin word is found in its forms (the last two letters of a
    long word may differ, a short one's plural s: "tax cuts" finds "tax cut"), with anything but
    a word before the next Latin word; a Chinese word with nothing or anything but a word before
    the next ("发布通告 要求" finds "发布通告，要求"). `_Terms.phrases_in` checks that a Latin
    phrase begins a word: a look-behind in the pattern would be tried at every character."""
    words = re.findall(r"\w+", phrase)
    parts = []
    for word, following in zip(words, [*words[1:], None], strict=True):
        latin = word.isascii()
        stem = word
        if latin and len(word) > 4:
            stem = word[:-2]
        elif latin and len(word) > 2 and word.endswith("s"):
            stem = word[:-1]
        parts.append(re.escape(stem))
        if following is not None:
            between = r"\W+" if latin and following.isascii() else r"\W*"
            parts.append((r"\w*" if latin else "") + between)
    return re.compile("".join(parts)), bool(words) and words[0].isascii()


def _best_passage(
    texts: list[str],
    terms: _Terms,
    cjk: list[str],
    latin: set[str],
    names: frozenset[str],
) -> tuple[str, list[tuple[int, int]]] | None:
    """The paragraph of `texts` with the most of the query's terms (and of its phrases as
    written, each counting one more), the earliest of them, and its matches.

    Quick hits (`_Terms.paragraphs`) give the paragraphs that may have a match and the most
    terms each may have ("ai" inside "said" is a quick hit, no match), read up to one that may
    have them all. The likeliest are then checked for real matches (`find_spans`, the costly
    part: it normalises the paragraph), until none left could have more; where none has
    them all, the paragraphs after are read on. At most SNIPPET_CANDIDATES paragraphs are read
    and SNIPPET_PARAGRAPHS checked."""
    quick = ((text, *hit) for text in texts for hit in terms.paragraphs(text))
    waiting: list[tuple[int, int, str, int, int]] = []  # a heap: (-score it may have, order, …)
    best, best_score = None, 0
    read = checked = 0
    while True:
        exhausted = True
        for text, begin, end, score in quick:  # read on, up to a paragraph that may have all
            heapq.heappush(waiting, (-score, read, text, begin, end))
            read += 1
            if score == terms.best or read == SNIPPET_CANDIDATES:
                exhausted = False
                break
        while waiting and -waiting[0][0] > best_score and checked < SNIPPET_PARAGRAPHS:
            _may_have, _order, text, begin, end = heapq.heappop(waiting)
            checked += 1
            passage = text[begin:end]
            spans = find_spans(passage, cjk, latin, names)
            score = len({terms.of(passage[s:e]) for s, e in spans})
            if spans and terms.phrases:
                score += terms.phrases_in(lower_keeping_length(passage), 0, len(passage))
            if score > best_score:
                best, best_score = (passage, spans), score
        if (
            exhausted
            or best_score == terms.best
            or read == SNIPPET_CANDIDATES
            or checked == SNIPPET_PARAGRAPHS
        ):
            return best


def _first_paragraph(body: str, width: int) -> str:
    """The body's first paragraph, as far as a snippet of `width` shows it, without splitting
    the whole body (a long body has hundreds of paragraphs)."""
    head = split_paragraphs(body[: width * 4])
    if head and (len(head) > 1 or len(head[0]) > width or len(body) <= width * 4):
        return head[0]
    found = split_paragraphs(body)
    return found[0] if found else ""


_COMPATIBLE = "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uf900-\ufaff\ufb00-\ufb06"
_SENSITIVE = re.compile(f"[{_COMPATIBLE}]")
_SENSITIVE_CJK = re.compile(f"[{_COMPATIBLE}{CJK}]")


def _paragraph(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the paragraph (blank-line separated) around text[start:end]."""
    begin = text.rfind("\n\n", 0, start)
    stop = text.find("\n\n", end)
    return (0 if begin < 0 else begin + 2), (len(text) if stop < 0 else stop)


def marked(
    text: str,
    cjk: list[str],
    latin: set[str],
    names: frozenset[str] = frozenset(),
    phrases: tuple[str, ...] = (),
) -> str:
    """The whole of a short `text` (a title) as HTML, the query's matches in <mark>, a quoted
    phrase found as written in one."""
    spans = find_spans(text, cjk, latin, names)
    if phrases:
        spans = _with_phrases(spans, phrase_spans(text, _phrases(phrases)))
    return _marked(text, spans, 0, len(text))


def _window(
    text: str,
    spans: list[tuple[int, int]],
    width: int,
    terms: _Terms | None = None,
    marks: list[tuple[int, int]] | None = None,
) -> str:
    """`width` characters of `text` from a third of it before the match where the most terms
    are within reach (`terms`; else the first match), matches in <mark> (or `marks`: the
    matches with the phrases whole); from a word's start where there are spaces between
    words. Where a term of the passage is not in that window (tariffs here, soybeans three
    sentences on), two fragments of half the width each, in the text's order: the best
    match's and the first place of a term the first leaves out ("…A … B…"), where they show
    more of the terms."""
    marks = spans if marks is None else marks
    several = terms is not None and terms.count > 1 and len(spans) > 1
    keys = [terms.of(text[s:e]) for s, e in spans] if several else []
    anchor = _anchor(spans, width - width // 3, keys, terms.count if several else 1)
    start, end = _bounds(text, anchor, width)
    if several:
        shown = _shown(spans, keys, [(start, end)])
        missing = next((s for (s, _e), k in zip(spans, keys, strict=True) if k not in shown), None)
        if missing is not None:
            half = width // 2
            first, second = sorted((_bounds(text, anchor, half), _bounds(text, missing, half)))
            if first[1] < second[0] and len(_shown(spans, keys, [first, second])) > len(shown):
                return "".join(
                    [
                        "…" if first[0] else "",
                        _marked(text, marks, *first),
                        " … ",
                        _marked(text, marks, *second),
                        "…" if second[1] < len(text) else "",
                    ]
                )
    inside = _marked(text, marks, start, end)
    return ("…" if start else "") + inside + ("…" if end < len(text) else "")


def _bounds(text: str, anchor: int, width: int) -> tuple[int, int]:
    """(start, end) of `width` characters of `text` from a third of it before `anchor`, from a
    word's start to a word's end where there are spaces between words; from a sentence's start
    where a Chinese one begins in that third, to a clause's end where one ends near the end."""
    start = max(0, anchor - width // 3)
    sentence = max(text.rfind(stop, start, anchor) for stop in "。！？") if start else -1
    if sentence >= 0:
        start = sentence + 1
    elif start and not text[start - 1].isspace():
        space = text.find(" ", start, anchor)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", anchor, end)
        # (Chinese: after the last clause's punctuation in the window's second half)
        clause = max(text.rfind(stop, anchor, end) for stop in "，。！？；：、")
        if space > anchor:
            end = space
        elif clause > anchor + (end - anchor) // 2:
            end = clause + 1
    while end > anchor and text[end - 1].isspace():
        end -= 1
    return start, end


def _shown(spans: list[tuple[int, int]], keys: list[str], windows: list[tuple[int, int]]) -> set:
    """The terms (`keys`, one a span) with a match inside one of the windows."""
    return {
        key
        for (s, e), key in zip(spans, keys, strict=True)
        if any(start <= s and e <= end for start, end in windows)
    }


def _marked(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """text[start:end], HTML-escaped, with the `spans` in <mark> (as far as they are inside
    it: a phrase that the window's edge cuts is marked up to it)."""
    out = []
    cursor = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out.append(escape(text[cursor:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        cursor = e
    out.append(escape(text[cursor:end]))
    return "".join(out)


def _anchor(spans: list[tuple[int, int]], reach: int, keys: list[str], count: int) -> int:
    """Where the match with the most distinct terms (`keys`: each span's term, of `count`) in
    the `reach` characters from its start begins: the first of them. (At most
    SNIPPET_CANDIDATES matches are tried as the start.)"""
    if count == 1 or len(spans) == 1:
        return spans[0][0]
    best, anchor = 0, spans[0][0]
    for i, (start, _end) in enumerate(spans[:SNIPPET_CANDIDATES]):
        near = set()
        for (_s, e), key in zip(spans[i:], keys[i:], strict=True):
            if e > start + reach:
                break
            near.add(key)
        if len(near) > best:
            best, anchor = len(near), start
            if best == count:
                break
    return anchor


@lru_cache(maxsize=64)
def _names_pattern(names: frozenset[str]) -> re.Pattern:
    """The query's names and acronyms (U.S. for US too), anywhere: `_name_spans` keeps those
    that are whole words. (Whole words in the pattern, as lookarounds, would put the classes of
    `_WORD_CHAR` in every query's pattern: compiling them case-insensitively took 7 ms.)"""
    forms = set()
    for lexeme in names:
        word = lexeme[1:]
        forms.add(re.escape(word))
        if lexeme.startswith(ACRONYM_MARK):  # U.S. for US
            forms.add("".join(re.escape(c) + r"\." for c in word))
    return re.compile("|".join(sorted(forms, key=len, reverse=True)), re.IGNORECASE)


_WORD_CHAR = re.compile(WORD_CHAR)  # what continues a word, as `archive.text.names` reads it


def _name_spans(text: str, names: frozenset[str]) -> list[tuple[int, int]]:
    """Where `text` has one of the query's names (or acronyms) written as one, a whole word."""
    pattern = _names_pattern(names)
    spans = []
    found = pattern.search(text)
    while found:
        start, end = found.span()
        whole = not (start and _WORD_CHAR.match(text, start - 1) or _WORD_CHAR.match(text, end))
        run = found.group().replace(".", "")
        lower = run.lower()
        if whole and (
            (ACRONYM_MARK + lower in names and is_acronym(run))
            or (NAME_MARK + lower in names and is_name(run))
        ):
            spans.append((start, end))
            found = pattern.search(text, end)
        else:  # no name, or inside a word: one may begin further on
            found = pattern.search(text, start + 1)
    return spans


def searched(word: str, stems: set[str]) -> bool:
    """Whether a Latin word of the query is one that PostgreSQL searched for: one of the
    lexemes (`stems`) begins like it, but for the stemmer's last letter (happy: 'happi')."""
    return any(word.startswith(stem[:-1] or stem) or stem.startswith(word) for stem in stems)


# Latin words this short are marked only as whole words (or with a plural's s): as prefixes,
# "al" of Al Jazeera marked "allowing", "us" "useful".
SHORT_LATIN = 3


_LATIN_CHAR = re.compile(f"[{LATIN}]")


@lru_cache(maxsize=256)
def _latin_pattern(latin: frozenset[str]) -> re.Pattern:
    """The query's Latin words as the prefixes of words (the short ones whole), for
    `find_spans`, which checks that a match begins a word. (A look-behind for it in the pattern
    is tried at every character: 12 µs for a 360-character paragraph, against 1.5 µs.)"""
    ordered = sorted(latin, key=lambda w: (-len(w), w))
    long = "|".join(re.escape(w) for w in ordered if len(w) > SHORT_LATIN)
    short = "|".join(re.escape(w) for w in ordered if len(w) <= SHORT_LATIN)
    patterns = [f"(?:{long})[{LATIN}]*"] if long else []
    patterns += [f"(?:{short})(?:e?s)?(?![{LATIN}])"] if short else []
    return re.compile("|".join(patterns))


def find_spans(
    text: str, cjk: list[str], latin: set[str], names: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of `text` matching the query: Chinese words as
    substrings, Latin words as word prefixes (covers inflections: distil → distillation), the
    short ones as whole words; and the query's name and acronym lexemes (`names`) as whole
    words written as names are (`archive.text.names`): `Sacks` marks "Sacks", not "sacks"."""
    if not text:
        return []
    spans = _name_spans(text, names) if names else []
    normal, offsets = normalize_with_offsets(text, simplified=bool(cjk))
    for word in cjk:
        for m in re.finditer(re.escape(word), normal):
            spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
    if latin:
        pattern = _latin_pattern(frozenset(latin))
        found = pattern.search(normal)
        while found:
            start = found.start()
            if start and _LATIN_CHAR.match(normal, start - 1):  # inside a word: "ai" of "said"
                found = pattern.search(normal, start + 1)
                continue
            spans.append((offsets[start], offsets[found.end() - 1] + 1))
            found = pattern.search(normal, found.end())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            continue
        merged.append((s, e))
    return merged
