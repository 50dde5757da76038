"""Thin views: the review queue, actions, flags, watched words and the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from community import policy as community_policy
from community.http import safe_next
from community.models import Membership, Space, User

from . import policy, selectors, services, targets
from .forms import (
    EditPostForm,
    FlagForm,
    MoveThreadForm,
    OptionalReasonForm,
    ReasonForm,
    UntilForm,
    WatchedWordForm,
)
from .models import FlagKind
from .selectors import QUEUE_KINDS


def _space_filter(request: HttpRequest, spaces) -> Space | None:
    slug = request.GET.get("space") or ""
    if not slug:
        return None
    for space in spaces:
        if space.slug == slug:
            return space
    raise Http404("No such space.")


def queue(request: HttpRequest) -> HttpResponse:
    policy.check_see_queue(request.user)
    spaces = list(selectors.moderated_spaces(request.user))
    space = _space_filter(request, spaces)
    kind = request.GET.get("kind") or ""
    if kind not in QUEUE_KINDS:
        kind = ""
    review = selectors.review_queue(request.user, space=space, kind=kind)
    return render(
        request,
        "moderation/queue.html",
        {
            "queue": review,
            "spaces": spaces,
            "space_filter": space,
            "kind_filter": kind,
            "kinds": QUEUE_KINDS.items(),
            "reason_form": ReasonForm(),
        },
    )


def audit_log(request: HttpRequest) -> HttpResponse:
    policy.check_see_queue(request.user)
    spaces = list(selectors.moderated_spaces(request.user))
    space = _space_filter(request, spaces)
    page = Paginator(selectors.audit_log(request.user, space=space), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "moderation/audit.html",
        {
            "page_obj": page,
            "spaces": spaces,
            "space_filter": space,
            "query_prefix": f"space={space.slug}" if space else "",
        },
    )


def watched_words(request: HttpRequest) -> HttpResponse:
    policy.check_see_queue(request.user)
    spaces = list(selectors.moderated_spaces(request.user))
    form = WatchedWordForm(request.POST or None, spaces=spaces, site_wide=request.user.is_staff)
    if request.method == "POST" and form.is_valid():
        slug = form.cleaned_data["space"]
        space = next((s for s in spaces if s.slug == slug), None) if slug else None
        try:
            services.add_watched_word(
                actor=request.user,
                space=space,
                word=form.cleaned_data["word"],
                action=form.cleaned_data["action"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("word", message)
        else:
            messages.success(request, f"“{form.cleaned_data['word']}” is now watched.")
            return redirect("moderation_words")
    return render(
        request,
        "moderation/words.html",
        {"form": form, "words": selectors.watched_words(request.user), "spaces": spaces},
    )


@require_POST
def watched_word_remove(request: HttpRequest, pk: int) -> HttpResponse:
    watched = services.watched_word_or_404(request.user, pk)
    services.remove_watched_word(actor=request.user, watched=watched)
    messages.success(request, f"“{watched.word}” is no longer watched.")
    return redirect("moderation_words")


# Flags ----------------------------------------------------------------------------------------


def _flag_page(request: HttpRequest, *, target, space: Space | None, label: str, back: str):
    form = FlagForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_item(
                actor=request.user,
                target=target,
                space=space,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(
                request, "Thank you. The moderators will review it and tell you what they decide."
            )
            return redirect(back)
    return render(
        request, "moderation/flag_form.html", {"form": form, "label": label, "back": back}
    )


def flag_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = targets.visible_post(request.user, pk)
    targets.check_visible_to_flagger(request.user, post)
    policy.check_flag(request.user, post.thread.space)
    return _flag_page(
        request,
        target=post,
        space=None,
        label=f"a post in “{post.thread.title}”",
        back=safe_next(request, post.thread.get_absolute_url()),
    )


def flag_thread(request: HttpRequest, pk: int) -> HttpResponse:
    thread = targets.visible_thread(request.user, pk)
    targets.check_visible_to_flagger(request.user, thread)
    policy.check_flag(request.user, thread.space)
    return _flag_page(
        request,
        target=thread,
        space=None,
        label=f"the thread “{thread.title}”",
        back=safe_next(request, thread.get_absolute_url()),
    )


def flag_member(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    space = get_object_or_404(Space, slug=slug)
    community_policy.check_read_space(request.user, space)
    membership = get_object_or_404(
        Membership.objects.select_related("user"),
        space=space,
        user_id=user_id,
        status=Membership.Status.ACTIVE,
    )
    policy.check_flag(request.user, space)
    return _flag_page(
        request,
        target=membership.user,
        space=space,
        label=f"{membership.user.display_name} in {space.name}",
        back=safe_next(request, membership.user.get_absolute_url()),
    )


# Actions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One moderation action as the views see it: which form, which service, what to say."""

    label: str
    form: type = OptionalReasonForm
    done: str = "Done."
    style: str = "secondary"


POST_ACTIONS = {
    "approve": Action("Approve", done="The post is published."),
    "hide": Action("Hide", ReasonForm, "The post is hidden and its author has been told why."),
    "restore": Action("Restore", done="The post is visible again."),
    "delete": Action("Delete", ReasonForm, "The post is deleted.", "warning"),
    "edit": Action("Edit", EditPostForm, "The post was edited; the old text is kept."),
    "dismiss": Action("No action needed", done="The flags are closed."),
}
THREAD_ACTIONS = {
    "lock": Action("Lock", done="The thread is locked."),
    "unlock": Action("Unlock", done="The thread is unlocked."),
    "pin": Action("Pin", done="The thread is pinned."),
    "unpin": Action("Unpin", done="The thread is unpinned."),
    "hide": Action("Hide", ReasonForm, "The thread is hidden and its author has been told why."),
    "restore": Action("Restore", done="The thread is visible again."),
    "move": Action("Move", MoveThreadForm, "The thread was moved."),
    "dismiss": Action("No action needed", done="The flags are closed."),
}
MEMBER_ACTIONS = {
    "warn": Action("Warn", ReasonForm, "The member has been warned."),
    "mute": Action("Mute", UntilForm, "The member is muted in this space."),
    "unmute": Action("Unmute", done="The member can take part again."),
    "ban": Action("Ban from space", ReasonForm, "The member is banned from this space.", "warning"),
    "dismiss": Action("No action needed", done="The flags are closed."),
}
ACCOUNT_ACTIONS = {
    "suspend": Action("Suspend", UntilForm, "The account is suspended.", "warning"),
    "unsuspend": Action("Lift suspension", done="The suspension is lifted."),
}
LIVE_ACTIONS = {
    "hide": Action("Remove", ReasonForm, "The message was removed from the room."),
    "dismiss": Action("No action needed", done="The flags are closed."),
}


def _run(
    request: HttpRequest, *, action: Action, subject: str, call, form_kwargs=None, initial=None
):
    """GET shows the action's form; POST validates it and calls the service.

    ``call(data)`` runs the service. A refusal re-renders the form with the text kept."""
    form_kwargs = form_kwargs or {}
    back = safe_next(request, reverse("moderation_queue"))
    data = request.POST if request.method == "POST" else None
    form = action.form(data, initial=initial, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            changed = call(form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, action.done if changed else "Nothing needed changing.")
            return redirect(back)
    return render(
        request,
        "moderation/action_form.html",
        {"form": form, "action": action, "subject": subject, "next": back},
    )


def _moderated_post(request: HttpRequest, pk: int):
    from threads.models import Post

    post = get_object_or_404(
        Post.objects.select_related("thread", "thread__space", "author"), pk=pk
    )
    policy.check_moderate(request.user, post.thread.space)
    return post


def _moderated_thread(request: HttpRequest, pk: int):
    from threads.models import Thread

    thread = get_object_or_404(Thread.objects.select_related("space", "author"), pk=pk)
    policy.check_moderate(request.user, thread.space)
    return thread


def post_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in POST_ACTIONS:
        raise Http404
    post = _moderated_post(request, pk)
    actor = request.user
    calls = {
        "approve": lambda d: services.approve_post(actor=actor, post=post, reason=d["reason"]),
        "hide": lambda d: services.hide_post(actor=actor, post=post, reason=d["reason"]),
        "restore": lambda d: services.restore_post(actor=actor, post=post, reason=d["reason"]),
        "delete": lambda d: services.delete_post(actor=actor, post=post, reason=d["reason"]),
        "edit": lambda d: services.edit_post(
            actor=actor, post=post, body=d["body"], reason=d["reason"]
        ),
        "dismiss": lambda d: services.dismiss_flags(actor=actor, target=post, reason=d["reason"]),
    }
    return _run(
        request,
        action=POST_ACTIONS[action],
        subject=targets.describe(post),
        call=calls[action],
        initial={"body": post.body} if action == "edit" else None,
    )


def thread_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in THREAD_ACTIONS:
        raise Http404
    thread = _moderated_thread(request, pk)
    actor = request.user
    form_kwargs = {}
    if action == "move":
        form_kwargs["spaces"] = [
            s for s in selectors.moderated_spaces(actor) if s.pk != thread.space_id
        ]

    def move(data):
        to_space = get_object_or_404(Space, slug=data["to_space"])
        return services.move_thread(
            actor=actor, thread=thread, to_space=to_space, reason=data["reason"]
        )

    simple = {
        "lock": services.lock_thread,
        "unlock": services.unlock_thread,
        "pin": services.pin_thread,
        "unpin": services.unpin_thread,
        "hide": services.hide_thread,
        "restore": services.restore_thread,
    }
    if action == "move":
        call = move
    elif action == "dismiss":
        call = lambda d: services.dismiss_flags(actor=actor, target=thread, reason=d["reason"])  # noqa: E731
    else:
        call = lambda d: simple[action](actor=actor, thread=thread, reason=d["reason"])  # noqa: E731
    return _run(
        request,
        action=THREAD_ACTIONS[action],
        subject=targets.describe(thread),
        call=call,
        form_kwargs=form_kwargs,
    )


def member_action(request: HttpRequest, slug: str, user_id: int, action: str) -> HttpResponse:
    if action not in MEMBER_ACTIONS:
        raise Http404
    space = get_object_or_404(Space, slug=slug)
    policy.check_moderate(request.user, space)
    member = get_object_or_404(User, pk=user_id, memberships__space=space)
    actor = request.user
    calls = {
        "warn": lambda d: services.warn_member(
            actor=actor, space=space, member=member, reason=d["reason"]
        ),
        "mute": lambda d: services.mute_member(
            actor=actor, space=space, member=member, until=d["until"], reason=d["reason"]
        ),
        "unmute": lambda d: services.unmute_member(
            actor=actor, space=space, member=member, reason=d["reason"]
        ),
        "ban": lambda d: services.ban_member(
            actor=actor, space=space, member=member, reason=d["reason"]
        ),
        "dismiss": lambda d: services.dismiss_flags(
            actor=actor, target=member, space=space, reason=d["reason"]
        ),
    }
    return _run(
        request,
        action=MEMBER_ACTIONS[action],
        subject=f"{member.display_name} in {space.name}",
        call=calls[action],
    )


def account_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    if action not in ACCOUNT_ACTIONS:
        raise Http404
    if not policy.can_suspend(request.user):
        raise PermissionDenied("Only staff can suspend or reinstate an account.")
    member = get_object_or_404(User, pk=user_id)
    actor = request.user
    calls = {
        "suspend": lambda d: services.suspend_member(
            actor=actor, member=member, until=d["until"], reason=d["reason"]
        ),
        "unsuspend": lambda d: services.unsuspend_member(
            actor=actor, member=member, reason=d["reason"]
        ),
    }
    return _run(
        request,
        action=ACCOUNT_ACTIONS[action],
        subject=f"{member.display_name}'s account (site-wide)",
        call=calls[action],
    )


def live_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    from realtime.models import LiveEvent

    if action not in LIVE_ACTIONS:
        raise Http404
    event = get_object_or_404(LiveEvent.objects.select_related("session", "session__space"), pk=pk)
    policy.check_moderate(request.user, event.session.space)
    actor = request.user
    calls = {
        "hide": lambda d: services.hide_live_event(actor=actor, event=event, reason=d["reason"]),
        "dismiss": lambda d: services.dismiss_flags(actor=actor, target=event, reason=d["reason"]),
    }
    return _run(
        request, action=LIVE_ACTIONS[action], subject=targets.describe(event), call=calls[action]
    )


FLAG_KIND_LABELS = dict(FlagKind.choices)
