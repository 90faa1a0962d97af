"""Parsing the search box (pure Python, no Django).

Web-search syntax in both languages: words are ANDed; `"a quoted phrase"` (also “…” and 「…」)
must appear in that order; `OR` between two terms accepts either (`AND` is what a space is); a
leading `-` excludes. A Latin word written with a capital is a name, matched as written and never
stemmed (`Sacks`, not "sacking"; `WHO`, `US`: `archive.text.names`). A run of
Chinese characters is segmented into words, which are ANDed, except that a character left alone
at either end of the run stays with the word next to it (防部长 is that string, not 防 and 部长
anywhere). A dictionary word is found as a word of the text, a sub-word inside a longer one or
one across words where it stands as a word (市政府 in 武汉市|政府), and inside or around a user
word (an actor's name, a glossary term: never split) that takes some of its characters; a
one-character query, a two-character word that is the whole query and any
string that is not a dictionary word are matched on the character stream, and so is a quoted
Chinese string. Malformed input never fails: stray quotes and operators are ignored, control
and invisible format characters (and U+FFFD, an undecodable byte) separate words as spaces do,
and the query is cut to a sane length with a message saying so.

`compile_query` returns a `Match`: tsquery texts for PostgreSQL's `to_tsquery('english', …)` (the
same English stemming and stop words as the index), each for one slot of the index — words or
characters — combined with AND, OR and NOT.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from archive.text.names import query_words
from archive.text.normalize import CJK, has_cjk, normalize
from archive.text.segment import PAIR_DISTANCE, Segmenter, char_pairs, split_joined_words

MAX_QUERY_CHARS = 256
MAX_TERMS = 24

_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"'})
# Never part of a word, and invisible: control (Cc), format (Cf: bidi controls such as U+202E,
# zero-width spaces and joiners, the soft hyphen, U+FEFF) and surrogate (Cs) characters, and
# U+FFFD, what Django decodes an invalid UTF-8 byte (`%ff`) to. A query has them as spaces:
# between two words they made one term of both, a phrase, where PostgreSQL's parser splits a
# document's words at them. Only the query: the documents' text is normalised as it was (its
# stored vectors would otherwise change), and their Chinese runs break at them already.
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEPARATOR_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_ALL_CJK = re.compile(f"^[{CJK}]+$")
_WORDISH = re.compile(r"\w", re.UNICODE)


@dataclass
class Term:
    text: str  # normalised
    phrase: bool = False
    negated: bool = False
    raw: str = ""  # as written (capitals are names: `archive.text.names`)


@dataclass
class ParsedQuery:
    groups: list[list[Term]] = field(default_factory=list)  # AND of OR-groups
    excluded: list[Term] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # codes: shortened, too_many_terms, …

    @property
    def empty(self) -> bool:
        return not self.groups


def _separators_as_spaces(q: str) -> str:
    """`q` with each character that never belongs to a word (`_SEPARATOR_CATEGORIES`, U+FFFD)
    as a space: the same length."""
    if q.isascii():
        return _ASCII_CONTROL.sub(" ", q)
    category = unicodedata.category
    return "".join(" " if c == "\ufffd" or category(c) in _SEPARATOR_CATEGORIES else c for c in q)


def parse(q: str) -> ParsedQuery:
    parsed = ParsedQuery()
    q = q or ""
    if len(q) > MAX_QUERY_CHARS:
        q = q[:MAX_QUERY_CHARS]
        parsed.messages.append("shortened")
    q = _separators_as_spaces(q)
    q = q.translate(_QUOTES)
    pending_or = False
    terms = 0
    for match in _TOKEN.finditer(q):
        negated_quote, quoted, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                pending_or = bool(parsed.groups)
                continue
            if bare == "AND":  # what words are anyway (in capitals it would be an acronym)
                continue
            negated = bare.startswith("-") and len(bare) > 1
            raw = bare[1:] if negated else bare
            text = normalize(raw)
            phrase = False
        else:
            negated = negated_quote == "-"
            raw = quoted
            text = normalize(quoted)
            phrase = True
        if not _WORDISH.search(text):
            continue  # only punctuation or operators: nothing to search for
        terms += 1
        if terms > MAX_TERMS:
            parsed.messages.append("too_many_terms")
            break
        term = Term(text=" ".join(text.split()), phrase=phrase, negated=negated, raw=raw)
        if negated:
            parsed.excluded.append(term)
        elif pending_or and parsed.groups:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        pending_or = False
    if parsed.excluded and not parsed.groups:
        parsed.messages.append("only_excluded")
    return parsed


def quote(text: str, weights: str = "") -> str:
    """A tsquery operand: quoted, with quotes and backslashes escaped; an optional weight mask."""
    escaped = text.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'" + (f":{weights}" if weights else "")


@dataclass(frozen=True)
class Match:
    """A compiled query: a boolean combination of tsquery texts, each for one slot of a language
    version's index — `words` (the stored `search_<lang>` vector: words, names, stems) or `chars`
    (`search_chars_<lang>`: every character and pair of adjacent characters). Leaves of one slot
    under the same operator are merged into one tsquery, so that each slot is one index lookup.
    """

    op: str  # a slot (a leaf: `text` is its tsquery), "and", "or", "not"
    text: str = ""
    children: tuple[Match, ...] = ()
    # False for a leaf whose tsquery has no term it must have (PostgreSQL's `querytree` is 'T':
    # a negation alone, or beside stop words): tested on rows, never given to an index
    # (`archive.search._render`).
    indexable: bool = True
    # True for a words leaf whose tsquery, as PostgreSQL reads it, checks positions (a phrase:
    # '是不是' <-> '一'), where a GIN index only finds candidates (`archive.search._render`).
    positions: bool = False
    # For a leaf with `positions`: its tsquery as PostgreSQL reads it (its lexemes)
    read_as: str = ""

    @property
    def is_leaf(self) -> bool:
        return self.op in SLOTS

    @property
    def negates(self) -> bool:
        """Whether this leaf's tsquery holds a negation (an exclusion merged into it), outside
        its quoted lexemes."""
        return self.is_leaf and "!" in QUOTED_LEXEME.sub("", self.text)

    def tsquery(self, slot: str) -> str:
        """This match's tsquery text on one slot, exclusions left out (for ranking: ts_rank
        scores a negated term as a miss); "" when it has nothing on that slot."""
        if self.is_leaf:
            return self.text if self.op == slot else ""
        if self.op == "not":
            return ""
        parts = [p for p in (c.tsquery(slot) for c in self.children) if p]
        joiner = " & " if self.op == "and" else " | "
        return parts[0] if len(parts) == 1 else joiner.join(f"({p})" for p in parts)


# One quoted lexeme of a tsquery's text ('it''s': quotes inside doubled); its group, the text
# between the quotes (what `findall` gives).
QUOTED_LEXEME = re.compile(r"'((?:[^']|'')*)'")

# "pairs": adjacent words of the words slot, a pre-filter for its phrases (see archive/search.py).
SLOTS = ("words", "chars", "pairs")


def words(text: str) -> Match:
    return Match("words", text)


def chars(text: str) -> Match:
    return Match("chars", text)


def _combine(op: str, items: list[Match]) -> Match | None:
    flat: list[Match] = []
    for item in items:
        if item is None:
            continue
        flat.extend(item.children if item.op == op else [item])
    if not flat:
        return None
    joiner = " & " if op == "and" else " | "
    merged: list[Match] = []
    for slot in SLOTS:
        # Each once: a term repeated (国防 OR 芯片 OR 国防 …) is one more scan of the same
        # entries for nothing (24 terms of 4 words: 100 ms to list at 20,000 articles, against
        # 19 ms for the 4).
        texts = list(dict.fromkeys(m.text for m in flat if m.op == slot))
        if texts:
            text = texts[0] if len(texts) == 1 else joiner.join(f"({t})" for t in texts)
            merged.append(Match(slot, text))
    merged += dict.fromkeys(m for m in flat if not m.is_leaf)
    return merged[0] if len(merged) == 1 else Match(op, children=tuple(merged))


def all_of(items: list[Match | None]) -> Match | None:
    return _combine("and", items)


def any_of(items: list[Match | None]) -> Match | None:
    return _combine("or", items)


def none_of(item: Match) -> Match:
    """NOT the item: a leaf's negation inside its tsquery, which `_combine` merges with the
    other terms of the slot ('港口' & !'扩建': the index answers the exclusion from its own
    entries, no row read); else a NOT around the match. A tsquery left with no term it must
    have (!'扩建' beside terms of another slot, or 'the' & !'chip' once the stop word is gone)
    is never given to an index: the search renders it as a test on rows (`indexable`)."""
    if item.is_leaf:
        return Match(item.op, f"!({item.text})")
    return Match("not", children=(item,))


def _by_characters(text: str) -> Match:
    """A CJK string matched on the character slot: the character itself, its one pair, or its
    pairs in order (a phrase of pairs PAIR_DISTANCE apart) — all plain lexeme lookups."""
    if len(text) == 1:
        return chars(quote(text))
    pairs = [quote(pair) for pair in char_pairs(text)]
    return chars(f" <{PAIR_DISTANCE}> ".join(pairs))


# At most this many ways a word can stand in a text where user words take some of its characters
# (`_word_in_text`): one alternative each in the word's tsquery (a registry with more names
# overlapping one word than this is beyond what a search box should expand into).
MAX_USER_WORD_SPANS = 64


def _word_in_text(word: str, segmenter: Segmenter, *, spans: bool = True) -> str:
    """The words tsquery of a dictionary word: the word (as a word of the text, or a sub-word
    inside a longer one: `Segmenter.subwords`) or a user word that holds it (国防 in 美国国防部:
    the segmenter keeps the name whole, and so does the index where it lists the names of the
    actors a version is about in every language, at weight D); with `spans`, also the words side
    by side that a text has where a user word takes some of its characters (国防部长 in
    美国国防部长, cut 美国国防部|长: 美国国防部 <-> 长). One tsquery of one index: the
    phrases' positions are read only in the rows that hold their words and not the word."""
    alternatives = [quote(word)]
    for span in segmenter.user_word_spans(word)[:MAX_USER_WORD_SPANS]:
        if len(span) == 1:
            alternatives.append(quote(span[0]))
        elif spans:
            alternatives.append("(" + " <-> ".join(quote(w) for w in span) + ")")
    return " | ".join(alternatives)


def compile_term(
    term: Term, segmenter: Segmenter, *, alone: bool = True, spans: bool = True
) -> Match | None:
    """The match of one term (see the module's docstring); without the phrases of `spans`
    (`_word_in_text`: the query's score leaves them out, so that a text where the word is not a
    word ranks below those where it is, as one found by its characters does).

    A dictionary word is its words tsquery (`_word_in_text`); a two-character word that is the
    whole query (`alone`) is the same pair of characters as well, wherever the text's words
    begin and end (texts with the word rank first). Beside other words that alternative would
    make the index combine the pair's long list of articles with theirs for the rare text where
    the word is not one. Nor is a longer word its string of characters as well: a string of
    three characters or more is checked in each row (`archive.search._render_characters`), and
    beside the word, in an OR, every match of the word would be read to test it (第一次 at 4,000
    articles of bench/corpus.py: 11 times the buffers of the word alone). A word inside a longer
    word of the text is one of its sub-words (人民银行 in 中国人民银行: `Segmenter.subwords`); a
    word of three characters or more across the text's words is one too where it stands there
    as a word (市委书记 in 北京市委|书记, 市政府 in 武汉市|政府, 市场监管 in 市场|监管局:
    `Segmenter.crossing`), not where it takes the first character of a word that goes with what
    follows (经济带 in 经济|带来); where a user word takes some of its characters, it is
    (`_word_in_text`)."""
    text = term.text
    if not has_cjk(text):
        named = None if term.phrase else query_words(term.raw)
        if named:  # written with a capital: a name (`archive.text.names`)
            return all_of([words(quote(lexeme)) for _kind, lexeme in named])
        return words(quote(split_joined_words(text)))
    found = segmenter.cut(text)
    if not found:
        return None
    if term.phrase:
        compact = text.replace(" ", "")
        if _ALL_CJK.match(compact):
            # A Chinese phrase is a string of characters: its pairs in order, few candidates
            # (rare pairs), no word boundaries to agree on. So too a phrase of one word: as a
            # word it would miss the texts that the segmenter cut elsewhere ("部长" in
            # 美国国防部|长; "务" in 国务院), and a string that rjieba's HMM takes for a word
            # ("务院") is no word of any text. A dictionary word is its word as well (texts with
            # the word rank first; an actor's name finds the pieces in the other language).
            if len(found) == 1 and len(compact) > 1 and segmenter.is_word(compact):
                in_names = _word_in_text(compact, segmenter, spans=False)
                return any_of([words(in_names), _by_characters(compact)])
            as_written = _by_characters(compact)
            if " " in text.strip() and 1 < len(found) <= MAX_PHRASE_WORDS:
                # Runs written with a space between ("通告 要求"): side by side as they are, or
                # as words side by side with punctuation between (通告，要求), as a phrase of
                # English words is found across punctuation and as "通告，要求" is.
                return any_of([as_written, words(quote(" ".join(found)))])
            return as_written
        if len(found) > MAX_PHRASE_WORDS:
            return _long_phrase(text, segmenter) or words(quote(" ".join(found)))
        return words(quote(" ".join(found)))
    parts = []
    strings = _strings(found, split_joined_words(text))
    alone = alone and len(strings) == 1
    # Latin words written with a capital beside the Chinese (DeepSeek融资): names, as alone
    named = {lexeme[1:]: lexeme for lexeme in _names_of(term)}
    for word in strings:
        if not has_cjk(word):  # a Latin word
            parts.append(words(quote(named.get(word, word))))
        elif len(word) == 1 or not segmenter.is_word(word):
            # a character (inside any word, only the character slot has it) or a string that is
            # no dictionary word: on the characters
            parts.append(_by_characters(word))
        elif len(word) == 2 and alone:
            # the pair covers every text that holds it; the words, the names that hold it
            in_names = _word_in_text(word, segmenter, spans=False)
            parts.append(any_of([words(in_names), _by_characters(word)]))
        else:
            parts.append(words(_word_in_text(word, segmenter, spans=spans)))
    return all_of(parts)


# A phrase of more words than this with Chinese and something else in it (a sentence pasted
# with its punctuation): its runs of characters each a phrase of characters, its other words each
# a word. As one phrase of words, its index scan grows far faster than its length (at 20,000
# articles, with RUM: 16 characters of a news text 20 ms, 24 30 ms, 60 0.27 s, 250 3 s; as runs,
# 5 ms to 27 ms), and it had to be cut where the text's segmentation cuts: a phrase ending inside
# a word (公开 of 公开信) found nothing. Shorter ones ("DeepSeek 融资") keep their words' order.
MAX_PHRASE_WORDS = 6
_CJK_RUN = re.compile(f"[{CJK}]+")


def _long_phrase(text: str, segmenter: Segmenter) -> Match | None:
    """A long phrase with Chinese in it: each run of Chinese characters as a string of
    characters (exact, in order), each other word as a word. Only the order across the
    punctuation or Latin words between runs is not asked for: a run of several characters is
    rare enough for that. None where there is no Chinese run of two characters or more."""
    parts: list[Match] = []
    end = 0
    for run in _CJK_RUN.finditer(text):
        parts += [words(quote(w)) for w in _latin_words(text[end : run.start()], segmenter)]
        if len(run.group()) > 1:  # a lone character between punctuation narrows nothing
            parts.append(_by_characters(run.group()))
        end = run.end()
    parts += [words(quote(w)) for w in _latin_words(text[end:], segmenter)]
    if not any(p.op == "chars" for p in parts):
        return None
    return all_of(parts)


def _latin_words(text: str, segmenter: Segmenter) -> list[str]:
    """The words of a stretch of a phrase between its Chinese runs (as the segmenter gives them:
    what the index has), punctuation left out."""
    return [w for w in segmenter.cut(text) if _WORDISH.search(w) and not has_cjk(w)]


def _strings(words: list[str], source: str) -> list[str]:
    """The words of a term as they are looked for. Adjacent one-character Chinese words go back
    together (我的, 当国): the query means those characters side by side, not each of them
    anywhere in the text. Side by side in `source` (the text the words were cut from), not only
    in the list: the segmenter leaves out the punctuation between them (于，号，名 are three
    characters, not the string 于号名). A character left alone at either end of a run of Chinese
    characters goes with the word next to it (防部长, 部长埃斯珀): it is what the segmenter could
    not put in a word, the rest of a word the query cut (国防, 埃斯珀), not a word of its own."""
    runs: list[list[str]] = []  # Chinese words side by side; any other word alone
    position = end = 0
    for word in words:
        start = source.find(word, position)
        adjacent = start == end
        if start >= 0:
            position = end = start + len(word)
        else:  # not found as it is (never expected): next to nothing
            end = -1
        if adjacent and has_cjk(word) and runs and has_cjk(runs[-1][-1]):
            runs[-1].append(word)
        else:
            runs.append([word])
    found: list[str] = []
    for run in runs:
        joined: list[str] = []
        characters = False  # whether joined[-1] is one-character words put together
        for word in run:
            if characters and len(word) == 1:
                joined[-1] += word
            else:
                joined.append(word)
                characters = len(word) == 1
        if len(joined) > 1 and len(joined[0]) == 1:
            joined[:2] = [joined[0] + joined[1]]
        if len(joined) > 1 and len(joined[-1]) == 1:
            joined[-2:] = [joined[-2] + joined[-1]]
        found += joined
    return found


def compile_query(
    parsed: ParsedQuery,
    segmenter: Segmenter,
    expansions=None,
    *,
    exclusions: bool = True,
    spans: bool = True,
) -> Match | None:
    """The match of a parsed query. `expansions(term) -> [Match, …]` may add alternatives to a
    term (e.g. a glossary term's rendering in the other language). Without `exclusions`, the
    excluded terms are left out; without `spans`, the phrases of words around user words
    (`_word_in_text`): what the query's score reads."""
    clauses = []
    for group in parsed.groups:
        alone = len(parsed.groups) == 1
        alternatives = [compile_term(term, segmenter, alone=alone, spans=spans) for term in group]
        if expansions is not None:
            alternatives += [m for term in group for m in expansions(term)]
        clauses.append(any_of(alternatives))
    if not any(clauses):
        return None
    for term in parsed.excluded if exclusions else []:
        fragment = compile_term(term, segmenter)
        if fragment is not None:
            clauses.append(none_of(fragment))
    return all_of(clauses)


def highlight_terms(parsed: ParsedQuery, segmenter: Segmenter) -> list[str]:
    """Normalised strings to mark in snippets: Chinese words, Latin words (matched as prefixes of
    words in the text by the highlighter, to cover English inflections)."""
    found: list[str] = []
    for group in parsed.groups:
        for term in group:
            if has_cjk(term.text):
                # as they are looked for: 防部长 whole, not 防 anywhere
                source = split_joined_words(term.text)
                strings = _strings(segmenter.cut(term.text), source)
                named = set() if term.phrase else {lx[1:] for lx in _names_of(term)}
                found.extend(w for w in strings if w and w not in named)  # names: name_marks
            elif (named := None if term.phrase else query_words(term.raw)) is not None:
                found.extend(lexeme for kind, lexeme in named if kind == "word")
            else:
                found.extend(re.findall(r"\w+", term.text))
    return sorted(set(found), key=len, reverse=True)


def name_marks(parsed: ParsedQuery) -> frozenset[str]:
    """The name and acronym lexemes the query looks for (`archive.text.names`), to mark in
    snippets where the text has them written as names."""
    return frozenset(
        lexeme
        for group in parsed.groups
        for term in group
        if not term.phrase
        for lexeme in _names_of(term)
    )


def _names_of(term: Term) -> list[str]:
    """The name and acronym lexemes of a term's Latin words written with a capital, alone
    (Sacks) or beside Chinese (DeepSeek融资)."""
    return [lexeme for kind, lexeme in query_words(term.raw) or () if kind != "word"]
