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


class PrivateNoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response to a signed-in member, and on the
    account pages under ``/accounts/`` (sign-in, sign-up, password reset) signed in or not: no
    shared cache keeps a private page, and no browser keeps one to show after sign-out.

    Sits inside WhiteNoise, which answers static files before this runs; a response under
    ``STATIC_URL`` that gets here anyway (a missing file) is left as it is.
    """

    account_prefix = "/accounts/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):
            return response
        # Read after the view: a sign-in or sign-out during the request counts as it ends.
        user = getattr(request, "user", None)
        if request.path.startswith(self.account_prefix) or (
            user is not None and user.is_authenticated
        ):
            response["Cache-Control"] = "no-store, private"
        return response
