from django.contrib import admin

from .models import ActionProposal, CaseStudy, Commitment, CommitmentReminder, CommitmentUpdate


class UpdateInline(admin.TabularInline):
    model = CommitmentUpdate
    extra = 0
    fields = ["created_at", "status", "happened", "is_pending", "report_post"]
    readonly_fields = fields
    can_delete = False


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    """Staff see what members shared (a space or everyone), never a private commitment: the
    same ``visible_to`` as every other path."""

    list_display = [
        "__str__",
        "owner",
        "area",
        "status",
        "visibility",
        "space",
        "is_pending",
        "due_on",
    ]
    # Read-only: the text is rendered by the services when saved, so an edit here would leave
    # the shown HTML stale. Staff may delete a shared commitment.
    list_filter = ["status", "visibility", "is_pending", "area", "wres_indicator"]
    raw_id_fields = ["owner", "space", "source_thread", "source_post", "source_session", "proposal"]
    readonly_fields = ["text_html", "why_html", "closing_note_html", "created_at", "updated_at"]
    inlines = [UpdateInline]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).visible_to(request.user).select_related("owner", "space")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ActionProposal)
class ActionProposalAdmin(admin.ModelAdmin):
    list_display = ["text", "session", "created_by", "created_at"]
    raw_id_fields = ["session", "created_by"]


@admin.register(CaseStudy)
class CaseStudyAdmin(admin.ModelAdmin):
    """Read-only, like commitments: sections are rendered when the case study is written."""

    list_display = ["__str__", "wres_indicator", "created_at"]
    raw_id_fields = ["thread"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    readonly_fields = [
        "context_html",
        "actions_html",
        "changed_html",
        "did_not_work_html",
        "contact_html",
    ]


@admin.register(CommitmentReminder)
class CommitmentReminderAdmin(admin.ModelAdmin):
    list_display = ["commitment", "kind", "due_date", "sent_at"]
    raw_id_fields = ["commitment"]

    def get_queryset(self, request):
        visible = Commitment.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(commitment__in=visible)
