"""Normalisation (pure functions, no database): the run-by-run NFKC is NFKC, and the offsets of
the normalised text map matches back onto the stored text."""

from __future__ import annotations

import random
import unicodedata

from archive.text.normalize import nfkc, normalize, normalize_many, normalize_with_offsets

# Ideographs (stable), compatibility ideographs, combining marks, full-width forms, an ellipsis,
# the ideographic space, Hangul jamo that compose, ligatures, Å as a sign, circled digits.
POOL = [
    *"中文国防部长鶗",
    "\u3400",
    "\u9fff",
    "\U00020000",
    "\uf900",
    "\ufa30",
    *(chr(c) for c in range(0x300, 0x30A)),
    *(chr(c) for c in range(0xFF01, 0xFF10)),
    "\uff21",
    "\uff41",
    "…",
    "\u3000",
    "\u1100",
    "\u1161",
    "\u11a8",
    "\uac00",
    "\ufb01",
    "\u212b",
    "\u2460",
    "½",
    "İ",
    *"aeAE .,",
]


def test_nfkc_is_unicodes_nfkc():
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(POOL) for _ in range(rng.randint(1, 14)))
        assert nfkc(text) == unicodedata.normalize("NFKC", text), ascii(text)


def test_offsets_map_the_normalised_text_back():
    text = "国防部长……说，ＤｅｅｐＳｅｅｋ的ﬁ"
    normal, offsets = normalize_with_offsets(text)
    assert normal == "国防部长......说,deepseek的fi"
    start = normal.index("deepseek")
    assert text[offsets[start] : offsets[start + len("deepseek") - 1] + 1] == "ＤｅｅｐＳｅｅｋ"
    assert text[offsets[normal.index("说")]] == "说"
    assert [text[offsets[i]] for i in range(4, 10)] == ["…"] * 6
    assert normalize_with_offsets("plain text") == ("plain text", range(10))


def test_offsets_without_simplifying_keep_traditional_characters():
    text = "國防部長會見ＤｅｅｐＳｅｅｋ"
    normal, offsets = normalize_with_offsets(text, simplified=False)
    assert normal == "國防部長會見deepseek"
    assert normalize_with_offsets(text)[0] == "国防部长会见deepseek"
    assert list(offsets) == list(normalize_with_offsets(text)[1])


def test_normalize_many_is_normalize_of_each():
    texts = [
        "國防部長",
        "ＡＢＣ１２３",
        "ΟΔΟΣ",  # a final sigma: lower case depends on what follows
        "İstanbul",
        "e\u0301",  # a combining mark at the start of the next text cannot join this one
        "\u0301é",
        "乾隆",  # OpenCC converts phrases, not only characters
        "頭髮",
        "",
        "Tesla 特斯拉",
    ]
    assert normalize_many(texts) == [normalize(t) for t in texts]
    assert normalize_many(["a\nB", "C"]) == ["a\nb", "c"]  # a line break inside: one by one
    assert normalize_many([]) == []
