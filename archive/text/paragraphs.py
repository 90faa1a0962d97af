"""Bodies are plain paragraphs separated by one blank line.

`normalize_body` gives every body one canonical form so that hashes, paragraph numbers (the
parallel view's anchors) and exports are stable: line endings become `\\n`, each paragraph is
stripped of surrounding white space, and paragraphs are joined by exactly one blank line. Single
line breaks inside a paragraph are kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n")
# C0 controls other than tab, line feed and carriage return, DEL, and lone UTF-16 surrogates (a
# JSON "\ud800" escape decodes to one; it cannot be encoded as UTF-8). PostgreSQL cannot store
# NUL, and the others are never legitimate in article text.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def find_forbidden_character(text: str) -> int | None:
    """Index of the first character that article text may not contain, or None."""
    match = _FORBIDDEN.search(text)
    return match.start() if match else None


def describe_character(char: str) -> str:
    """How an error message names a forbidden character."""
    if "\ud800" <= char <= "\udfff":
        return f"an unpaired surrogate U+{ord(char):04X} (not valid Unicode text)"
    return f"control character U+{ord(char):04X}"


def split_paragraphs(body: str) -> list[str]:
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for chunk in _BLANK_LINE.split(text):
        lines = [line.rstrip() for line in chunk.strip().split("\n")]
        paragraph = "\n".join(lines).strip()
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    return "\n\n".join(p.strip() for p in paragraphs if p and p.strip())


def normalize_body(body: str) -> str:
    return join_paragraphs(split_paragraphs(body))


def normalize_line(text: str) -> str:
    """A single-line field (title): inner runs of white space become one space."""
    return " ".join(text.split())


def text_hash(*parts: str) -> str:
    """SHA-256 of the parts; "" when all are empty (nothing to have been translated from)."""
    if not any(parts):
        return ""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x1e")  # record separator: ("ab", "") and ("a", "b") differ
    return digest.hexdigest()
