"""Parsing the search box (pure Python, no Django).

Web-search syntax in both languages: words are ANDed; `"a quoted phrase"` (also “…” and 「…」)
must appear in that order; `OR` between two terms accepts either; a leading `-` excludes. A run of
Chinese characters is segmented into words, which are ANDed; a word inside a longer word, a one- or
two-character query and any string that is not a dictionary word are matched on the character
stream. Malformed input never fails: stray quotes and operators are ignored, control characters
dropped, and the query is cut to a sane length with a message saying so.

`compile_query` returns the text of a tsquery for PostgreSQL's `to_tsquery('english', …)`, which
applies the same English stemming and stop words as the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.text.normalize import CJK, has_cjk, normalize
from archive.text.segment import Segmenter, char_pairs

MAX_QUERY_CHARS = 256
MAX_TERMS = 24

_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"'})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_ALL_CJK = re.compile(f"^[{CJK}]+$")
_WORDISH = re.compile(r"\w", re.UNICODE)


@dataclass
class Term:
    text: str  # normalised
    phrase: bool = False
    negated: bool = False


@dataclass
class ParsedQuery:
    groups: list[list[Term]] = field(default_factory=list)  # AND of OR-groups
    excluded: list[Term] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # codes: shortened, too_many_terms, …

    @property
    def empty(self) -> bool:
        return not self.groups


def parse(q: str) -> ParsedQuery:
    parsed = ParsedQuery()
    q = _CONTROL.sub(" ", q or "")
    if len(q) > MAX_QUERY_CHARS:
        q = q[:MAX_QUERY_CHARS]
        parsed.messages.append("shortened")
    q = q.translate(_QUOTES)
    pending_or = False
    terms = 0
    for match in _TOKEN.finditer(q):
        negated_quote, quoted, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                pending_or = bool(parsed.groups)
                continue
            negated = bare.startswith("-") and len(bare) > 1
            text = normalize(bare[1:] if negated else bare)
            phrase = False
        else:
            negated = negated_quote == "-"
            text = normalize(quoted)
            phrase = True
        if not _WORDISH.search(text):
            continue  # only punctuation or operators: nothing to search for
        terms += 1
        if terms > MAX_TERMS:
            parsed.messages.append("too_many_terms")
            break
        term = Term(text=" ".join(text.split()), phrase=phrase, negated=negated)
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


def _by_characters(text: str) -> str:
    """A CJK string matched on the character stream: the character itself, its one pair, or its
    pairs in order (a phrase) — all plain lexeme lookups in the index."""
    if len(text) == 1:
        return quote(text)
    return quote(" ".join(char_pairs(text)))


def compile_term(term: Term, segmenter: Segmenter) -> str:
    """A tsquery fragment for one term (see the module's docstring)."""
    text = term.text
    if not has_cjk(text):
        return quote(text)
    words = segmenter.cut(text)
    if not words:
        return ""
    if term.phrase:
        fragment = quote(" ".join(words))
        compact = text.replace(" ", "")
        if _ALL_CJK.match(compact) and len(words) > 1:
            fragment = f"({fragment} | {_by_characters(compact)})"
        return fragment
    parts = []
    for word in _join_single_characters(words):
        # A Latin word, a character, a pair (itself a lexeme of the character stream), a word.
        if not has_cjk(word) or len(word) <= 2 or segmenter.is_word(word):
            parts.append(quote(word))
        else:  # not in the dictionary: the word as segmented, or the string on the characters
            parts.append(f"({quote(word)} | {_by_characters(word)})")
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


def _join_single_characters(words: list[str]) -> list[str]:
    """Adjacent one-character Chinese words go back together (我的, 当国): the query means those
    characters side by side, not each of them anywhere in the text."""
    joined: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and has_cjk(word):
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(word)
    if run:
        joined.append(run)
    return joined


def compile_query(
    parsed: ParsedQuery, segmenter: Segmenter, expansions=None, *, exclusions: bool = True
) -> str:
    """The tsquery text of a parsed query. `expansions(term) -> [fragment, …]` may add
    alternatives to a term (e.g. an actor's names in the other language). Without `exclusions`,
    the excluded terms are left out (ts_rank scores a negated term as a miss)."""
    clauses = []
    for group in parsed.groups:
        alternatives = []
        for term in group:
            fragment = compile_term(term, segmenter)
            if fragment:
                alternatives.append(fragment)
            if expansions is not None:
                alternatives.extend(expansions(term))
        if alternatives:
            clauses.append(
                alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")"
            )
    if not clauses:
        return ""
    for term in parsed.excluded if exclusions else []:
        fragment = compile_term(term, segmenter)
        if fragment:
            clauses.append(f"!{fragment}")
    return " & ".join(clauses)


def highlight_terms(parsed: ParsedQuery, segmenter: Segmenter) -> list[str]:
    """Normalised strings to mark in snippets: Chinese words, Latin words (matched as prefixes of
    words in the text by the highlighter, to cover English inflections)."""
    found: list[str] = []
    for group in parsed.groups:
        for term in group:
            if has_cjk(term.text):
                found.extend(w for w in segmenter.cut(term.text) if w)
            else:
                found.extend(re.findall(r"\w+", term.text))
    return sorted(set(found), key=len, reverse=True)
