"""Every email the forum sends: a plain-text part and an HTML part in the house design (an NHS
blue header, inline styles, nothing loaded from elsewhere), with links on ``SITE_URL``, never on
the host a request happened to come in on."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string


def site_url(location: str = "/") -> str:
    """``location`` (a path, or an absolute URL on any host) as an absolute URL on SITE_URL."""
    base = urlsplit(settings.SITE_URL.rstrip("/"))
    bits = urlsplit(location)
    path = base.path.rstrip("/") + (bits.path if bits.path.startswith("/") else "/" + bits.path)
    return urlunsplit((base.scheme, base.netloc, path, bits.query, bits.fragment))


def text_footer() -> str:
    return f"\n\n-- \n{settings.SITE_NAME}\n{site_url('/')}\n"


def html_body(subject: str, message: str) -> str:
    """The branded HTML version of a plain-text ``message`` (paragraphs kept, links linked)."""
    return render_to_string(
        "email/message.html",
        {"subject": subject, "message": message, "site_url": settings.SITE_URL.rstrip("/")},
    )


def brand(message: EmailMessage) -> EmailMultiAlternatives:
    """``message`` with the forum's text footer and, unless it has one, an HTML part made
    from its text."""
    html = None
    if isinstance(message, EmailMultiAlternatives):
        html = next((body for body, kind in message.alternatives if kind == "text/html"), None)
    text = message.body.rstrip()
    branded = EmailMultiAlternatives(
        subject=message.subject,
        body=text + text_footer(),
        from_email=message.from_email,
        to=message.to,
        cc=message.cc,
        bcc=message.bcc,
        headers=message.extra_headers,
        connection=message.connection,
        reply_to=message.reply_to,
    )
    branded.attach_alternative(html or html_body(message.subject, text), "text/html")
    return branded


def send_mail(
    subject: str,
    message: str,
    from_email: str | None,
    recipient_list: list[str],
    *,
    html_message: str | None = None,
    connection=None,
) -> int:
    """Django's ``send_mail``, in the house design: the HTML part is ``html_message`` or made
    from ``message``. Raises on failure (callers decide whether to carry on)."""
    email = EmailMultiAlternatives(
        subject=subject,
        body=message,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=recipient_list,
        connection=connection or get_connection(),
    )
    if html_message is not None:
        email.attach_alternative(html_message, "text/html")
    return brand(email).send()
