"""The Django admin of the WebWork sandbox: every model, to look at and to steer a demo.

Secrets never show: tokens and codes list their kind, user and expiry but not their
digests, and a user's password is only said to be set (a new one can be typed in).
Webhook deliveries show every attempt and can be sent again; fault injection is edited
on its single row.
"""

import json
import secrets

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from . import events
from .models import (
    AccessToken,
    AuthorizationCode,
    Contract,
    Expense,
    ExpenseCategory,
    FaultSettings,
    LeaveAllowance,
    LeavePolicy,
    LeaveRequest,
    Membership,
    OAuthApplication,
    Project,
    ProjectTag,
    ProjectTagging,
    RateLimitWindow,
    RefreshToken,
    RunningTracker,
    SandboxUser,
    Task,
    TaskAssignee,
    TimeEntry,
    TimeRequest,
    Timesheet,
    ViewerProject,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    Workspace,
)

# Sandbox URLs are typed in full; keep Django's current default scheme explicit.
URL_FIELDS = {models.URLField: {"assume_scheme": "http"}}


class ReadOnly:
    """Rows the sandbox writes itself (tokens, counters, logs): to look at, not to edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SandboxReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


# --- Accounts ---------------------------------------------------------------------


class SandboxUserForm(forms.ModelForm):
    new_password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current password.",
    )

    class Meta:
        model = SandboxUser
        fields = ["email", "firstname", "lastname", "avatar", "timezone", "created_at"]

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            user.set_password(self.cleaned_data["new_password"])
        if commit:
            user.save()
        return user


@admin.register(SandboxUser)
class SandboxUserAdmin(admin.ModelAdmin):
    form = SandboxUserForm
    list_display = ["id", "email", "full_name", "timezone", "has_password", "created_at"]
    list_filter = ["timezone"]
    search_fields = ["email", "firstname", "lastname"]
    readonly_fields = ["has_password", "updated_at"]
    fields = [
        "email",
        "firstname",
        "lastname",
        "avatar",
        "timezone",
        "has_password",
        "new_password",
        "created_at",
        "updated_at",
    ]

    @admin.display(boolean=True, description="password set")
    def has_password(self, obj):
        return bool(obj.password)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "owner", "status", "timezone", "currency", "member_count", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["name", "owner__email"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        url = reverse("admin:sandbox_membership_changelist") + f"?workspace__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.member_count)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "status", "rate", "rate_status", "is_blocked", "deleted_at"]
    list_filter = ["role", "status", "is_blocked", "workspace"]
    search_fields = ["user__email", "user__firstname", "user__lastname", "workspace__name"]
    list_select_related = ["user", "workspace"]
    autocomplete_fields = ["user", "workspace"]
    readonly_fields = ["invitation_token", "created_at", "updated_at"]


# --- OAuth and tokens ----------------------------------------------------------------


@admin.register(OAuthApplication)
class OAuthApplicationAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["name", "client_id", "grant_type", "owner", "redirect_uri", "created_at"]
    list_filter = ["grant_type"]
    search_fields = ["name", "client_id", "redirect_uri"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    fields = ["name", "client_id", "grant_type", "redirect_uri", "owner", "created_at"]
    readonly_fields = ["client_id"]
    actions = ["new_client_secret"]

    def save_model(self, request, obj, form, change):
        adding = obj.pk is None
        if adding:
            obj.client_id = secrets.token_hex(20)
        super().save_model(request, obj, form, change)
        if adding:
            self._show_new_secret(request, obj)

    @admin.action(description="Issue a new client secret (the old one stops working)")
    def new_client_secret(self, request, queryset):
        for application in queryset:
            self._show_new_secret(request, application)

    def _show_new_secret(self, request, application):
        from .oauth.services import oauth_application_secret_rotate

        raw = oauth_application_secret_rotate(application=application)
        self.message_user(
            request,
            f"Client secret of {application.name} (shown only now): {raw}",
            messages.WARNING,
        )


@admin.register(AccessToken)
class AccessTokenAdmin(SandboxReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "user",
        "application",
        "name",
        "scope",
        "expires_at",
        "is_active",
        "last_used_at",
    ]
    list_filter = ["kind", "application"]
    search_fields = ["user__email", "name"]
    list_select_related = ["user", "application"]
    exclude = ["token_digest"]
    actions = ["revoke"]

    @admin.display(boolean=True, description="active")
    def is_active(self, obj):
        return obj.is_active

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        from django.utils import timezone

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)


@admin.register(RefreshToken)
class RefreshTokenAdmin(SandboxReadOnlyAdmin):
    list_display = ["id", "user", "application", "scope", "expires_at", "used_at", "created_at"]
    list_filter = ["application"]
    search_fields = ["user__email"]
    list_select_related = ["user", "application"]
    exclude = ["token_digest"]


@admin.register(AuthorizationCode)
class AuthorizationCodeAdmin(SandboxReadOnlyAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["id", "user", "application", "scope", "expires_at", "used_at", "created_at"]
    list_filter = ["application"]
    search_fields = ["user__email"]
    list_select_related = ["user", "application"]
    exclude = ["code_digest"]


# --- Projects, contracts, tasks ------------------------------------------------------


class ProjectTaggingInline(admin.TabularInline):
    model = ProjectTagging
    autocomplete_fields = ["tag"]
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "workspace", "owner", "status", "is_billable", "rate", "deleted_at"]
    list_filter = ["status", "is_billable", "workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace", "owner"]
    autocomplete_fields = ["workspace", "owner"]
    inlines = [ProjectTaggingInline]


@admin.register(ProjectTag)
class ProjectTagAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "color", "workspace"]
    list_filter = ["workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]


@admin.register(ProjectTagging)
class ProjectTaggingAdmin(admin.ModelAdmin):
    list_display = ["tag", "project"]
    search_fields = ["tag__name", "project__name"]
    list_select_related = ["tag", "project"]
    autocomplete_fields = ["tag", "project"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "project", "workspace", "rate", "rate_type", "weekly_hours_limit", "status"]
    list_filter = ["status", "rate_type", "workspace"]
    search_fields = ["user__email", "user__lastname", "project__name"]
    list_select_related = ["user", "project", "workspace"]
    autocomplete_fields = ["workspace", "project", "user"]


class TaskAssigneeInline(admin.TabularInline):
    model = TaskAssignee
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "project", "workspace", "status", "priority", "end_date", "deleted_at"]
    list_filter = ["status", "priority", "workspace"]
    search_fields = ["title", "project__name"]
    list_select_related = ["project", "workspace"]
    autocomplete_fields = ["workspace", "project", "parent", "owner", "creator"]
    inlines = [TaskAssigneeInline]


@admin.register(TaskAssignee)
class TaskAssigneeAdmin(admin.ModelAdmin):
    list_display = ["task", "user", "created_at"]
    search_fields = ["task__title", "user__email"]
    list_select_related = ["task", "user"]
    autocomplete_fields = ["task", "user"]


@admin.register(ViewerProject)
class ViewerProjectAdmin(admin.ModelAdmin):
    list_display = ["viewer_email", "project", "created_at"]
    search_fields = ["viewer__user__email", "project__name"]
    list_select_related = ["viewer__user", "project"]
    autocomplete_fields = ["viewer", "project"]

    @admin.display(description="viewer", ordering="viewer__user__email")
    def viewer_email(self, obj):
        return obj.viewer.user.email


# --- Time ----------------------------------------------------------------------------


@admin.register(RunningTracker)
class RunningTrackerAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "project", "task", "method", "started_at"]
    list_filter = ["method", "workspace"]
    search_fields = ["user__email", "project__name"]
    list_select_related = ["user", "workspace", "project", "task"]
    autocomplete_fields = ["workspace", "user", "contract", "project", "task"]


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = [
        "date",
        "user",
        "workspace",
        "project",
        "start_time",
        "end_time",
        "duration_minutes",
        "method",
    ]
    list_filter = ["method", "workspace"]
    search_fields = ["user__email", "project__name", "activity_description"]
    list_select_related = ["user", "workspace", "project"]
    autocomplete_fields = ["workspace", "user", "contract", "project", "task"]
    date_hierarchy = "date"
    show_full_result_count = False


@admin.register(Timesheet)
class TimesheetAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "date_from", "date_to", "status", "submitted_on", "reviewed_by"]
    list_filter = ["status", "workspace"]
    search_fields = ["user__email", "user__lastname"]
    list_select_related = ["user", "workspace", "reviewed_by"]
    autocomplete_fields = ["workspace", "user", "reviewed_by"]
    date_hierarchy = "date_from"


@admin.register(TimeRequest)
class TimeRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "project", "start", "end", "status", "created_at"]
    list_filter = ["status", "workspace"]
    search_fields = ["user__email", "notes", "comment"]
    list_select_related = ["user", "workspace", "project"]
    autocomplete_fields = ["workspace", "user", "contract", "project", "task", "updated_by", "time_entry"]


# --- Leaves and expenses --------------------------------------------------------------


@admin.register(LeavePolicy)
class LeavePolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "type", "is_paid", "yearly_allowance"]
    list_filter = ["type", "is_paid", "workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]


@admin.register(LeaveAllowance)
class LeaveAllowanceAdmin(admin.ModelAdmin):
    list_display = ["user", "policy", "amount"]
    search_fields = ["user__email", "policy__name"]
    list_select_related = ["user", "policy"]
    autocomplete_fields = ["policy", "user"]


@admin.register(LeaveRequest)
class LeaveRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "policy", "start_date", "end_date", "leave_period", "status"]
    list_filter = ["status", "leave_period", "workspace"]
    search_fields = ["user__email", "user__lastname", "note"]
    list_select_related = ["user", "workspace", "policy"]
    autocomplete_fields = ["workspace", "user", "policy", "created_by", "approved_by", "rejected_by"]
    date_hierarchy = "start_date"


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace"]
    list_filter = ["workspace"]
    search_fields = ["name"]
    list_select_related = ["workspace"]
    autocomplete_fields = ["workspace"]


@admin.register(Expense)
class ExpenseAdmin(admin.ModelAdmin):
    list_display = [
        "expense_name",
        "user",
        "workspace",
        "project",
        "category",
        "date",
        "amount",
        "is_billable",
    ]
    list_filter = ["is_billable", "workspace"]
    search_fields = ["expense_name", "user__email", "note"]
    list_select_related = ["user", "workspace", "project", "category"]
    autocomplete_fields = ["workspace", "user", "project", "category"]
    date_hierarchy = "date"


# --- Webhooks --------------------------------------------------------------------------


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["id", "url", "workspace", "event_list", "created_by", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["id", "url"]
    list_select_related = ["workspace", "created_by"]
    autocomplete_fields = ["workspace", "created_by"]

    @admin.display(description="events")
    def event_list(self, obj):
        return ", ".join(obj.events or [])


class WebhookAttemptInline(ReadOnly, admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "status_code", "error", "duration_ms", "is_duplicate", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SandboxReadOnlyAdmin):
    list_display = [
        "id",
        "event",
        "webhook_url",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["=event_id", "=webhook__id", "webhook__url"]
    list_select_related = ["webhook"]
    fields = [
        "webhook",
        "event",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "resent_from",
        "payload_json",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]

    @admin.display(description="URL", ordering="webhook__url")
    def webhook_url(self, obj):
        return obj.webhook.url

    @admin.display(description="payload")
    def payload_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_resend_permission(self, request):
        return request.user.has_perm("sandbox.change_webhookdelivery")

    @admin.action(description="Send again", permissions=["resend"])
    def send_again(self, request, queryset):
        resent = [events.delivery_resend(delivery) for delivery in queryset]
        self.message_user(
            request,
            f"Queued {len(resent)} delivery(ies) again (as new deliveries with the same event id).",
            messages.SUCCESS,
        )


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(SandboxReadOnlyAdmin):
    list_display = [
        "delivery_link",
        "number",
        "status_code",
        "error",
        "duration_ms",
        "is_duplicate",
        "created_at",
    ]
    list_filter = ["is_duplicate", "status_code"]
    search_fields = ["=delivery__id", "=delivery__event_id", "error"]
    list_select_related = ["delivery"]

    @admin.display(description="delivery", ordering="delivery_id")
    def delivery_link(self, obj):
        url = reverse("admin:sandbox_webhookdelivery_change", args=[obj.delivery_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.delivery_id, obj.delivery.event)


# --- Controls --------------------------------------------------------------------------


@admin.register(FaultSettings)
class FaultSettingsAdmin(admin.ModelAdmin):
    """One row: the list goes straight to it."""

    fieldsets = [
        (
            "API answers",
            {
                "fields": [
                    "server_error_rate",
                    "rate_limit_rate",
                    "latency_ms",
                    "timeout_rate",
                    "timeout_seconds",
                ]
            },
        ),
        (
            "Webhook deliveries",
            {"fields": ["webhook_drop_rate", "webhook_duplicate_rate", "webhook_reorder"]},
        ),
    ]

    def changelist_view(self, request, extra_context=None):
        faults = FaultSettings.current()
        return redirect("admin:sandbox_faultsettings_change", faults.pk)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RateLimitWindow)
class RateLimitWindowAdmin(SandboxReadOnlyAdmin):
    list_display = ["user_id", "window_start", "count"]
    search_fields = ["=user_id"]
