"""The shared commitment as moderation sees it (:mod:`moderation.registry`), registered in
:meth:`threads.commitments.apps.CommitmentsConfig.ready`.

Only a commitment shared with a space has a space whose moderators review it, so only those are
flagged: automatically, when a ``flag`` watched word is in it. The one action, "Stop sharing", is
:func:`threads.commitments.services.unshare_commitment` (the owner keeps it, private). A
commitment is never hidden: it has no hidden state, and a private one is its owner's alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404

from community.models import Space, User
from moderation.models import FlagKind
from moderation.registry import ActionSpec, ModeratableKind

from . import services
from .models import Commitment, CommitmentVisibility


class CommitmentKind(ModeratableKind):
    name = FlagKind.COMMITMENT
    label = "Commitment"
    model = Commitment
    card_template = "commitments/moderation/commitment_card.html"
    hideable = False
    actions = {
        "unshare": ActionSpec(
            "Stop sharing",
            "reason",
            "The commitment is private again and its owner has been told why.",
        ),
    }

    def _related(self):
        return Commitment.objects.select_related("owner", "space")

    def space_of(self, item: Commitment) -> Space | None:
        """The space it is shared with; None once it is private or shared with everyone."""
        if item.visibility != CommitmentVisibility.SPACE:
            return None
        return item.space

    def author_of(self, item: Commitment) -> User | None:
        return item.owner

    def describe(self, item: Commitment) -> str:
        return item.audit_label()

    def flag_label(self, item: Commitment) -> str:
        return "a commitment shared with the space"

    def load_many(self, pks: Iterable[int]) -> dict[int, Commitment]:
        """Only commitments still shared with a space: a private one is its owner's alone, so
        a flag on one its owner stopped sharing does not show it to the moderators."""
        return (
            self._related()
            .filter(visibility=CommitmentVisibility.SPACE, space__isnull=False)
            .in_bulk(list(pks))
        )

    def lock(self, item: Commitment) -> Commitment:
        return self._related().select_for_update(of=("self",)).get(pk=item.pk)

    def check_flaggable_by(self, user: User, item: Commitment) -> None:
        shared = Commitment.objects.visible_to(user).filter(
            pk=item.pk, visibility=CommitmentVisibility.SPACE
        )
        if not shared.exists():
            raise Http404("No such item.")

    def form_initial(self, item: Commitment, action: str) -> dict:
        return {}

    def perform(self, *, actor: User, item: Commitment, action: str, data: dict) -> bool:
        if action == "unshare":
            return services.unshare_commitment(
                actor=actor, commitment=item, reason=data.get("reason", "")
            )
        raise Http404("No such action.")

    def hide(self, *, actor: User | None, item: Commitment, reason: str) -> bool:
        raise NotImplementedError("A commitment is never hidden (hideable is False).")

    def restore(self, *, actor: User, item: Commitment, reason: str = "") -> bool:
        return False
