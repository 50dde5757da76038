"""Reads for the review queue, the header count, the audit log and watched words.

The queue runs a constant number of queries whatever its size: one for the spaces, one for the
open flags, one per kind of flagged item (the kind's ``load_many``), one per kind whose items
wait for approval, one for join requests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import IntegerField, QuerySet, Subquery
from django.http import Http404

from community import audit
from community.models import AuditEntry, Membership, Space, User

from . import registry
from .models import Flag, WatchedWord

QUEUE_LIMIT = 100

QUEUE_KINDS = {
    "flags": "Flagged items",
    "approval": "Posts awaiting approval",
    "requests": "Join requests",
}


def moderated_spaces(user) -> QuerySet[Space]:
    return Space.objects.moderated_by(user).order_by("position", "name")


class _SubqueryCount(Subquery):
    """COUNT(*) of any queryset (distinct ones too) as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def _awaiting(space_ids) -> dict[str, QuerySet]:
    """Each kind's items waiting for approval in ``space_ids``, by kind name."""
    waiting = {}
    for kind in registry.kinds():
        items = kind.awaiting_approval(space_ids)
        if items is not None:
            waiting[kind.name] = items
    return waiting


def queue_count(user) -> int:
    """Items waiting in ``user``'s queue, for the header: always exactly one query."""
    if not user.is_authenticated:
        return 0
    space_ids = Space.objects.moderated_by(user).values("pk")
    flagged = (
        Flag.objects.open()
        .filter(space__in=space_ids)
        .order_by()
        .values("target_type", "target_id")
        .distinct()
    )
    requests = Membership.objects.filter(
        space__in=space_ids, status=Membership.Status.PENDING
    ).values("pk")
    # One count per kind (a union of their ids would merge equal ids of different tables).
    counts = {"flagged": _SubqueryCount(flagged), "requests": _SubqueryCount(requests)}
    for name, items in _awaiting(space_ids).items():
        counts[f"awaiting_{name}"] = _SubqueryCount(items.order_by().values("pk"))
    row = User.objects.filter(pk=user.pk).annotate(**counts).values_list(*counts).first()
    return sum(row) if row else 0


@dataclass
class QueueEntry:
    """One item in the queue: a flagged item with every open flag on it, or one awaiting
    approval (no flags). Its kind's ``card_template`` renders it."""

    kind: registry.ModeratableKind
    target_id: int
    space: Space
    target: object | None = None
    flags: list[Flag] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind.name}-{self.target_id}"

    @property
    def flagger_count(self) -> int:
        return len({f.flagger_id for f in self.flags if f.flagger_id})

    @property
    def is_hidden(self) -> bool:
        return self.target is not None and self.kind.is_hidden(self.target)

    @property
    def is_autohidden(self) -> bool:
        return self.target is not None and self.kind.is_autohidden(self.target)

    @property
    def reasons(self) -> list[str]:
        seen: dict[str, int] = defaultdict(int)
        for flag in self.flags:
            seen[flag.get_reason_display()] += 1
        return [f"{label} ({n})" if n > 1 else label for label, n in seen.items()]


@dataclass
class Queue:
    spaces: list[Space]
    flagged: list[QueueEntry]
    awaiting: list[QueueEntry]
    join_requests: list[Membership]

    @property
    def total(self) -> int:
        return len(self.flagged) + len(self.awaiting) + len(self.join_requests)


def _flagged(space_ids, by_id: dict[int, Space]) -> list[QueueEntry]:
    groups: dict[tuple[str, int], QueueEntry] = {}
    flags = (
        Flag.objects.open()
        .filter(space__in=space_ids)
        .select_related("flagger")
        .order_by("created_at", "pk")
    )
    for flag in flags:
        key = (flag.kind, flag.target_id)
        if key not in groups:
            if len(groups) >= QUEUE_LIMIT:
                continue
            groups[key] = QueueEntry(
                kind=registry.kind_named(flag.kind),
                target_id=flag.target_id,
                space=by_id[flag.space_id],
            )
        groups[key].flags.append(flag)
    entries = list(groups.values())
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        wanted[entry.kind.name].add(entry.target_id)
    loaded = {name: registry.kind_named(name).load_many(ids) for name, ids in wanted.items()}
    for entry in entries:
        entry.target = loaded[entry.kind.name].get(entry.target_id)
    return [entry for entry in entries if entry.target is not None]


def _awaiting_entries(space_ids, by_id: dict[int, Space]) -> list[QueueEntry]:
    entries = []
    for name, items in _awaiting(space_ids).items():
        kind = registry.kind_named(name)
        for item in items[:QUEUE_LIMIT]:
            space = kind.space_of(item)
            entries.append(
                QueueEntry(
                    kind=kind, target_id=item.pk, space=by_id.get(space.pk, space), target=item
                )
            )
    return entries


def review_queue(user, *, space: Space | None = None, kind: str = "") -> Queue:
    """The items ``user`` may review: in ``space`` only if given, of one ``kind`` if given."""
    spaces = list(moderated_spaces(user))
    space_ids = [s.pk for s in spaces] if space is None else [space.pk]
    by_id = {s.pk: s for s in spaces}
    flagged: list[QueueEntry] = []
    awaiting: list[QueueEntry] = []
    requests: list[Membership] = []
    if kind in ("", "flags"):
        flagged = _flagged(space_ids, by_id)
    if kind in ("", "approval"):
        awaiting = _awaiting_entries(space_ids, by_id)
    if kind in ("", "requests"):
        requests = list(
            Membership.objects.filter(space__in=space_ids, status=Membership.Status.PENDING)
            .select_related("user", "space")
            .order_by("created_at", "pk")[:QUEUE_LIMIT]
        )
    return Queue(spaces=spaces, flagged=flagged, awaiting=awaiting, join_requests=requests)


def audit_log(user, *, space: Space | None = None) -> QuerySet[AuditEntry]:
    entries = audit.entries_visible_to(user).select_related("actor", "space")
    if space is not None:
        entries = entries.filter(space=space)
    return entries


def watched_words(user) -> QuerySet[WatchedWord]:
    return (
        WatchedWord.objects.editable_by(user)
        .select_related("space", "created_by")
        .order_by("space__position", "space__name", "normalized")
    )


def watched_word_or_404(user, pk: int) -> WatchedWord:
    watched = watched_words(user).filter(pk=pk).first()
    if watched is None:
        raise Http404("No such watched word.")
    return watched
