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
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from community import policy as community_policy
from community import sanctions
from community.http import form_errors, safe_next
from community.models import Membership, Space, User

from . import policy, registry, screening, selectors, services
from .forms import (
    ACTION_FORMS,
    DURATIONS,
    SITE_WIDE,
    BulkActionForm,
    FlagForm,
    ModeratorNoteForm,
    RotaForm,
    SavedReplyForm,
    WatchedWordEditForm,
    WatchedWordsForm,
)
from .models import FlagKind, FlagReason
from .registry import ActionSpec
from .selectors import QUEUE_KINDS

DISMISS = ActionSpec(
    "No action needed", "answer", "The flags are closed and the reporters are told."
)
ACCOUNT_ACTIONS = {
    "suspend": ActionSpec("Suspend", "until", "The account is suspended.", destructive=True),
    "unsuspend": ActionSpec("Lift suspension", "note", "The suspension is lifted."),
}


def _space_filter(request: HttpRequest, spaces, data=None) -> Space | None:
    slug = (data if data is not None else request.GET).get("space") or ""
    if not slug:
        return None
    for space in spaces:
        if space.slug == slug:
            return space
    raise Http404("No such space.")


def _queue_filters(request: HttpRequest, spaces, data=None) -> selectors.QueueFilters:
    """The queue's filters from the query string (or ``data``); an unknown value falls back to
    the default (a space the moderator does not moderate is a 404)."""
    get = data if data is not None else request.GET
    kind = get.get("kind") or ""
    if kind not in QUEUE_KINDS and kind not in FlagKind.values:
        kind = ""
    reason = get.get("reason") or ""
    return selectors.QueueFilters(
        space=_space_filter(request, spaces, get),
        kind=kind,
        reason=reason if reason in FlagReason.values else "",
        state=get.get("state") if get.get("state") in selectors.STATES else "open",
        sort=get.get("sort") if get.get("sort") in selectors.SORTS else "waiting",
    )


def _query_without(request: HttpRequest, *names: str) -> str:
    """The query string without ``names`` (a page link adds its own page number)."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def queue(request: HttpRequest) -> HttpResponse:
    policy.check_see_queue(request.user)
    spaces = list(selectors.moderated_spaces(request.user))
    filters = _queue_filters(request, spaces)
    replies = list(selectors.saved_replies(request.user, filters.space))
    chosen = next((r for r in replies if str(r.pk) == request.GET.get("reply")), None)
    review = selectors.review_queue(
        request.user,
        filters=filters,
        pages={name: request.GET.get(name) for name in ("page", "approval_page", "requests_page")},
    )
    return render(
        request,
        "moderation/queue.html",
        {
            "queue": review,
            "spaces": spaces,
            "filters": filters,
            "space_filter": filters.space,
            "kind_filter": filters.kind,
            "kinds": QUEUE_KINDS.items(),
            "item_kinds": [(k.name, k.label) for k in registry.kinds()],
            "reasons": FlagReason.choices,
            "states": selectors.STATES.items(),
            "sorts": selectors.SORTS.items(),
            "bulk_form": BulkActionForm(),
            "replies": replies,
            "chosen_reply": chosen,
            "filter_fields": [
                (name, value)
                for name, value in (
                    ("space", filters.space.slug if filters.space else ""),
                    ("kind", filters.kind),
                    ("reason", filters.reason),
                    ("sort", filters.sort),
                )
                if value
            ],
            "query": {
                name: _query_without(request, name)
                for name in ("page", "approval_page", "requests_page")
            },
        },
    )


@require_POST
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """One action with one reason over the selected items (or every item on the page)."""
    policy.check_see_queue(request.user)
    back = safe_next(request, reverse("moderation_queue"))
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    if data["scope"] == "matching":
        spaces = list(selectors.moderated_spaces(request.user))
        # The queue's filters come back prefixed (``f_reason``: ``reason`` is the action's).
        named = {k: request.POST.get(f"f_{k}", "") for k in ("space", "kind", "reason", "sort")}
        filters = _queue_filters(request, spaces, named)
        keys = selectors.matching_bulk_keys(request.user, filters)
    elif data["scope"] == "page":
        keys = data["page_items"]
    else:
        keys = data["items"]
    if not keys:
        messages.error(request, "Select at least one item, or every item on this page.")
        return redirect(back)
    items = selectors.bulk_items(request.user, keys)
    try:
        changed = services.bulk_moderate(
            actor=request.user, items=items, action=data["action"], reason=data["reason"]
        )
    except (PermissionDenied, ValidationError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
        return redirect(back)
    done = services.BULK_ACTIONS[data["action"]]
    messages.success(request, f"{changed} of {len(items)} item{pluralize(len(items))} {done}.")
    return redirect(back)


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
    """Add several words at once; "Test against recent posts" shows what they would catch
    (nothing is saved until "Add")."""
    policy.check_see_queue(request.user)
    spaces = list(selectors.moderated_spaces(request.user))
    form = WatchedWordsForm(
        request.POST if request.method == "POST" else None,
        spaces=spaces,
        site_wide=request.user.is_staff,
    )
    tried = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "try" in request.POST:
            scope = None if None in data["spaces"] else [s.pk for s in data["spaces"]]
            tried = screening.try_words(request.user, words=data["words"], space_ids=scope)
        else:
            try:
                added = services.add_watched_words(
                    actor=request.user,
                    spaces=data["spaces"],
                    words=data["words"],
                    action=data["action"],
                )
            except ValidationError as exc:
                form.add_error("words", " ".join(exc.messages))
            else:
                words = ", ".join(f"“{w}”" for w in data["words"])
                messages.success(
                    request, f"{words} now watched ({len(added)} rule{pluralize(len(added))})."
                )
                return redirect("moderation_words")
    return render(
        request,
        "moderation/words.html",
        {
            "form": form,
            "tried": tried,
            "recent_limit": screening.RECENT_LIMIT,
            "words": selectors.watched_words(request.user),
            "spaces": spaces,
        },
    )


def watched_word_edit(request: HttpRequest, pk: int) -> HttpResponse:
    watched = selectors.watched_word_or_404(request.user, pk)
    spaces = list(selectors.moderated_spaces(request.user))
    initial = {
        "action": watched.action,
        "space": watched.space.slug if watched.space else SITE_WIDE,
    }
    form = WatchedWordEditForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        spaces=spaces,
        site_wide=request.user.is_staff,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.edit_watched_word(
                actor=request.user,
                watched=watched,
                action=form.cleaned_data["action"],
                space=form.cleaned_data["space"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, f"“{watched.word}” is changed." if changed else "Nothing needed changing."
            )
            return redirect("moderation_words")
    return render(request, "moderation/word_edit.html", {"form": form, "watched": watched})


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
    request: HttpRequest,
    *,
    spec: ActionSpec,
    subject: str,
    call,
    form_kwargs=None,
    initial=None,
    space: Space | None = None,
):
    """GET shows the action's form; POST validates it and calls ``call(cleaned_data)``.

    A refusal (ValidationError) re-renders the form with the text kept. ``space``'s saved
    replies are offered; ``?reply=<pk>`` prefills the reason with one."""
    back = safe_next(request, reverse("moderation_queue"))
    data = request.POST if request.method == "POST" else None
    replies = list(selectors.saved_replies(request.user, space)) if space is not None else []
    chosen = next((r for r in replies if str(r.pk) == request.GET.get("reply")), None)
    if chosen is not None:
        initial = {**(initial or {}), "reason": chosen.body}
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
        {
            "form": form,
            "action": spec,
            "subject": subject,
            "next": back,
            "replies": replies,
            "chosen_reply": chosen,
        },
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
            space=space,
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
        space=space,
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


# Moderator notes, saved replies, wellbeing ----------------------------------------------------


def member_notes(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """A member's notes in a space: only its moderators and staff (others: 404 or 403)."""
    space = get_object_or_404(Space, slug=slug)
    policy.check_moderate(request.user, space)
    member = get_object_or_404(User, pk=user_id, memberships__space=space)
    if member.pk == request.user.pk:
        raise Http404("No notes here.")  # nobody reads or writes the notes about themselves
    form = ModeratorNoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_moderator_note(
                actor=request.user, space=space, member=member, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, "Your note is saved. Only moderators and staff can read it.")
            return redirect("moderation_notes", slug=space.slug, user_id=member.pk)
    return render(
        request,
        "moderation/notes.html",
        {
            "form": form,
            "space": space,
            "member": member,
            "notes": selectors.notes_on(request.user, space=space, member=member),
        },
    )


def saved_replies(request: HttpRequest) -> HttpResponse:
    policy.check_see_queue(request.user)
    spaces = list(selectors.moderated_spaces(request.user))
    form = SavedReplyForm(request.POST if request.method == "POST" else None, spaces=spaces)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_saved_reply(
                actor=request.user,
                space=form.cleaned_data["space"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, f"“{form.cleaned_data['title']}” is saved.")
            return redirect("moderation_replies")
    return render(
        request,
        "moderation/replies.html",
        {"form": form, "replies": selectors.saved_replies(request.user)},
    )


@require_POST
def saved_reply_remove(request: HttpRequest, pk: int) -> HttpResponse:
    reply = selectors.saved_reply_or_404(request.user, pk)
    services.remove_saved_reply(actor=request.user, reply=reply)
    messages.success(request, f"“{reply.title}” is removed.")
    return redirect("moderation_replies")


def wellbeing(request: HttpRequest) -> HttpResponse:
    """How many racism reports this moderator reviewed this week, and the rota."""
    policy.check_see_queue(request.user)
    form = RotaForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if "step_back" in request.POST:
            services.step_back_into_rota(actor=request.user)
            messages.success(request, "You are back on the rota: you will be told of new reports.")
            return redirect("moderation_wellbeing")
        if form.is_valid():
            try:
                services.step_out_of_rota(actor=request.user, until=form.cleaned_data["until"])
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(
                    request, "You have stepped out of the rota. Take care of yourself."
                )
                return redirect("moderation_wellbeing")
    return render(
        request,
        "moderation/wellbeing.html",
        {
            "form": form,
            "racism_reviewed": selectors.racism_reports_reviewed_this_week(request.user),
            "pause": selectors.rota_pause(request.user),
        },
    )


def member_search(request: HttpRequest) -> HttpResponse:
    """Staff: find a member and suspend (or reinstate) them from the same page."""
    if not community_policy.can_suspend(request.user):
        raise PermissionDenied("Only staff can search members and suspend accounts.")
    query = (request.GET.get("q") or "")[:100]
    page = Paginator(selectors.find_members(request.user, query), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "moderation/members.html",
        {
            "page_obj": page,
            "q": query,
            "query_prefix": _query_without(request, "page"),
            "durations": DURATIONS[1:],
        },
    )
