"""Thin views: the review queue, actions, flags, watched words and the audit log.

Items are reached through their kind (:mod:`moderation.registry`): one action view and one flag
view serve every kind. Sanctions on members and accounts are community core's.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from community import policy as community_policy
from community import sanctions
from community.http import form_errors, safe_next
from community.models import Membership, Space, User

from . import policy, registry, selectors, services
from .forms import ACTION_FORMS, FlagForm, WatchedWordForm
from .registry import ActionSpec
from .selectors import QUEUE_KINDS

DISMISS = ActionSpec(
    "No action needed", "answer", "The flags are closed and the reporters are told."
)
ACCOUNT_ACTIONS = {
    "suspend": ActionSpec("Suspend", "until", "The account is suspended.", destructive=True),
    "unsuspend": ActionSpec("Lift suspension", "note", "The suspension is lifted."),
}


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
    watched = selectors.watched_word_or_404(request.user, pk)
    services.remove_watched_word(actor=request.user, watched=watched)
    messages.success(request, f"“{watched.word}” is no longer watched.")
    return redirect("moderation_words")


# Flags ----------------------------------------------------------------------------------------


def _flag_page(request: HttpRequest, *, target, space: Space, label: str, back: str):
    policy.check_flag(request.user, space)
    form = FlagForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_item(
                actor=request.user,
                target=target,
                space=space,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                email_outcome=form.cleaned_data["email_outcome"],
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            # The confirmation signposts support (moderation.reporting).
            return redirect(f"{reverse('report_sent')}?{urlencode({'next': back})}")
    return render(
        request, "moderation/flag_form.html", {"form": form, "label": label, "back": back}
    )


def flag_item(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Flag an item of any kind that lives in a space (a post, a thread, a live message)."""
    adapter = registry.kind_named(kind)
    item = adapter.load(pk)
    if item is None or adapter.space_of(item) is None:
        raise Http404("No such item.")
    space = adapter.flagged_in(request.user, item, None)
    page = getattr(item, "get_absolute_url", space.get_absolute_url)
    return _flag_page(
        request,
        target=item,
        space=space,
        label=adapter.flag_label(item),
        back=safe_next(request, page()),
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
    member = membership.user
    return _flag_page(
        request,
        target=member,
        space=registry.kind_of(member).flagged_in(request.user, member, space),
        label=f"{member.display_name} in {space.name}",
        back=safe_next(request, member.get_absolute_url()),
    )


# Actions --------------------------------------------------------------------------------------


def _run(
    request: HttpRequest, *, spec: ActionSpec, subject: str, call, form_kwargs=None, initial=None
):
    """GET shows the action's form; POST validates it and calls ``call(cleaned_data)``.

    A refusal (ValidationError) re-renders the form with the text kept."""
    back = safe_next(request, reverse("moderation_queue"))
    data = request.POST if request.method == "POST" else None
    form = ACTION_FORMS[spec.form](data, initial=initial, **(form_kwargs or {}))
    if request.method == "POST" and form.is_valid():
        try:
            changed = call(form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, spec.done if changed else "Nothing needed changing.")
            return redirect(back)
    return render(
        request,
        "moderation/action_form.html",
        {"form": form, "action": spec, "subject": subject, "next": back},
    )


def _act(
    request: HttpRequest,
    *,
    kind: registry.ModeratableKind,
    item,
    space: Space,
    action: str,
    subject: str,
    extra: dict | None = None,
) -> HttpResponse:
    """Run ``action`` (one of the kind's, or ``dismiss``) on ``item`` in ``space``."""
    actor = request.user
    if action == "dismiss":
        return _run(
            request,
            spec=DISMISS,
            subject=subject,
            call=lambda data: services.dismiss_flags(
                actor=actor, target=item, space=space, reason=data["reason"]
            ),
        )
    spec = kind.actions[action]
    form_kwargs = {}
    if spec.form == "move":
        form_kwargs["spaces"] = [s for s in selectors.moderated_spaces(actor) if s.pk != space.pk]
    return _run(
        request,
        spec=spec,
        subject=subject,
        call=lambda data: kind.perform(
            actor=actor, item=item, action=action, data={**data, **(extra or {})}
        ),
        form_kwargs=form_kwargs,
        initial=kind.form_initial(item, action) or None,
    )


def item_action(request: HttpRequest, kind: str, pk: int, action: str) -> HttpResponse:
    """An action on an item that lives in a space (post, thread, live message)."""
    adapter = registry.kind_named(kind)
    if action != "dismiss" and action not in adapter.actions:
        raise Http404("No such action.")
    item = adapter.load(pk)
    space = adapter.space_of(item) if item is not None else None
    if space is None:  # missing, or a member (acted on in a space: moderation_member)
        raise Http404("No such item.")
    policy.check_moderate(request.user, space)
    return _act(
        request,
        kind=adapter,
        item=item,
        space=space,
        action=action,
        subject=adapter.describe(item),
    )


def member_action(request: HttpRequest, slug: str, user_id: int, action: str) -> HttpResponse:
    kind = registry.kind_named("member")
    if action != "dismiss" and action not in kind.actions:
        raise Http404("No such action.")
    space = get_object_or_404(Space, slug=slug)
    policy.check_moderate(request.user, space)
    member = get_object_or_404(User, pk=user_id, memberships__space=space)
    return _act(
        request,
        kind=kind,
        item=member,
        space=space,
        action=action,
        subject=f"{member.display_name} in {space.name}",
        extra={"space": space},
    )


def account_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    if action not in ACCOUNT_ACTIONS:
        raise Http404("No such action.")
    if not community_policy.can_suspend(request.user):
        raise PermissionDenied("Only staff can suspend or reinstate an account.")
    member = get_object_or_404(User, pk=user_id)
    actor = request.user

    def call(data: dict) -> bool:
        if action == "suspend":
            return sanctions.suspend_member(
                actor=actor, member=member, until=data["until"], reason=data["reason"]
            )
        return sanctions.unsuspend_member(actor=actor, member=member, reason=data["reason"])

    return _run(
        request,
        spec=ACCOUNT_ACTIONS[action],
        subject=f"{member.display_name}'s account (site-wide)",
        call=call,
    )
