"""What threads does when community core tells the apps something (connected in
:meth:`threads.apps.ThreadsConfig.ready`)."""

from __future__ import annotations

from . import services


def keep_notice(
    sender, *, recipient, text: str, about=None, gather: str = "", text_for=None, **kwargs
) -> None:
    """``community.signals.member_notified``: the notice becomes a "From the moderators"
    notification (linked to the thread or post it is about) and the header count updates; a
    gathered one updates the member's unread notice of its kind instead of adding one."""
    if gather and text_for is not None:
        services.gather_notice(recipient=recipient, gather=gather, text_for=text_for)
        return
    services.store_notice(recipient=recipient, text=text, about=about)
