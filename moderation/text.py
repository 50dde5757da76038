"""Case- and accent-insensitive whole-word matching for watched words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache


def normalize(text: str) -> str:
    """NFKD, drop combining marks, casefold: "Café" and "CAFE" both become "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split()) if stripped.strip() else ""


@lru_cache(maxsize=512)
def _pattern(normalized_word: str) -> re.Pattern[str]:
    # Whitespace inside a phrase matches any run of whitespace; \w lookarounds rather than \b so
    # that words starting or ending with punctuation ("c*nt") still match as whole words.
    body = r"\s+".join(re.escape(part) for part in normalized_word.split())
    return re.compile(rf"(?<!\w){body}(?!\w)")


def find_matches(text: str, normalized_words: Iterable[str]) -> list[str]:
    """The watched words (already normalized) that occur in ``text`` as whole words."""
    haystack = normalize(text)
    return [word for word in normalized_words if word and _pattern(word).search(haystack)]
