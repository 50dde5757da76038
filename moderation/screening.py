"""Screening: the moderation rules content apps apply before they store member-written text.

The threads and realtime services call these inside their own transaction, before saving, so
the rules are the same on every path (HTTP form, HTMX, WebSocket). Each raises with a message a
person understands, or returns what should happen to the new content. A ``flag`` outcome means
the caller raises an automatic flag (``moderation.services.raise_automatic_flag``) once saved.
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied, ValidationError

from community import policy as community_policy
from community import rendering as community_rendering

from . import registry
from .models import WatchedWord
from .text import find_matches, normalize


class Outcome:
    PUBLISH = "publish"
    REQUIRE_APPROVAL = "require_approval"
    FLAG = "flag"


class Screened(str):
    """An Outcome that also says which watched word decided it and where it was found
    (``title`` or ``body``), for the automatic flag: compares equal to the Outcome value."""

    word: str = ""
    where: str = ""

    @classmethod
    def of(cls, outcome: str, word: str = "", where: str = "") -> Screened:
        screened = cls(outcome)
        screened.word, screened.where = word, where
        return screened


def matches_in(words, *, text: str, title: str = "") -> list[tuple[str, str]]:
    """``(normalized word, where)`` for each of ``words`` (normalized) found in a body of
    Markdown ``text`` or a plain ``title``, the title first: the one matching screening uses."""
    in_title = set(find_matches(title, words)) if title else set()
    in_body = set(find_matches(readable_text(text), words))
    return [
        (word, "title" if word in in_title else "body")
        for word in words
        if word in in_title or word in in_body
    ]


def readable_text(markdown: str) -> list[str]:
    """The texts screened for a body of member-written Markdown: what readers will see (its
    rendering, as text: emphasis, escapes and entities resolved) and what was typed (so that a
    word in a link's address counts too). :func:`moderation.text.find_matches` searches each."""
    return [community_rendering.plain_text(markdown), markdown or ""]


def screen_text(*, actor, space, text: str, title: str = "") -> str:
    """Apply watched words to a body of Markdown (``text``) and, for a thread, its ``title``
    (plain text). Raise ValidationError naming the rule for a ``block`` word (keyed ``title``
    when the word is in the title); otherwise return an Outcome (``require_approval`` and
    ``flag`` words)."""
    if space is not None and is_exempt(actor, space):
        return Outcome.PUBLISH
    words = list(
        WatchedWord.objects.applying_to(space)
        .order_by("space_id", "normalized")
        .values_list("word", "normalized", "action", "space_id")
    )
    if not words:
        return Outcome.PUBLISH
    where = dict(matches_in(list(dict.fromkeys(n for _, n, _, _ in words)), text=text, title=title))
    hits = [w for w in words if w[1] in where]
    for word, normal, action, space_id in hits:
        if action == WatchedWord.Action.BLOCK:
            scope = "this space's" if space_id else "the community's"
            message = (
                f"“{word}” is not allowed under {scope} watched words. "
                "Your text is kept below: edit it and send it again."
            )
            raise ValidationError({"title": [message]} if where[normal] == "title" else message)
    for wanted in (WatchedWord.Action.REQUIRE_APPROVAL, WatchedWord.Action.FLAG):
        for word, normal, action, _ in hits:
            if action == wanted:
                return Screened.of(wanted, word, where[normal])
    return Outcome.PUBLISH


def seconds_left(last, seconds: int, now) -> int:
    """Seconds until a slow-mode window that began at ``last`` lets the member post again."""
    if not seconds or last is None:
        return 0
    return max(0, math.ceil(seconds - (now - last).total_seconds()))


def slow_mode_refusal(left: int) -> PermissionDenied:
    unit = "second" if left == 1 else "seconds"
    return PermissionDenied(f"You can post again in {left} {unit}.")


def is_exempt(actor, space) -> bool:
    """Moderators and staff are not held by pre-moderation, watched words or slow mode."""
    return community_policy.can_moderate_space(actor, space)


RECENT_LIMIT = 200


def try_words(user, *, words: list[str], space_ids, limit: int = RECENT_LIMIT) -> list[dict]:
    """What new watched ``words`` would catch among recent items ``user`` can read (in
    ``space_ids``; every space for None), matched exactly as :func:`screen_text` matches."""
    normalized = list(dict.fromkeys(n for n in (normalize(w) for w in words) if n))
    if not normalized:
        return []
    by_normal = {normalize(w): w.strip() for w in words}
    hits = []
    for kind in registry.kinds():
        recent = kind.recent_texts(user, space_ids, limit)
        for item, title, text in recent or []:
            found = matches_in(normalized, text=text, title=title)
            if found:
                hits.append(
                    {
                        "item": item,
                        "label": kind.describe(item),
                        "url": getattr(item, "get_absolute_url", lambda: "")(),
                        "matches": [(by_normal.get(n, n), where) for n, where in found],
                    }
                )
    return hits
