"""Site-wide response headers and the MFA requirement for roles with power over others."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse


class SecurityHeadersMiddleware:
    """Nothing here is for search engines, and no page may use powerful browser features.

    Outermost in MIDDLEWARE, so that what inner middleware answers on its own (WhiteNoise's
    static files, SecurityMiddleware's HTTPS redirect, the 400 for a disallowed host) gets the
    headers too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Robots-Tag"] = settings.ROBOTS_TAG
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def holds_power(user) -> bool:
    """Staff, and moderators or facilitators of any space."""
    from django.db.models import Q

    from .models import Membership

    if user.is_staff:
        return True
    return Membership.objects.filter(
        Q(is_moderator=True) | Q(is_facilitator=True), user=user, status=Membership.Status.ACTIVE
    ).exists()


class MfaRequiredMiddleware:
    """With MFA_REQUIRED_FOR_ROLES, staff, moderators and facilitators set up MFA first."""

    exempt_prefixes = ("/accounts/", "/static/", "/healthz", "/admin/logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MFA_REQUIRED_FOR_ROLES
            and request.user.is_authenticated
            and not request.path.startswith(self.exempt_prefixes)
            and holds_power(request.user)
        ):
            from allauth.mfa.models import Authenticator

            if not Authenticator.objects.filter(user=request.user).exists():
                messages.warning(
                    request,
                    "Your role lets you act on other members' posts, so set up two-factor "
                    "authentication before you continue.",
                )
                return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
