"""Reads for threads, posts, notifications and search. Everything starts from ``visible_to``.

Each page-sized read runs a fixed number of queries whatever the page or data size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404

from community.models import Membership, Space
from community.policy import remember_memberships

from . import content_notes
from .models import (
    Bookmark,
    Draft,
    EmailChoice,
    Notification,
    Post,
    PostRevision,
    PostStatus,
    Reaction,
    ReactionKind,
    ReadState,
    SpaceFollow,
    Thread,
    ThreadFollow,
    ThreadKind,
    ThreadVisibility,
)

# The draft's fields thread_in_space(page_state=True) brings along (threads.drafts.draft_for).
DRAFT_FIELDS = ("id", "title", "body", "updated_at")

THREADS_PER_PAGE = 25
POSTS_PER_PAGE = 30
RESULTS_PER_PAGE = 20
NOTIFICATIONS_PER_PAGE = 30


def _page(qs, number, per_page: int) -> Page:
    return Paginator(qs, per_page).get_page(number)


def thread_in_space(user, slug: str, thread_id: int, *, page_state: bool = False) -> Thread:
    """The thread, if visible to ``user`` and really in the space named in the URL; else 404.

    ``page_state`` (the thread page): the viewer's e-mail choice and server draft for the
    thread come along too (``my_email_choice``, ``my_draft_*``, read by
    threads.email_choices.choice_for and threads.drafts.draft_for): two queries fewer."""
    qs = Thread.objects.visible_to(user).select_related("space", "author")
    if page_state and user.is_authenticated:
        choice = EmailChoice.objects.filter(
            user=user, space=OuterRef("space_id"), thread=OuterRef("pk")
        )
        draft = Draft.objects.filter(user=user, space=OuterRef("space_id"), thread=OuterRef("pk"))
        qs = qs.annotate(
            my_email_choice=Subquery(choice.order_by("pk").values("frequency")[:1]),
            **{
                f"my_draft_{name}": Subquery(draft.order_by("pk").values(name)[:1])
                for name in DRAFT_FIELDS
            },
        )
    if user.is_authenticated:
        # The viewer's read position and follow state come with the thread: no extra queries.
        qs = qs.annotate(
            last_read_at=Subquery(
                ReadState.objects.filter(user=user, thread=OuterRef("pk")).values("last_read_at")[
                    :1
                ]
            ),
            is_followed=Exists(ThreadFollow.objects.filter(user=user, thread=OuterRef("pk"))),
            # The thread's own bookmark (threads.bookmarks.is_thread_bookmarked), same query.
            is_bookmarked_thread=Exists(
                Bookmark.objects.filter(user=user, thread=OuterRef("pk"), post__isnull=True)
            ),
        )
        qs = _with_membership(qs, user).annotate(
            visible_post_count=Coalesce(
                Subquery(
                    Post.objects.visible_to(user)
                    .filter(thread=OuterRef("pk"))
                    .order_by()
                    .values("thread")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            )
        )
    thread = qs.filter(pk=thread_id, space__slug=slug).first()
    if thread is None:
        raise Http404("No such thread.")
    if user.is_authenticated:
        _prime_membership_cache(thread, user)
    return thread


_MEMBERSHIP_FIELDS = [
    "id", "status", "is_moderator", "is_facilitator", "muted_until", "mute_reason", "ban_reason"
]  # fmt: skip


def _with_membership(qs: QuerySet[Thread], user) -> QuerySet[Thread]:
    """Bring the viewer's membership of the thread's space along in the same query."""
    mine = Membership.objects.filter(user=user, space=OuterRef("space_id"))
    return qs.annotate(
        **{f"my_membership_{name}": Subquery(mine.values(name)[:1]) for name in _MEMBERSHIP_FIELDS}
    )


def _prime_membership_cache(thread: Thread, user) -> None:
    """Fill community.policy.membership_of's per-request cache from the annotations."""
    values = {name: getattr(thread, f"my_membership_{name}") for name in _MEMBERSHIP_FIELDS}
    membership = None
    if values["id"] is not None:
        membership = Membership(user=user, space=thread.space, **values)
    remember_memberships(thread.space, {user.pk: membership})


class _CountedPaginator(Paginator):
    """A paginator told its count up front (the thread query already computed it)."""

    def __init__(self, *args, known_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self._known_count = known_count

    @property
    def count(self) -> int:
        return self._known_count


def post_in_thread(user, thread: Thread, post_id: int) -> Post:
    post = (
        Post.objects.visible_to(user)
        .select_related("author", "quote_of__author")
        .filter(pk=post_id, thread=thread)
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    post.thread = thread
    return post


class ThreadSort(TextChoices):
    ACTIVITY = "activity", "Latest activity"
    NEWEST = "newest", "Newest"
    REPLIES = "replies", "Most replies"


_SORT_ORDER = {
    ThreadSort.ACTIVITY: ("-is_pinned", "-last_post_at", "-pk"),
    ThreadSort.NEWEST: ("-is_pinned", "-created_at", "-pk"),
    ThreadSort.REPLIES: ("-is_pinned", "-post_count", "-last_post_at", "-pk"),
}


def unanswered_q() -> Q:
    """Questions with no published reply from anyone but their author (an erased author's
    question counts any reply)."""
    replies = Post.objects.filter(
        thread=OuterRef("pk"), is_opening=False, status=PostStatus.PUBLISHED, is_deleted=False
    ).filter(
        Q(author__isnull=True) | Q(thread__author__isnull=True) | ~Q(author=OuterRef("author"))
    )
    return Q(kind=ThreadKind.QUESTION) & ~Exists(replies)


def space_threads(
    user,
    space: Space,
    *,
    full: bool = True,
    kind: str = "",
    sort: str = ThreadSort.ACTIVITY,
    unanswered: bool = False,
) -> QuerySet[Thread]:
    """A space's threads for its list, pinned first then in ``sort`` order, each with
    ``last_read_at`` (None when never opened) for the unread marker."""
    qs = Thread.objects.visible_to(user).filter(space=space)
    if not full:
        qs = qs.filter(visibility=ThreadVisibility.COMMUNITY)
    if kind in ThreadKind.values:
        qs = qs.filter(kind=kind)
    if unanswered:
        qs = qs.filter(unanswered_q())
    if user.is_authenticated:
        qs = qs.annotate(
            last_read_at=Subquery(
                ReadState.objects.filter(user=user, thread=OuterRef("pk")).values("last_read_at")[
                    :1
                ]
            )
        )
    order = _SORT_ORDER.get(sort, _SORT_ORDER[ThreadSort.ACTIVITY])
    return qs.select_related("author").order_by(*order)


def space_threads_page(
    user,
    space: Space,
    *,
    full: bool,
    kind: str = "",
    sort: str = ThreadSort.ACTIVITY,
    unanswered: bool = False,
    page=1,
) -> Page:
    qs = space_threads(user, space, full=full, kind=kind, sort=sort, unanswered=unanswered)
    result = _page(qs, page, THREADS_PER_PAGE)
    for thread in result.object_list:
        thread.space = space
        read = getattr(thread, "last_read_at", None)
        thread.has_unread = read is None or thread.last_post_at > read
        thread.never_read = read is None
    return result


def thread_posts(user, thread: Thread) -> QuerySet[Post]:
    return Post.objects.visible_to(user).filter(thread=thread).order_by("created_at", "pk")


@dataclass
class ReactionSummary:
    kind: str
    label: str
    count: int = 0
    mine: bool = False


def attach_reactions(user, posts: list[Post]) -> None:
    """Give each post ``reaction_summary``: every kind with its count and whether ``user`` gave
    it. One query for the whole page."""
    ids = [post.pk for post in posts]
    counts: dict[tuple[int, str], tuple[int, int]] = {}
    if ids:
        rows = (
            Reaction.objects.filter(post_id__in=ids)
            .values("post_id", "kind")
            .annotate(n=Count("pk"), mine=Count("pk", filter=Q(user_id=user.pk)))
            .order_by()
        )
        counts = {(row["post_id"], row["kind"]): (row["n"], row["mine"]) for row in rows}
    for post in posts:
        post.reaction_summary = [
            ReactionSummary(
                kind=kind,
                label=label,
                count=counts.get((post.pk, kind), (0, 0))[0],
                mine=bool(counts.get((post.pk, kind), (0, 0))[1]),
            )
            for kind, label in ReactionKind.choices
        ]


def thread_posts_page(user, thread: Thread, page=1) -> Page:
    # A quote kept by reference is rendered from quote_of (threads.content_notes): same query.
    posts_qs = thread_posts(user, thread).select_related("author", "quote_of__author")
    if hasattr(thread, "visible_post_count"):
        paginator = _CountedPaginator(
            posts_qs, POSTS_PER_PAGE, known_count=thread.visible_post_count
        )
        result = paginator.get_page(page)
    else:
        result = _page(posts_qs, page, POSTS_PER_PAGE)
    posts = list(result.object_list)
    for post in posts:
        post.thread = thread
    attach_reactions(user, posts)
    result.object_list = posts
    return result


def post_page_number(user, thread: Thread, post: Post) -> int:
    """Which page of the thread ``post`` is on, for this viewer."""
    before = (
        thread_posts(user, thread)
        .filter(Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, pk__lt=post.pk))
        .count()
    )
    return before // POSTS_PER_PAGE + 1


def first_unread_post(user, thread: Thread) -> Post | None:
    state = ReadState.objects.filter(user=user, thread=thread).first()
    posts = thread_posts(user, thread)
    if state is not None:
        posts = posts.filter(created_at__gt=state.last_read_at)
    return posts.first()


def is_following_thread(user, thread: Thread) -> bool:
    if hasattr(thread, "is_followed"):
        return thread.is_followed
    return ThreadFollow.objects.filter(user=user, thread=thread).exists()


def is_following_space(user, space: Space) -> bool:
    return SpaceFollow.objects.filter(user=user, space=space).exists()


def post_revisions(post: Post) -> list[PostRevision]:
    """Callers check ``policy.can_read_revisions`` first. Each carries ``post`` (for its note)."""
    revisions = list(PostRevision.objects.filter(post=post).select_related("edited_by"))
    for revision in revisions:
        revision.post = post
    return revisions


# Notifications -------------------------------------------------------------------------------


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.visible_to(user).select_related("actor", "thread__space", "post")


def notifications_page(user, page=1) -> Page:
    return _page(notifications_for(user), page, NOTIFICATIONS_PER_PAGE)


def unread_notification_count(user) -> int:
    """For the header (community.context_processors): one query."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.visible_to(user).unread().count()


# Search ---------------------------------------------------------------------------------------

SEARCH_MAX_LENGTH = 200


def _terms(query: str) -> list[str]:
    return [term for term in re.findall(r"\w+", query.lower()) if len(term) > 1][:10]


def search_posts(user, query: str, *, space: Space | None = None) -> QuerySet[Post]:
    """Published posts ``user`` may read that match ``query``, best first.

    PostgreSQL: full-text search over the stored body vector (migration 0006) and thread titles.
    SQLite: every term must appear in the body or the title, found in the FTS5 index
    (migration 0005) and ranked there.
    """
    return _search(user, query, space=space)[0]


def _search(user, query: str, *, space: Space | None = None) -> tuple[QuerySet[Post], int | None]:
    """:func:`search_posts`, and how many posts it finds when the search already knows
    (capped: any number above SEARCH_COUNT_CAP means "more than"), else None."""
    query = (query or "").strip()[:SEARCH_MAX_LENGTH]
    terms = _terms(query)
    if not terms:
        return Post.objects.none(), 0
    qs = (
        Post.objects.visible_to(user)
        .filter(status=PostStatus.PUBLISHED, is_deleted=False)
        .select_related("author", "thread__space")
    )
    if space is not None:
        qs = qs.filter(thread__space=space)
    if connection.vendor == "postgresql":
        return _search_postgresql(qs, query)
    if connection.vendor == "sqlite":
        return _search_sqlite(qs, terms)
    for term in terms:
        qs = qs.filter(Q(body__icontains=term) | Q(is_opening=True, thread__title__icontains=term))
    return qs.order_by("-created_at", "-pk"), None


# How many of the newest matching posts search ranks: one more than the count shown ("more
# than 1,000").
SEARCH_CANDIDATES = 1001
# PostgreSQL: how many of the newest posts (by id) the body match walks first. Within this
# window any plan is cheap; only a search that finds fewer than SEARCH_CANDIDATES posts there
# looks at the older ones (see _search_postgresql).
SEARCH_RECENT_WINDOW = 20_000


class _StoredVector(Expression):
    """SQL over a post's stored search vector (PostgreSQL, migration 0006; Django does not map
    the column), named through the query's own alias for the post table: inside a subquery the
    ORM renames the table (``U0``), and a raw ``threads_post.search_vector`` would silently
    mean the outer query's row."""

    def __init__(self, template: str, query: str, output_field, alias: str | None = None):
        super().__init__(output_field=output_field)
        self.template, self.query, self.alias = template, query, alias

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = self.copy()
        resolved.alias = query.get_initial_alias()
        return resolved

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler, connection):
        vector = f"{compiler.quote_name_unless_alias(self.alias)}.search_vector"
        tsquery = "websearch_to_tsquery('english'::regconfig, %s)"
        return self.template.format(vector=vector, tsquery=tsquery), [self.query]


def _search_postgresql(qs: QuerySet[Post], query: str) -> tuple[QuerySet[Post], int]:
    """PostgreSQL: the stored, GIN-indexed vector of each body (migration 0006) and the GIN
    index on thread titles (migration 0002). Title matches (the thread's opening post) first,
    then by ``ts_rank`` on the stored vector, newest first among equals.

    The candidates are the newest SEARCH_CANDIDATES body matches this reader may see and the
    newest SEARCH_CANDIDATES title matches, found in one statement of three arms, each the same
    visible queryset: body matches among the newest SEARCH_RECENT_WINDOW posts, body matches
    among the older posts (its condition, that the first arm found too few, is evaluated
    once, so for a common word it never runs), and title matches. The split is there because
    the planner's estimate for several words ANDed together is the product of each word's
    frequency (``reverse`` and ``mentoring`` each match 22 % of the posts, and always
    together: it plans for 1 %) and for the visibility subqueries it charges their cost once per
    row of a nested loop, so on one walk it read every matching row through the GIN bitmap and
    sorted them (150-250 ms at 200,000 posts) where walking the newest posts takes a few
    milliseconds; a bounded window is cheap whichever plan it gets, and for a rare word the
    older arm is a GIN lookup. Only the candidates are ranked.
    """
    from django.contrib.postgres.search import SearchQuery, SearchVector

    search = SearchQuery(query, config="english", search_type="websearch")
    title_hits = Thread.objects.annotate(v=SearchVector("title", config="english")).filter(v=search)
    body_match = _StoredVector("{vector} @@ {tsquery}", query, BooleanField())
    n = SEARCH_CANDIDATES
    newest = Subquery(Post.objects.order_by("-pk").values("pk")[:1])
    boundary = newest - SEARCH_RECENT_WINDOW
    body = qs.filter(body_match)
    # "The recent window holds at least n matches": its n-th row exists (in any order).
    recent_full = Exists(body.filter(pk__gt=boundary).order_by()[n - 1 : n])

    def arm(posts: QuerySet[Post], kind: int) -> QuerySet:
        return posts.annotate(arm=Value(kind)).order_by("-pk").values_list("pk", "arm")[:n]

    rows = arm(body.filter(pk__gt=boundary), 1).union(
        arm(body.filter(~recent_full, pk__lte=boundary), 1),
        arm(qs.filter(is_opening=True, thread__in=title_hits.values("pk")), 0),
        all=True,
    )
    body_ids, title_ids = [], set()
    for pk, kind in rows:
        (title_ids.add if kind == 0 else body_ids.append)(pk)
    candidates = title_ids.union(sorted(body_ids, reverse=True)[:n])
    rank = _StoredVector("ts_rank({vector}, {tsquery})", query, FloatField())
    found = (
        qs.filter(pk__in=candidates)
        .alias(search_rank=rank)
        .order_by(
            Case(When(pk__in=title_ids, then=Value(0)), default=Value(1)),
            F("search_rank").desc(),
            "-created_at",
            "-pk",
        )
    )
    # Every candidate came from the reader's visible queryset: their number is the count
    # shown (above SEARCH_COUNT_CAP it reads "more than"), without counting them again.
    return found, len(candidates)


def _search_sqlite(qs: QuerySet[Post], terms: list[str]) -> tuple[QuerySet[Post], int]:
    """SQLite: the FTS5 index (migration 0011: body and opening posts' titles, English word
    stems), ranked inside it by ``bm25``. Every term must be in the body or the title. Posts
    whose thread title holds every term come first, ranked on that, then the others; newest
    first among equals.

    One statement (:func:`_sqlite_candidates`) walks the index newest first, keeping each
    match the reader may see, and stops at SEARCH_CANDIDATES: FTS5 walks its doclists by rowid
    and computes ``rank`` only for the rows it yields, so a common phrase costs about
    SEARCH_CANDIDATES rows, not every match (``ORDER BY rank`` over all of them took 145-360 ms
    for "reverse mentoring" or "staff" at 200,000 posts). So, as on PostgreSQL, the ranking is
    of the newest SEARCH_CANDIDATES matches (the count shown stops there too)."""
    phrases = " AND ".join('"{}"'.format(term.replace('"', '""')) for term in terms)
    ranked = _sqlite_candidates(qs, [(0, f"title : ({phrases})"), (1, phrases)])
    titles = sorted((rank, -pk) for kind, pk, rank in ranked if kind == 0)
    in_title = {-negative for _, negative in titles}
    body = sorted((rank, -pk) for kind, pk, rank in ranked if kind == 1 and pk not in in_title)
    order = [-negative for _, negative in titles + body]
    # A queryset in that order for callers that want one; search_page pages through the ids.
    position = RawSQL(
        "instr(%s, ',' || threads_post.id || ',')", [",{},".format(",".join(map(str, order)))]
    )
    found = qs.filter(pk__in=order).order_by(position) if order else qs.none()
    found.search_order = order
    return found, len(order)


def _sqlite_candidates(qs: QuerySet[Post], lookups: list[tuple[int, str]]) -> list[tuple]:
    """(kind, post id, FTS5 rank) of the newest SEARCH_CANDIDATES posts of ``qs`` (the
    reader's visible queryset) matching each FTS5 ``lookup``, in one statement. Each index row
    is checked against ``qs`` through its primary key (a correlated EXISTS whose own subqueries
    run once), so visibility is exactly ``qs``'s; the index is asked once per lookup, never once
    per row (joining it to the posts through the ORM did that), and each walk stops at
    SEARCH_CANDIDATES."""
    visible, visible_params = (
        qs.filter(pk=RawSQL("found.rowid", []))  # The index row, below.
        .order_by()
        .values("pk")
        .query.sql_with_params()
    )
    # Django's SQL for qs, and fixed SQL; every value is a parameter.
    walk = (
        "SELECT * FROM (SELECT %s, found.rowid, found.rank FROM (SELECT rowid, rank"  # noqa: S608
        " FROM threads_post_search WHERE threads_post_search MATCH %s ORDER BY rowid DESC)"
        f" AS found WHERE EXISTS ({visible}) LIMIT %s)"
    )
    params = []
    for kind, lookup in lookups:
        params += [kind, lookup, *visible_params, SEARCH_CANDIDATES]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([walk] * len(lookups)), params)
        return cursor.fetchall()


SEARCH_COUNT_CAP = 1000


class _CappedPaginator(Paginator):
    """Counts at most ``SEARCH_COUNT_CAP + 1`` rows: a common word matches tens of thousands of
    posts, and an exact total is not worth a second full pass over them ("more than 1,000").
    ``known_count``: the search already knows it (no query)."""

    def __init__(self, *args, known_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if known_count is not None:
            self._capped_count = min(known_count, SEARCH_COUNT_CAP + 1)

    @property
    def count(self) -> int:
        if not hasattr(self, "_capped_count"):
            self._capped_count = self.object_list.order_by()[: SEARCH_COUNT_CAP + 1].count()
        return self._capped_count

    @property
    def more_than_cap(self) -> bool:
        return self.count > SEARCH_COUNT_CAP

    @property
    def cap(self) -> int:
        return SEARCH_COUNT_CAP


def search_page(user, query: str, *, space: Space | None = None, page=1) -> Page:
    from community.rendering import highlight_snippet

    qs, known_count = _search(user, query, space=space)
    order = getattr(qs, "search_order", None)
    if order is None:
        result = _CappedPaginator(qs, RESULTS_PER_PAGE, known_count=known_count).get_page(page)
    else:
        # The order is known (SQLite): page through the ids, fetch only this page's posts.
        result = _CappedPaginator(order, RESULTS_PER_PAGE, known_count=known_count).get_page(page)
        posts = qs.order_by().filter(pk__in=result.object_list).in_bulk()
        result.object_list = [posts[pk] for pk in result.object_list if pk in posts]
    terms = _terms(query)
    for post in result.object_list:
        post.snippet_html = content_notes.snippet_html(post, terms)
        post.title_html = highlight_snippet(post.thread.title, terms, width=TITLE_WIDTH)
    return result


TITLE_WIDTH = 400


def searchable_spaces(user) -> QuerySet[Space]:
    """The spaces offered in the search filter: the ones whose threads ``user`` may read."""
    return Space.objects.readable_by(user).order_by("position", "name")
