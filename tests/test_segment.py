"""The segmenter's user words (pure, no database): where a user word takes some of a word's
characters (`Segmenter.user_word_spans`), found in the words as one string."""

from __future__ import annotations

import random

from archive.text.segment import Segmenter


def _by_dictionaries(words: set[str], word: str) -> list[tuple[str, list[str]]]:
    """What the user words' dictionaries by pair, proper suffix and proper prefix gave (the
    index before the words were searched as one string)."""
    holding: dict[str, list[str]] = {}
    ends: dict[str, list[str]] = {}
    begins: dict[str, list[str]] = {}
    for name in sorted(words):
        for pair in {name[i : i + 2] for i in range(len(name) - 1)}:
            holding.setdefault(pair, []).append(name)
        for i in range(1, len(name)):
            ends.setdefault(name[i:], []).append(name)
            begins.setdefault(name[:i], []).append(name)
    n = len(word)
    found = [("in", [m for m in holding.get(word[:2], ()) if word in m and m != word])]
    for j in range(n - 1, 0, -1):
        found.append(("ends", ends.get(word[:j], [])))
        found.append(("begins", begins.get(word[n - j :], [])))
    return found


def test_user_words_holding_beginning_and_ending_as_the_dictionaries_found_them():
    rnd = random.Random(7)
    chars = "国防部长美五角大楼马斯克特朗普中央银行人民"
    words = {"".join(rnd.choice(chars) for _ in range(rnd.randint(2, 6))) for _ in range(600)}
    seg = Segmenter(words)
    user = seg.user_words
    for _ in range(400):
        word = "".join(rnd.choice(chars) for _ in range(rnd.randint(2, 5)))
        n = len(word)
        mine = [("in", [m for m in seg._user_words_with(word) if m != word])]
        for j in range(n - 1, 0, -1):
            mine.append(("ends", seg._user_words_with(word[:j], ending=True)))
            mine.append(("begins", seg._user_words_with(word[n - j :], beginning=True)))
        assert mine == _by_dictionaries(user, word), word


def test_user_word_spans_of_names_holding_it_ending_and_beginning_it():
    seg = Segmenter(["美国国防部", "国防部长", "五角大楼"])
    assert seg.user_word_spans("国防") == [("国防部长",), ("美国国防部",)]  # in sorted order
    assert seg.user_word_spans("国防部长") == [("美国国防部", "长")]  # a name ending with 国防部
    assert seg.user_word_spans("部长官") == [("国防部长", "官"), ("美国国防部", "长官")]
    assert seg.user_word_spans("楼房") == [("五角大楼", "房")]  # a name ending with its 楼
    assert Segmenter().user_word_spans("国防") == []
