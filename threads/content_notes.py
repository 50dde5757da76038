"""Content notes: the one place that decides how text under a note is shown.

A thread's content note covers every post in it: the opening post it was written for, and the
replies, which often answer in kind (a reader cannot know which reply retells the abuse). The
note travels with its text wherever the text goes:

- HTML (the thread page, its live fragment, the reply page's preview, the review queue): the body
  is folded in an NHS.UK ``details`` component whose summary is "Content note: <note>";
- a quote of a noted post is kept by reference (``Post.quote_by_reference``): its text is never
  copied into the reply's body, and it is rendered here, from ``quote_of``, under its note;
- plain text (search snippets, notifications, previews, emails): the note in place of the text.

Templates use the ``content_notes`` tag library; Python code calls these functions.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from community.rendering import highlight_snippet, plain_text

from .models import ANONYMOUS_LABEL, Post, Thread

PLAIN_NOTE = "[Content note: {note}] (open the thread to read it)"
QUOTE_UNAVAILABLE = "The quoted post is no longer available."

_FOLDED = (
    '<details class="nhsuk-details">'
    '<summary class="nhsuk-details__summary">'
    '<span class="nhsuk-details__summary-text">Content note: {}</span></summary>'
    '<div class="nhsuk-details__text forum-post-body">{}</div></details>'
    '<p class="forum-meta"><a href="{}">If this affects you, support is available</a></p>'
)
_OPEN = '<div class="forum-post-body">{}</div>'


def note_of_thread(thread: Thread) -> str:
    return thread.content_note or ""


def note_of(post: Post) -> str:
    """The content note that covers ``post``'s text: its thread's (every post of a noted thread).
    Load ``post.thread`` first (the selectors do) or this costs a query."""
    return note_of_thread(post.thread)


def fold(note: str, inner_html: str) -> SafeString:
    """``inner_html`` (stored, sanitized HTML) folded under ``note``, or in a plain body div."""
    body = mark_safe(inner_html)  # noqa: S308 - stored HTML from community.rendering
    if note:
        return format_html(_FOLDED, note, body, reverse("support"))
    return format_html(_OPEN, body)


def quoted_author_label(quoted: Post) -> str:
    """How a quote names its author: never the real name of an anonymous post."""
    if quoted.anonymous:
        return ANONYMOUS_LABEL
    if quoted.author is None:
        return "A former member"
    return quoted.author.display_name


def quote_block_html(post: Post) -> SafeString:
    """The quote a reply keeps by reference, as HTML: folded under the quoted post's note when it
    is not the reply's own (the reply is folded under that already). Empty when not by reference.

    The quote shows the quoted post as it is now; once that post is no longer published (hidden,
    deleted, awaiting approval) the quote says so instead of keeping its text alive."""
    if not post.quote_by_reference or not post.quote_of_id:
        return mark_safe("")
    quoted = post.quote_of
    if quoted is None or not quoted.is_published:
        return format_html(
            '<blockquote class="forum-quote"><p><em>{}</em></p></blockquote>', QUOTE_UNAVAILABLE
        )
    if quoted.thread_id == post.thread_id:
        quoted.thread = post.thread
    inner = format_html(
        "<p><strong>{}</strong> wrote:</p>{}",
        quoted_author_label(quoted),
        mark_safe(quoted.body_html),  # noqa: S308 - stored HTML from community.rendering
    )
    note = note_of(quoted)
    if note and note != note_of(post):
        inner = fold(note, inner)
    return format_html('<blockquote class="forum-quote">{}</blockquote>', inner)


def post_html(post: Post) -> SafeString:
    """A post's body for any HTML output: its quote (if kept by reference) and its text, folded
    under the content note that covers it."""
    inner = quote_block_html(post) + mark_safe(post.body_html)  # noqa: S308
    return fold(note_of(post), inner)


def plain_note(note: str) -> str:
    return PLAIN_NOTE.format(note=note)


def plain_excerpt(post: Post, chars: int) -> str:
    """A post's words for emails, notifications and previews (not HTML-escaped): the note in
    place of the text when one covers it."""
    note = note_of(post)
    if note:
        return plain_note(note)
    return plain_text(post.body)[:chars]


def snippet_html(post: Post, terms: list[str]) -> str:
    """A search result's snippet, safe to print with ``|safe``: the note (escaped) in place of
    the highlighted excerpt when one covers the post."""
    note = note_of(post)
    if note:
        return escape(plain_note(note))
    return highlight_snippet(post.body, terms)
