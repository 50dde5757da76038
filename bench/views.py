"""Baseline views: the same rows as each forum page, from one prepared query, through a minimal
template. They skip visibility, policy and the NHS.UK layout on purpose: they are what Django
itself costs for that page on this stack, the floor the forum's pages are compared with."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template import engines

from community.models import Space
from threads.models import Notification, Post, Thread

_TEMPLATE = engines["django"].from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><ol>
{% for row in rows %}<li><h2>{{ row.title }}</h2><p>{{ row.who }} · {{ row.when|date:"j M Y H:i" }}
{% if row.count is not None %}· {{ row.count }} posts{% endif %}</p>
{% if row.html %}<div>{{ row.html|safe }}</div>{% endif %}</li>
{% endfor %}</ol></main></body></html>"""
)


def _page(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


def _render(request: HttpRequest, title: str, rows: list[dict]) -> HttpResponse:
    return HttpResponse(_TEMPLATE.render({"title": title, "rows": rows}, request))


def baseline_threads(request: HttpRequest, slug: str) -> HttpResponse:
    start = (_page(request) - 1) * 25
    threads = (
        Thread.objects.filter(space__slug=slug)
        .select_related("author")
        .order_by("-is_pinned", "-last_post_at", "-pk")[start : start + 25]
    )
    rows = [
        {
            "title": t.title,
            "who": t.author.display_name if t.author and not t.anonymous else "A member",
            "when": t.last_post_at,
            "count": t.post_count,
        }
        for t in threads
    ]
    return _render(request, "Threads", rows)


def baseline_posts(request: HttpRequest, thread_id: int) -> HttpResponse:
    start = (_page(request) - 1) * 30
    posts = (
        Post.objects.filter(thread_id=thread_id)
        .select_related("author")
        .order_by("created_at", "pk")[start : start + 30]
    )
    rows = [
        {
            "title": "",
            "who": p.author.display_name if p.author and not p.anonymous else "A member",
            "when": p.created_at,
            "count": None,
            "html": p.body_html,
        }
        for p in posts
    ]
    return _render(request, "Posts", rows)


def baseline_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    qs = Post.objects.select_related("author", "thread")
    if connection.vendor == "postgresql":
        # The stored, GIN-indexed vector (threads migration 0008), as the forum uses: computing
        # each body's vector again took 22 s a request at 200,000 posts.
        qs = qs.extra(
            where=["threads_post.search_vector @@ websearch_to_tsquery('english', %s)"],
            params=[query],
        )
    else:
        for term in query.split():
            qs = qs.filter(Q(body__icontains=term) | Q(thread__title__icontains=term))
    rows = [
        {
            "title": p.thread.title,
            "who": p.author.display_name if p.author and not p.anonymous else "A member",
            "when": p.created_at,
            "count": None,
            "html": p.body[:240],
        }
        for p in qs.order_by("-created_at", "-pk")[:20]
    ]
    return _render(request, "Search", rows)


def baseline_home(request: HttpRequest) -> HttpResponse:
    spaces = Space.objects.filter(
        memberships__user=request.user, memberships__status="active"
    ).order_by("position", "name")
    rows = [{"title": s.name, "who": s.slug, "when": s.created_at, "count": None} for s in spaces]
    return _render(request, "Home", rows)


def baseline_notifications(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.filter(recipient=request.user).select_related("actor", "thread")[
        :30
    ]
    rows = [
        {
            "title": n.thread.title if n.thread else n.text,
            "who": n.actor.display_name if n.actor else "A member",
            "when": n.created_at,
            "count": None,
        }
        for n in notes
    ]
    return _render(request, "Notifications", rows)
