"""Site-wide response headers and the MFA requirement for roles with power over others."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseBadRequest
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


class RequestCharsetMiddleware:
    """A request body declared in any charset but UTF-8 is a 400.

    Django refuses a non-UTF-8 ``application/x-www-form-urlencoded`` body only when something
    reads ``request.POST``; the CSRF check does, and then does again inside the 400 page, which
    turns ``charset=utf-7`` into a 500. Multipart bodies it decodes in any codec Python knows,
    ``rot13`` (a 500) and ``utf-7`` included. Our pages are UTF-8, so browsers send nothing else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = request.content_params.get("charset")
        if charset is not None and charset.strip().lower() != "utf-8":
            return HttpResponseBadRequest(
                "Send forms encoded as UTF-8.", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


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
