"""The Django admin of the dashboard's own rows."""

from django.contrib import admin

from .models import SavedReport


@admin.register(SavedReport)
class SavedReportAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "report", "query", "created_by", "updated_at")
    list_filter = ("report", "workspace")
    search_fields = ("name", "query", "workspace__name")
    list_select_related = ("workspace", "created_by")
    raw_id_fields = ("workspace", "created_by")
    readonly_fields = ("created_at", "updated_at")
