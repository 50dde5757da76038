"""Who may moderate what. Pure functions, no writes (see community/policy.py for the style).

Who may sanction or suspend a member is community core's rule (``community.policy.check_sanction``
and ``check_suspend``), the same for the review queue, the members page and the live console.

An actor who cannot read the space an item lives in gets ``Http404`` (the item must look
missing); one who can read it but does not moderate it gets ``PermissionDenied``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from community import policy as community_policy
from community.models import Space


def can_moderate(user, space: Space) -> bool:
    return community_policy.can_moderate_space(user, space)


def check_moderate(user, space: Space) -> None:
    """Act on an item inside ``space`` (a post, a thread, a member's standing there)."""
    if not community_policy.can_read_space(user, space):
        raise Http404("No such item.")
    if not can_moderate(user, space):
        raise PermissionDenied("Only this space's moderators can do that.")
    community_policy.check_not_suspended(user)


def can_see_queue(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_staff or Space.objects.moderated_by(user).exists()


def check_see_queue(user) -> None:
    if not can_see_queue(user):
        raise PermissionDenied("Only moderators and staff can see the moderation pages.")


def check_edit_watched_words(actor, space: Space | None) -> None:
    if space is None:
        if not (actor.is_authenticated and actor.is_staff):
            raise PermissionDenied("Only staff can change the site-wide watched words.")
        return
    community_policy.check_moderate_space(actor, space)


def check_flag(actor, space: Space) -> None:
    """Flag something in ``space``: suspended and muted members cannot (SPEC.md "Roles")."""
    community_policy.check_participate(actor, space)
