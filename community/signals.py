"""What community core tells the apps above it, without knowing they exist.

Apps connect receivers in their ``AppConfig.ready``. Senders call inside the transaction that
made the change, so a receiver's writes commit with it; a receiver that pushes to sockets uses
``transaction.on_commit`` itself.
"""

from __future__ import annotations

from django.dispatch import Signal

# A member's standing changed: ``user``, ``space`` (None for site-wide), ``change`` (one of
# STANDING_CHANGES), ``until`` (datetime or None), ``reason`` (str), ``actor`` (User or None).
standing_changed = Signal()

BANNED = "banned"
UNBANNED = "unbanned"
REMOVED = "removed"
MUTED = "muted"
UNMUTED = "unmuted"
WARNED = "warned"
SUSPENDED = "suspended"
UNSUSPENDED = "unsuspended"
ERASED = "erased"
SIGNED_OUT = "signed_out"
PASSWORD_CHANGED = "password_changed"
STANDING_CHANGES = (
    BANNED,
    UNBANNED,
    REMOVED,
    MUTED,
    UNMUTED,
    WARNED,
    SUSPENDED,
    UNSUSPENDED,
    ERASED,
    SIGNED_OUT,
    PASSWORD_CHANGED,
)

# A notice for one member from the moderators or the forum: ``recipient`` (User), ``text``
# (str, never naming a moderator), ``about`` (the object it concerns, or None); for a gathered
# notice (community.notices.tell_gathered) also ``gather`` (a key) and ``text_for`` (count ->
# text), so one unread notice per key is kept up to date. The threads app stores it as an
# in-app notification.
member_notified = Signal()
