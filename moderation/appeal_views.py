"""Thin views for appeals: the member's decisions and appeals, and the moderators' list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from community.http import form_errors

from . import appeals, policy
from .forms import AppealDecisionForm, AppealForm
from .models import Appeal


def my_decisions(request: HttpRequest) -> HttpResponse:
    """The moderators' decisions about the member from the last 14 days, and their appeals."""
    entries = list(appeals.appealable_entries(request.user)[:100])
    return render(request, "moderation/appeals_mine.html", {"entries": entries})


def appeal_create(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = appeals.appealable_entries(request.user).filter(pk=entry_id).first()
    if entry is None:
        raise Http404("No such decision.")
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeals.submit_appeal(
                actor=request.user, entry=entry, statement=form.cleaned_data["statement"]
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, "Your appeal is sent. Another moderator will decide and tell you why."
            )
            return redirect("my_decisions")
    return render(request, "moderation/appeals_form.html", {"form": form, "entry": entry})


def appeal_list(request: HttpRequest) -> HttpResponse:
    policy.check_see_queue(request.user)
    status = request.GET.get("status") or Appeal.Status.OPEN
    if status not in Appeal.Status.values:
        status = Appeal.Status.OPEN
    listed = (
        Appeal.objects.to_decide(request.user)
        .filter(status=status)
        .select_related("entry", "space", "appellant", "decided_by")
    )
    page = Paginator(listed, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/appeals_list.html",
        {"page_obj": page, "status": status, "statuses": Appeal.Status.choices},
    )


def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy.check_see_queue(request.user)
    appeal = appeals.appeal_or_404(request.user, pk)
    form = AppealDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            appeals.check_decide(request.user, appeal)
        except PermissionDenied as exc:
            form = AppealDecisionForm(request.POST)
            form.is_valid()
            form.add_error(None, str(exc))
            status = 403
        else:
            if form.is_valid():
                try:
                    appeals.decide_appeal(
                        actor=request.user,
                        appeal=appeal,
                        overturn=form.cleaned_data["decision"] == "overturn",
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as exc:
                    form_errors(form, exc)
                else:
                    messages.success(request, "The appeal is decided and the member has been told.")
                    return redirect("moderation_appeals")
    return render(
        request,
        "moderation/appeals_detail.html",
        {"appeal": appeal, "form": form, "can_decide": appeals.can_decide(request.user, appeal)},
        status=status,
    )
