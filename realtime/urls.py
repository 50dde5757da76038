from django.urls import path

from . import views

urlpatterns = [
    path("live/", views.session_list, name="live_list"),
    path("live/new/", views.session_create, name="live_create"),
    path("live/feed.ics", views.feed, name="live_feed"),
    path("live/feed/reset/", views.feed_reset, name="live_feed_reset"),
    path("live/<int:session_id>/", views.room, name="live_room"),
    path("live/<int:session_id>/edit/", views.session_edit, name="live_edit"),
    path("live/<int:session_id>/calendar.ics", views.calendar, name="live_calendar"),
    path("live/<int:session_id>/transcript/", views.transcript, name="live_transcript"),
    path("live/<int:session_id>/register/", views.register, name="live_register"),
    path("live/<int:session_id>/cancel/", views.cancel, name="live_cancel"),
    path("live/<int:session_id>/status/<str:action>/", views.change_status, name="live_status"),
    path("live/<int:session_id>/feedback/", views.feedback, name="live_feedback"),
    path(
        "live/<int:session_id>/feedback/results/",
        views.feedback_results,
        name="live_feedback_results",
    ),
    path("live/<int:session_id>/summary/", views.summary_edit, name="live_summary"),
    path(
        "live/<int:session_id>/summary/publish/", views.summary_publish, name="live_summary_publish"
    ),
    path("live/<int:session_id>/summary/quotes/", views.summary_quotes, name="live_summary_quotes"),
    path(
        "live/<int:session_id>/summary/quotes/<int:quote_id>/withdraw/",
        views.summary_withdraw,
        name="live_summary_withdraw",
    ),
]
