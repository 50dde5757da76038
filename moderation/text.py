"""Whole-word matching for watched words, on text normalized so that it cannot be dressed up.

:func:`normalize` is applied to the watched word (``WatchedWord.normalized``) and to the text
alike. It decodes HTML entities, applies NFKC (fullwidth and mathematical letters become plain
ones), drops format characters (Unicode category Cf: zero-width spaces and joiners, the word
joiner, the byte order mark, the soft hyphen), folds the usual Cyrillic and Greek look-alikes to
the Latin letters they imitate, drops Markdown's emphasis markers (``*``, ``_``, ``~``, `````),
casefolds, strips accents and collapses whitespace. :func:`find_matches` then looks for each word
as a whole word, or with a simple English plural or possessive ending (-s, -es, 's, s').

Every pattern is a literal with fixed lookarounds and an optional fixed suffix, so matching is
linear in the length of the text (no nested quantifiers to backtrack over).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Look-alikes, applied before casefolding: capitals first (Greek capital Eta looks like H, its
# small letter like n, so each case is mapped to what it looks like), then small letters.
_CAPITALS = str.maketrans(
    {
        # Cyrillic
        "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K", "\u041c": "M",
        "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C", "\u0422": "T",
        "\u0423": "Y", "\u0425": "X", "\u0405": "S", "\u0406": "I", "\u0408": "J",
        "\u04ae": "Y",
        # Greek
        "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H",
        "\u0399": "I", "\u039a": "K", "\u039c": "M", "\u039d": "N", "\u039f": "O",
        "\u03a1": "P", "\u03a4": "T", "\u03a5": "Y", "\u03a7": "X",
    }
)  # fmt: skip
_SMALL = str.maketrans(
    {
        # Cyrillic
        "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
        "\u0443": "y", "\u0445": "x", "\u0456": "i", "\u0458": "j", "\u0455": "s",
        "\u0501": "d", "\u051b": "q", "\u051d": "w", "\u04bb": "h", "\u04af": "y",
        # Greek
        "\u03bf": "o", "\u03b1": "a", "\u03b9": "i", "\u03ba": "k", "\u03bd": "v",
        "\u03c1": "p", "\u03c5": "u", "\u03c7": "x", "\u03f2": "c",
    }
)  # fmt: skip
# Markdown's emphasis, strikethrough and code-span markers: ignored, so ``bl*o*ckword`` (or
# ``bl_o_ckword``, which CommonMark shows as typed) is the word it spells.
_MARKERS = str.maketrans(dict.fromkeys("*_~`"))
_DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})  # format characters and combining marks


def normalize(text: str) -> str:
    """The form in which watched words and text are compared: "Caf&eacute;", "CAFE" and
    "c\u0430fe" (a Cyrillic a) all become "cafe"; "bl*o*ck\u200bword" becomes "blockword"."""
    text = unicodedata.normalize("NFKC", html.unescape(text or ""))
    text = text.translate(_CAPITALS).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    return " ".join(kept.translate(_SMALL).translate(_MARKERS).split())


@lru_cache(maxsize=512)
def _pattern(normalized_word: str) -> re.Pattern[str]:
    # Whitespace inside a phrase matches any run of whitespace; \w lookarounds rather than \b so
    # that words starting or ending with punctuation still match as whole words. The optional
    # ending takes the plural (-s, -es); the possessive's apostrophe is not \w, so "word's" and
    # "words'" end the word already.
    body = r"\s+".join(re.escape(part) for part in normalized_word.split())
    return re.compile(rf"(?<!\w){body}(?:e?s)?(?!\w)")


def find_matches(text: str | Iterable[str], normalized_words: Iterable[str]) -> list[str]:
    """The watched words (already normalized) that occur as whole words in ``text``, or in any
    of several texts (each searched on its own, so no match spans two of them)."""
    texts = [text] if isinstance(text, str) else list(text)
    haystacks = list(dict.fromkeys(normalize(t) for t in texts))
    return [
        word
        for word in normalized_words
        if word and any(_pattern(word).search(haystack) for haystack in haystacks)
    ]
