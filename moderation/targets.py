"""What moderation needs to know about each kind of flaggable item, in one place.

Items live in other apps (threads, realtime, community); these adapters give the moderation
services one vocabulary: which kind, which space, whose, may this member see it.
"""

from __future__ import annotations

from django.http import Http404

from community import policy as community_policy
from community.models import Space, User

from .models import FlagKind

AUTOHIDE_REASON = (
    "Hidden automatically after several members flagged it. A moderator will review it."
)


def kind_of(target) -> str:
    from threads.models import Post, Thread

    if isinstance(target, Post):
        return FlagKind.POST
    if isinstance(target, Thread):
        return FlagKind.THREAD
    if isinstance(target, User):
        return FlagKind.MEMBER
    return FlagKind.LIVE_MESSAGE


def model_for(kind: str):
    if kind == FlagKind.POST:
        from threads.models import Post

        return Post
    if kind == FlagKind.THREAD:
        from threads.models import Thread

        return Thread
    if kind == FlagKind.MEMBER:
        return User
    from realtime.models import LiveEvent

    return LiveEvent


def space_of(target) -> Space:
    kind = kind_of(target)
    if kind == FlagKind.POST:
        return target.thread.space
    if kind == FlagKind.THREAD:
        return target.space
    return target.session.space


def author_of(target) -> User | None:
    if isinstance(target, User):
        return target
    return target.author


def visible_post(user, pk: int):
    from threads.models import Post

    post = (
        Post.objects.visible_to(user)
        .select_related("thread", "thread__space", "author")
        .filter(pk=pk)
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def visible_thread(user, pk: int):
    from threads.models import Thread

    thread = Thread.objects.visible_to(user).select_related("space", "author").filter(pk=pk).first()
    if thread is None:
        raise Http404("No such thread.")
    return thread


def visible_live_event(user, event):
    """The live message if ``user`` can read its session's space and it was not removed."""
    from realtime.models import LiveEvent

    session = event.session
    if (
        event.kind not in (LiveEvent.Kind.MESSAGE, LiveEvent.Kind.QUESTION)
        or event.removed
        or not community_policy.can_read_space(user, session.space)
    ):
        raise Http404("No such message.")
    return event


def check_visible_to_flagger(user, target) -> None:
    """Raise Http404 unless ``user`` may see ``target`` as an ordinary reader."""
    kind = kind_of(target)
    if kind == FlagKind.POST:
        from threads.models import Post, PostStatus

        ok = (
            Post.objects.visible_to(user)
            .filter(pk=target.pk, status=PostStatus.PUBLISHED, is_deleted=False)
            .exists()
        )
    elif kind == FlagKind.THREAD:
        from threads.models import Thread

        ok = Thread.objects.visible_to(user).filter(pk=target.pk, is_hidden=False).exists()
    elif kind == FlagKind.LIVE_MESSAGE:
        visible_live_event(user, target)
        ok = True
    else:
        ok = True
    if not ok:
        raise Http404("No such item.")


def is_hidden(target) -> bool:
    kind = kind_of(target)
    if kind == FlagKind.POST:
        return target.status == "hidden"
    if kind == FlagKind.THREAD:
        return target.is_hidden
    if kind == FlagKind.LIVE_MESSAGE:
        return target.removed
    return False


def is_autohidden(target) -> bool:
    if kind_of(target) in (FlagKind.POST, FlagKind.THREAD):
        return is_hidden(target) and target.hidden_reason == AUTOHIDE_REASON
    return False


def describe(target) -> str:
    """A short label for audit entries and the queue; never names an anonymous author."""
    kind = kind_of(target)
    if kind == FlagKind.POST:
        return f"Post #{target.pk} in “{target.thread.title}”"
    if kind == FlagKind.THREAD:
        return f"Thread “{target.title}”"
    if kind == FlagKind.MEMBER:
        return target.display_name
    return f"Live message #{target.seq} in “{target.session.title}”"
