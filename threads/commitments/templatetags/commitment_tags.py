"""Small hooks the threads templates use to offer commitments' pages (by URL name only: threads
does not import this app)."""

from __future__ import annotations

from django import template

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def can_edit_case_study(context, thread) -> bool:
    """Whether the viewer may change this case study's sections (author, space moderators)."""
    return selectors.can_edit_case_study(context["request"].user, thread)
