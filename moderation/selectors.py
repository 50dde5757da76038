"""Reads for the review queue, the header count, the audit log and watched words.

The queue is paged (never capped) and runs a constant number of queries whatever its size: the
spaces; a count and a page of flagged items (grouped in the database) and their flags; one per
kind of flagged item (the kind's ``load_many``); a count and a page per kind whose items wait for
approval; a count and a page of join requests; the moderators' notes on the authors shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, Max, Min, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from community import audit
from community.models import AuditEntry, Membership, Space, User

from . import registry
from .models import (
    RACISM_REASONS,
    Flag,
    FlagKind,
    ModeratorNote,
    RotaPause,
    SavedReply,
    WatchedWord,
)


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


PAGE_SIZE = 25

QUEUE_KINDS = {
    "flags": "Flagged items",
    "approval": "Posts awaiting approval",
    "requests": "Join requests",
}

SORTS = {
    "waiting": "Waiting longest",
    "newest": "Newest first",
    "reports": "Most reports",
}

STATES = {"open": "Open", "resolved": "Resolved"}


@dataclass
class QueueEntry:
    """One item in the queue: a flagged item with its flags (open ones, or resolved ones in the
    resolved view), or one awaiting approval (no flags). Its kind's ``card_template`` renders
    it; ``notes`` are the moderators' notes on its author in its space."""

    kind: registry.ModeratableKind
    target_id: int
    space: Space
    target: object | None = None
    flags: list[Flag] = field(default_factory=list)
    since: datetime | None = None
    report_count: int = 0
    notes: list[ModeratorNote] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind.name}-{self.target_id}"

    @property
    def bulk_key(self) -> str:
        """What the bulk form posts: kind, item and space (a member is flagged in a space)."""
        return f"{self.kind.name}:{self.target_id}:{self.space.pk}"

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

    @property
    def label(self) -> str:
        return self.kind.describe(self.target) if self.target is not None else ""

    @property
    def author(self):
        return self.kind.author_of(self.target) if self.target is not None else None


@dataclass
class QueueFilters:
    space: Space | None = None
    kind: str = ""  # a QUEUE_KINDS section, a FlagKind value, or "" for everything
    reason: str = ""
    state: str = "open"
    sort: str = "waiting"

    @property
    def item_kind(self) -> str:
        return self.kind if self.kind in FlagKind.values else ""

    def shows(self, section: str) -> bool:
        if self.state == "resolved":
            return section == "flags"
        if self.item_kind:
            return section in ("flags", "approval")
        if self.reason:
            return section == "flags"
        return self.kind in ("", section)


@dataclass
class Queue:
    spaces: list[Space]
    flagged: Page | None
    awaiting: list[QueueEntry]
    awaiting_page: Page | None
    join_requests: Page | None
    awaiting_total: int = 0

    @property
    def total(self) -> int:
        return sum(
            page.paginator.count
            for page in (self.flagged, self.awaiting_page, self.join_requests)
            if page is not None
        )

    @property
    def open_total(self) -> int:
        """Flagged items and items awaiting approval on every page (what bulk actions reach)."""
        return (self.flagged.paginator.count if self.flagged else 0) + self.awaiting_total

    @property
    def entries(self) -> list[QueueEntry]:
        return list(self.flagged or []) + self.awaiting


def _flag_groups(space_ids, filters: QueueFilters):
    """One row per flagged item (and space), with its report count and oldest report."""
    flags = Flag.objects.filter(space__in=space_ids)
    if filters.state == "resolved":
        flags = flags.exclude(status=Flag.Status.OPEN)
    else:
        flags = flags.filter(status=Flag.Status.OPEN)
    if filters.item_kind:
        flags = flags.filter(kind=filters.item_kind)
    groups = (
        flags.order_by()
        .values("kind", "target_type", "target_id", "space")
        .annotate(reports=Count("pk"), since=Min("created_at"), latest=Max("created_at"))
    )
    if filters.reason:
        groups = groups.annotate(with_reason=Count("pk", filter=Q(reason=filters.reason))).filter(
            with_reason__gt=0
        )
    order = {
        "waiting": ["since", "kind", "target_id"],
        "newest": ["-latest", "kind", "target_id"],
        "reports": ["-reports", "since", "kind", "target_id"],
    }[filters.sort]
    return groups.order_by(*order)


def _load_targets(entries: list[QueueEntry]) -> None:
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        wanted[entry.kind.name].add(entry.target_id)
    loaded = {name: registry.kind_named(name).load_many(ids) for name, ids in wanted.items()}
    for entry in entries:
        entry.target = loaded[entry.kind.name].get(entry.target_id)


def _flagged_page(space_ids, by_id, filters: QueueFilters, number) -> Page:
    page = Paginator(_flag_groups(space_ids, filters), PAGE_SIZE).get_page(number)
    rows = list(page.object_list)
    entries = {
        (row["kind"], row["target_id"], row["space"]): QueueEntry(
            kind=registry.kind_named(row["kind"]),
            target_id=row["target_id"],
            space=by_id[row["space"]],
            since=row["since"],
            report_count=row["reports"],
        )
        for row in rows
    }
    if rows:
        matches = Q(pk__in=[])
        for row in rows:
            matches |= Q(kind=row["kind"], target_id=row["target_id"], space=row["space"])
        flags = Flag.objects.filter(matches).select_related("flagger", "resolved_by")
        if filters.state == "resolved":
            flags = flags.exclude(status=Flag.Status.OPEN)
        else:
            flags = flags.filter(status=Flag.Status.OPEN)
        for flag in flags.order_by("created_at", "pk"):
            entries[(flag.kind, flag.target_id, flag.space_id)].flags.append(flag)
    page.object_list = list(entries.values())
    _load_targets(page.object_list)
    return page


def _awaiting_page(space_ids, by_id, filters: QueueFilters, number):
    """Items waiting for approval, a page of each kind's (in practice, posts)."""
    entries: list[QueueEntry] = []
    pages = []
    for name, items in _awaiting(space_ids).items():
        if filters.item_kind and name != filters.item_kind:
            continue
        kind = registry.kind_named(name)
        page = Paginator(items, PAGE_SIZE).get_page(number)
        pages.append(page)
        for item in page.object_list:
            space = kind.space_of(item)
            entries.append(
                QueueEntry(
                    kind=kind,
                    target_id=item.pk,
                    space=by_id.get(space.pk, space),
                    target=item,
                    since=getattr(item, "pending_at", None) or getattr(item, "created_at", None),
                )
            )
    # The kind with most pages leads the page links (one kind waits, in practice).
    lead = max(pages, key=lambda p: p.paginator.num_pages, default=None)
    return entries, lead, sum(p.paginator.count for p in pages)


def _attach_notes(user, entries: list[QueueEntry]) -> None:
    """The moderators' notes on each entry's author in its space, in one query."""
    pairs = {(e.space.pk, e.author.pk) for e in entries if e.author is not None}
    if not pairs:
        return
    wanted = Q(pk__in=[])
    for space_pk, member_pk in pairs:
        wanted |= Q(space=space_pk, member=member_pk)
    by_pair: dict[tuple[int, int], list[ModeratorNote]] = defaultdict(list)
    for note in ModeratorNote.objects.visible_to(user).filter(wanted).select_related("author"):
        by_pair[(note.space_id, note.member_id)].append(note)
    for entry in entries:
        author = entry.author
        if author is not None:
            entry.notes = by_pair.get((entry.space.pk, author.pk), [])


def review_queue(user, *, filters: QueueFilters | None = None, pages: dict | None = None) -> Queue:
    """The items ``user`` may review, a page of each section; constant queries per page."""
    filters = filters or QueueFilters()
    pages = pages or {}
    spaces = list(moderated_spaces(user))
    space_ids = [s.pk for s in spaces] if filters.space is None else [filters.space.pk]
    by_id = {s.pk: s for s in spaces}
    flagged = awaiting_page = requests = None
    awaiting: list[QueueEntry] = []
    awaiting_total = 0
    if filters.shows("flags"):
        flagged = _flagged_page(space_ids, by_id, filters, pages.get("page"))
    if filters.shows("approval"):
        awaiting, awaiting_page, awaiting_total = _awaiting_page(
            space_ids, by_id, filters, pages.get("approval_page")
        )
    if filters.shows("requests"):
        requests = Paginator(
            Membership.objects.filter(space__in=space_ids, status=Membership.Status.PENDING)
            .select_related("user", "space")
            .order_by("created_at", "pk"),
            PAGE_SIZE,
        ).get_page(pages.get("requests_page"))
    queue = Queue(
        spaces=spaces,
        flagged=flagged,
        awaiting=awaiting,
        awaiting_page=awaiting_page,
        join_requests=requests,
        awaiting_total=awaiting_total,
    )
    _attach_notes(user, [e for e in queue.entries if e.target is not None])
    if flagged is not None:
        flagged.object_list = [e for e in flagged.object_list if e.target is not None]
    return queue


def matching_bulk_keys(user, filters: QueueFilters) -> list[str]:
    """The bulk key of every open item matching ``filters`` on every page (flagged items and
    items awaiting approval), for "every item matching these filters"."""
    spaces = list(moderated_spaces(user))
    space_ids = [s.pk for s in spaces] if filters.space is None else [filters.space.pk]
    keys = []
    if filters.state != "open":
        return keys
    if filters.shows("flags"):
        keys += [
            f"{row['kind']}:{row['target_id']}:{row['space']}"
            for row in _flag_groups(space_ids, filters)
        ]
    if filters.shows("approval"):
        for name, items in _awaiting(space_ids).items():
            if filters.item_kind and name != filters.item_kind:
                continue
            kind = registry.kind_named(name)
            keys += [f"{name}:{item.pk}:{kind.space_of(item).pk}" for item in items]
    return keys


def bulk_items(user, keys: list[str]) -> list[tuple]:
    """The ``(kind, item, space)`` of each bulk key (``kind:pk:space``) that names an existing
    item; Http404 for a malformed key or a missing item. Whether ``user`` moderates each space
    is the bulk service's check (it refuses the lot)."""
    parsed = []
    for key in dict.fromkeys(keys):
        try:
            name, pk, space_pk = key.split(":")
            parsed.append((registry.kind_named(name), int(pk), int(space_pk)))
        except ValueError:
            raise Http404("No such item.") from None
    spaces = Space.objects.in_bulk({space_pk for _, _, space_pk in parsed})
    wanted: dict[str, set[int]] = defaultdict(set)
    for kind, pk, _ in parsed:
        wanted[kind.name].add(pk)
    loaded = {name: registry.kind_named(name).load_many(ids) for name, ids in wanted.items()}
    items = []
    for kind, pk, space_pk in parsed:
        item = loaded[kind.name].get(pk)
        if item is None or space_pk not in spaces:
            raise Http404("No such item.")
        space = kind.space_of(item) or spaces[space_pk]
        items.append((kind, item, space))
    return items


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


def notes_on(user, *, space: Space, member) -> QuerySet[ModeratorNote]:
    return (
        ModeratorNote.objects.visible_to(user)
        .filter(space=space, member=member)
        .select_related("author")
    )


def notes_about(user, member) -> QuerySet[ModeratorNote]:
    """Every note on ``member`` that ``user`` may read (their spaces' notes; staff all)."""
    return (
        ModeratorNote.objects.visible_to(user)
        .filter(member=member)
        .select_related("author", "space")
    )


def saved_replies(user, space: Space | None = None) -> QuerySet[SavedReply]:
    replies = SavedReply.objects.visible_to(user).select_related("space", "created_by")
    if space is not None:
        replies = replies.filter(space=space)
    return replies.order_by("space__position", "space__name", "title", "pk")


def saved_reply_or_404(user, pk: int) -> SavedReply:
    reply = saved_replies(user).filter(pk=pk).first()
    if reply is None:
        raise Http404("No such saved reply.")
    return reply


def week_start(now=None):
    """Monday 00:00 of this week, local time."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    return timezone.make_aware(datetime.combine(monday, time.min))


def racism_reports_reviewed_this_week(user) -> int:
    return (
        Flag.objects.filter(
            resolved_by=user, reason__in=RACISM_REASONS, resolved_at__gte=week_start()
        )
        .exclude(status=Flag.Status.OPEN)
        .count()
    )


def rota_pause(user) -> RotaPause | None:
    """The moderator's step out of the rota, if it still runs today."""
    return RotaPause.objects.filter(moderator=user, until__gte=timezone.localdate()).first()


def find_members(user, query: str) -> QuerySet[User]:
    """Staff's member search: accounts whose name, email or organisation contains ``query``
    (everyone, newest first, for an empty query); nobody for anyone but staff."""
    if not (user.is_authenticated and user.is_staff):
        return User.objects.none()
    people = User.objects.filter(is_active=True)
    query = (query or "").strip()
    if query:
        people = people.filter(
            Q(display_name__icontains=query)
            | Q(email__icontains=query)
            | Q(organisation__icontains=query)
        )
        return people.order_by("display_name", "pk")
    return people.order_by("-date_joined", "-pk")
