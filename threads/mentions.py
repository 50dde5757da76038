"""@mentions: ``@Display Name`` in a post notifies that member, if they can read the post.

Who can read it is decided by the one visibility rule (``Post.objects.visible_to``), asked for
each person mentioned (all of them in one query, :func:`_passing`): a mention never reaches, or tells anything to, someone who cannot see
the post. An anonymous post's mention carries no actor (threads.services.announce_post).
Mentions are read when a post is announced (published or approved), so an edit never notifies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower

from community.models import Space, User

from .models import Post, Thread

MAX_MENTIONS = 10
MAX_WORDS = 4
SUGGESTIONS = 8
_CANDIDATES = 20

# "@" not inside a word or an address, then up to four words of a name.
MENTION_RE = re.compile(
    r"(?<![\w@])@([^\W\d_][\w'’.-]*(?: [^\W_][\w'’.-]*){0," + str(MAX_WORDS - 1) + "})"
)


def _own_text(body: str) -> str:
    """The author's own words: quoted lines (another post's mentions) and code are skipped."""
    kept, fenced = [], False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced or line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


def _phrases(body: str) -> list[list[str]]:
    """For each mention, the names it could be, longest first (trailing punctuation dropped)."""
    found = []
    for match in MENTION_RE.finditer(_own_text(body)):
        words = match.group(1).split(" ")
        options = []
        for n in range(len(words), 0, -1):
            options.append(" ".join(words[:n]).rstrip(".,;:!?'’-").casefold())
        found.append(options)
        if len(found) >= MAX_MENTIONS:
            break
    return found


def _resolve(body: str) -> list[tuple[str, list[User]] | None]:
    """Each mention in ``body``: the longest name that fits and every active member of that
    name, or None where no member has any name it could be. One query."""
    phrases = _phrases(body)
    names = {name for options in phrases for name in options if name}
    if not names:
        return [None] * len(phrases)
    people: dict[str, list[User]] = {}
    for user in (
        User.objects.filter(is_active=True, erased_at__isnull=True)
        .annotate(folded=Lower("display_name"))
        .filter(folded__in=names)
    ):
        people.setdefault(user.display_name.casefold(), []).append(user)
    resolved = []
    for options in phrases:
        name = next((option for option in options if option in people), None)
        resolved.append(None if name is None else (name, people[name]))
    return resolved


def mentioned_people(body: str) -> list[tuple[str, list[User]]]:
    """Each name mentioned in ``body`` once (the longest that fits), with every active member
    of that name. One query."""
    result: list[tuple[str, list[User]]] = []
    for found in _resolve(body):
        if found is not None and all(found[0] != seen for seen, _ in result):
            result.append(found)
    return result


def _passing(candidates: Iterable[User], visible: Callable[[User], QuerySet]) -> set[int]:
    """The ids of ``candidates`` for whom ``visible(candidate)`` (the model's one ``visible_to``
    queryset, narrowed to the object) finds a row: one query, a UNION ALL of each candidate's
    own queryset tagged with their id, whatever the number of candidates."""
    parts = [
        visible(c).order_by().annotate(reader=Value(c.pk)).values_list("reader", flat=True)
        for c in {c.pk: c for c in candidates}.values()
    ]
    if not parts:
        return set()
    first, *rest = parts
    return set(first.union(*rest, all=True))


def mentions_of(post: Post) -> tuple[set[int], bool]:
    """(ids of members mentioned who can read ``post``, whether any mention reached nobody).

    The second is the same for a name no member has and for a member who cannot read the post,
    so telling the author never reveals who has an account or who is outside the space.
    Two queries, whatever the number of mentions: the names, then who of them can read it."""
    found = list(_resolve(post.body))
    asked = [f[1] for f in found if f and not any(u.pk == post.author_id for u in f[1])]
    can_read = _passing(
        (u for users in asked for u in users),
        lambda u: Post.objects.visible_to(u).filter(pk=post.pk),
    )
    readers: set[int] = set()
    missed = any(f is None for f in found)
    for users in asked:
        reached = [u.pk for u in users if u.pk in can_read]
        readers.update(reached)
        missed = missed or not reached
    return readers, missed


def mentioned_readers(post: Post) -> set[int]:
    """For threads.services.announce_post: who to notify of a mention."""
    return mentions_of(post)[0]


def missed_someone(post: Post) -> bool:
    """Whether a mention in ``post`` notified nobody (told to the author only, naming no one)."""
    return mentions_of(post)[1]


def _suggest(user: User, query: str, visible: Callable[[User], QuerySet]) -> list[dict]:
    """Two queries: up to ``_CANDIDATES`` names, then which of them can read (:func:`_passing`)."""
    query = " ".join((query or "").split())[:80]
    if not query:
        return []
    candidates = list(
        User.objects.filter(is_active=True, erased_at__isnull=True)
        .filter(Q(display_name__istartswith=query) | Q(display_name__icontains=f" {query}"))
        .exclude(pk=user.pk)
        .order_by("display_name", "pk")[:_CANDIDATES]
    )
    can_read = _passing(candidates, visible)
    found = [{"name": c.display_name} for c in candidates if c.pk in can_read]
    return found[:SUGGESTIONS]


def suggestions(user: User, thread: Thread, query: str) -> list[dict]:
    """Members whose name starts with (or has a word starting with) ``query`` and who can read
    ``thread``: at most ``SUGGESTIONS``, the same number of queries whatever the number of
    members or candidates."""
    return _suggest(user, query, lambda c: Thread.objects.visible_to(c).filter(pk=thread.pk))


def space_suggestions(user: User, space: Space, query: str) -> list[dict]:
    """For a new thread's form: members who can read ``space``'s threads."""
    return _suggest(user, query, lambda c: Space.objects.readable_by(c).filter(pk=space.pk))
