"""The moderatable kinds: each content app registers its kinds here, as apps register a
``ModelAdmin`` with ``admin.site``.

Moderation's services, selectors, views and queue talk to an item only through its kind's
adapter. Moderation never imports a content model and never writes a content app's rows: hiding,
restoring, approving, editing and deleting are the owning app's services, called through the
adapter. Register in ``AppConfig.ready``::

    from moderation import registry
    registry.register(PostKind())

Every adapter method that writes runs inside the caller's transaction or its own
``@transaction.atomic``; it checks policy itself (the owning app's service does), audits
through :mod:`community.audit`, tells the author, and broadcasts on commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.http import Http404

from community.models import Space, User

AUTOHIDE_REASON = (
    "Hidden automatically after several members flagged it. A moderator will review it."
)


@dataclass(frozen=True)
class ActionSpec:
    """One action a moderator can take on an item of a kind, as the queue and forms offer it.

    ``form`` names one of moderation's forms: ``"reason"`` (required reason), ``"note"``
    (optional reason), ``"answer"`` (optional reason told to the reporters), ``"edit"`` (body and reason), ``"move"`` (another space and a note),
    ``"until"`` (an end date and time and a reason).
    """

    label: str
    form: str = "note"
    done: str = "Done."
    destructive: bool = False


class ModeratableKind:
    """The protocol a content app implements for each kind of item it owns.

    ``name`` is a :class:`moderation.models.FlagKind` value; ``model`` the item's model;
    ``card_template`` renders the item in the review queue (context: ``entry``, the queue entry,
    with ``entry.target`` the item; ``item``, the same item; ``awaiting`` for an item waiting
    for approval; ``request``).
    """

    name: str = ""
    label: str = ""
    model: type[models.Model]
    card_template: str = ""
    #: The actions a moderator can take, by name (``dismiss`` is moderation's own, for all).
    actions: dict[str, ActionSpec] = {}
    #: Whether items of this kind can be hidden (automatically, at the flag threshold, too).
    hideable: bool = True

    # Reading ---------------------------------------------------------------------------

    def space_of(self, item) -> Space | None:
        """The space ``item`` lives in; None for an item that belongs to no one space (a
        member, who is flagged and acted on in the space the flag names)."""
        raise NotImplementedError

    def author_of(self, item) -> User | None:
        """The real author (moderators see through anonymity; never shown to peers)."""
        raise NotImplementedError

    def describe(self, item) -> str:
        """A short label for the queue and the audit log; never names an anonymous author."""
        raise NotImplementedError

    def load(self, pk: int):
        """The item in any state (hidden, deleted), for moderators; None when missing."""
        return self.load_many([pk]).get(pk)

    def load_many(self, pks: Iterable[int]) -> dict[int, models.Model]:
        """Items by pk, in one query, with what ``describe`` and the card need."""
        raise NotImplementedError

    def lock(self, item):
        """Re-read ``item`` with its row locked (call inside a transaction)."""
        return type(item).objects.select_for_update(of=("self",)).get(pk=item.pk)

    def check_flaggable_by(self, user: User, item) -> None:
        """Raise Http404 unless ``user`` sees ``item`` as an ordinary reader does."""
        raise NotImplementedError

    def flagged_in(self, user: User, item, space: Space | None) -> Space:
        """The space a flag by ``user`` on ``item`` belongs to, once ``user`` may flag it
        (Http404 if not). Content flags go to its own space; ``space`` is for kinds whose
        items live in none (members)."""
        self.check_flaggable_by(user, item)
        return self.space_of(item)

    def flag_label(self, item) -> str:
        """What the flag page says is being flagged ("a post in “…”")."""
        return self.describe(item)

    def form_initial(self, item, action: str) -> dict:
        """The action form's first values: the current text for an ``edit``."""
        spec = self.actions.get(action)
        if spec is not None and spec.form == "edit":
            return {"body": getattr(item, "body", "")}
        return {}

    def is_hidden(self, item) -> bool:
        return False

    def is_autohidden(self, item) -> bool:
        return False

    def awaiting_approval(self, space_ids) -> models.QuerySet | None:
        """Items of this kind waiting for a moderator in those spaces (``space_ids`` a list or a
        ``values("pk")`` queryset), oldest first and with what the card needs; None if items of
        this kind never wait."""
        return None

    def recent_texts(self, user: User, space_ids, limit: int) -> list[tuple] | None:
        """For trying a watched word before saving it: up to ``limit`` recent items ``user``
        can read that readers see now (none hidden, pending or deleted), newest first, in
        ``space_ids`` (every space for None), as ``(item, title, markdown)``; None if this
        kind is not tried."""
        return None

    # Writing (the owning app's services) ------------------------------------------------

    def perform(self, *, actor: User, item, action: str, data: dict) -> bool:
        """Run one of ``actions`` with the form's cleaned ``data``; return whether it changed."""
        raise NotImplementedError

    def hide(self, *, actor: User | None, item, reason: str) -> bool:
        """Hide ``item``. ``actor`` None: automatically, at the flag threshold (no policy
        check; the owner audits it as an auto-hide and tells the author a moderator will look)."""
        raise NotImplementedError

    def restore(self, *, actor: User, item, reason: str = "") -> bool:
        """Bring back a hidden item (used when a moderator dismisses flags on it)."""
        raise NotImplementedError

    # Appeals (moderation.appeals) --------------------------------------------------------

    #: The audited actions on items of this kind that their author may appeal.
    appealable_actions: tuple[str, ...] = ()

    def authored_by(self, user: User) -> models.QuerySet | None:
        """The pks of the items ``user`` wrote (a ``values("pk")`` queryset), or None."""
        return None

    def undo(self, *, actor: User, item, action: str, done_at, reason: str) -> bool:
        """Reverse ``action`` (one of ``appealable_actions``, done at ``done_at``) on appeal:
        unhide, or bring back the text from before a moderator's edit."""
        raise NotImplementedError


_kinds: dict[str, ModeratableKind] = {}
_by_model: dict[type[models.Model], ModeratableKind] = {}


def register(kind: ModeratableKind) -> None:
    from .models import FlagKind

    if kind.name not in FlagKind.values:
        raise ValueError(f"{kind.name!r} is not a FlagKind value.")
    _kinds[kind.name] = kind
    _by_model[kind.model] = kind


def kinds() -> list[ModeratableKind]:
    return list(_kinds.values())


def kind_named(name: str) -> ModeratableKind:
    """The registered kind, or Http404 for a name no app registered (a URL typo looks missing)."""
    try:
        return _kinds[name]
    except KeyError:
        raise Http404("No such kind of item.") from None


def kind_of(item) -> ModeratableKind:
    for model in type(item).__mro__:
        if model in _by_model:
            return _by_model[model]
    raise LookupError(f"{type(item).__name__} is not a registered moderatable kind.")
