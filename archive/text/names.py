"""Names matched as they are written (pure Python, no Django).

English words are stemmed and stop words dropped, which is right for words and wrong for names:
`Sacks` would find "sacking", `Gates` "gates", `Apple` "apples"; `WHO` and `IT` are stop words and
found nothing; `US` found every "us". So a Latin word written with a capital letter is, besides
its stem, indexed as a *name lexeme*: `NAME_MARK` + the word in lower case, never stemmed nor
dropped. A word of two to four letters all in capitals (an acronym: WHO, US, IT, NATO; dotted
U.S. is US) is also an *acronym lexeme*, `ACRONYM_MARK` + the word.

A query word the user writes with a capital is then looked for as a name (`Sacks`: the name,
not "sacking"), one in capitals as an acronym (`IT`: not every "It" that begins a sentence); a
word in lower case is stemmed as before (`sacks` finds both). A word that begins a sentence is
capitalised and so indexed as a name too: `Jobs` finds "Jobs were cut." — the price of reading
no grammar, and a small one beside never finding a name.

Both marks are digits, so that PostgreSQL's parser reads a marked word as one `numword` token,
which the `english` configuration passes through its `simple` dictionary: lower-cased, neither
stemmed nor stopped, on documents (`to_tsvector`) and queries (`to_tsquery`) alike.
"""

from __future__ import annotations

import re
import unicodedata

from archive.text.normalize import CJK

NAME_MARK = "0"
ACRONYM_MARK = "1"
# At most this many letters in an acronym: longer words in capitals are a brand's styling
# (NVIDIA, TIKTOK) or a shouted headline, and are found as names.
ACRONYM_MAX = 4

# A character of a word: a letter or a digit, but not a Chinese character (Apple发布 has the
# word Apple). Runs of them are the words PostgreSQL's parser reads (an apostrophe, a hyphen or
# a dot between parts makes two runs, as it does).
WORD_CHAR = f"[^\\W_{CJK}]"
_RUN = re.compile(WORD_CHAR + "+")
# U.S., U.K., U.S.A.: the letters of a dotted abbreviation are one acronym.
_DOTTED = re.compile(r"(?<![^\W_])((?:[A-Z]\.){2,})")
# Between two name lexemes in a slot's text: stop words, which take positions and leave no
# lexeme, so that no two names (nor a name and the slot before it) are within the three
# positions that `yiwen_word_pairs` pairs: the word pairs index gains nothing from them.
_GAP = " a a a "


def _runs(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group(1).replace(".", "") + " ", text)
    return _RUN.findall(text)


def is_acronym(run: str) -> bool:
    return 2 <= len(run) <= ACRONYM_MAX and run.isupper() and sum(c.isalpha() for c in run) >= 2


def is_name(run: str) -> bool:
    return len(run) >= 2 and not run.islower() and any(c.isupper() for c in run)


def name_lexemes(text: str) -> list[str]:
    """The name and acronym lexemes of a text, in order (repeated as often as they occur)."""
    found: list[str] = []
    for run in _runs(text):
        if is_name(run):
            lower = run.lower()
            found.append(NAME_MARK + lower)
            if is_acronym(run):
                found.append(ACRONYM_MARK + lower)
    return found


def names_text(texts: list[str]) -> str:
    """The text of a names slot: every name lexeme of these texts, `_GAP` before each."""
    return "".join(_GAP + lexeme for text in texts if text for lexeme in name_lexemes(text))


def query_words(raw: str) -> list[tuple[str, str]] | None:
    """A query word as the user wrote it (no Chinese in it): its runs, each ("name", lexeme),
    ("acronym", lexeme) or ("word", run in lower case, to be stemmed); None when no run is
    written with a capital (the word is stemmed as a whole, as before)."""
    runs = [r for r in _runs(raw) if r]
    if not any(is_name(r) for r in runs):
        return None
    found: list[tuple[str, str]] = []
    for run in runs:
        lower = run.lower()
        if is_acronym(run):
            found.append(("acronym", ACRONYM_MARK + lower))
        elif is_name(run):
            found.append(("name", NAME_MARK + lower))
        else:
            found.append(("word", lower))
    return found
