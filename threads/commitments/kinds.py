"""The shared commitment as moderation sees it (:mod:`moderation.registry`), registered in
:meth:`threads.commitments.apps.CommitmentsConfig.ready`.

A shared commitment is looked after by the moderators of its moderation space
(:func:`threads.commitments.models.moderation_space`): the space it is shared with, or, shared
with all members, its action area's space. Members who can see it flag it (its updates with it);
a ``flag`` watched word flags it automatically; a ``require approval`` word holds it (or one of
its updates) in the queue until "Approve". "Stop sharing" is
:func:`threads.commitments.services.unshare_commitment` (the owner keeps it, private; it also
declines a held one). A commitment is never hidden: a private one is its owner's alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from community.models import Space, User
from moderation.models import FlagKind
from moderation.registry import ActionSpec, ModeratableKind

from . import services
from .models import Commitment, CommitmentUpdate, CommitmentVisibility, moderation_space

SHARED = Q(visibility=CommitmentVisibility.SPACE, space__isnull=False) | Q(
    visibility=CommitmentVisibility.COMMUNITY
)


class CommitmentKind(ModeratableKind):
    name = FlagKind.COMMITMENT
    label = "Commitment"
    model = Commitment
    card_template = "commitments/moderation/commitment_card.html"
    hideable = False
    actions = {
        "approve": ActionSpec(
            "Approve",
            "note",
            "The commitment and its updates can be read by those it is shared with.",
        ),
        "unshare": ActionSpec(
            "Stop sharing",
            "reason",
            "The commitment is private again and its owner has been told why.",
        ),
    }

    def _related(self):
        return Commitment.objects.select_related("owner", "space")

    def space_of(self, item: Commitment) -> Space | None:
        """Its moderation space; None once it is private."""
        return moderation_space(item)

    def author_of(self, item: Commitment) -> User | None:
        return item.owner

    def describe(self, item: Commitment) -> str:
        return item.audit_label()

    def flag_label(self, item: Commitment) -> str:
        if item.visibility == CommitmentVisibility.COMMUNITY:
            return "a commitment shared with all members"
        return "a commitment shared with the space"

    def load_many(self, pks: Iterable[int]) -> dict[int, Commitment]:
        """Only commitments still shared: a private one is its owner's alone, so a flag on one
        its owner stopped sharing does not show it to the moderators."""
        return self._related().filter(SHARED).in_bulk(list(pks))

    def awaiting_approval(self, space_ids):
        """Shared commitments held by a ``require approval`` word, or with a held update, in
        ``space_ids`` (shared with one of them, or with everyone in one's action area)."""
        held_update = CommitmentUpdate.objects.filter(commitment=OuterRef("pk"), is_pending=True)
        areas = Space.objects.filter(pk__in=space_ids).values("slug")
        where = Q(visibility=CommitmentVisibility.SPACE, space__in=space_ids) | Q(
            visibility=CommitmentVisibility.COMMUNITY, area__in=areas
        )
        return (
            self._related()
            .filter(where)
            .filter(Q(is_pending=True) | Exists(held_update))
            .prefetch_related("updates")
            .with_area_spaces()
            .order_by("updated_at", "pk")
        )

    def lock(self, item: Commitment) -> Commitment:
        return self._related().select_for_update(of=("self",)).get(pk=item.pk)

    def check_flaggable_by(self, user: User, item: Commitment) -> None:
        """A member flags a shared commitment they can see (their own is refused by
        moderation.services.flag_item with a sentence)."""
        shared = Commitment.objects.visible_to(user).filter(SHARED, pk=item.pk)
        if not shared.exists():
            raise Http404("No such item.")

    def form_initial(self, item: Commitment, action: str) -> dict:
        return {}

    def perform(self, *, actor: User, item: Commitment, action: str, data: dict) -> bool:
        if action == "approve":
            return services.approve_commitment(
                actor=actor, commitment=item, reason=data.get("reason", "")
            )
        if action == "unshare":
            return services.unshare_commitment(
                actor=actor, commitment=item, reason=data.get("reason", "")
            )
        raise Http404("No such action.")

    def hide(self, *, actor: User | None, item: Commitment, reason: str) -> bool:
        raise NotImplementedError("A commitment is never hidden (hideable is False).")

    def restore(self, *, actor: User, item: Commitment, reason: str = "") -> bool:
        return False
