"""``{% moderator_notes_about person as notes %}``: the moderators' notes on a member that the
viewer may read (notes of the spaces they moderate; staff every note; never notes on oneself),
for pages of apps below moderation (the profile) that cannot import it."""

from __future__ import annotations

from django import template

from moderation import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def moderator_notes_about(context, person) -> list:
    request = context.get("request")
    if request is None or person is None:
        return []
    return list(selectors.notes_about(request.user, person))
