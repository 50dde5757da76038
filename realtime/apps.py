from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from allauth.account import signals as account_signals
        from allauth.usersessions.models import UserSession
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_delete

        from community import signals
        from moderation import registry

        from . import receivers
        from .kinds import BreakoutMessageKind, LiveMessageKind
        from .services import tell_sockets

        registry.register(LiveMessageKind())
        registry.register(BreakoutMessageKind())
        signals.standing_changed.connect(tell_sockets, dispatch_uid="realtime.tell_sockets")
        # A sign-in that ends closes its sockets (SPEC.md principle 5).
        user_logged_out.connect(
            receivers.end_signed_out_session, dispatch_uid="realtime.end_signed_out_session"
        )
        post_delete.connect(
            receivers.end_ended_session, sender=UserSession, dispatch_uid="realtime.end_session"
        )
        for signal in (
            account_signals.password_changed,
            account_signals.password_set,
            account_signals.password_reset,
        ):
            signal.connect(receivers.end_other_sessions, dispatch_uid="realtime.end_other_sessions")
