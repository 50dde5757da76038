"""Moderation's own kind: members, flagged in a space and sanctioned there (community core's
:mod:`community.sanctions` does the writing)."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404

from community import policy as community_policy
from community import sanctions
from community.models import Membership, Space, User

from .models import FlagKind
from .registry import ActionSpec, ModeratableKind


class MemberKind(ModeratableKind):
    """A member belongs to no one space: each flag, and each action, names the space.

    ``perform`` needs ``data["space"]``, the space the moderator acts in."""

    name = FlagKind.MEMBER
    label = "Member"
    model = User
    card_template = "moderation/member_card.html"
    hideable = False
    actions = {
        "warn": ActionSpec("Warn", "reason", "The member has been warned."),
        "mute": ActionSpec("Mute", "until", "The member is muted in this space."),
        "unmute": ActionSpec("Unmute", "note", "The member can take part again."),
        "ban": ActionSpec(
            "Ban from space", "reason", "The member is banned from this space.", destructive=True
        ),
    }

    def space_of(self, item: User) -> Space | None:
        return None

    def author_of(self, item: User) -> User:
        return item

    def describe(self, item: User) -> str:
        return item.display_name

    def load_many(self, pks: Iterable[int]) -> dict[int, User]:
        return User.objects.in_bulk(list(pks))

    def check_flaggable_by(self, user: User, item: User) -> None:
        # A member can only be flagged in a space (flagged_in).
        raise Http404("No such member.")

    def flagged_in(self, user: User, item: User, space: Space | None) -> Space:
        """A member is flagged in a space both of you are in; elsewhere they look missing."""
        if (
            space is None
            or not Membership.objects.filter(
                user=item, space=space, status=Membership.Status.ACTIVE
            ).exists()
        ):
            raise Http404("No such member.")
        community_policy.check_read_space(user, space)
        return space

    def flag_label(self, item: User) -> str:
        return item.display_name

    def perform(self, *, actor: User, item: User, action: str, data: dict) -> bool:
        space = data["space"]
        reason = data.get("reason", "")
        if action == "warn":
            return sanctions.warn_member(actor=actor, space=space, member=item, reason=reason)
        if action == "mute":
            return sanctions.mute_member(
                actor=actor, space=space, member=item, until=data["until"], reason=reason
            )
        if action == "unmute":
            return sanctions.unmute_member(actor=actor, space=space, member=item, reason=reason)
        if action == "ban":
            return sanctions.ban_member(actor=actor, space=space, member=item, reason=reason)
        raise Http404("No such action.")

    def hide(self, *, actor: User | None, item: User, reason: str) -> bool:
        raise TypeError("Members cannot be hidden.")

    def restore(self, *, actor: User, item: User, reason: str = "") -> bool:
        raise TypeError("Members cannot be hidden or restored.")
