"""Thin views for the landing page, home, spaces, membership, guidelines, invitations, profiles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import policy, sanctions, selectors, services
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
from .http import safe_next, space_context, space_or_404
from .models import Membership, Space, SupportEntry, User


def space_list(request: HttpRequest) -> HttpResponse:
    spaces = list(selectors.spaces_for_directory(request.user))
    for space in spaces:
        space.my_membership = space.my_memberships[0] if space.my_memberships else None
    return render(request, "community/space_list.html", {"spaces": spaces})


def space_join(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the space's guidelines and the join (or request) form. POST: join or request."""
    space = space_or_404(request, slug)
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
    space = space_or_404(request, slug)
    try:
        services.leave_space(actor=request.user, space=space)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(space)
    messages.success(request, f"You have left {space.name}.")
    return redirect("space_list")


def space_members(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
    policy.check_read_space(request.user, space)
    context = space_context(request, space)
    context["members"] = selectors.space_members(space)
    if context["can_moderate"]:
        context["pending"] = selectors.pending_requests(space)
        context["banned"] = selectors.banned_members(space)
        context["invite_form"] = InvitationForm()
    return render(request, "community/space_members.html", context)


def _membership_in(request: HttpRequest, slug: str, membership_id: int) -> Membership:
    space = space_or_404(request, slug)
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
            changed = sanctions.remove_member(
                actor=request.user,
                space=space,
                member=membership.user,
                reason=request.POST.get("reason", ""),
            )
            done = f"{name} was removed from {space.name}."
        elif action == "ban":
            form = RequiredReasonForm(request.POST)
            if not form.is_valid():
                policy.check_moderate_space(request.user, space)
                messages.error(request, "Give a reason: the member is told why they were banned.")
                return redirect("space_members", slug=space.slug)
            changed = sanctions.ban_member(
                actor=request.user,
                space=space,
                member=membership.user,
                reason=form.cleaned_data["reason"],
            )
            done = f"{name} was banned from {space.name}."
        elif action == "unban":
            changed = sanctions.unban_member(
                actor=request.user, space=space, member=membership.user
            )
            done = f"{name} is no longer banned."
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("space_members", slug=space.slug)
    messages.success(request, done if changed else "Nothing needed changing.")
    return redirect(safe_next(request, reverse("space_members", args=[space.slug])))


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
            return redirect(safe_next(request, fallback))
    return render(
        request,
        "community/guidelines.html",
        {
            "space": space,
            "version": version,
            "accepted": accepted,
            "next": safe_next(request, ""),
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
    return _guidelines_page(request, space_or_404(request, slug))


def guidelines_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    space = space_or_404(request, slug) if slug else None
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
    space = space_or_404(request, slug) if slug else None
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
    if invitation.email:
        messages.success(
            request,
            f"Invitation emailed to {invitation.email}. You can also share this single-use "
            f"link: {link}",
        )
    else:
        messages.success(request, f"Invitation created. Share this single-use link: {link}")
    return redirect(back)


def invitation_list(request: HttpRequest) -> HttpResponse:
    """The invitations the member made (staff: every invitation), newest first."""
    invitations = Paginator(selectors.invitations_made_by(request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "community/invitation_list.html", {"page_obj": invitations})


@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(selectors.invitations_made_by(request.user), pk=pk)
    if services.revoke_invitation(actor=request.user, invitation=invitation):
        messages.success(request, "The invitation is revoked: its link no longer works.")
    else:
        messages.info(request, "This invitation was already used or revoked.")
    return redirect("invitation_list")


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


def space_settings(request: HttpRequest, slug: str) -> HttpResponse:
    space = space_or_404(request, slug)
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


def support_directory(request: HttpRequest) -> HttpResponse:
    """Where to turn for support: staff-edited entries, for every signed-in member."""
    return render(
        request,
        "community/support.html",
        {"entries": SupportEntry.objects.visible_to(request.user)},
    )
