from django.contrib import admin

from .models import Notification, Post, PostRevision, Reaction, Thread


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    fields = ["author", "anonymous", "status", "is_deleted", "created_at", "edited_at"]
    readonly_fields = ["author", "anonymous", "created_at", "edited_at"]
    show_change_link = True


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "space", "kind", "visibility", "anonymous", "is_pinned", "is_locked",
                    "is_hidden", "post_count", "last_post_at"]  # fmt: skip
    list_filter = ["space", "kind", "visibility", "is_pinned", "is_locked", "is_hidden"]
    search_fields = ["title"]
    raw_id_fields = ["author"]
    readonly_fields = ["post_count", "last_post_at", "created_at"]
    inlines = [PostInline]


class RevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    readonly_fields = ["body", "title", "edited_by", "reason", "created_at"]
    can_delete = False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["pk", "thread", "author", "anonymous", "status", "is_deleted", "created_at"]
    list_filter = ["status", "is_deleted", "anonymous"]
    search_fields = ["body"]
    raw_id_fields = ["thread", "author", "quote_of"]
    readonly_fields = ["body_html", "renderer_version", "created_at", "edited_at"]
    inlines = [RevisionInline]


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    list_display = ["post", "user", "kind", "created_at"]
    raw_id_fields = ["post", "user"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "thread", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "actor", "thread", "post"]
