from django.urls import path

from . import appeal_views, reporting, transparency, views

urlpatterns = [
    path("moderation/", views.queue, name="moderation_queue"),
    path("moderation/bulk/", views.queue_bulk, name="moderation_bulk"),
    path("moderation/replies/", views.saved_replies, name="moderation_replies"),
    path(
        "moderation/replies/<int:pk>/remove/",
        views.saved_reply_remove,
        name="moderation_reply_remove",
    ),
    path("moderation/wellbeing/", views.wellbeing, name="moderation_wellbeing"),
    path("moderation/members/", views.member_search, name="moderation_members"),
    path(
        "moderation/spaces/<slug:slug>/members/<int:user_id>/notes/",
        views.member_notes,
        name="moderation_notes",
    ),
    path("moderation/audit/", views.audit_log, name="moderation_audit"),
    path("moderation/words/", views.watched_words, name="moderation_words"),
    path("moderation/words/<int:pk>/edit/", views.watched_word_edit, name="moderation_word_edit"),
    path(
        "moderation/words/<int:pk>/remove/",
        views.watched_word_remove,
        name="moderation_word_remove",
    ),
    # The reporter's side: confirmation, their reports, withdrawal.
    path("moderation/reports/sent/", reporting.report_sent, name="report_sent"),
    path("moderation/reports/mine/", reporting.my_reports, name="my_reports"),
    path(
        "moderation/reports/<int:pk>/withdraw/",
        reporting.withdraw_report,
        name="withdraw_report",
    ),
    path("moderation/report/", transparency.report, name="transparency_report"),
    # Appeals: the member's decisions and appeals; the moderators' list and decision.
    path("moderation/appeals/", appeal_views.appeal_list, name="moderation_appeals"),
    path("moderation/appeals/mine/", appeal_views.my_decisions, name="my_decisions"),
    path(
        "moderation/appeals/new/<int:entry_id>/",
        appeal_views.appeal_create,
        name="appeal_create",
    ),
    path("moderation/appeals/<int:pk>/", appeal_views.appeal_detail, name="appeal_detail"),
    # Flags: one view for every kind that lives in a space; members are flagged in a space.
    path("moderation/flag/post/<int:pk>/", views.flag_item, {"kind": "post"}, name="flag_post"),
    path(
        "moderation/flag/thread/<int:pk>/",
        views.flag_item,
        {"kind": "thread"},
        name="flag_thread",
    ),
    path(
        "moderation/flag/member/<slug:slug>/<int:user_id>/",
        views.flag_member,
        name="flag_member",
    ),
    # Actions: one view for every kind; the older names stay on their paths.
    path(
        "moderation/posts/<int:pk>/<slug:action>/",
        views.item_action,
        {"kind": "post"},
        name="moderation_post",
    ),
    path(
        "moderation/threads/<int:pk>/<slug:action>/",
        views.item_action,
        {"kind": "thread"},
        name="moderation_thread",
    ),
    path(
        "moderation/live/<int:pk>/<slug:action>/",
        views.item_action,
        {"kind": "live_message"},
        name="moderation_live",
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
    path(
        "moderation/<slug:kind>/<int:pk>/<slug:action>/",
        views.item_action,
        name="moderation_item",
    ),
]
