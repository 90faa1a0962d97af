"""Normalisation shared by documents and queries (pure Python, no Django).

NFKC (full-width → half-width, compatibility forms), traditional → simplified Chinese with OpenCC
(the C++ `opencc` wheel, `t2s`), Latin lower-cased. The same function runs on every document and
every query, so both sides always agree.
"""

from __future__ import annotations

import re
import unicodedata
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


def has_cjk(text: str) -> bool:
    return bool(_CJK_RUN.search(text))


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if has_cjk(text):
        text = _converter().convert(text)
    return text.lower()


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalize(text)` and, for each of its characters, the index of the source character it
    came from (to map a match in normalised text back onto the original for highlighting)."""
    pieces: list[str] = []
    offsets: list[int] = []
    whole = unicodedata.normalize("NFKC", text)
    if len(whole) == len(text):
        # Usually one character for one (full-width → half-width punctuation and Latin): the
        # offsets are the identity. Only a text whose length changes is mapped char by char.
        pieces.append(whole)
        offsets.extend(range(len(text)))
    else:
        for index, char in enumerate(text):
            normal = unicodedata.normalize("NFKC", char)
            pieces.append(normal)
            offsets.extend([index] * len(normal))
    nfkc = "".join(pieces)
    if has_cjk(nfkc):
        converted = _converter().convert(nfkc)
        if len(converted) != len(nfkc):  # rare: a phrase converted to another length
            converted = "".join(_converter().convert(c) or c for c in nfkc)
            if len(converted) != len(nfkc):
                converted = nfkc
        nfkc = converted
    lowered = nfkc.lower()
    if len(lowered) != len(nfkc):  # e.g. "İ" lower-cases to two characters
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in nfkc)
    return lowered, offsets
