"""Thin views for commitments, live-session actions, the library and case studies."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from community import policy as community_policy
from community.http import form_errors, guidelines_url, space_or_404
from realtime import policy as realtime_policy
from threads import policy as threads_policy

from . import policy, selectors, services
from .forms import (
    CaseStudyEditForm,
    CaseStudyForm,
    CommitmentForm,
    LibraryFilterForm,
    ListFilterForm,
    ProposalForm,
    RemindersForm,
    UpdateForm,
)
from .models import (
    PROPOSALS_PER_SESSION,
    ActionArea,
    Commitment,
    CommitmentVisibility,
    WresIndicator,
)
from .services import NEXT_STATUSES


def _crumbs(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Home", reverse("home")), ("Your commitments", reverse("commitment_list")), *extra]


def _refusal(request: HttpRequest, form, exc: Exception) -> dict:
    """Put a service's refusal on the form (the text stays in it); a guidelines refusal also
    says where to accept them, coming back here after."""
    if isinstance(exc, ValidationError):
        form_errors(form, exc)
        return {}
    form.add_error(None, str(exc.args[0]) if exc.args else str(exc))
    version = getattr(exc, "version", None)
    if version is None:
        return {}
    return {"guidelines_link": guidelines_url(version, request.get_full_path())}


# The member's commitments ---------------------------------------------------------------------


def commitment_list(request: HttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {key: value for key, value in filters.items() if value}
    page = selectors.my_commitments_page(request.user, page=request.GET.get("page"), **filters)
    return render(
        request,
        "commitments/commitment_list.html",
        {
            "form": form,
            "page_obj": page,
            "filtered": bool(filters),
            "query_prefix": urlencode(filters),
            "crumbs": [("Home", reverse("home"))],
        },
    )


def _source_from_request(request: HttpRequest, data) -> tuple[dict, list[str]]:
    """The thread or post named in ``?thread=`` / ``?post=`` (or the hidden fields), if the
    member may see it; otherwise an error to show, and no source."""
    errors: list[str] = []
    thread_id, post_id = data.get("thread") or "", data.get("post") or ""
    if post_id:
        post = selectors.visible_post(request.user, post_id)
        if post is None:
            errors.append(
                "We could not find the post you started from, or you cannot see it. "
                "You can still make a commitment without it."
            )
            return {}, errors
        return {"source_post": post, "source_thread": post.thread}, errors
    if thread_id:
        thread = selectors.visible_thread(request.user, thread_id)
        if thread is None:
            errors.append(
                "We could not find the thread you started from, or you cannot see it. "
                "You can still make a commitment without it."
            )
            return {}, errors
        return {"source_thread": thread}, errors
    return {}, errors


def _initial_for_source(source: dict) -> dict:
    thread = source.get("source_thread")
    initial: dict = {"visibility": CommitmentVisibility.PRIVATE, "reminders": True}
    if thread is None:
        return initial
    initial["thread"] = thread.pk
    if source.get("source_post") is not None:
        initial["post"] = source["source_post"].pk
    if thread.space.slug in ActionArea.values:
        initial["area"] = thread.space.slug
    initial["space"] = str(thread.space.pk)
    if thread.kind == "case-study":
        case_study = selectors.case_study_of(thread)
        if case_study is not None and case_study.wres_indicator:
            initial["wres_indicator"] = str(case_study.wres_indicator)
    return initial


def commitment_create(request: HttpRequest) -> HttpResponse:
    spaces = list(selectors.spaces_to_share_with(request.user))
    data = request.POST if request.method == "POST" else request.GET
    source, source_errors = _source_from_request(request, data)
    extra: dict = {}
    if request.method == "POST":
        form = CommitmentForm(request.POST, spaces=spaces)
        if source_errors:
            form.is_valid()
            for error in source_errors:
                form.add_error(None, error)
        elif form.is_valid():
            try:
                commitment = services.create_commitment(
                    actor=request.user,
                    source_thread=source.get("source_thread"),
                    source_post=source.get("source_post"),
                    **form.service_fields(),
                )
            except (ValidationError, PermissionDenied) as exc:
                extra = _refusal(request, form, exc)
            else:
                messages.success(request, "Your commitment has been saved.")
                return redirect(commitment)
    else:
        form = CommitmentForm(initial=_initial_for_source(source), spaces=spaces)
        for error in source_errors:
            messages.error(request, error)
    thread = source.get("source_thread")
    adapting = thread is not None and thread.kind == "case-study"
    return render(
        request,
        "commitments/commitment_form.html",
        {
            "form": form,
            "source": source,
            "heading": "Adapt this case study" if adapting else "Make a commitment",
            "crumbs": _crumbs(),
            **extra,
        },
    )


def _detail_context(request: HttpRequest, commitment: Commitment, update_form=None) -> dict:
    user = request.user
    selectors.label_owners(user, [commitment])
    mine = policy.is_owner(user, commitment)
    can_report = mine and policy.can_report(user, commitment)
    thread = commitment.source_thread
    if mine and update_form is None:
        update_form = _update_form(commitment, can_report=can_report)
    return {
        "commitment": commitment,
        "updates": selectors.updates_of(user, commitment),
        "source": selectors.shown_source(user, commitment),
        "mine": mine,
        "can_flag": policy.can_flag(user, commitment),
        "can_report": can_report,
        "report_thread": thread if can_report else None,
        "update_form": update_form,
        "overdue": commitment.is_overdue(),
        "crumbs": _crumbs() if mine else [("Home", reverse("home"))],
    }


def _update_form(commitment: Commitment, *, can_report: bool, data=None) -> UpdateForm:
    label = ""
    if can_report:
        label = f"Also post this as a report in “{commitment.source_thread.title}”"
    return UpdateForm(
        data,
        current=commitment.status,
        next_statuses=NEXT_STATUSES.get(commitment.status, ()),
        report_label=label,
    )


def commitment_detail(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = selectors.commitment_for(request.user, commitment_id)
    return render(
        request, "commitments/commitment_detail.html", _detail_context(request, commitment)
    )


@require_POST
def commitment_update(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = selectors.commitment_for(request.user, commitment_id)
    policy.check_change_commitment(request.user, commitment)
    can_report = policy.can_report(request.user, commitment)
    form = _update_form(commitment, can_report=can_report, data=request.POST)
    extra: dict = {}
    if form.is_valid():
        data = form.cleaned_data
        try:
            update = services.add_update(
                actor=request.user,
                commitment=commitment,
                happened=data["happened"],
                learned=data["learned"],
                hard=data["hard"],
                status=data.get("status", ""),
                closing_note=data.get("closing_note", ""),
                report=bool(data.get("report")),
            )
        except (ValidationError, PermissionDenied) as exc:
            extra = _refusal(request, form, exc)
        else:
            if update.report_post_id and not update.report_post.is_published:
                messages.success(
                    request,
                    "Your update has been saved. Your report will appear in the thread once a "
                    "moderator approves it.",
                )
            elif update.report_post_id:
                messages.success(request, "Your update has been saved and posted as a report.")
            else:
                messages.success(request, "Your update has been saved.")
            return redirect(commitment)
    context = _detail_context(request, commitment, update_form=form)
    context.update(extra)
    return render(request, "commitments/commitment_detail.html", context, status=400)


def commitment_edit(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = selectors.commitment_for(request.user, commitment_id)
    policy.check_change_commitment(request.user, commitment)
    spaces = list(selectors.spaces_to_share_with(request.user))
    if commitment.space is not None and commitment.space.pk not in {s.pk for s in spaces}:
        spaces.append(commitment.space)
    extra: dict = {}
    if request.method == "POST":
        form = CommitmentForm(request.POST, spaces=spaces)
        if form.is_valid():
            try:
                changed = services.edit_commitment(
                    actor=request.user, commitment=commitment, **form.service_fields()
                )
            except (ValidationError, PermissionDenied) as exc:
                extra = _refusal(request, form, exc)
            else:
                messages.success(
                    request, "Your changes have been saved." if changed else "Nothing was changed."
                )
                return redirect(commitment)
    else:
        form = CommitmentForm(
            initial={
                "text": commitment.text,
                "why": commitment.why,
                "due_on": commitment.due_on,
                "area": commitment.area,
                "wres_indicator": str(commitment.wres_indicator or ""),
                "visibility": commitment.visibility,
                "space": str(commitment.space_id or ""),
                "anonymous": commitment.anonymous,
                "reminders": commitment.reminders,
            },
            spaces=spaces,
        )
    return render(
        request,
        "commitments/commitment_form.html",
        {
            "form": form,
            "commitment": commitment,
            "heading": "Change your commitment",
            "crumbs": _crumbs((commitment.title, commitment.get_absolute_url())),
            **extra,
        },
    )


@require_POST
def commitment_reminders(request: HttpRequest, commitment_id: int) -> HttpResponse:
    commitment = selectors.commitment_for(request.user, commitment_id)
    form = RemindersForm(request.POST)
    form.is_valid()
    enabled = bool(form.cleaned_data.get("reminders"))
    services.set_reminders(actor=request.user, commitment=commitment, enabled=enabled)
    messages.success(
        request,
        "You will get reminders about this commitment."
        if enabled
        else "You will not get reminders about this commitment.",
    )
    return redirect(commitment)


# A space's shared commitments ----------------------------------------------------------------


def space_commitments(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
    community_policy.check_read_space(request.user, space)
    return render(
        request,
        "commitments/space_commitments.html",
        {
            "space": space,
            "page_obj": selectors.shared_with_space_page(
                request.user, space, page=request.GET.get("page")
            ),
            "counts": selectors.space_counts(request.user, space),
            "crumbs": [("Spaces", reverse("space_list")), (space.name, space.get_absolute_url())],
        },
    )


# Live-session actions -------------------------------------------------------------------------


def _session_or_404(request: HttpRequest, session_id: int):
    session = selectors.visible_session(request.user, session_id)
    if session is None:
        raise Http404("No such live session.")
    return session


def live_actions(request: HttpRequest, session_id: int) -> HttpResponse:
    """Facilitators propose up to five actions once the session has ended; attendees adopt."""
    session = _session_or_404(request, session_id)
    user = request.user
    facilitating = realtime_policy.can_facilitate(user, session)
    proposals = selectors.session_proposals(user, session)
    form = ProposalForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.propose_action(actor=user, session=session, text=form.cleaned_data["text"])
            except (ValidationError, PermissionDenied) as exc:
                _refusal(request, form, exc)
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, "The action has been added for attendees to adopt.")
                return redirect("live_actions", session_id=session.pk)
    can_propose = policy.can_propose_action(user, session, existing=len(proposals))
    attended = policy.has_attended(user, session)
    mine = selectors.my_adoptions(user, session)
    for proposal in proposals:
        proposal.my_adoption = mine.get(proposal.pk)
    return render(
        request,
        "commitments/live_actions.html",
        {
            "session": session,
            "proposals": proposals,
            "form": form,
            "facilitating": facilitating,
            "can_propose": can_propose,
            "attended": attended,
            "limit": PROPOSALS_PER_SESSION,
            "crumbs": [
                ("Live sessions", reverse("live_list")),
                (session.title, session.get_absolute_url()),
            ],
        },
        status=status,
    )


def proposal_adopt(request: HttpRequest, session_id: int, proposal_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    proposal = selectors.proposal_for(request.user, session, proposal_id)
    try:
        policy.check_adopt(request.user, proposal)
    except PermissionDenied as exc:
        if request.method == "GET":
            messages.error(request, str(exc))
            return redirect("live_actions", session_id=session.pk)
        refused = exc
    else:
        refused = None
    spaces = list(selectors.spaces_to_share_with(request.user))
    extra: dict = {}
    if request.method == "POST":
        form = CommitmentForm(request.POST, spaces=spaces)
        if refused is not None:
            form.is_valid()
            extra = _refusal(request, form, refused)
        elif form.is_valid():
            try:
                commitment = services.adopt_proposal(
                    actor=request.user, proposal=proposal, **form.service_fields()
                )
            except (ValidationError, PermissionDenied) as exc:
                extra = _refusal(request, form, exc)
            else:
                messages.success(request, "The action is now one of your commitments.")
                return redirect(commitment)
    else:
        initial = {"text": proposal.text, "visibility": "private", "reminders": True}
        if session.space.slug in ActionArea.values:
            initial["area"] = session.space.slug
        initial["space"] = str(session.space.pk)
        form = CommitmentForm(initial=initial, spaces=spaces)
    return render(
        request,
        "commitments/commitment_form.html",
        {
            "form": form,
            "proposal": proposal,
            "session": session,
            "heading": "Adopt this action",
            "crumbs": [
                ("Live sessions", reverse("live_list")),
                ("Actions from the session", reverse("live_actions", args=[session.pk])),
            ],
            **extra,
        },
        status=403 if refused is not None else 200,
    )


# The library and case studies -----------------------------------------------------------------


def library(request: HttpRequest) -> HttpResponse:
    spaces = list(selectors.library_spaces(request.user))
    form = LibraryFilterForm(request.GET or None, spaces=spaces)
    filters = form.cleaned_data if form.is_valid() else {}
    filters = {key: value for key, value in filters.items() if value}
    page = selectors.library_page(request.user, page=request.GET.get("page"), **filters)
    return render(
        request,
        "commitments/library.html",
        {
            "form": form,
            "page_obj": page,
            "query_prefix": urlencode(filters),
            "wres_labels": dict(WresIndicator.choices),
            "can_write": bool(selectors.spaces_to_share_with(request.user)),
            "crumbs": [("Home", reverse("home"))],
        },
    )


def case_study_create(request: HttpRequest) -> HttpResponse:
    """Write a case study: a ``case-study`` thread with its structured sections."""
    spaces = [
        space
        for space in selectors.spaces_to_share_with(request.user)
        if threads_policy.can_start_thread(request.user, space)
    ]
    extra: dict = {}
    if request.method == "POST":
        form = CaseStudyForm(request.POST, spaces=spaces)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case_study = services.create_case_study(
                    actor=request.user,
                    space=data["space"],
                    title=data["title"],
                    summary=data["body"],
                    sections=form.sections(),
                    wres_indicator=data["wres_indicator"] or None,
                    visibility=data["visibility"],
                    content_note=data["content_note"],
                    anonymous=data["anonymous"],
                )
            except (ValidationError, PermissionDenied) as exc:
                extra = _refusal(request, form, exc)
            else:
                thread = case_study.thread
                if thread.is_pending:
                    messages.success(
                        request,
                        "Thank you. Your case study has been saved and will appear once a "
                        "moderator approves it.",
                    )
                else:
                    messages.success(request, "Your case study has been published.")
                return redirect(thread)
    else:
        form = CaseStudyForm(spaces=spaces, initial={"space": request.GET.get("space", "")})
    return render(
        request,
        "commitments/case_study_form.html",
        {
            "form": form,
            "spaces": spaces,
            "crumbs": [("Home", reverse("home")), ("Library", reverse("library"))],
            **extra,
        },
    )


def case_study_edit(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Change a case study's title, summary and sections: its author, or a moderator of its
    space (with a reason). Anyone who cannot read it gets 404; a reader who may not edit, 403."""
    thread = selectors.visible_thread(request.user, thread_id)
    case_study = selectors.case_study_of(thread) if thread is not None else None
    if case_study is None:
        raise Http404("No such case study.")
    post = selectors.opening_post(thread)
    threads_policy.check_edit_post(request.user, post)
    moderating = threads_policy.moderates_post(request.user, post)
    extra: dict = {}
    status = 200
    if request.method == "POST":
        form = CaseStudyEditForm(request.POST, moderating=moderating)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = services.edit_case_study(
                    actor=request.user,
                    case_study=case_study,
                    title=data["title"],
                    summary=data["body"],
                    sections=form.sections(),
                    wres_indicator=data["wres_indicator"] or None,
                    reason=data.get("reason", ""),
                )
            except (ValidationError, PermissionDenied) as exc:
                extra = _refusal(request, form, exc)
            else:
                post.refresh_from_db()
                if post.has_pending_edit:
                    message = (
                        "Your changes have been saved and will appear once a moderator approves "
                        "them. Members see the earlier version until then."
                    )
                else:
                    message = "The case study has been updated." if changed else "Nothing changed."
                messages.success(request, message)
                return redirect(thread)
    else:
        initial = {
            name: getattr(case_study, name)
            for name in (
                "context",
                "actions",
                "changed",
                "measure",
                "before",
                "after",
                "did_not_work",
                "contact",
            )
        }
        waiting = post.has_pending_edit and not moderating
        indicator = case_study.wres_indicator
        if waiting and case_study.pending_sections:
            # The author sees the sections of their edit that waits for a moderator.
            pending = case_study.pending_sections
            initial.update({k: v for k, v in pending.items() if k in initial})
            indicator = pending.get("wres_indicator")
        body = post.pending_body if waiting else post.body
        initial.update(
            title=(post.pending_title if post.has_pending_edit and not moderating else "")
            or thread.title,
            body=services.case_study_summary(case_study, body),
            wres_indicator=str(indicator or ""),
        )
        form = CaseStudyEditForm(initial=initial, moderating=moderating)
    return render(
        request,
        "commitments/case_study_form.html",
        {
            "form": form,
            "editing": thread,
            "moderating": moderating,
            "crumbs": [
                ("Home", reverse("home")),
                ("Library", reverse("library")),
                (thread.title, thread.get_absolute_url()),
            ],
            **extra,
        },
        status=status,
    )
