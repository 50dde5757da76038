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
]
