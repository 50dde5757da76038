from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self) -> None:
        from community import signals
        from moderation import registry

        from .kinds import LiveMessageKind
        from .services import tell_live_sockets

        registry.register(LiveMessageKind())
        signals.standing_changed.connect(
            tell_live_sockets, dispatch_uid="realtime.tell_live_sockets"
        )
