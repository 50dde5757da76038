from django.urls import path

from . import views

urlpatterns = [
    path("moderation/", views.queue, name="moderation_queue"),
    path("moderation/audit/", views.audit_log, name="moderation_audit"),
    path("moderation/words/", views.watched_words, name="moderation_words"),
    path(
        "moderation/words/<int:pk>/remove/",
        views.watched_word_remove,
        name="moderation_word_remove",
    ),
    path("moderation/flag/post/<int:pk>/", views.flag_post, name="flag_post"),
    path("moderation/flag/thread/<int:pk>/", views.flag_thread, name="flag_thread"),
    path(
        "moderation/flag/member/<slug:slug>/<int:user_id>/",
        views.flag_member,
        name="flag_member",
    ),
    path("moderation/posts/<int:pk>/<slug:action>/", views.post_action, name="moderation_post"),
    path(
        "moderation/threads/<int:pk>/<slug:action>/",
        views.thread_action,
        name="moderation_thread",
    ),
    path(
        "moderation/spaces/<slug:slug>/members/<int:user_id>/<slug:action>/",
        views.member_action,
        name="moderation_member",
    ),
    path(
        "moderation/accounts/<int:user_id>/<slug:action>/",
        views.account_action,
        name="moderation_account",
    ),
    path("moderation/live/<int:pk>/<slug:action>/", views.live_action, name="moderation_live"),
]
