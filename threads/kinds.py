"""The post and thread kinds, as moderation sees them (:mod:`moderation.registry`).

Registered in :meth:`threads.apps.ThreadsConfig.ready`. Every write goes to
:mod:`threads.services`, which checks the moderator's policy, audits, tells the author and
broadcasts; the adapters only translate moderation's vocabulary into those calls.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import Http404

from community.models import AuditAction, Space, User
from moderation.models import FlagKind
from moderation.registry import AUTOHIDE_REASON, ActionSpec, ModeratableKind

from . import services
from .models import Post, PostStatus, Thread


class PostKind(ModeratableKind):
    name = FlagKind.POST
    label = "Post"
    model = Post
    card_template = "threads/moderation/post_card.html"
    actions = {
        "approve": ActionSpec("Approve", "note", "The post is published."),
        "hide": ActionSpec(
            "Hide", "reason", "The post is hidden and its author has been told why."
        ),
        "restore": ActionSpec("Restore", "note", "The post is visible again."),
        "delete": ActionSpec("Delete", "reason", "The post is deleted.", destructive=True),
        "edit": ActionSpec("Edit", "edit", "The post was edited; the old text is kept."),
        "decline_edit": ActionSpec(
            "Decline edit", "reason", "The edit was declined; readers keep the earlier text."
        ),
    }

    def _related(self):
        return Post.objects.select_related("thread", "thread__space", "author")

    def space_of(self, item: Post) -> Space:
        return item.thread.space

    def author_of(self, item: Post) -> User | None:
        return item.author

    def describe(self, item: Post) -> str:
        return item.audit_label()

    def flag_label(self, item: Post) -> str:
        return f"a post in “{item.thread.title}”"

    def load_many(self, pks: Iterable[int]) -> dict[int, Post]:
        return self._related().in_bulk(list(pks))

    def lock(self, item: Post) -> Post:
        return self._related().select_for_update(of=("self",)).get(pk=item.pk)

    def check_flaggable_by(self, user: User, item: Post) -> None:
        readable = Post.objects.visible_to(user).filter(
            pk=item.pk, status=PostStatus.PUBLISHED, is_deleted=False
        )
        if not readable.exists():
            raise Http404("No such item.")

    def is_hidden(self, item: Post) -> bool:
        return item.is_hidden

    def is_autohidden(self, item: Post) -> bool:
        return item.is_hidden and item.hidden_reason == AUTOHIDE_REASON

    def awaiting_approval(self, space_ids):
        """The queue's "posts awaiting approval": new posts, published posts with an edit
        waiting (a ``require approval`` watched word) and hidden posts their author edited and
        resubmitted, oldest first."""
        waiting = Q(status=PostStatus.PENDING) | Q(
            status__in=[PostStatus.PUBLISHED, PostStatus.HIDDEN], pending_at__isnull=False
        )
        return (
            self._related()
            .filter(waiting, is_deleted=False, thread__space__in=space_ids)
            .order_by(Coalesce("pending_at", "created_at"), "pk")
        )

    def recent_texts(self, user: User, space_ids, limit: int) -> list[tuple]:
        posts = Post.objects.visible_to(user).filter(
            status=PostStatus.PUBLISHED,
            is_deleted=False,
            thread__is_hidden=False,
            thread__is_pending=False,
        )
        if space_ids is not None:
            posts = posts.filter(thread__space__in=space_ids)
        posts = posts.select_related("thread", "thread__space").order_by("-created_at", "-pk")
        return [
            (post, post.thread.title if post.is_opening else "", post.body)
            for post in posts[:limit]
        ]

    def perform(self, *, actor: User, item: Post, action: str, data: dict) -> bool:
        reason = data.get("reason", "")
        if action == "approve":
            if item.has_pending_edit and (item.is_published or item.is_hidden):
                return services.approve_edit(actor=actor, post=item, reason=reason)
            return services.approve_post(actor=actor, post=item, reason=reason)
        if action == "decline_edit":
            return services.decline_edit(actor=actor, post=item, reason=reason)
        if action == "hide":
            return services.hide_post(actor=actor, post=item, reason=reason)
        if action == "restore":
            return services.restore_post(actor=actor, post=item, reason=reason)
        if action == "delete":
            return services.delete_post(actor=actor, post=item, reason=reason, moderating=True)
        if action == "edit":
            return services.edit_post(
                actor=actor, post=item, body=data.get("body", ""), reason=reason, moderating=True
            )
        raise Http404("No such action.")

    def hide(self, *, actor: User | None, item: Post, reason: str) -> bool:
        return services.hide_post(actor=actor, post=item, reason=reason)

    def restore(self, *, actor: User, item: Post, reason: str = "") -> bool:
        return services.restore_post(actor=actor, post=item, reason=reason)

    appealable_actions = (AuditAction.POST_HIDE, AuditAction.POST_EDIT)

    def authored_by(self, user: User):
        return Post.objects.filter(author=user).values("pk")

    def undo(self, *, actor: User, item: Post, action: str, done_at, reason: str) -> bool:
        if action == AuditAction.POST_HIDE:
            return services.restore_post(actor=actor, post=item, reason=reason)
        if action == AuditAction.POST_EDIT:
            before = item.revisions.filter(created_at__lte=done_at).order_by("-created_at", "-pk")
            revision = before.first()
            if revision is None:
                return False
            return services.edit_post(
                actor=actor, post=item, body=revision.body, reason=reason, moderating=True
            )
        raise Http404("No such action.")


class ThreadKind(ModeratableKind):
    name = FlagKind.THREAD
    label = "Thread"
    model = Thread
    card_template = "threads/moderation/thread_card.html"
    actions = {
        "lock": ActionSpec("Lock", "note", "The thread is locked."),
        "unlock": ActionSpec("Unlock", "note", "The thread is unlocked."),
        "pin": ActionSpec("Pin", "note", "The thread is pinned."),
        "unpin": ActionSpec("Unpin", "note", "The thread is unpinned."),
        "hide": ActionSpec(
            "Hide", "reason", "The thread is hidden and its author has been told why."
        ),
        "restore": ActionSpec("Restore", "note", "The thread is visible again."),
        "move": ActionSpec("Move", "move", "The thread was moved."),
    }

    def _related(self):
        return Thread.objects.select_related("space", "author")

    def space_of(self, item: Thread) -> Space:
        return item.space

    def author_of(self, item: Thread) -> User | None:
        return item.author

    def describe(self, item: Thread) -> str:
        return item.audit_label()

    def flag_label(self, item: Thread) -> str:
        return f"the thread “{item.title}”"

    def load_many(self, pks: Iterable[int]) -> dict[int, Thread]:
        return self._related().in_bulk(list(pks))

    def lock(self, item: Thread) -> Thread:
        return self._related().select_for_update(of=("self",)).get(pk=item.pk)

    def check_flaggable_by(self, user: User, item: Thread) -> None:
        if not Thread.objects.visible_to(user).filter(pk=item.pk, is_hidden=False).exists():
            raise Http404("No such item.")

    def is_hidden(self, item: Thread) -> bool:
        return item.is_hidden

    def is_autohidden(self, item: Thread) -> bool:
        return item.is_hidden and item.hidden_reason == AUTOHIDE_REASON

    def perform(self, *, actor: User, item: Thread, action: str, data: dict) -> bool:
        reason = data.get("reason", "")
        simple = {
            "lock": services.lock_thread,
            "unlock": services.unlock_thread,
            "pin": services.pin_thread,
            "unpin": services.unpin_thread,
            "hide": services.hide_thread,
            "restore": services.restore_thread,
        }
        if action in simple:
            return simple[action](actor=actor, thread=item, reason=reason)
        if action == "move":
            return services.move_thread(
                actor=actor, thread=item, to_space=data["to_space"], reason=reason
            )
        raise Http404("No such action.")

    def hide(self, *, actor: User | None, item: Thread, reason: str) -> bool:
        return services.hide_thread(actor=actor, thread=item, reason=reason)

    def restore(self, *, actor: User, item: Thread, reason: str = "") -> bool:
        return services.restore_thread(actor=actor, thread=item, reason=reason)

    appealable_actions = (AuditAction.THREAD_HIDE,)

    def authored_by(self, user: User):
        return Thread.objects.filter(author=user).values("pk")

    def undo(self, *, actor: User, item: Thread, action: str, done_at, reason: str) -> bool:
        if action == AuditAction.THREAD_HIDE:
            return services.restore_thread(actor=actor, thread=item, reason=reason)
        raise Http404("No such action.")
