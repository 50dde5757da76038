from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    AuditEntry,
    GuidelinesAcceptance,
    GuidelinesVersion,
    Invitation,
    Membership,
    Space,
    SupportEntry,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["space", "status", "is_moderator", "is_facilitator", "muted_until"]
    autocomplete_fields = ["space"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "display_name",
        "organisation",
        "is_staff",
        "is_active",
        "suspended_until",
        "date_joined",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name", "organisation"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "organisation", "job_title", "pronouns", "bio"]}),
        ("Sanctions", {"fields": ["suspended_until", "suspension_reason"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "display_name", "password1", "password2"]})
    ]


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "join_policy",
        "listed",
        "premoderation_count",
        "autohide_threshold",
        "slow_mode_seconds",
    ]
    list_filter = ["join_policy", "listed"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "space",
        "status",
        "is_moderator",
        "is_facilitator",
        "muted_until",
        "created_at",
    ]
    list_filter = ["status", "is_moderator", "is_facilitator", "space"]
    search_fields = ["user__email", "user__display_name", "space__name"]
    autocomplete_fields = ["user", "space"]


@admin.register(GuidelinesVersion)
class GuidelinesVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "space", "version", "created_by", "created_at"]
    list_filter = ["space"]
    readonly_fields = ["body_html"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # versions are never edited: publish a new one


@admin.register(GuidelinesAcceptance)
class GuidelinesAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["user", "version", "accepted_at"]
    list_filter = ["version__space"]
    search_fields = ["user__email"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "space", "email", "created_by", "expires_at", "used_at", "revoked"]
    list_filter = ["space", "revoked"]
    search_fields = ["email"]
    readonly_fields = ["token", "used_at", "used_by"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only and written through community.audit."""

    list_display = ["created_at", "actor_label", "action", "space_label", "target_label", "reason"]
    list_filter = ["action", "space"]
    search_fields = ["actor_label", "target_label", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupportEntry)
class SupportEntryAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_published", "updated_at"]
    list_editable = ["position", "is_published"]
    search_fields = ["name", "purpose"]
