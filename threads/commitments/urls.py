from django.urls import path

from moderation import views as moderation_views

from . import views

COMMITMENT = "commitments/<int:commitment_id>/"
ACTIONS = "live/<int:session_id>/actions/"

urlpatterns = [
    path("commitments/", views.commitment_list, name="commitment_list"),
    path("commitments/new/", views.commitment_create, name="commitment_create"),
    path(COMMITMENT, views.commitment_detail, name="commitment_detail"),
    path(COMMITMENT + "edit/", views.commitment_edit, name="commitment_edit"),
    path(COMMITMENT + "updates/", views.commitment_update, name="commitment_update"),
    path(COMMITMENT + "reminders/", views.commitment_reminders, name="commitment_reminders"),
    # Flagging is moderation's one flag view, on its URL scheme (/moderation/flag/<kind>/<id>/).
    path(
        "moderation/flag/commitment/<int:pk>/",
        moderation_views.flag_item,
        {"kind": "commitment"},
        name="flag_commitment",
    ),
    path("spaces/<slug:slug>/commitments/", views.space_commitments, name="space_commitments"),
    path(ACTIONS, views.live_actions, name="live_actions"),
    path(ACTIONS + "<int:proposal_id>/adopt/", views.proposal_adopt, name="proposal_adopt"),
    path("library/", views.library, name="library"),
    path("library/new/", views.case_study_create, name="case_study_create"),
    path(
        "library/case-studies/<int:thread_id>/edit/",
        views.case_study_edit,
        name="case_study_edit",
    ),
]
