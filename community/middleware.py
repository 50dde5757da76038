"""Site-wide response headers and the MFA requirement for roles with power over others."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from . import policy


class SecurityHeadersMiddleware:
    """Nothing here is for search engines, and no page may use powerful browser features."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# The rule is community.policy's; the name stays importable from here.
holds_power = policy.holds_power


class MfaRequiredMiddleware:
    """With MFA_REQUIRED_FOR_ROLES, staff, moderators and facilitators set up MFA first
    (:func:`community.policy.mfa_setup_required`, which the WebSocket consumers use too)."""

    exempt_prefixes = ("/accounts/", "/static/", "/healthz", "/admin/logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.exempt_prefixes) and policy.mfa_setup_required(
            request.user
        ):
            messages.warning(request, policy.MFA_REQUIRED_DETAIL)
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
