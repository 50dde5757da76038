"""The reporter's side of a flag: the confirmation (with support), their reports and withdrawal.

A reporter sees only their own reports (``Flag.objects.raised_by``): what kind of item, where,
why, and what was decided with the moderator's reason, never the item's text or author.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from community.http import safe_next
from community.models import SupportEntry

from . import services
from .models import Flag


def report_sent(request: HttpRequest) -> HttpResponse:
    """After a report: thanks, what happens next, and where to find support now."""
    return render(
        request,
        "moderation/report_sent.html",
        {
            "back": safe_next(request, "/"),
            "entries": SupportEntry.objects.visible_to(request.user),
        },
    )


def my_reports(request: HttpRequest) -> HttpResponse:
    reports = Flag.objects.raised_by(request.user).select_related("space").order_by("-created_at")
    page = Paginator(reports, 25).get_page(request.GET.get("page"))
    return render(request, "moderation/reports_mine.html", {"page_obj": page})


@require_POST
def withdraw_report(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(Flag.objects.raised_by(request.user), pk=pk)
    if services.withdraw_flag(actor=request.user, flag=flag):
        messages.success(request, "Your report is withdrawn. The moderators will not review it.")
    else:
        messages.info(request, "A moderator has already decided on this report.")
    return redirect("my_reports")
