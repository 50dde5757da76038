from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from allauth.account import signals as account_signals
        from allauth.mfa.models import Authenticator
        from allauth.usersessions.models import UserSession
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from community import signals
        from community.models import Membership, User
        from moderation import registry

        from . import receivers
        from .kinds import BreakoutMessageKind, LiveMessageKind
        from .models import LiveSession
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
        # Roles are read at connect; whatever they are read from tells the sockets again.
        for signal in (post_save, post_delete):
            signal.connect(
                receivers.membership_changed, sender=Membership, dispatch_uid="realtime.roles.m"
            )
            signal.connect(
                receivers.authenticator_changed,
                sender=Authenticator,
                dispatch_uid="realtime.roles.mfa",
            )
        post_save.connect(receivers.account_changed, sender=User, dispatch_uid="realtime.roles.u")
        m2m_changed.connect(
            receivers.facilitators_changed,
            sender=LiveSession.facilitators.through,
            dispatch_uid="realtime.roles.f",
        )
