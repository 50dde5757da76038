from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        from community import signals

        from . import registry, services
        from .kinds import MemberKind

        registry.register(MemberKind())
        signals.standing_changed.connect(
            services.close_flags_on_sanctioned_member,
            dispatch_uid="moderation.close_flags_on_sanctioned_member",
        )
