"""The thread page's post cards, rendered once and cached for every reader who would see the
same card (issue 17).

**The key is the card's content, not a version number.** It is a hash of every value the
card template (``threads/_post.html`` and its includes) reads: the post's fields and rendered
body (with its quote and content note, from :func:`threads.content_notes.post_html`), its
author's name, the thread and space it is shown in, the reaction counts and the reader's own
reactions, and the reader's side of it (moderator or not, author or not, what they may do:
reply, react, flag, edit, delete, bookmark), plus the language, the time zone and
``RENDERER_VERSION``. An edit, hide, restore, approval, deletion, reaction, erasure, author
rename, moderator action, content note, quote that went away or thread move therefore makes a
different key: no writer has to remember to invalidate anything, and an old entry is never
read again (it expires). Visibility is not the cache's business: only posts that
``Post.objects.visible_to`` returned for this reader are looked up, so a hidden post is never
served to a reader who may not see it, and a member's key (not a moderator) can never find a
moderator's card of an anonymous post (the real name is only in the moderator's).

**Two per-request values are left as placeholders** and filled in after the lookup: the CSRF
token of the reaction and bookmark forms, and the page's own path in their ``next`` fields
(HTML-escaped in the forms, URL-encoded in the moderation tools' links).

The cache is ``caches["cards"]`` when configured (community/settings.py: Redis when
``REDIS_URL`` is set, else this process's memory), else the default cache. One ``get_many``
and at most one ``set_many`` per page: no SQL.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ObjectDoesNotExist
from django.middleware.csrf import get_token
from django.template.defaultfilters import urlencode
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from community.rendering import RENDERER_VERSION

from . import content_notes
from .models import Post, Thread

CARD_TEMPLATE = "threads/_post.html"
CARD_TIMEOUT = 24 * 3600
# Bump when threads/_post.html or one of its includes changes what it prints.
CARD_TEMPLATE_VERSION = 1

CSRF_PLACEHOLDER = "card-csrf-placeholder-7f3a"
# "?" is URL-encoded by ``urlencode`` and left alone by escaping: the two forms can be told apart.
NEXT_PLACEHOLDER = "card-next-placeholder-7f3a?"
NEXT_PLACEHOLDER_ENCODED = urlencode(NEXT_PLACEHOLDER)


_PLACEHOLDERS = re.compile(
    "|".join(re.escape(p) for p in (CSRF_PLACEHOLDER, NEXT_PLACEHOLDER_ENCODED, NEXT_PLACEHOLDER))
)


class _PlaceholderRequest:
    """What the card template asks of ``request``: only its path, for ``next`` fields."""

    def get_full_path(self) -> str:
        return NEXT_PLACEHOLDER


def card_cache():
    return caches["cards"] if "cards" in settings.CACHES else caches["default"]


def _case_study(thread: Thread) -> bool:
    try:
        return thread.case_study is not None
    except ObjectDoesNotExist:  # not a case study
        return False


def card_key(post: Post, *, thread: Thread, user, can_moderate, can_reply, can_flag) -> str:
    """The cache key of ``post``'s card for this reader: a hash of what the card shows."""
    author = post.author
    material = (
        CARD_TEMPLATE_VERSION,
        RENDERER_VERSION,
        post.renderer_version,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        # The reader's side: who they are to this post and what they may do with it.
        bool(can_moderate),
        bool(can_reply),
        bool(can_flag),
        post.author_id is not None and post.author_id == user.pk,
        bool(getattr(post, "can_edit", False)),
        bool(getattr(post, "can_delete", False)),
        bool(getattr(post, "can_react", False)),
        bool(getattr(post, "can_bookmark", False)),
        bool(getattr(post, "is_bookmarked", False)),
        # Where it is shown (links).
        thread.pk,
        thread.space.slug,
        _case_study(thread) if post.is_opening and getattr(post, "can_edit", False) else False,
        # The post.
        post.pk,
        post.status,
        post.is_deleted,
        post.hidden_reason,
        post.is_opening,
        post.anonymous,
        post.author_id,
        author.display_name if author is not None else None,
        post.created_at.isoformat() if post.created_at else None,
        post.edited_at.isoformat() if post.edited_at else None,
        post.pending_at.isoformat() if post.pending_at else None,
        tuple((r.kind, r.label, r.count, r.mine) for r in getattr(post, "reaction_summary", ())),
        # Its body as the card prints it: quote, text and content note.
        str(content_notes.post_html(post)),
    )
    digest = hashlib.blake2b(repr(material).encode(), digest_size=20).hexdigest()
    return f"card:{digest}"


def _render(post: Post, *, thread: Thread, user, can_moderate, can_reply, can_flag) -> str:
    template = get_template(CARD_TEMPLATE)
    return template.render(
        {
            "post": post,
            "thread": thread,
            "space": thread.space,
            "user": user,
            "can_moderate": can_moderate,
            "can_reply": can_reply,
            "can_flag": can_flag,
            "request": _PlaceholderRequest(),
            "csrf_token": CSRF_PLACEHOLDER,
        }
    )


def attach_cards(
    request, posts: list[Post], *, thread: Thread, can_moderate, can_reply, can_flag
) -> None:
    """Give each post ``card_html``: its card for this reader, from the cache when another
    reader of the same kind saw the same card. The posts carry ``reaction_summary`` and the
    per-reader flags (``can_edit``, ``can_delete``, ``can_react``, ``can_bookmark``,
    ``is_bookmarked``) set by the view."""
    if not posts:
        return
    user = request.user
    flags = {"can_moderate": can_moderate, "can_reply": can_reply, "can_flag": can_flag}
    keys = {post.pk: card_key(post, thread=thread, user=user, **flags) for post in posts}
    cache = card_cache()
    found = cache.get_many(list(keys.values()))
    missing = {}
    for post in posts:
        key = keys[post.pk]
        if key not in found:
            found[key] = missing[key] = _render(post, thread=thread, user=user, **flags)
    if missing:
        cache.set_many(missing, CARD_TIMEOUT)
    path = request.get_full_path()
    values = {
        CSRF_PLACEHOLDER: escape(get_token(request)),
        NEXT_PLACEHOLDER_ENCODED: escape(urlencode(path)),
        NEXT_PLACEHOLDER: escape(path),
    }
    # One pass: text put in for one placeholder is never read as another.
    fill = lambda match: values[match.group(0)]  # noqa: E731
    for post in posts:
        html = _PLACEHOLDERS.sub(fill, found[keys[post.pk]])
        post.card_html = mark_safe(html)  # noqa: S308 - our template's output, placeholders filled
