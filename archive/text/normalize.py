"""Normalisation shared by documents and queries (pure Python, no Django).

NFKC (full-width → half-width, compatibility forms), traditional → simplified Chinese with OpenCC
(the C++ `opencc` wheel, `t2s`), Latin lower-cased. The same function runs on every document and
every query, so both sides always agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

# CJK Unified Ideographs with their extensions A–I and compatibility ideographs: what we segment
# and index by character. OpenCC's t2s writes some simplified forms that exist only in extensions
# C–F (鶗 → 𫛸, 鰤 → 𫚕): a text of them must be indexed as the query of them is.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ee5f\U00030000-\U000323af"
_CJK_RUN = re.compile(f"[{CJK}]")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


# Characters that NFKC leaves as they are and never joins to a neighbour: the CJK ideographs but
# the compatibility ones (which it replaces). Text is normalised run by run between them.
_STABLE = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ee5f\U00030000-\U000323af"
_STABLE_CHAR = re.compile(f"[{_STABLE}]")
_UNSTABLE_RUN = re.compile(f"[^{_STABLE}]+")


def has_cjk(text: str) -> bool:
    return bool(_CJK_RUN.search(text))


def nfkc(text: str) -> str:
    """`unicodedata.normalize("NFKC", text)`, faster on Chinese text. Where a text is not NFKC
    already (full-width punctuation: almost every Chinese one), CPython normalises all of it,
    ideographs too, at about 0.15 µs a character (270 µs for a 1,700-character article); run
    by run between the ideographs, which need nothing, it takes a third of that."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    if not _STABLE_CHAR.search(text):
        return unicodedata.normalize("NFKC", text)
    return _UNSTABLE_RUN.sub(_nfkc_run, text)


def _nfkc_run(run: re.Match) -> str:
    return unicodedata.normalize("NFKC", run.group())


def normalize(text: str) -> str:
    text = nfkc(text)
    if has_cjk(text):
        text = _converter().convert(text)
    return text.lower()


def normalize_many(texts: Sequence[str]) -> list[str]:
    """`normalize` of each text, each step run once over all of them joined by line breaks
    (which no step changes, joins to a neighbour or matches across): 30,000 names took ~300 ms
    one by one, mostly in calls to OpenCC."""
    texts = list(texts)
    if len(texts) < 2 or any("\n" in text for text in texts):
        return [normalize(text) for text in texts]
    found = normalize("\n".join(texts)).split("\n")
    if len(found) != len(texts):  # (never seen: a line break added by a step)
        return [normalize(text) for text in texts]
    return found


def normalize_with_offsets(text: str, *, simplified: bool = True) -> tuple[str, Sequence[int]]:
    """`normalize(text)` and, for each of its characters, the index of the source character it
    came from (to map a match in normalised text back onto the original for highlighting).
    Not `simplified`: traditional characters are left as they are (for finding Latin words
    only, which the conversion does not change: it skips a scan of the text for ideographs)."""
    whole = nfkc(text)
    offsets: Sequence[int]
    if len(whole) == len(text):
        # Usually one character for one (full-width → half-width punctuation and Latin): the
        # offsets are the identity, a range (no list of them to build for each snippet's
        # paragraph). Only the runs between ideographs whose length changes ("…" is "...") are
        # mapped character by character.
        normal, offsets = whole, range(len(text))
    else:
        pieces: list[str] = []
        offsets = []
        done = 0
        for run in _UNSTABLE_RUN.finditer(text):
            start, end = run.span()
            pieces.append(text[done:start])  # ideographs: as they are
            offsets.extend(range(done, start))
            converted = unicodedata.normalize("NFKC", run.group())
            if len(converted) == end - start:
                pieces.append(converted)
                offsets.extend(range(start, end))
            else:
                for index in range(start, end):
                    char = unicodedata.normalize("NFKC", text[index])
                    pieces.append(char)
                    offsets.extend([index] * len(char))
            done = end
        pieces.append(text[done:])
        offsets.extend(range(done, len(text)))
        normal = "".join(pieces)
    if simplified and has_cjk(normal):
        converted = _converter().convert(normal)
        if len(converted) != len(normal):  # rare: a phrase converted to another length
            converted = "".join(_converter().convert(c) or c for c in normal)
            if len(converted) != len(normal):
                converted = normal
        normal = converted
    return lower_keeping_length(normal), offsets


def lower_keeping_length(text: str) -> str:
    """`text.lower()`, but a character whose lower case is longer ("İ": two characters) is
    left as it is, so that every index of the result is that of `text`."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
