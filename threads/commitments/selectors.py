"""Reads for commitments, proposals and the library. Everything starts from ``visible_to``.

Each page-sized read runs a fixed number of queries whatever the page or data size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from community.models import Space
from realtime.models import LiveSession
from threads import policy as threads_policy
from threads.models import Post, Thread, ThreadKind

from .models import (
    OPEN_STATUSES,
    ActionArea,
    ActionProposal,
    CaseStudy,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    CommitmentVisibility,
)

PER_PAGE = 25
FEWER_THAN = 5
DUE_FILTERS = {
    "overdue": "Overdue",
    "week": "Due in the next 7 days",
    "month": "Due in the next 30 days",
    "later": "Due later than 30 days from now",
}
LIBRARY_KINDS = (ThreadKind.CASE_STUDY, ThreadKind.RESOURCE)
LIBRARY_SORTS = {"newest": "Newest first", "adopted": "Most adopted first"}


def _listed(qs: QuerySet, user, prefix: str = "") -> QuerySet:
    """Lists and search leave out what is held for review, except the member's own: moderators
    see held ones on their page and in the review queue, as with posts."""
    return qs.filter(Q(**{f"{prefix}owner": user}) | Q(**{f"{prefix}is_pending": False}))


def _page(qs, number, per_page: int = PER_PAGE) -> Page:
    return Paginator(qs, per_page).get_page(number)


def _with_urgency(qs: QuerySet[Commitment], today: date) -> QuerySet[Commitment]:
    """Overdue first, then open by date, then closed (most recently due first among those)."""
    return qs.annotate(
        urgency=Case(
            When(status__in=OPEN_STATUSES, due_on__lt=today, then=Value(0)),
            When(status__in=OPEN_STATUSES, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("urgency", "due_on", "pk")


def my_commitments(
    user, *, status: str = "", area: str = "", due: str = "", today: date | None = None
) -> QuerySet[Commitment]:
    """The member's own commitments, overdue first, filtered by status, area and date."""
    today = today or timezone.localdate()
    qs = Commitment.objects.visible_to(user).filter(owner=user)
    if status in CommitmentStatus.values:
        qs = qs.filter(status=status)
    if area in ActionArea.values:
        qs = qs.filter(area=area)
    if due == "overdue":
        qs = qs.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    elif due == "week":
        qs = qs.filter(due_on__gte=today, due_on__lte=today + timedelta(days=7))
    elif due == "month":
        qs = qs.filter(due_on__gte=today, due_on__lte=today + timedelta(days=30))
    elif due == "later":
        qs = qs.filter(due_on__gt=today + timedelta(days=30))
    return _with_urgency(qs.select_related("space"), today)


def my_commitments_page(user, *, page=1, **filters) -> Page:
    result = _page(my_commitments(user, **filters), page)
    today = timezone.localdate()
    for commitment in result.object_list:
        commitment.overdue = commitment.is_overdue(today)
    return result


def commitment_for(user, commitment_id: int) -> Commitment:
    """The commitment, if ``user`` may see it; else 404 (a private one looks like a missing one)."""
    commitment = (
        Commitment.objects.visible_to(user)
        .select_related(
            "owner", "space", "source_thread__space", "source_post", "source_session", "proposal"
        )
        .filter(pk=commitment_id)
        .first()
    )
    if commitment is None:
        raise Http404("No such commitment.")
    return commitment


def updates_of(user, commitment: Commitment) -> QuerySet[CommitmentUpdate]:
    """The updates ``user`` may read: all for the owner (held ones marked), published ones for
    everyone else."""
    return (
        CommitmentUpdate.objects.visible_to(user)
        .filter(commitment=commitment)
        .select_related("report_post__thread__space")
    )


@dataclass
class Source:
    label: str
    url: str
    kind: str


def shown_source(user, commitment: Commitment) -> Source | None:
    """Where the commitment came from, named only if ``user`` may still see it."""
    if commitment.source_post_id:
        post = Post.objects.visible_to(user).filter(pk=commitment.source_post_id).first()
        thread = commitment.source_thread
        if post is not None and thread is not None:
            return Source(f"A post in “{thread.title}”", post.get_absolute_url(), "post")
    if commitment.source_thread_id:
        thread = visible_thread(user, commitment.source_thread_id)
        if thread is not None:
            kind = "case study" if thread.kind == ThreadKind.CASE_STUDY else "thread"
            return Source(f"“{thread.title}”", thread.get_absolute_url(), kind)
    if commitment.source_session_id:
        session = visible_session(user, commitment.source_session_id)
        if session is not None:
            return Source(f"“{session.title}”", session.get_absolute_url(), "live session")
    return None


def visible_thread(user, thread_id) -> Thread | None:
    if not str(thread_id).isdigit():
        return None
    return Thread.objects.visible_to(user).select_related("space").filter(pk=thread_id).first()


def visible_post(user, post_id) -> Post | None:
    if not str(post_id).isdigit():
        return None
    return (
        Post.objects.visible_to(user)
        .select_related("thread__space")
        .filter(pk=post_id, is_deleted=False)
        .first()
    )


def visible_session(user, session_id) -> LiveSession | None:
    return (
        LiveSession.objects.visible_to(user).select_related("space").filter(pk=session_id).first()
    )


def spaces_to_share_with(user) -> QuerySet[Space]:
    """The spaces a member may share a commitment with: the ones they are an active member of."""
    from community.selectors import member_spaces

    return member_spaces(user)


def label_owners(user, commitments) -> None:
    """Give each commitment ``shown_owner`` and ``owner_is_real`` as ``user`` may see them.
    One query for the whole list (the spaces ``user`` moderates)."""
    if not user.is_authenticated:
        moderated: set[int] = set()
    elif user.is_staff:
        moderated = set()
    else:
        moderated = set(Space.objects.moderated_by(user).values_list("pk", flat=True))
    for commitment in commitments:
        real = (
            commitment.owner_id == user.pk
            or getattr(user, "is_staff", False)
            or commitment.space_id in moderated
        )
        commitment.show_real_owner = real
        commitment.shown_owner = commitment.owner_label(show_real=real)


# A space's shared commitments ----------------------------------------------------------------


def shared_with_space(user, space: Space) -> QuerySet[Commitment]:
    return (
        _listed(Commitment.objects.visible_to(user), user)
        .filter(visibility=CommitmentVisibility.SPACE, space=space)
        .select_related("owner", "space")
        .order_by("-created_at", "-pk")
    )


def shared_with_space_page(user, space: Space, *, page=1) -> Page:
    result = _page(shared_with_space(user, space), page)
    items = list(result.object_list)
    for commitment in items:
        commitment.space = space
        commitment.overdue = commitment.is_overdue()
    label_owners(user, items)
    result.object_list = items
    return result


def shown_count(count: int) -> str:
    """Small counts are not shown exactly, so they cannot single anyone out."""
    return "fewer than 5" if count < FEWER_THAN else f"{count:,}"


@dataclass
class CountRow:
    label: str
    count: int

    @property
    def shown(self) -> str:
        return shown_count(self.count)


def space_counts(user, space: Space) -> dict[str, Any]:
    """Counts of the space's shared commitments by area and by status (one query)."""
    rows = (
        shared_with_space(user, space).order_by().values("area", "status").annotate(n=Count("pk"))
    )
    by_area: dict[str, int] = dict.fromkeys(ActionArea.values, 0)
    by_status: dict[str, int] = dict.fromkeys(CommitmentStatus.values, 0)
    total = 0
    for row in rows:
        by_area[row["area"]] = by_area.get(row["area"], 0) + row["n"]
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        total += row["n"]
    return {
        "total": CountRow("All shared commitments", total),
        "by_area": [CountRow(ActionArea(key).label, n) for key, n in by_area.items()],
        "by_status": [CountRow(CommitmentStatus(key).label, n) for key, n in by_status.items()],
    }


# The home page -------------------------------------------------------------------------------

HOME_COMMITMENTS = 3
HOME_REPORTS = 5


def home_context(user) -> dict[str, Any]:
    """For the site's home page: the member's next due commitments and the latest reports
    shared in their spaces (or with everyone). Three queries."""
    if not user.is_authenticated:
        return {}
    today = timezone.localdate()
    mine = list(
        _with_urgency(Commitment.objects.visible_to(user).filter(owner=user).open(), today)[
            :HOME_COMMITMENTS
        ]
    )
    for commitment in mine:
        commitment.overdue = commitment.is_overdue(today)
    reports = list(
        CommitmentUpdate.objects.visible_to(user)
        .filter(
            Q(commitment__owner=user) | Q(is_pending=False),
            report_post__isnull=False,
            commitment__in=_listed(Commitment.objects.visible_to(user), user).exclude(
                visibility=CommitmentVisibility.PRIVATE
            ),
        )
        .select_related("commitment__owner", "commitment__space")
        .order_by("-created_at", "-pk")[:HOME_REPORTS]
    )
    label_owners(user, [update.commitment for update in reports])
    return {"next_commitments": mine, "latest_reports": reports}


# Live-session action proposals ----------------------------------------------------------------


def session_proposals(user, session: LiveSession) -> list[ActionProposal]:
    """The session's proposed actions, each with how many adopted it (a count, no names) and
    the adoptions shared so that ``user`` may see them. Two queries."""
    proposals = list(
        ActionProposal.objects.filter(session=session)
        .annotate(adopted_count=Count("adoptions"))
        .order_by("created_at", "pk")
    )
    shared = list(
        _listed(Commitment.objects.visible_to(user), user)
        .filter(proposal__session=session)
        .exclude(visibility=CommitmentVisibility.PRIVATE)
        .select_related("owner", "space")
        .order_by("created_at", "pk")
    )
    label_owners(user, shared)
    by_proposal: dict[int, list[Commitment]] = {}
    for commitment in shared:
        by_proposal.setdefault(commitment.proposal_id, []).append(commitment)
    for proposal in proposals:
        proposal.shared_adoptions = by_proposal.get(proposal.pk, [])
    return proposals


def proposal_for(user, session: LiveSession, proposal_id: int) -> ActionProposal:
    proposal = (
        ActionProposal.objects.filter(pk=proposal_id, session=session)
        .select_related("session__space")
        .first()
    )
    if proposal is None:
        raise Http404("No such proposed action.")
    return proposal


def my_adoptions(user, session: LiveSession) -> dict[int, Commitment]:
    """The member's own commitments adopted from this session's proposals, by proposal id."""
    return {
        c.proposal_id: c
        for c in Commitment.objects.visible_to(user).filter(owner=user, proposal__session=session)
    }


# The library ----------------------------------------------------------------------------------


def library(
    user, *, space: str = "", kind: str = "", wres: str = "", sort: str = "newest"
) -> QuerySet[Thread]:
    """Case studies and resources ``user`` may see, newest or most adopted first."""
    qs = (
        Thread.objects.visible_to(user)
        .filter(kind__in=LIBRARY_KINDS)
        .select_related("space", "case_study")
        .annotate(adopted_count=Count("commitments", distinct=True))
    )
    if space:
        qs = qs.filter(space__slug=space)
    if kind in LIBRARY_KINDS:
        qs = qs.filter(kind=kind)
    if wres.isdigit():
        qs = qs.filter(case_study__wres_indicator=int(wres))
    if sort == "adopted":
        return qs.order_by("-adopted_count", "-created_at", "-pk")
    return qs.order_by("-created_at", "-pk")


def library_page(user, *, page=1, **filters) -> Page:
    return _page(library(user, **filters), page)


def library_spaces(user) -> QuerySet[Space]:
    """The spaces offered in the library's filter: the ones whose page ``user`` may see."""
    return Space.objects.visible_to(user).order_by("position", "name")


def case_study_of(thread: Thread) -> CaseStudy | None:
    return CaseStudy.objects.filter(thread=thread).first()


def opening_post(thread: Thread) -> Post:
    return Post.objects.select_related("thread__space", "author").get(
        thread=thread, is_opening=True
    )


def can_edit_case_study(user, thread: Thread) -> bool:
    """Whether "Change the case study" is offered on its thread (its author, its moderators)."""
    if thread.kind != ThreadKind.CASE_STUDY or not CaseStudy.objects.filter(thread=thread).exists():
        return False
    post = Post.objects.filter(thread=thread, is_opening=True).select_related("thread__space")
    opening = post.first()
    if opening is None or opening.is_deleted:
        return False
    return opening.author_id == user.pk or threads_policy.can_moderate(user, thread.space)


# Search ---------------------------------------------------------------------------------------

SEARCH_RESULTS = 10
SEARCH_QUERY_MAX = 200
SEARCH_SNIPPET = 240


def search_terms(query: str) -> list[str]:
    """The words searched for, as the site's post search takes them (up to ten, two letters or
    more)."""
    query = (query or "")[:SEARCH_QUERY_MAX].lower()
    return [term for term in re.findall(r"\w+", query) if len(term) > 1][:10]


def search_commitments(user, query: str, *, space: Space | None = None) -> QuerySet[Commitment]:
    """Commitments ``user`` may see (the one visibility rule) matching every term of ``query``
    in what, why, the closing note, or an update ``user`` may read. With ``space``: those shared
    with it. Newest first."""
    terms = search_terms(query)
    if not terms:
        return Commitment.objects.none()
    qs = _listed(Commitment.objects.visible_to(user), user)
    if space is not None:
        qs = qs.filter(visibility=CommitmentVisibility.SPACE, space=space)
    readable_updates = CommitmentUpdate.objects.visible_to(user).filter(
        Q(commitment__owner=user) | Q(is_pending=False)
    )
    for term in terms:
        in_updates = readable_updates.filter(
            Q(happened__icontains=term) | Q(learned__icontains=term) | Q(hard__icontains=term)
        ).values("commitment_id")
        qs = qs.filter(
            Q(text__icontains=term)
            | Q(why__icontains=term)
            | Q(closing_note__icontains=term)
            | Q(pk__in=in_updates)
        )
    return qs.select_related("owner", "space").order_by("-created_at", "-pk")


def search_results(user, query: str, *, space: Space | None = None) -> list[Commitment]:
    """The first :data:`SEARCH_RESULTS` matches, each with ``shown_owner`` (an anonymous one
    stays anonymous to peers) and ``snippet_html`` (escaped, terms marked). Two queries."""
    from community.rendering import highlight_snippet

    terms = search_terms(query)
    results = list(search_commitments(user, query, space=space)[:SEARCH_RESULTS])
    label_owners(user, results)
    for commitment in results:
        words = f"{commitment.text}\n\n{commitment.why}"
        commitment.snippet_html = highlight_snippet(words, terms, width=SEARCH_SNIPPET)
    return results


# Export ---------------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export_for(user) -> dict[str, Any]:
    """Everything of the member's own in this app, for the account's data export."""
    commitments = (
        Commitment.objects.visible_to(user)
        .filter(owner=user)
        .prefetch_related("updates")
        .order_by("created_at", "pk")
    )
    return {
        "commitments": [
            {
                "id": c.pk,
                "text": c.text,
                "why": c.why,
                "due_on": _iso(c.due_on),
                "area": c.area,
                "wres_indicator": c.wres_indicator,
                "status": c.status,
                "visibility": c.visibility,
                "shared_with_space_id": c.space_id,
                "anonymous": c.anonymous,
                "source_thread_id": c.source_thread_id,
                "source_post_id": c.source_post_id,
                "source_session_id": c.source_session_id,
                "proposal_id": c.proposal_id,
                "reminders": c.reminders,
                "closing_note": c.closing_note,
                "waiting_for_a_moderator": c.is_pending,
                "created_at": _iso(c.created_at),
                "closed_at": _iso(c.closed_at),
                "updates": [
                    {
                        "what_happened": u.happened,
                        "what_we_learned": u.learned,
                        "what_was_hard": u.hard,
                        "status": u.status,
                        "report_post_id": u.report_post_id,
                        "waiting_for_a_moderator": u.is_pending,
                        "created_at": _iso(u.created_at),
                    }
                    for u in c.updates.all()
                ],
            }
            for c in commitments
        ],
        "action_proposals": [
            {"session_id": p.session_id, "text": p.text, "created_at": _iso(p.created_at)}
            for p in ActionProposal.objects.filter(created_by=user).order_by("created_at")
        ],
        "case_studies": [
            {
                "thread_id": cs.thread_id,
                "context": cs.context,
                "what_we_did": cs.actions,
                "what_changed": cs.changed,
                "measure": cs.measure,
                "before": cs.before,
                "after": cs.after,
                "what_did_not_work": cs.did_not_work,
                "who_to_talk_to": cs.contact,
                "wres_indicator": cs.wres_indicator,
                # Their edit waiting for a moderator (readers see the sections above).
                "waiting_for_approval": cs.pending_sections,
            }
            for cs in CaseStudy.objects.filter(thread__author=user).order_by("created_at")
        ],
    }
