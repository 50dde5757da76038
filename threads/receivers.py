"""What threads does when community core tells the apps something (connected in
:meth:`threads.apps.ThreadsConfig.ready`)."""

from __future__ import annotations

from . import services


def keep_notice(sender, *, recipient, text: str, about=None, **kwargs) -> None:
    """``community.signals.member_notified``: the notice becomes a "From the moderators"
    notification (linked to the thread or post it is about) and the header count updates."""
    services.store_notice(recipient=recipient, text=text, about=about)
