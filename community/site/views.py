"""The site's own pages: the home page, the health check, and the account's export and deletion.

Wiring: these pages gather from every app, so they live above all of them.
"""

from __future__ import annotations

import asyncio

from allauth.account.decorators import reauthentication_required
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from community import policy, selectors
from community.mail import send_mail, site_url
from community.models import Space
from threads.commitments.selectors import home_context as commitments_home

from . import account_data


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    spaces = list(Space.objects.filter(listed=True).order_by("position")[:5])
    if not request.user.is_authenticated:
        return render(request, "community/landing.html", {"spaces": spaces})
    return render(
        request,
        "community/home.html",
        {
            "my_spaces": selectors.member_spaces(request.user),
            "spaces": spaces,
            "needs_guidelines": not policy.has_accepted_guidelines(request.user),
            **_home_activity(request.user),
            **commitments_home(request.user),
        },
    )


def _home_activity(user) -> dict:
    """What leads the member's home page: threads with something unread, the latest threads,
    and their live sessions now and coming up. A fixed number of queries."""
    from django.db.models import F, OuterRef, Q, Subquery

    from realtime.selectors import sessions_for_member
    from threads.models import ReadState, Thread

    threads = (
        Thread.objects.visible_to(user)
        .filter(space__in=Space.objects.readable_by(user).values("pk"))
        .annotate(
            last_read_at=Subquery(
                ReadState.objects.filter(user=user, thread=OuterRef("pk")).values("last_read_at")[
                    :1
                ]
            )
        )
        .select_related("space")
        .order_by("-last_post_at", "-pk")
    )
    unread = list(
        threads.filter(Q(last_read_at__isnull=True) | Q(last_post_at__gt=F("last_read_at")))[:8]
    )
    latest = list(threads[:8])
    for thread in [*unread, *latest]:
        thread.has_unread = thread.last_read_at is None or thread.last_post_at > thread.last_read_at
        thread.never_read = thread.last_read_at is None
    return {
        "unread_threads": unread,
        "latest_threads": latest,
        "upcoming_sessions": list(sessions_for_member(user)[:3]),
    }


@login_not_required
@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    """200 after a database query and a channel-layer round trip; 503 naming what failed."""
    checks: dict[str, str] = {}

    def query_db() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    try:
        await sync_to_async(query_db, thread_sensitive=False)()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"failed: {exc.__class__.__name__}"
    try:
        layer = get_channel_layer()
        channel = await layer.new_channel("healthz.")
        await asyncio.wait_for(layer.send(channel, {"type": "healthz.ping"}), timeout=3)
        message = await asyncio.wait_for(layer.receive(channel), timeout=3)
        checks["channel_layer"] = (
            "ok" if message.get("type") == "healthz.ping" else "failed: wrong reply"
        )
    except Exception as exc:
        checks["channel_layer"] = f"failed: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def account_export(request: HttpRequest) -> HttpResponse:
    """A JSON download of everything the member wrote or did."""
    data = account_data.build_export(request.user)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="peer-forum-export-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@reauthentication_required
def account_delete(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("confirm") != "on":
            messages.error(request, "Tick the box to confirm you want your account deleted.")
        else:
            account_data.request_deletion(
                actor=request.user, remove_content=request.POST.get("remove_content") == "on"
            )
            request.user.refresh_from_db()
            due = timezone.localtime(account_data.deletion_due_at(request.user))
            send_mail(
                "Your account will be deleted",
                (
                    f"You asked us to delete your Race Equality Peer Forum account. It will be "
                    f"deleted on {due:%d %B %Y}. To keep it, sign in before then and choose "
                    "“Keep my account” on your account page:\n\n"
                    f"{site_url(reverse('account_settings'))}"
                ),
                None,
                [request.user.email],
            )
            messages.success(
                request,
                f"Your account will be deleted on {due:%d %B %Y}. Sign in before then to keep it.",
            )
            return redirect("account_settings")
    return render(request, "community/account_delete.html", {"grace_days": 7})


@require_POST
def account_delete_cancel(request: HttpRequest) -> HttpResponse:
    if account_data.cancel_deletion(actor=request.user):
        messages.success(request, "Your account will not be deleted.")
    return redirect("account_settings")
