"""The live message as a moderatable kind (moderation/registry.py), registered in
``RealtimeConfig.ready``.

Moderation reaches live messages only through this adapter; the removal itself is
:func:`realtime.services.hide_message`, which tells every open room.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404

from community import policy as community_policy
from community.models import Space, User
from moderation.registry import ActionSpec, ModeratableKind

from . import breakouts, services
from .models import BreakoutMessage, LiveEvent


class LiveMessageKind(ModeratableKind):
    name = "live_message"
    label = "Live message"
    model = LiveEvent
    card_template = "realtime/moderation/live_card.html"
    actions = {
        "hide": ActionSpec(
            label="Remove", form="reason", done="The message was removed from the room."
        ),
        # Chatham House, once ended: the one way to who wrote a flagged message, audited.
        "reveal": ActionSpec(
            label="Show who wrote this",
            form="note",
            done="Who wrote it is shown on its card, to you only. The audit log records it.",
        ),
    }

    def space_of(self, item: LiveEvent) -> Space:
        return item.session.space

    def author_of(self, item: LiveEvent) -> User | None:
        return item.author

    def describe(self, item: LiveEvent) -> str:
        return item.audit_label()

    def load_many(self, pks: Iterable[int]) -> dict[int, LiveEvent]:
        events = LiveEvent.objects.select_related("session", "session__space", "author").filter(
            pk__in=list(pks), kind__in=services.SPEAKING
        )
        return {event.pk: event for event in events}

    def lock(self, item: LiveEvent) -> LiveEvent:
        return (
            LiveEvent.objects.select_for_update(of=("self",))
            .select_related("session", "session__space", "author")
            .get(pk=item.pk)
        )

    def check_flaggable_by(self, user: User, item: LiveEvent) -> None:
        """A message or question still in the room, of a session whose space ``user`` reads."""
        if (
            item.kind not in services.SPEAKING
            or item.removed
            or not community_policy.can_read_space(user, item.session.space)
        ):
            raise Http404("No such message.")

    def is_hidden(self, item: LiveEvent) -> bool:
        return item.removed

    def is_autohidden(self, item: LiveEvent) -> bool:
        # A removed event keeps no reason, and a removal cannot be undone (the room was told),
        # so dismissing flags on one never tries to restore it.
        return False

    def perform(self, *, actor: User, item: LiveEvent, action: str, data: dict) -> bool:
        if action == "reveal":
            return services.reveal_author(actor=actor, event=item, reason=data.get("reason", ""))
        if action != "hide":
            raise ValueError(f"A live message has no {action!r} action.")
        return self.hide(actor=actor, item=item, reason=data.get("reason", ""))

    def hide(self, *, actor: User | None, item: LiveEvent, reason: str) -> bool:
        return services.hide_message(actor=actor, event=item, reason=reason)

    def restore(self, *, actor: User, item: LiveEvent, reason: str = "") -> bool:
        """A removed live message stays removed: every client dropped its body."""
        return False


class BreakoutMessageKind(ModeratableKind):
    """A message of a breakout room, flagged from the room (``breakout.flag``) or by a
    ``flag`` watched word. Removing it is :func:`realtime.breakouts.hide_message`."""

    name = "breakout_message"
    label = "Breakout room message"
    model = BreakoutMessage
    card_template = "realtime/moderation/breakout_card.html"
    actions = {
        "hide": ActionSpec(
            label="Remove", form="reason", done="The message was removed from the room."
        ),
    }

    def space_of(self, item: BreakoutMessage) -> Space:
        return item.room.round.session.space

    def author_of(self, item: BreakoutMessage) -> User | None:
        return item.author

    def describe(self, item: BreakoutMessage) -> str:
        return item.audit_label()

    def load_many(self, pks: Iterable[int]) -> dict[int, BreakoutMessage]:
        messages = BreakoutMessage.objects.select_related(
            "room__round__session__space", "author"
        ).filter(pk__in=list(pks))
        return {message.pk: message for message in messages}

    def lock(self, item: BreakoutMessage) -> BreakoutMessage:
        return (
            BreakoutMessage.objects.select_for_update(of=("self",))
            .select_related("room__round__session__space", "author")
            .get(pk=item.pk)
        )

    def check_flaggable_by(self, user: User, item: BreakoutMessage) -> None:
        """A message still in its room, of a session whose space ``user`` reads."""
        if item.removed or not community_policy.can_read_space(user, item.room.round.session.space):
            raise Http404("No such message.")

    def is_hidden(self, item: BreakoutMessage) -> bool:
        return item.removed

    def is_autohidden(self, item: BreakoutMessage) -> bool:
        return False

    def perform(self, *, actor: User, item: BreakoutMessage, action: str, data: dict) -> bool:
        if action != "hide":
            raise ValueError(f"A breakout message has no {action!r} action.")
        return self.hide(actor=actor, item=item, reason=data.get("reason", ""))

    def hide(self, *, actor: User | None, item: BreakoutMessage, reason: str) -> bool:
        return breakouts.hide_message(actor=actor, message=item, reason=reason)

    def restore(self, *, actor: User, item: BreakoutMessage, reason: str = "") -> bool:
        """A removed breakout message stays removed: every client dropped its body."""
        return False
