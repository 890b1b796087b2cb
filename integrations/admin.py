"""The Django admin of the integration: every model, to look at, with a few actions.

* Mirrored rows come from WebWork and are read-only here (a change would be overwritten by the
  next sync, and would not reach WebWork); "Resync selected" queues a sync of their workspaces.
* Webhook deliveries can be replayed (processing is idempotent, so replaying a processed one
  changes nothing).
* Secrets never show: a connection lists its status and expiry but not its tokens, a workspace
  says whether its webhook is registered but not its token.
* Sync runs, sync state, the request budget and the audit trail are records: read-only.
"""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.text import Truncator

from .models import (
    ApiBudget,
    AttendanceFetch,
    AuditEvent,
    BulkDecision,
    BulkDecisionItem,
    Connection,
    Contract,
    DailyActivity,
    DailyAttendance,
    Expense,
    ExpenseCategory,
    LeaveBalance,
    LeavePolicy,
    LeaveRequest,
    Member,
    OwedSync,
    Project,
    ProjectViewer,
    RunningTracker,
    SyncRun,
    SyncState,
    Task,
    TaskAssignee,
    TimeEntry,
    TimeRequest,
    Timesheet,
    ViewerProject,
    WebhookDelivery,
    WebhookRegistration,
    Workspace,
    WorkspaceAccess,
)
from .services.webhooks import webhook_deliveries_replay
from .services.workspaces import workspace_sync_now


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by syncs, sign-ins and processing: to look at, not to edit."""

    list_per_page = 100

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ResyncMixin:
    """The "Resync selected" action: queue a sync of the selected rows' workspaces, the way the
    pages' "sync now" does."""

    # How to reach the Workspace from a selected row.
    workspace_path = "workspace"
    actions = ["resync_selected"]

    @admin.action(description="Resync selected")
    def resync_selected(self, request, queryset):
        workspaces = Workspace.objects.filter(pk__in=queryset.values(self.workspace_path)).order_by("pk")
        for workspace in workspaces:
            self.message_user(request, workspace_sync_now(workspace=workspace).message, messages.INFO)
        if not workspaces:
            self.message_user(request, "The selected rows belong to no workspace.", messages.WARNING)


# The mirror's "removed at WebWork" filter, beside each admin's own filters.
REMOVED = ("removed_at", admin.EmptyFieldListFilter)


class MirrorAdmin(ResyncMixin, ReadOnlyAdmin):
    """A row mirrored from WebWork."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    list_filter = ("workspace", REMOVED)
    list_select_related = ("workspace",)
    search_fields = ("webwork_id",)
    # Counting a table of 100k time entries on every page is not worth it.
    show_full_result_count = False


# --- Tenancy and connections --------------------------------------------------------------


@admin.register(Workspace)
class WorkspaceAdmin(ResyncMixin, ReadOnlyAdmin):
    workspace_path = "pk"
    list_display = (
        "name",
        "webwork_id",
        "timezone",
        "connected_at",
        "disconnected_at",
        "webhook_registered",
        "sync_connection",
    )
    list_filter = (
        ("connected_at", admin.EmptyFieldListFilter),
        ("disconnected_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("sync_connection",)
    search_fields = ("name", "webwork_id")
    # Never `webhook_token`.
    fields = (
        "name",
        "webwork_id",
        "owner_webwork_id",
        "timezone",
        "currency",
        "sync_connection",
        "webhook_uuid",
        "webhook_webwork_id",
        "webhook_registered",
        "connected_at",
        "disconnected_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("webhook_uuid", "webhook_registered", "created_at", "updated_at")

    @admin.display(boolean=True, description="webhook registered")
    def webhook_registered(self, workspace):
        return bool(workspace.webhook_webwork_id)


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin):
    list_display = ("user", "email", "webwork_user_id", "kind", "status", "expires_at", "short_last_error")
    list_filter = ("kind", "status")
    list_select_related = ("user",)
    search_fields = ("email", "user__username", "webwork_user_id")
    # Never `access_token` or `refresh_token`.
    fields = (
        "user",
        "webwork_user_id",
        "email",
        "kind",
        "status",
        "expires_at",
        "scope",
        "last_error",
        "refreshed_at",
        "created_at",
        "updated_at",
    )
    exclude = ("access_token", "refresh_token")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="last error")
    def short_last_error(self, connection):
        return Truncator(connection.last_error).chars(80)


@admin.register(WorkspaceAccess)
class WorkspaceAccessAdmin(ReadOnlyAdmin):
    list_display = ("user", "workspace", "role", "can_manage", "connection", "refreshed_at")
    list_filter = ("can_manage", "role", "workspace")
    list_select_related = ("user", "workspace", "connection")
    search_fields = ("user__username", "user__email", "workspace__name")


# --- Mirrored rows ------------------------------------------------------------------------


@admin.register(Member)
class MemberAdmin(MirrorAdmin):
    list_display = ("__str__", "email", "role", "status", "workspace", "synced_at", "removed_at")
    list_filter = ("workspace", "role", "status", "is_blocked", REMOVED)
    search_fields = ("webwork_id", "email", "firstname", "lastname")


@admin.register(ProjectViewer)
class ProjectViewerAdmin(MirrorAdmin):
    list_display = ("__str__", "email", "status", "workspace", "synced_at", "removed_at")
    search_fields = ("webwork_id", "email", "firstname", "lastname")


@admin.register(ViewerProject)
class ViewerProjectAdmin(ResyncMixin, ReadOnlyAdmin):
    workspace_path = "viewer__workspace"
    list_display = ("viewer", "project", "project_webwork_id")
    list_filter = ("viewer__workspace",)
    list_select_related = ("viewer", "project")
    search_fields = ("viewer__email", "project__name", "project_webwork_id")


@admin.register(Project)
class ProjectAdmin(MirrorAdmin):
    list_display = ("name", "status", "is_billable", "deadline", "workspace", "synced_at", "removed_at")
    list_filter = ("workspace", "status", "is_billable", REMOVED)
    search_fields = ("webwork_id", "name")


@admin.register(Task)
class TaskAdmin(MirrorAdmin):
    list_display = ("title", "project", "status", "priority", "end_date", "workspace", "removed_at")
    list_filter = ("workspace", "status", "priority", REMOVED)
    list_select_related = ("workspace", "project")
    search_fields = ("webwork_id", "title", "project__name")


@admin.register(TaskAssignee)
class TaskAssigneeAdmin(ResyncMixin, ReadOnlyAdmin):
    workspace_path = "task__workspace"
    list_display = ("task", "member", "user_webwork_id")
    list_filter = ("task__workspace",)
    list_select_related = ("task", "member")
    search_fields = ("task__title", "member__email", "user_webwork_id")


@admin.register(Contract)
class ContractAdmin(MirrorAdmin):
    list_display = ("__str__", "status", "rate", "currency", "weekly_hours_limit", "workspace", "removed_at")
    list_filter = ("workspace", "status", REMOVED)
    list_select_related = ("workspace", "member", "project")
    search_fields = ("webwork_id", "member__email", "project__name")


@admin.register(TimeEntry)
class TimeEntryAdmin(MirrorAdmin):
    list_display = ("date", "member", "project", "start_time", "end_time", "duration_minutes", "method")
    list_filter = ("workspace", "method", REMOVED)
    list_select_related = ("member", "project")
    search_fields = ("webwork_id", "member__email", "project__name")
    date_hierarchy = "date"


@admin.register(RunningTracker)
class RunningTrackerAdmin(MirrorAdmin):
    list_display = ("member", "webwork_id", "project", "started_at", "workspace", "removed_at")
    list_select_related = ("workspace", "member", "project")
    search_fields = ("webwork_id", "member__email", "activity_description")


@admin.register(DailyActivity)
class DailyActivityAdmin(MirrorAdmin):
    list_display = ("date", "member", "user_webwork_id", "activity_level", "workspace", "removed_at")
    list_select_related = ("workspace", "member")
    search_fields = ("webwork_id", "member__email")
    date_hierarchy = "date"


@admin.register(DailyAttendance)
class DailyAttendanceAdmin(MirrorAdmin):
    list_display = ("date", "member", "user_webwork_id", "statuses", "first_start", "last_end", "workspace")
    list_filter = ("workspace", "late", "left_early", "tracked_less", "absent", "on_leave", REMOVED)
    list_select_related = ("workspace", "member")
    search_fields = ("webwork_id", "member__email")
    date_hierarchy = "date"


@admin.register(AttendanceFetch)
class AttendanceFetchAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "workspace", "date_from", "date_to", "status", "dates_done", "requests")
    list_filter = ("status", "workspace")
    list_select_related = ("workspace",)
    date_hierarchy = "requested_at"


@admin.register(Timesheet)
class TimesheetAdmin(MirrorAdmin):
    list_display = ("member", "date_from", "date_to", "status", "total_minutes", "submitted_on", "workspace")
    list_filter = ("workspace", "status", REMOVED)
    list_select_related = ("workspace", "member")
    search_fields = ("webwork_id", "member__email")
    date_hierarchy = "date_from"


@admin.register(TimeRequest)
class TimeRequestAdmin(MirrorAdmin):
    list_display = ("member", "start", "end", "status", "project", "workspace")
    list_filter = ("workspace", "status", REMOVED)
    list_select_related = ("workspace", "member", "project")
    search_fields = ("webwork_id", "member__email", "notes")


@admin.register(LeavePolicy)
class LeavePolicyAdmin(MirrorAdmin):
    list_display = ("name", "kind", "is_paid", "workspace", "removed_at")
    search_fields = ("webwork_id", "name")


@admin.register(LeaveBalance)
class LeaveBalanceAdmin(MirrorAdmin):
    list_display = ("member", "user_webwork_id", "leave_type", "balance", "workspace")
    list_filter = ("workspace", "leave_type", REMOVED)
    list_select_related = ("workspace", "member")
    search_fields = ("webwork_id", "member__email", "leave_type")


@admin.register(LeaveRequest)
class LeaveRequestAdmin(MirrorAdmin):
    list_display = ("member", "policy", "start_date", "end_date", "status", "is_paid", "workspace")
    list_filter = ("workspace", "status", REMOVED)
    list_select_related = ("workspace", "member", "policy")
    search_fields = ("webwork_id", "member__email", "note")


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(MirrorAdmin):
    list_display = ("name", "webwork_id", "workspace", "removed_at")
    search_fields = ("webwork_id", "name")


@admin.register(Expense)
class ExpenseAdmin(MirrorAdmin):
    list_display = ("name", "member", "date", "amount", "category", "is_billable", "workspace")
    list_filter = ("workspace", "is_billable", REMOVED)
    list_select_related = ("workspace", "member", "category")
    search_fields = ("webwork_id", "name", "member__email")
    date_hierarchy = "date"


@admin.register(WebhookRegistration)
class WebhookRegistrationAdmin(MirrorAdmin):
    list_display = ("url", "webwork_id", "event_count", "is_ours", "workspace", "synced_at", "removed_at")

    def get_queryset(self, request):
        ours = Workspace.objects.filter(
            pk=OuterRef("workspace_id"), webhook_webwork_id=OuterRef("webwork_id")
        )
        return super().get_queryset(request).annotate(is_ours_flag=Exists(ours))

    @admin.display(description="events")
    def event_count(self, registration):
        return len(registration.events or [])

    @admin.display(boolean=True, description="Clockroom's")
    def is_ours(self, registration):
        return registration.is_ours_flag


# --- Webhook deliveries -------------------------------------------------------------------


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "event", "status", "workspace", "event_id", "attempts", "note")
    list_filter = ("status", "event", "workspace")
    list_select_related = ("workspace",)
    search_fields = ("event_id", "event")
    date_hierarchy = "received_at"
    show_full_result_count = False
    actions = ["replay"]

    @admin.action(description="Replay (process again)")
    def replay(self, request, queryset):
        count = webhook_deliveries_replay(deliveries=queryset)
        self.message_user(
            request,
            f"Queued {count} deliveries to be processed again. Events already applied stay as they are.",
            messages.SUCCESS,
        )


# --- Records --------------------------------------------------------------------------------


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "workspace",
        "resource",
        "scope",
        "status",
        "requests",
        "pages",
        "created",
        "updated",
        "removed",
        "short_error",
    )
    list_filter = ("status", "resource", "workspace")
    list_select_related = ("workspace",)
    search_fields = ("resource", "scope", "error")
    date_hierarchy = "started_at"
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, run):
        return Truncator(run.error).chars(80)


@admin.register(SyncState)
class SyncStateAdmin(ReadOnlyAdmin):
    list_display = (
        "workspace",
        "locked_by",
        "locked_until",
        "requests_done",
        "requests_planned",
        "started_at",
        "finished_at",
        "first_sync_ran_at",
        "first_sync_done_at",
        "history_synced_until",
    )
    list_select_related = ("workspace",)
    search_fields = ("workspace__name",)


@admin.register(OwedSync)
class OwedSyncAdmin(ResyncMixin, ReadOnlyAdmin):
    """What the syncs could not read yet; each sync retries what is due (with backoff)."""

    list_display = ("workspace", "label", "since", "attempts", "retry_at", "short_error")
    list_filter = ("resource", "workspace")
    list_select_related = ("workspace",)
    search_fields = ("label", "key", "last_error")
    actions = ["retry_with_next_sync", "resync_selected"]

    @admin.display(description="last error")
    def short_error(self, owed):
        return Truncator(owed.last_error).chars(80)

    @admin.action(description="Retry with the next sync (skip the backoff)")
    def retry_with_next_sync(self, request, queryset):
        count = queryset.update(retry_at=timezone.now())
        self.message_user(request, f"{count} part(s) will be retried by each workspace's next sync.")


@admin.register(ApiBudget)
class ApiBudgetAdmin(ReadOnlyAdmin):
    list_display = ("key", "recent_requests", "hold_until")
    search_fields = ("key",)

    @admin.display(description="recent requests")
    def recent_requests(self, budget):
        return len(budget.sent or [])


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "workspace",
        "source",
        "actor",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "member",
        "note",
    )
    list_filter = ("source", "outcome", "action", "object_type", "workspace")
    list_select_related = ("workspace", "actor", "member")
    search_fields = ("action", "object_type", "object_id", "note")
    date_hierarchy = "created_at"
    show_full_result_count = False


class BulkDecisionItemInline(admin.TabularInline):
    model = BulkDecisionItem
    fields = ("object_id", "status", "message", "claimed_at", "decided_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BulkDecision)
class BulkDecisionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "workspace", "actor", "verb", "kind", "status", "started_at", "finished_at")
    list_filter = ("status", "kind", "verb", "workspace")
    list_select_related = ("workspace", "actor")
    date_hierarchy = "created_at"
    inlines = [BulkDecisionItemInline]


@admin.register(BulkDecisionItem)
class BulkDecisionItemAdmin(ReadOnlyAdmin):
    list_display = ("bulk", "object_id", "status", "message", "claimed_at", "decided_at")
    list_filter = ("status",)
    list_select_related = ("bulk",)
    search_fields = ("object_id", "message")
