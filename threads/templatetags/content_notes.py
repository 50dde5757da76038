"""``{{ post|post_body }}``: a post's body for HTML, folded under its content note (the rule is
in :mod:`threads.content_notes`)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from threads import content_notes
from threads.models import Post, PostRevision

register = template.Library()


@register.filter
def post_body(post: Post) -> SafeString:
    return content_notes.post_html(post)


@register.filter
def revision_body(revision: PostRevision) -> SafeString:
    """An earlier version's raw text (moderators' history page), under its post's note."""
    text = format_html("<pre>{}</pre>", revision.body)
    return content_notes.fold(content_notes.note_of(revision.post), text)
