"""allauth hooks: who may sign up (allowed domains or an invitation), and the client's address."""

from __future__ import annotations

from allauth import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from . import mail

INVITATION_SESSION_KEY = "invitation_token"
# The one address every request carrying X-Forwarded-For counts as while no proxy is trusted.
UNTRUSTED_FORWARDED_ADDRESS = "0.0.0.0"  # noqa: S104 - an address to count, never to bind


def email_domain_allowed(email: str) -> bool:
    allowed = settings.ALLOWED_EMAIL_DOMAINS
    if not allowed:
        return True
    domain = email.rsplit("@", 1)[-1].lower()
    return domain in allowed


def may_add_email(user, email: str) -> bool:
    """An address added in the account area keeps to the sign-up rule: an allowed domain, unless
    the member joined by invitation (which let them in from any domain)."""
    from .models import Invitation

    return email_domain_allowed(email) or Invitation.objects.filter(used_by=user).exists()


class _Site:
    """What allauth's templates print as ``current_site``: the forum, at SITE_URL."""

    def __init__(self) -> None:
        self.name = settings.SITE_NAME
        self.domain = mail.site_url("/").split("://", 1)[-1].rstrip("/")


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's emails with the forum's name, and their links (built on the request's
        host) moved onto SITE_URL."""
        context = {**context, "current_site": _Site(), "site_url": settings.SITE_URL}
        for key, value in list(context.items()):
            if key.endswith("_url") and key != "site_url" and isinstance(value, str) and value:
                context[key] = mail.site_url(value)
        super().send_mail(template_prefix, email, context)

    def render_mail(self, template_prefix, email, context, headers=None):
        """With an HTML part in the house design (from the template's ``_message.html``, or
        made from its text)."""
        return mail.brand(super().render_mail(template_prefix, email, context, headers))

    def is_open_for_signup(self, request) -> bool:
        return True

    def get_client_ip(self, request) -> str:
        """The address rate limits count, trusting X-Forwarded-For only as far as
        ``ALLAUTH_TRUSTED_PROXY_COUNT`` says (allauth then takes the entry that many from the end).

        With no proxy trusted, a forwarded request's REMOTE_ADDR cannot be believed either:
        daphne's ``--proxy-headers`` sets it from the header's first entry, which the client
        wrote. So all such requests count as one address, as they would from one proxy.
        """
        if (
            not allauth_settings.TRUSTED_CLIENT_IP_HEADER
            and allauth_settings.TRUSTED_PROXY_COUNT == 0
            and request.headers.get("x-forwarded-for")
        ):
            return UNTRUSTED_FORWARDED_ADDRESS
        return super().get_client_ip(request)
