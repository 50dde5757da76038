"""What the review queue's live message card may show (templates/realtime/moderation/)."""

from __future__ import annotations

from django import template

from realtime import policy, selectors
from realtime.models import LiveEvent

register = template.Library()


@register.simple_tag(takes_context=True)
def author_shown(context, event: LiveEvent) -> bool:
    """Whether the card names who wrote ``event``: yes, unless the session's names are withheld
    (an ended Chatham House session); then only once this moderator asked, which is audited."""
    if policy.shows_attribution(event.session):
        return True
    request = context["request"]
    revealed = getattr(request, "_live_authors_revealed", None)
    if revealed is None:  # one query per page, however many cards
        revealed = selectors.authors_revealed_to(request.user)
        request._live_authors_revealed = revealed
    return event.pk in revealed
