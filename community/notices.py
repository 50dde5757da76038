"""Tell a member something (a hidden post and why, a warning, an approved request).

Community core does not know how notices are shown: the app that keeps notifications (threads)
receives :data:`community.signals.member_notified` and stores them. A notice never names the
moderator who acted.
"""

from __future__ import annotations

from .models import User
from .signals import member_notified


def tell(recipient: User | None, text: str, *, about=None) -> None:
    """Send ``text`` to ``recipient`` (nobody, for an erased or deactivated account)."""
    if recipient is None or not recipient.is_active:
        return
    member_notified.send(sender=User, recipient=recipient, text=text, about=about)
