from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    """Commitments, live-session action proposals, reminders and structured case studies.

    A content app inside ``threads``: it may use community, moderation, realtime and threads;
    nothing below imports it (templates reach it by URL name only).
    """

    name = "threads.commitments"
    label = "commitments"
    verbose_name = "Commitments and case studies"
