"""Thin views for the landing page, home, spaces, membership, guidelines, invitations, profiles."""

from __future__ import annotations

import asyncio

from allauth.account.decorators import reauthentication_required
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import policy, selectors, services
from .adapters import INVITATION_SESSION_KEY
from .forms import (
    GuidelinesForm,
    InvitationForm,
    JoinRequestForm,
    NewSpaceForm,
    ProfileForm,
    RequiredReasonForm,
    RolesForm,
    SpaceSettingsForm,
)
from .models import Membership, Space, User


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def guidelines_redirect(request: HttpRequest, space: Space | None = None) -> HttpResponse | None:
    """If the member must accept guidelines first, the redirect to do so (back here after)."""
    pending = policy.pending_guidelines(request.user, space)
    if not pending:
        return None
    version = pending[0]
    target = (
        reverse("space_guidelines", args=[version.space.slug])
        if version.space_id
        else reverse("community_guidelines")
    )
    back = request.get_full_path()
    messages.info(
        request, "Please read and accept the guidelines before you post. Your draft is waiting."
    )
    return redirect(f"{target}?next={back}")


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
        },
    )


def _home_activity(user) -> dict:
    """The latest threads the member can see and their upcoming live sessions."""
    from django.db.models import OuterRef, Subquery

    from realtime.selectors import sessions_for_member
    from threads.models import ReadState, Thread

    latest = list(
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
        .order_by("-last_post_at", "-pk")[:8]
    )
    for thread in latest:
        thread.has_unread = thread.last_read_at is None or thread.last_post_at > thread.last_read_at
    return {"latest_threads": latest, "upcoming_sessions": list(sessions_for_member(user)[:3])}


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


def space_list(request: HttpRequest) -> HttpResponse:
    spaces = list(selectors.spaces_for_directory(request.user))
    for space in spaces:
        space.my_membership = space.my_memberships[0] if space.my_memberships else None
    return render(request, "community/space_list.html", {"spaces": spaces})


def _space_or_404(request: HttpRequest, slug: str) -> Space:
    space = get_object_or_404(Space, slug=slug)
    policy.check_see_space(request.user, space)
    return space


def space_context(request: HttpRequest, space: Space) -> dict:
    user = request.user
    return {
        "space": space,
        "membership": policy.membership_of(user, space),
        "can_read": policy.can_read_space(user, space),
        "can_moderate": policy.can_moderate_space(user, space),
        "can_join": policy.can_join(user, space),
        "guidelines": selectors.current_guidelines(space),
    }


def space_detail(request: HttpRequest, slug: str) -> HttpResponse:
    space = _space_or_404(request, slug)
    context = space_context(request, space)
    try:
        from threads.views import space_threads_context
    except ImportError:
        pass
    else:
        context.update(space_threads_context(request, space, full=context["can_read"]))
    return render(request, "community/space_detail.html", context)


def space_join(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the space's guidelines and the join (or request) form. POST: join or request."""
    space = _space_or_404(request, slug)
    context = space_context(request, space)
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("accept_guidelines") != "on" and context["guidelines"]:
            form.add_error(None, "Tick the box to accept this space's guidelines before you join.")
        elif form.is_valid():
            try:
                membership = services.join_space(
                    actor=request.user, space=space, message=form.cleaned_data["message"]
                )
            except PermissionDenied as exc:
                messages.error(request, str(exc))
                return redirect(space)
            for version in policy.pending_guidelines(request.user, space):
                services.accept_guidelines(actor=request.user, version=version)
            if membership.status == Membership.Status.ACTIVE:
                messages.success(request, f"You have joined {space.name}.")
            else:
                messages.success(
                    request, f"Your request to join {space.name} has been sent to its moderators."
                )
            return redirect(space)
    context["form"] = form
    context["community_pending"] = policy.pending_guidelines(request.user, None)
    if not context["can_join"] and request.method == "GET":
        try:
            policy.check_join(request.user, space)
        except PermissionDenied as exc:
            messages.info(request, str(exc))
            return redirect(space)
    return render(request, "community/space_join.html", context)


@require_POST
def space_leave(request: HttpRequest, slug: str) -> HttpResponse:
    space = _space_or_404(request, slug)
    try:
        services.leave_space(actor=request.user, space=space)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(space)
    messages.success(request, f"You have left {space.name}.")
    return redirect("space_list")


def space_members(request: HttpRequest, slug: str) -> HttpResponse:
    space = _space_or_404(request, slug)
    policy.check_read_space(request.user, space)
    context = space_context(request, space)
    context["members"] = selectors.space_members(space)
    if context["can_moderate"]:
        context["pending"] = selectors.pending_requests(space)
        context["banned"] = selectors.banned_members(space)
        context["invite_form"] = InvitationForm()
    return render(request, "community/space_members.html", context)


def _membership_in(request: HttpRequest, slug: str, membership_id: int) -> Membership:
    space = _space_or_404(request, slug)
    policy.check_read_space(request.user, space)
    return get_object_or_404(
        Membership.objects.select_related("user", "space"), pk=membership_id, space=space
    )


@require_POST
def membership_action(
    request: HttpRequest, slug: str, membership_id: int, action: str
) -> HttpResponse:
    membership = _membership_in(request, slug, membership_id)
    space = membership.space
    name = membership.user.display_name
    try:
        if action == "approve":
            changed = services.approve_request(actor=request.user, membership=membership)
            done = f"{name} is now a member."
        elif action == "decline":
            changed = services.decline_request(
                actor=request.user, membership=membership, reason=request.POST.get("reason", "")
            )
            done = f"{name}'s request was declined."
        elif action == "roles":
            form = RolesForm(request.POST)
            form.is_valid()
            changed = services.set_roles(
                actor=request.user,
                membership=membership,
                moderator=form.cleaned_data.get("moderator", False),
                facilitator=form.cleaned_data.get("facilitator", False),
            )
            done = f"{name}'s roles were updated."
        elif action == "remove":
            changed = services.remove_member(
                actor=request.user, membership=membership, reason=request.POST.get("reason", "")
            )
            done = f"{name} was removed from {space.name}."
        elif action == "ban":
            form = RequiredReasonForm(request.POST)
            if not form.is_valid():
                policy.check_moderate_space(request.user, space)
                messages.error(request, "Give a reason: the member is told why they were banned.")
                return redirect("space_members", slug=space.slug)
            changed = services.ban_member(
                actor=request.user, membership=membership, reason=form.cleaned_data["reason"]
            )
            done = f"{name} was banned from {space.name}."
        elif action == "unban":
            changed = services.unban_member(actor=request.user, membership=membership)
            done = f"{name} is no longer banned."
        else:
            raise Http404
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("space_members", slug=space.slug)
    messages.success(request, done if changed else "Nothing needed changing.")
    return redirect(_safe_next(request, reverse("space_members", args=[space.slug])))


def _guidelines_page(request: HttpRequest, space: Space | None) -> HttpResponse:
    version = selectors.current_guidelines(space)
    if version is None:
        raise Http404("No guidelines yet.")
    accepted = (
        request.user.is_authenticated
        and request.user.guidelines_acceptances.filter(version=version).exists()
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect("account_login")
        if request.POST.get("accept") != "on":
            messages.error(request, "Tick the box to show you accept the guidelines.")
        else:
            services.accept_guidelines(actor=request.user, version=version)
            messages.success(request, "Thank you for accepting the guidelines.")
            fallback = reverse("space_detail", args=[space.slug]) if space else reverse("home")
            return redirect(_safe_next(request, fallback))
    return render(
        request,
        "community/guidelines.html",
        {
            "space": space,
            "version": version,
            "accepted": accepted,
            "next": _safe_next(request, ""),
            "can_edit": request.user.is_authenticated
            and (
                request.user.is_staff
                if space is None
                else policy.can_moderate_space(request.user, space)
            ),
        },
    )


def community_guidelines(request: HttpRequest) -> HttpResponse:
    return _guidelines_page(request, None)


def space_guidelines(request: HttpRequest, slug: str) -> HttpResponse:
    return _guidelines_page(request, _space_or_404(request, slug))


def guidelines_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    space = _space_or_404(request, slug) if slug else None
    if space is None and not request.user.is_staff:
        raise PermissionDenied("Only staff can change the community guidelines.")
    if space is not None:
        policy.check_moderate_space(request.user, space)
    current = selectors.current_guidelines(space)
    form = GuidelinesForm(request.POST or None, initial={"body": current.body if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.publish_guidelines(
                actor=request.user,
                space=space,
                body=form.cleaned_data["body"],
                change_summary=form.cleaned_data["change_summary"],
            )
        except ValidationError as exc:
            form.add_error("body", exc.message_dict.get("body", exc.messages))
        else:
            messages.success(
                request,
                "New guidelines published. Members will be asked to accept them before they next post.",
            )
            return (
                redirect("space_guidelines", slug=space.slug)
                if space
                else redirect("community_guidelines")
            )
    return render(
        request,
        "community/guidelines_edit.html",
        {"form": form, "space": space, "current": current},
    )


@require_POST
def invitation_create(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    space = _space_or_404(request, slug) if slug else None
    form = InvitationForm(request.POST)
    back = reverse("space_members", args=[space.slug]) if space else reverse("home")
    if not form.is_valid():
        if space is not None:
            policy.check_moderate_space(request.user, space)
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    invitation = services.create_invitation(
        actor=request.user,
        space=space,
        email=form.cleaned_data["email"],
        expires_at=form.cleaned_data["expires_at"],
    )
    link = request.build_absolute_uri(invitation.get_absolute_url())
    messages.success(request, f"Invitation created. Share this single-use link: {link}")
    return redirect(back)


@login_not_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.usable_invitation(token)
    if invitation is None:
        return render(request, "community/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        request.session[INVITATION_SESSION_KEY] = token
        messages.info(request, "You have been invited. Create your account (or sign in) to accept.")
        return redirect("account_signup")
    if request.method == "POST":
        try:
            services.redeem_invitation(user=request.user, token=token)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("home")
        if invitation.space_id:
            messages.success(request, f"You are now a member of {invitation.space.name}.")
            return redirect(invitation.space)
        messages.success(request, "Invitation accepted.")
        return redirect("home")
    return render(request, "community/invitation_accept.html", {"invitation": invitation})


def profile(request: HttpRequest, user_id: int) -> HttpResponse:
    person = selectors.profile_visible_to(request.user, user_id)
    if person is None:
        raise Http404("No such member.")
    shared = selectors.member_spaces(person).filter(
        pk__in=Space.objects.readable_by(request.user).values("pk")
    )
    return render(request, "community/profile.html", {"person": person, "shared_spaces": shared})


def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        services.update_profile(actor=request.user, data=form.cleaned_data)
        messages.success(request, "Your profile has been saved.")
        return redirect("profile_edit")
    return render(request, "community/profile_edit.html", {"form": form})


def account_settings(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "community/account.html",
        {"memberships": request.user.memberships.select_related("space")},
    )


def account_export(request: HttpRequest) -> HttpResponse:
    """A JSON download of everything the member wrote or did."""
    from .account_data import build_export

    data = build_export(request.user)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="peer-forum-export-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@reauthentication_required
def account_delete(request: HttpRequest) -> HttpResponse:
    from . import account_data

    if request.method == "POST":
        if request.POST.get("confirm") != "on":
            messages.error(request, "Tick the box to confirm you want your account deleted.")
        else:
            account_data.request_deletion(
                actor=request.user, remove_content=request.POST.get("remove_content") == "on"
            )
            request.user.refresh_from_db()
            due = account_data.deletion_due_at(request.user)
            send_mail(
                "Your account will be deleted",
                (
                    f"You asked us to delete your Race Equality Peer Forum account. It will be "
                    f"deleted on {due:%d %B %Y}. To keep it, sign in before then and choose "
                    "“Keep my account” on your account page."
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
    from . import account_data

    if account_data.cancel_deletion(actor=request.user):
        messages.success(request, "Your account will not be deleted.")
    return redirect("account_settings")


def space_settings(request: HttpRequest, slug: str) -> HttpResponse:
    space = _space_or_404(request, slug)
    policy.check_moderate_space(request.user, space)
    form = SpaceSettingsForm(request.POST or None, instance=Space.objects.get(pk=space.pk))
    if request.method == "POST" and form.is_valid():
        changed = services.update_space_settings(
            actor=request.user, space=space, data=form.cleaned_data
        )
        messages.success(request, "Settings saved." if changed else "Nothing needed changing.")
        return redirect("space_settings", slug=space.slug)
    return render(request, "community/space_settings.html", {"space": space, "form": form})


def space_create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can create spaces.")
    form = NewSpaceForm(request.POST or None, initial={"autohide_threshold": 3})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "guidelines"}
        space = services.create_space(
            actor=request.user, data=data, guidelines=form.cleaned_data["guidelines"]
        )
        messages.success(request, f"{space.name} has been created. You are its first moderator.")
        return redirect(space)
    return render(request, "community/space_create.html", {"form": form})
