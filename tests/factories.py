"""factory_boy factories for Clockroom's own rows: a workspace and its mirror, built cheaply.

Each mirror row gets its parents' WebWork ids beside its foreign keys, as a sync writes them, so
pages and selectors see what they would after a real sync. For many rows at once, `bulk()`
builds them in memory and writes them in one `bulk_create`:

    workspace = WorkspaceFactory()
    members = bulk(MemberFactory, 150, workspace=workspace)
    project = ProjectFactory(workspace=workspace)
    bulk(ContractFactory, 150, workspace=workspace, project=project, member=factory.Iterator(members))

Rows of the sandbox (what WebWork holds) are made by the sandbox's own seeding, not here.
"""

from datetime import datetime, time, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from integrations import models


def bulk(factory_class, count, **fields):
    """`count` rows of `factory_class`, built in memory and written in one bulk_create."""
    rows = factory_class.build_batch(count, **fields)
    return factory_class._meta.model.objects.bulk_create(rows)


def _webwork_id_of(name):
    """The WebWork id of the row's `name` parent, as an integer (None without one)."""

    def read(row):
        parent = getattr(row, name)
        return int(parent.webwork_id) if parent is not None else None

    return factory.LazyAttribute(read)


class WorkspaceFactory(DjangoModelFactory):
    class Meta:
        model = models.Workspace

    webwork_id = factory.Sequence(lambda n: 1000 + n)
    name = factory.Sequence(lambda n: f"Workspace {n}")
    connected_at = factory.LazyFunction(timezone.now)
    timezone = "Europe/Berlin"


class MirrorFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    workspace = factory.SubFactory(WorkspaceFactory)
    webwork_id = factory.Sequence(lambda n: str(n + 1))


class MemberFactory(MirrorFactory):
    class Meta:
        model = models.Member

    firstname = factory.Faker("first_name")
    lastname = factory.Faker("last_name")
    email = factory.LazyAttributeSequence(lambda m, n: f"{m.firstname.lower()}.{n}@example.test")
    role = "Regular user"
    status = "active"


class ProjectFactory(MirrorFactory):
    class Meta:
        model = models.Project

    name = factory.Sequence(lambda n: f"Project {n}")
    status = 1


class ContractFactory(MirrorFactory):
    class Meta:
        model = models.Contract

    member = factory.SubFactory(MemberFactory, workspace=factory.SelfAttribute("..workspace"))
    project = factory.SubFactory(ProjectFactory, workspace=factory.SelfAttribute("..workspace"))
    user_webwork_id = _webwork_id_of("member")
    project_webwork_id = _webwork_id_of("project")
    weekly_hours_limit = 40
    rate_type = 1
    status = "active"


class TaskFactory(MirrorFactory):
    class Meta:
        model = models.Task

    project = factory.SubFactory(ProjectFactory, workspace=factory.SelfAttribute("..workspace"))
    project_webwork_id = _webwork_id_of("project")
    title = factory.Sequence(lambda n: f"Task {n}")


class TimeEntryFactory(MirrorFactory):
    """A finished entry of `date` (today by default) from 9:00 for `duration_minutes` (2 h)."""

    class Meta:
        model = models.TimeEntry

    contract = factory.SubFactory(ContractFactory, workspace=factory.SelfAttribute("..workspace"))
    member = factory.SelfAttribute("contract.member")
    project = factory.SelfAttribute("contract.project")
    user_webwork_id = _webwork_id_of("member")
    project_webwork_id = _webwork_id_of("project")
    contract_webwork_id = _webwork_id_of("contract")
    date = factory.LazyFunction(timezone.localdate)
    duration_minutes = 120
    start_time = factory.LazyAttribute(lambda e: timezone.make_aware(datetime.combine(e.date, time(9))))
    end_time = factory.LazyAttribute(lambda e: e.start_time + timedelta(minutes=e.duration_minutes))
    method = "tracked"


class DailyAttendanceFactory(MirrorFactory):
    """A member's attendance on `date` (today by default) as WebWork reports it: present from 9:00
    to 17:00 with a half-hour lunch, unless `statuses` says otherwise (set the flags to match)."""

    class Meta:
        model = models.DailyAttendance

    member = factory.SubFactory(MemberFactory, workspace=factory.SelfAttribute("..workspace"))
    user_webwork_id = _webwork_id_of("member")
    date = factory.LazyFunction(timezone.localdate)
    webwork_id = factory.LazyAttribute(lambda a: f"{a.user_webwork_id}:{a.date.isoformat()}")
    statuses = factory.LazyFunction(lambda: ["Present"])
    present = True
    first_start = time(9)
    last_end = time(17)
    tracked_minutes = 450
    expected_minutes = 480
    late_minutes = 0
    left_early_minutes = 0
    break_minutes = 30
    breaks = factory.LazyFunction(lambda: ["12:30 - 13:00"])


class TimesheetFactory(MirrorFactory):
    """The member's timesheet of the week that holds `date_from` (this week by default)."""

    class Meta:
        model = models.Timesheet

    member = factory.SubFactory(MemberFactory, workspace=factory.SelfAttribute("..workspace"))
    user_webwork_id = _webwork_id_of("member")
    date_from = factory.LazyFunction(
        lambda: timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    )
    date_to = factory.LazyAttribute(lambda t: t.date_from + timedelta(days=6))
    status = models.Timesheet.Status.SUBMITTED
    total_minutes = 40 * 60


class TimeRequestFactory(MirrorFactory):
    class Meta:
        model = models.TimeRequest

    member = factory.SubFactory(MemberFactory, workspace=factory.SelfAttribute("..workspace"))
    user_webwork_id = _webwork_id_of("member")
    start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1, hours=2))
    end = factory.LazyAttribute(lambda r: r.start + timedelta(hours=1))
    status = "pending"
    notes = "Forgot to start the tracker"


class LeavePolicyFactory(MirrorFactory):
    class Meta:
        model = models.LeavePolicy

    name = "Vacation"


class LeaveRequestFactory(MirrorFactory):
    class Meta:
        model = models.LeaveRequest

    member = factory.SubFactory(MemberFactory, workspace=factory.SelfAttribute("..workspace"))
    policy = factory.SubFactory(LeavePolicyFactory, workspace=factory.SelfAttribute("..workspace"))
    user_webwork_id = _webwork_id_of("member")
    policy_webwork_id = _webwork_id_of("policy")
    start_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    end_date = factory.LazyAttribute(lambda leave: leave.start_date + timedelta(days=4))
    status = "pending"


class ExpenseCategoryFactory(MirrorFactory):
    class Meta:
        model = models.ExpenseCategory

    name = "Travel"


class ExpenseFactory(MirrorFactory):
    class Meta:
        model = models.Expense

    member = factory.SubFactory(MemberFactory, workspace=factory.SelfAttribute("..workspace"))
    category = factory.SubFactory(ExpenseCategoryFactory, workspace=factory.SelfAttribute("..workspace"))
    user_webwork_id = _webwork_id_of("member")
    category_webwork_id = factory.SelfAttribute("category.webwork_id")
    name = "Train ticket"
    date = factory.LazyFunction(timezone.localdate)
    amount = "42.50"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"manager{n}")
    first_name = "Maria"
    last_name = "Manager"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")


def manager_of(*workspaces, role="Owner", can_manage=True, **user_fields):
    """A Clockroom user signed in through WebWork who manages `workspaces` (a Connection with a
    token and one WorkspaceAccess each)."""
    user = UserFactory(**user_fields)
    connection = models.Connection.objects.create(
        user=user,
        webwork_user_id=900_000 + user.pk,
        access_token=f"wwat_{user.username}",
        email=user.email,
    )
    for workspace in workspaces:
        models.WorkspaceAccess.objects.create(
            user=user, workspace=workspace, connection=connection, role=role, can_manage=can_manage
        )
    return user
