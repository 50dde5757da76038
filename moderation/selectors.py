"""Reads for the review queue, the header count, the audit log and watched words.

The queue runs a constant number of queries whatever its size: one for the spaces, one for the
open flags, one per kind of flagged item, one for posts awaiting approval, one for join requests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import IntegerField, QuerySet, Subquery

from community.models import Membership, Space, User

from . import targets
from community.models import AuditEntry

from .models import Flag, FlagKind, WatchedWord

QUEUE_LIMIT = 100


def moderated_spaces(user) -> QuerySet[Space]:
    return Space.objects.moderated_by(user).order_by("position", "name")


def _pending_posts(space_ids):
    from threads.models import Post, PostStatus

    return Post.objects.filter(
        status=PostStatus.PENDING, is_deleted=False, thread__space__in=space_ids
    )


class _SubqueryCount(Subquery):
    """COUNT(*) of any queryset (distinct ones too) as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


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
    pending = _pending_posts(space_ids).values("pk")
    counts = (
        User.objects.filter(pk=user.pk)
        .annotate(
            flagged=_SubqueryCount(flagged),
            requests=_SubqueryCount(requests),
            pending=_SubqueryCount(pending),
        )
        .values_list("flagged", "requests", "pending")
        .first()
    )
    return sum(counts) if counts else 0


@dataclass
class FlaggedItem:
    """One flagged item with every open flag on it, grouped for the queue."""

    kind: str
    target_id: int
    space: Space
    target: object | None = None
    flags: list[Flag] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.target_id}"

    @property
    def flagger_count(self) -> int:
        return len({f.flagger_id for f in self.flags if f.flagger_id})

    @property
    def is_hidden(self) -> bool:
        return self.target is not None and targets.is_hidden(self.target)

    @property
    def is_autohidden(self) -> bool:
        return self.target is not None and targets.is_autohidden(self.target)

    @property
    def reasons(self) -> list[str]:
        seen: dict[str, int] = defaultdict(int)
        for flag in self.flags:
            seen[flag.get_reason_display()] += 1
        return [f"{label} ({n})" if n > 1 else label for label, n in seen.items()]


@dataclass
class Queue:
    spaces: list[Space]
    flagged: list[FlaggedItem]
    pending_posts: list
    join_requests: list[Membership]

    @property
    def total(self) -> int:
        return len(self.flagged) + len(self.pending_posts) + len(self.join_requests)


QUEUE_KINDS = {
    "flags": "Flagged items",
    "approval": "Posts awaiting approval",
    "requests": "Join requests",
}


def _load_targets(items: list[FlaggedItem]) -> None:
    from realtime.models import LiveEvent
    from threads.models import Post, Thread

    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        wanted[item.kind].add(item.target_id)
    loaded: dict[str, dict[int, object]] = {}
    if wanted.get(FlagKind.POST):
        loaded[FlagKind.POST] = Post.objects.select_related(
            "thread", "thread__space", "author"
        ).in_bulk(wanted[FlagKind.POST])
    if wanted.get(FlagKind.THREAD):
        loaded[FlagKind.THREAD] = (
            Thread.objects.select_related("space", "author")
            .prefetch_related(None)
            .in_bulk(wanted[FlagKind.THREAD])
        )
    if wanted.get(FlagKind.MEMBER):
        loaded[FlagKind.MEMBER] = User.objects.in_bulk(wanted[FlagKind.MEMBER])
    if wanted.get(FlagKind.LIVE_MESSAGE):
        loaded[FlagKind.LIVE_MESSAGE] = LiveEvent.objects.select_related(
            "session", "session__space", "author"
        ).in_bulk(wanted[FlagKind.LIVE_MESSAGE])
    for item in items:
        item.target = loaded.get(item.kind, {}).get(item.target_id)


def review_queue(user, *, space: Space | None = None, kind: str = "") -> Queue:
    """The items ``user`` may review: in ``space`` only if given, of one ``kind`` if given."""
    spaces = list(moderated_spaces(user))
    space_ids = [s.pk for s in spaces] if space is None else [space.pk]
    by_id = {s.pk: s for s in spaces}
    flagged: list[FlaggedItem] = []
    pending: list = []
    requests: list[Membership] = []
    if kind in ("", "flags"):
        groups: dict[tuple[str, int], FlaggedItem] = {}
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
                groups[key] = FlaggedItem(
                    kind=flag.kind, target_id=flag.target_id, space=by_id[flag.space_id]
                )
            groups[key].flags.append(flag)
        flagged = list(groups.values())
        _load_targets(flagged)
        flagged = [item for item in flagged if item.target is not None]
    if kind in ("", "approval"):
        pending = list(
            _pending_posts(space_ids)
            .select_related("thread", "thread__space", "author")
            .order_by("created_at", "pk")[:QUEUE_LIMIT]
        )
    if kind in ("", "requests"):
        requests = list(
            Membership.objects.filter(space__in=space_ids, status=Membership.Status.PENDING)
            .select_related("user", "space")
            .order_by("created_at", "pk")[:QUEUE_LIMIT]
        )
    return Queue(spaces=spaces, flagged=flagged, pending_posts=pending, join_requests=requests)


def audit_log(user, *, space: Space | None = None) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.visible_to(user).select_related("actor", "space")
    if space is not None:
        entries = entries.filter(space=space)
    return entries


def watched_words(user) -> QuerySet[WatchedWord]:
    return (
        WatchedWord.objects.editable_by(user)
        .select_related("space", "created_by")
        .order_by("space__position", "space__name", "normalized")
    )


def flags_content_type(kind: str) -> ContentType:
    return ContentType.objects.get_for_model(targets.model_for(kind), for_concrete_model=False)
