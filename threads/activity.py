"""A member's recent activity, as another member may see it on their profile.

Only posts the viewer can read (``Post.objects.visible_to(viewer)``), published, and never an
anonymous one: a profile must not tie a member to what they wrote anonymously, whoever looks.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Post, PostStatus

RECENT = 10


def recent_posts(viewer, person) -> QuerySet[Post]:
    return (
        Post.objects.visible_to(viewer)
        .filter(author=person, anonymous=False, status=PostStatus.PUBLISHED, is_deleted=False)
        .select_related("thread__space")
        .order_by("-created_at", "-pk")[:RECENT]
    )
