from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    """Commitments, live-session action proposals, reminders and structured case studies.

    A content app inside ``threads``: it may use community, moderation, realtime and threads;
    nothing below imports it (templates reach it by URL name only). It registers its kind (a
    commitment shared with a space) with moderation, as threads and realtime register theirs.
    """

    name = "threads.commitments"
    label = "commitments"
    verbose_name = "Commitments and case studies"

    def ready(self) -> None:
        from moderation import registry
        from realtime import summaries
        from threads import signals as threads_signals

        from .kinds import CommitmentKind
        from .live_summaries import publish_as_thread

        registry.register(CommitmentKind())
        summaries.register_publisher(publish_as_thread)
        threads_signals.post_edited.connect(
            _follow_opening_post, dispatch_uid="commitments.follow_opening_post"
        )


def _follow_opening_post(sender, *, post, outcome, **kwargs) -> None:
    from .services import follow_opening_post

    follow_opening_post(post=post, outcome=outcome)
