"""A member's name in text that others keep (a notice, an audit reason, a quote's header), and
how erasure takes it out: every way the name was written, as a whole word, in any case."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .models import User
from .rendering import render_plain


def names_of(user: User) -> list[str]:
    """The forms the member's display name is written in: as typed, and as Markdown and HTML
    keep it (``render_plain`` escapes ``&``, ``<`` and ``>``). Longest first."""
    forms = {user.display_name.strip(), render_plain(user.display_name)}
    return sorted((f for f in forms if f), key=len, reverse=True)


def _pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    names = [n for n in names if n]
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def replace_names(text: str, names: Iterable[str], label: str) -> str:
    """``text`` with every whole-word occurrence of one of ``names`` replaced by ``label``."""
    pattern = _pattern(names)
    if pattern is None or not text:
        return text
    return pattern.sub(label, text)
