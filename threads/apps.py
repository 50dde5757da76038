from django.apps import AppConfig


class ThreadsConfig(AppConfig):
    name = "threads"

    def ready(self) -> None:
        from community.signals import member_notified
        from moderation import registry

        from .kinds import PostKind, ThreadKind
        from .receivers import keep_notice

        registry.register(PostKind())
        registry.register(ThreadKind())
        member_notified.connect(keep_notice, dispatch_uid="threads.keep_notice")
