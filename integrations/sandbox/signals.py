"""Model signals that turn changes of sandbox rows into webhook events.

Saves and deletes fire them wherever they come from (the API, the admin, the activity
simulator); `bulk_create` and `QuerySet.update()` fire nothing, so the seeder stays quiet.
`pre_save` remembers the row's previous status and `deleted_at`, so `post_save` can tell
an archive or an activation from an ordinary update.

    RunningTracker  created -> tracker.started       deleted -> tracker.stopped
    Membership      created -> member.invited        deleted -> member.deleted
                    deleted_at set -> member.archived
                    status becomes active -> member.activated
                    deleted_at cleared, not active -> member.invited (invited again)
                    any other save -> member.updated
    Project         created -> project.created       deleted -> project.deleted
                    deleted_at set or status to 0 -> project.deleted
                    any other save -> project.updated
"""

from functools import partial

from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from . import events
from .models import Membership, Project, RunningTracker
from .models.accounts import MemberStatus
from .models.webhooks import Event

PREVIOUS_FIELDS = ("status", "deleted_at")


def connect():
    """Connect the receivers (called once from the app's `ready()`)."""
    for model in (Membership, Project):
        pre_save.connect(
            remember_previous, sender=model, dispatch_uid=f"sandbox-webhooks-pre-{model.__name__}"
        )
    post_save.connect(membership_saved, sender=Membership, dispatch_uid="sandbox-webhooks-member-saved")
    post_delete.connect(membership_deleted, sender=Membership, dispatch_uid="sandbox-webhooks-member-deleted")
    post_save.connect(project_saved, sender=Project, dispatch_uid="sandbox-webhooks-project-saved")
    post_delete.connect(project_deleted, sender=Project, dispatch_uid="sandbox-webhooks-project-deleted")
    post_save.connect(tracker_saved, sender=RunningTracker, dispatch_uid="sandbox-webhooks-tracker-saved")
    post_delete.connect(
        tracker_deleted, sender=RunningTracker, dispatch_uid="sandbox-webhooks-tracker-deleted"
    )


def remember_previous(sender, instance, raw=False, using=None, **kwargs):
    instance._webhook_previous = None
    if raw or instance._state.adding or instance.pk is None:
        return
    instance._webhook_previous = (
        sender._base_manager.using(using).filter(pk=instance.pk).values(*PREVIOUS_FIELDS).first()
    )


def _previous(instance):
    return instance.__dict__.pop("_webhook_previous", None)


def _emit(event, instance, build_data, **extra):
    """Emit `event` in the instance's workspace; `build_data(instance, **extra)` builds its data."""
    events.event_emit(
        event, workspace_id=instance.workspace_id, build_data=partial(build_data, instance, **extra)
    )


# --- Members -------------------------------------------------------------------


def membership_event(previous, membership, created):
    if created:
        return Event.MEMBER_INVITED
    if previous is None:
        return Event.MEMBER_UPDATED
    was_live, is_live = previous["deleted_at"] is None, membership.deleted_at is None
    is_active = membership.status == MemberStatus.ACTIVE
    if was_live and not is_live:
        return Event.MEMBER_ARCHIVED
    if is_live and is_active and (not was_live or previous["status"] != MemberStatus.ACTIVE):
        return Event.MEMBER_ACTIVATED
    if is_live and not was_live:
        return Event.MEMBER_INVITED
    return Event.MEMBER_UPDATED


def membership_saved(sender, instance, created, raw=False, **kwargs):
    previous = _previous(instance)
    if raw:
        return
    _emit(membership_event(previous, instance, created), instance, events.member_data)


def membership_deleted(sender, instance, **kwargs):
    _emit(Event.MEMBER_DELETED, instance, events.member_data)


# --- Projects ------------------------------------------------------------------


def project_event(previous, project, created):
    if created:
        return Event.PROJECT_CREATED
    if previous is not None:
        archived = previous["status"] != Project.Status.ARCHIVED and project.status == Project.Status.ARCHIVED
        soft_deleted = previous["deleted_at"] is None and project.deleted_at is not None
        if archived or soft_deleted:
            return Event.PROJECT_DELETED
    return Event.PROJECT_UPDATED


def project_saved(sender, instance, created, raw=False, **kwargs):
    previous = _previous(instance)
    if raw:
        return
    _emit(project_event(previous, instance, created), instance, events.project_data)


def project_deleted(sender, instance, **kwargs):
    _emit(Event.PROJECT_DELETED, instance, events.project_data)


# --- Trackers ------------------------------------------------------------------


def tracker_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    _emit(Event.TRACKER_STARTED, instance, events.tracker_data)


def tracker_deleted(sender, instance, **kwargs):
    _emit(Event.TRACKER_STOPPED, instance, events.tracker_data, stopped_at=timezone.now())
