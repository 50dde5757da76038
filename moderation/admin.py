from django.contrib import admin

from .models import Flag, WatchedWord


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "space", "flagger", "reason", "status", "created_at"]
    list_filter = ["status", "kind", "reason", "space"]
    readonly_fields = [f.name for f in Flag._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # flags are resolved through the review queue, which audits each decision


@admin.register(WatchedWord)
class WatchedWordAdmin(admin.ModelAdmin):
    list_display = ["word", "space", "action", "created_by", "created_at"]
    list_filter = ["action", "space"]
    search_fields = ["word"]
    readonly_fields = ["normalized", "created_by", "created_at"]
