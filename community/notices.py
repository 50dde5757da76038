"""Tell a member something (a hidden post and why, a warning, an approved request).

Community core does not know how notices are shown: the app that keeps notifications (threads)
receives :data:`community.signals.member_notified` and stores them. A notice never names the
moderator who acted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from . import mail
from .models import User
from .signals import member_notified

logger = logging.getLogger(__name__)

APPEAL_HINT = (
    "If you think this is wrong, you can appeal within 14 days: Your account, then Decisions "
    "about you."
)


def appealable(text: str) -> str:
    """The notice of a decision the member may appeal (moderation.appeals), saying so."""
    text = text.rstrip()
    if text and text[-1] not in ".!?":
        text += "."
    return f"{text} {APPEAL_HINT}"


def tell(recipient: User | None, text: str, *, about=None) -> None:
    """Send ``text`` to ``recipient`` (nobody, for an erased or deactivated account)."""
    if recipient is None or not recipient.is_active:
        return
    member_notified.send(sender=User, recipient=recipient, text=text, about=about)


def tell_gathered(recipient: User | None, gather: str, text_for: Callable[[int], str]) -> None:
    """Tell ``recipient`` of one more of something that comes in numbers (new reports): while
    their notice of ``gather`` is unread it is updated to ``text_for(count)`` instead of a new
    notice being added; once read, the next one starts again at ``text_for(1)``."""
    if recipient is None or not recipient.is_active:
        return
    member_notified.send(
        sender=User, recipient=recipient, text=text_for(1), gather=gather, text_for=text_for
    )


def site_url(path: str) -> str:
    """An absolute link for an email, on ``SITE_URL`` (community.mail)."""
    return mail.site_url(path)


def email(address: str, *, subject: str, body: str) -> None:
    """Send an email in the house design (community.mail) once the transaction commits; a
    failure is logged, not raised (the in-app notice, or the page, already told the member)."""
    if not address:
        return

    def send() -> None:
        try:
            mail.send_mail(subject, body, None, [address])
        except Exception:
            logger.exception("Email %r failed", subject)

    transaction.on_commit(send)
