"""The agency's structure: people, workspaces, memberships, projects, contracts, tasks, project
viewers, leave policies and expense categories. The timeline (timeline.py) fills it with work."""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher

from ..models import (
    Contract,
    ExpenseCategory,
    LeaveAllowance,
    LeavePolicy,
    Membership,
    Project,
    ProjectTag,
    ProjectTagging,
    SandboxUser,
    Task,
    TaskAssignee,
    ViewerProject,
    Workspace,
)
from ..models.accounts import MemberStatus, Role
from ..models.projects import ScreenshotMode
from . import vocabulary as words
from .context import BATCH_SIZE, DB, email_part

OWNER_EMAIL = "owner@acme.test"
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented sign-in of the seeded demo world
REVIEWER_ROLES = frozenset({Role.OWNER, Role.EXECUTIVE_MANAGER, Role.TEAM_MANAGER})
REMOTE_ZONES = {
    "Europe/Berlin": ["Europe/Lisbon", "Europe/Warsaw", "Europe/London", "Europe/Athens"],
    "America/New_York": ["America/Chicago", "America/Toronto"],
    "Europe/Lisbon": ["Europe/Madrid", "Europe/London"],
}
VIEWER_TITLES = ["Marketing Director", "Head of Digital", "Product Owner", "CTO", "Brand Manager"]
SCREENSHOT_MODES = [ScreenshotMode.FULL, ScreenshotMode.BLURRED, ScreenshotMode.NO_PREVIEW]


@dataclass(eq=False)
class Site:
    """A seeded workspace and what the timeline needs to know about it."""

    index: int
    name: str
    timezone: str
    currency: str
    members: int
    project_count: int
    workspace: Workspace | None = None
    reviewers: list = field(default_factory=list)  # user ids of its Owner, EMs and team managers
    projects: list = field(default_factory=list)
    policies: dict = field(default_factory=dict)
    categories: list = field(default_factory=list)
    viewers: int = 0

    @property
    def zone(self):
        return ZoneInfo(self.timezone)


@dataclass(eq=False)
class ProjectInfo:
    project: Project
    site: Site
    discipline: str
    client: str | None = None
    domain: str | None = None
    until: date | None = None  # archived projects get no time after this day
    tasks: list = field(default_factory=list)
    tags: list = field(default_factory=list)  # tag names


@dataclass(eq=False)
class Job:
    """A contract as the timeline sees it: how much of the person's day it gets."""

    contract: Contract
    info: ProjectInfo
    weight: float
    own_tasks: list = field(default_factory=list)


@dataclass(eq=False)
class Person:
    user: SandboxUser
    home: Site
    role: str
    team: str
    title: str
    zone: ZoneInfo
    sees_rates: bool = False
    start_minutes: int = 9 * 60  # usual local start of the day
    daily_minutes: int = 450
    workdays: frozenset = frozenset(range(5))
    active_from: date | None = None
    active_until: date | None = None
    status: str = MemberStatus.ACTIVE
    memberships: dict = field(default_factory=dict)  # site index -> Membership
    extra_roles: dict = field(default_factory=dict)  # site index -> role, in other workspaces
    jobs: list = field(default_factory=list)
    leave: dict = field(default_factory=dict)  # date -> LeaveRequest.Period
    part_time: bool = False

    @property
    def tracks(self):
        return bool(self.jobs)

    def active_on(self, day):
        return (self.active_from is None or day >= self.active_from) and (
            self.active_until is None or day <= self.active_until
        )


@dataclass
class Structure:
    sites: list
    people: list  # the agency's staff, in creation order
    viewers: list  # (user, Membership) of the clients' project viewers


def shared_password_hash(password, *, salt):
    """One hash for the many seeded accounts, computed once and quickly: with the configured
    hasher, and few rounds when it is PBKDF2 (the rounds are stored in the hash, so signing in
    still works). The Owner of the first workspace gets a full-strength hash."""
    hasher = get_hasher("default")
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, salt, iterations=1000)
    return hasher.encode(password, salt)


class StructureBuilder:
    """`owner`: (first name, last name, email) of the first workspace's Owner; `domain`: the staff's
    email domain (a client's project viewers get `<client's domain>` with `domain_suffix` added, so
    several organisations seeded side by side never share an address); `owner_full_hash`: False
    gives the Owner the quick shared hash too (many organisations at once)."""

    def __init__(
        self,
        ctx,
        *,
        owner=("Olivia", "Owens", OWNER_EMAIL),
        domain="acme.test",
        domain_suffix="",
        owner_full_hash=True,
    ):
        self.ctx = ctx
        self.rng = ctx.rng
        self.owner = owner
        self.domain = domain
        self.domain_suffix = domain_suffix
        self.owner_full_hash = owner_full_hash
        self.emails = {owner[2]}
        self.shared_hash = shared_password_hash(DEMO_PASSWORD, salt=f"sandbox{ctx.seed}")

    def build(self):
        sites = [Site(i, *plan.__dict__.values()) for i, plan in enumerate(self.ctx.scale.workspaces)]
        people = []
        for site in sites:
            people.extend(self._staff(site, people))
        if self.owner_full_hash:
            people[0].user.set_password(DEMO_PASSWORD)
        SandboxUser.objects.using(DB).bulk_create([p.user for p in people], batch_size=BATCH_SIZE)
        self._workspaces(sites, people)
        self._memberships(sites, people)
        for site in sites:
            staff = [p for p in people if site.index in p.memberships]
            self._projects(site, staff)
            self._contracts(site, staff)
            self._tasks(site, staff)
        viewers = self._viewers(sites)
        self._leave_policies(sites, people)
        self._expense_categories(sites)
        return Structure(sites, people, viewers)

    def chance(self, probability):
        return self.ctx.chance(probability)

    # --- People ------------------------------------------------------------------------

    def _identity(self, domain=None):
        domain = f"{domain}{self.domain_suffix}" if domain else self.domain
        while True:
            first, last = self.rng.choice(words.FIRST_NAMES), self.rng.choice(words.LAST_NAMES)
            email = f"{email_part(first)}.{email_part(last)}@{domain}"
            if email not in self.emails:
                self.emails.add(email)
                return first, last, email

    def _user(self, first, last, email, zone_name):
        joined = self.ctx.range_start - timedelta(days=self.rng.randint(60, 1000))
        return SandboxUser(
            email=email,
            firstname=first,
            lastname=last,
            password=self.shared_hash,
            timezone=zone_name,
            created_at=self.ctx.at(joined, 10),
        )

    def _person(self, site, role, team, title, *, identity=None):
        first, last, email = identity or self._identity()
        remote = role != Role.OWNER and self.chance(0.15)
        zone_name = (
            self.rng.choice(REMOTE_ZONES.get(site.timezone, [site.timezone])) if remote else site.timezone
        )
        person = Person(
            user=self._user(first, last, email, zone_name),
            home=site,
            role=role,
            team=team,
            title=title,
            zone=ZoneInfo(zone_name),
            sees_rates=role == Role.OWNER,
        )
        person.start_minutes = self.rng.randrange(8 * 60, 10 * 60 + 1, 5)
        person.daily_minutes = {
            Role.OWNER: self.rng.randint(150, 240),
            Role.EXECUTIVE_MANAGER: self.rng.randint(240, 360),
        }.get(role, self.rng.randint(400, 490))
        return person

    def _staff(self, site, earlier):
        """The site's staff: Owner, managers and regular users (viewers come with the clients)."""
        n, big = site.members, site.members >= 10
        site.viewers = max(2, round(n * 0.06)) if big else 0
        team_managers = max(1, round(n * 0.05)) if big else 0
        project_managers = max(1, round(n * 0.06)) if big else 0
        inactive = max(1, round(n * 0.04)) if big else 0
        archived = max(1, round(n * 0.02)) if big else 0
        owner_title = words.MANAGER_TITLES["Owner"]
        if site.index == 0:
            people = [
                self._person(site, Role.OWNER, *owner_title, identity=self.owner),
                self._person(site, Role.EXECUTIVE_MANAGER, *words.MANAGER_TITLES["Executive manager"]),
                self._person(site, Role.EXECUTIVE_MANAGER, *words.MANAGER_TITLES["Executive manager 2"]),
            ]
            people[1].sees_rates = True  # the first executive manager may see rates, the second not
        else:
            people = [self._person(site, Role.OWNER, *owner_title)]
            # The first workspace's Owner manages here too; its second executive manager runs
            # a project here.
            earlier[0].extra_roles[site.index] = Role.EXECUTIVE_MANAGER
            earlier[2].extra_roles[site.index] = Role.PROJECT_MANAGER
        fixed = 3
        for _ in range(team_managers):
            team = self.rng.choice(["Design", "Engineering"])
            people.append(self._person(site, Role.TEAM_MANAGER, team, f"{team} Team Lead"))
        for _ in range(project_managers):
            people.append(self._person(site, Role.PROJECT_MANAGER, *words.MANAGER_TITLES["Project manager"]))
        regulars = max(0, n - fixed - site.viewers - team_managers - project_managers)
        for i in range(regulars):
            team, titles = self._team()
            person = self._person(site, Role.REGULAR_USER, team, self.rng.choice(titles))
            self._shape_regular(person, archived=i < archived, inactive=archived <= i < archived + inactive)
            people.append(person)
        return people

    def _team(self):
        team, titles, _ = self.rng.choices(words.TEAMS, [weight for *_, weight in words.TEAMS])[0]
        return team, titles

    def _shape_regular(self, person, *, archived, inactive):
        ctx = self.ctx
        if archived or inactive:
            weeks_ago = self.rng.randint(3, 6) if archived else self.rng.randint(1, 4)
            last_week = ctx.weeks[max(1, len(ctx.weeks) - 1 - weeks_ago)]
            person.active_until = last_week + timedelta(days=self.rng.randint(0, 4))
            person.status = MemberStatus.LEFT if archived else MemberStatus.INACTIVE
            return
        if len(ctx.weeks) > 4 and self.chance(0.05):  # joined during the seeded weeks
            person.active_from = self.rng.choice(ctx.weeks[1:-2])
            person.user.created_at = ctx.at(person.active_from - timedelta(days=3), 11)
        if self.chance(0.12):
            person.part_time = True
            person.daily_minutes = self.rng.randint(300, 360)
            person.workdays = frozenset(range(self.rng.choice([3, 4])))

    def _workspaces(self, sites, people):
        owners = {p.home.index: p for p in people if p.role == Role.OWNER}
        for site in sites:
            founded = self.ctx.range_start - timedelta(days=900 - 200 * site.index)
            site.workspace = Workspace(
                name=site.name,
                owner_id=owners[site.index].user.id,
                timezone=site.timezone,
                currency=site.currency,
                created_at=self.ctx.at(founded, 9),
                activated_at=self.ctx.at(founded, 10),
            )
        Workspace.objects.using(DB).bulk_create([s.workspace for s in sites])

    def _memberships(self, sites, people):
        rows = []
        for person in people:
            rows.append(self._membership(person, person.home, person.role))
            for index, role in person.extra_roles.items():
                rows.append(self._membership(person, sites[index], role))
        Membership.objects.using(DB).bulk_create(rows, batch_size=BATCH_SIZE)
        for m in rows:
            if m.role in REVIEWER_ROLES and m.status == MemberStatus.ACTIVE:
                next(s for s in sites if s.workspace.id == m.workspace_id).reviewers.append(m.user_id)

    def _membership(self, person, site, role):
        rng = self.rng
        home = site is person.home
        senior = role != Role.REGULAR_USER
        team, title = (person.team, person.title) if home else words.MANAGER_TITLES[role]
        membership = Membership(
            workspace_id=site.workspace.id,
            user_id=person.user.id,
            role=role,
            status=person.status if home else MemberStatus.ACTIVE,
            team_name=team,
            title=title,
            rate=Decimal(rng.randrange(70, 125, 5) if senior else rng.randrange(40, 96, 5)),
            rate_type=Membership.RateType.FIXED if rng.random() < 0.05 else Membership.RateType.HOURLY,
            rate_status=1 if person.sees_rates else 0,
            weekly_hours_limit=24 if person.part_time else rng.choice([40, 40, None]),
            screenshots=rng.choice(SCREENSHOT_MODES),
            created_at=person.user.created_at,
        )
        if home and person.status == MemberStatus.LEFT:
            membership.deleted_at = self.ctx.at(person.active_until + timedelta(days=1), 10)
        person.memberships[site.index] = membership
        return membership

    # --- Projects, contracts, tasks -----------------------------------------------------

    def _projects(self, site, staff):
        rng, ctx = self.rng, self.ctx
        total = site.project_count
        internal = min(len(words.INTERNAL_PROJECTS), max(1, round(total * 0.15))) if total >= 3 else 0
        client_count = total - internal
        clients = rng.sample(words.CLIENTS, min(len(words.CLIENTS), max(2, math.ceil(client_count / 2.2))))
        lead_roles = (Role.EXECUTIVE_MANAGER, Role.TEAM_MANAGER, Role.PROJECT_MANAGER)
        leads = [p.user.id for p in staff if p.memberships[site.index].role in lead_roles]
        leads = leads or [site.workspace.owner_id]
        names = set()
        for name, tags in rng.sample(words.INTERNAL_PROJECTS, internal):
            names.add(name)
            site.projects.append(self._project(site, name, "internal", tags, rng.choice(leads), 400, None))
        for i in range(client_count):
            client = clients[i] if i < len(clients) else rng.choice(clients)
            name, kind = self._client_project_name(client[0], names)
            _, discipline, tags, hours = kind
            site.projects.append(
                self._project(site, name, discipline, tags, rng.choice(leads), hours, client)
            )
        if total >= 8:
            client_projects = [info for info in site.projects if info.client]
            for info in rng.sample(client_projects, round(len(client_projects) * 0.08)):
                weeks_ago = rng.randint(2, max(2, len(ctx.weeks) - 2))
                info.until = ctx.this_week - timedelta(weeks=weeks_ago) + timedelta(days=rng.randint(0, 4))
                info.project.status = Project.Status.ARCHIVED
                info.project.deadline = info.until
        Project.objects.using(DB).bulk_create([info.project for info in site.projects])
        self._tags(site)

    def _tags(self, site):
        """The workspace's project tags (colored from a palette, "internal" without a color) and
        each project's taggings."""
        names = sorted({name for info in site.projects for name in info.tags})
        tags = {
            name: ProjectTag(
                workspace_id=site.workspace.id,
                name=name,
                color=None if name == "internal" else words.TAG_COLORS[i % len(words.TAG_COLORS)],
            )
            for i, name in enumerate(names)
        }
        ProjectTag.objects.using(DB).bulk_create(tags.values())
        ProjectTagging.objects.using(DB).bulk_create(
            [
                ProjectTagging(project=info.project, tag=tags[name])
                for info in site.projects
                for name in info.tags
            ],
            batch_size=BATCH_SIZE,
        )

    def _client_project_name(self, client, names):
        for attempt in range(40):
            kind = self.rng.choice(words.PROJECT_KINDS)
            name = f"{client} — {kind[0]}" + (" (phase 2)" if attempt >= 20 else "")
            if name not in names:
                names.add(name)
                return name, kind
        raise RuntimeError(f"No free project name for {client}.")

    def _project(self, site, name, discipline, tags, owner_id, hours, client):
        rng, ctx = self.rng, self.ctx
        estimation = Decimal(round(hours * rng.uniform(0.7, 1.3)))
        start = ctx.range_start - timedelta(days=rng.randint(0, 120))
        rate = Decimal(rng.randrange(60, 135, 5)) if client else None
        project = Project(
            workspace_id=site.workspace.id,
            owner_id=owner_id,
            name=name,
            start_date=start,
            deadline=start + timedelta(weeks=rng.randint(16, 52)),
            estimation=estimation,
            budget_estimation=estimation * rate if client else None,
            notes=rng.choice(words.PROJECT_NOTES[discipline]),
            is_billable=client is not None,
            rate=rate,
            screenshots=rng.choice(SCREENSHOT_MODES),
            created_at=ctx.at(start, 9, 30),
        )
        info = ProjectInfo(project=project, site=site, discipline=discipline, tags=list(dict.fromkeys(tags)))
        if client:
            info.client, info.domain = client
        return info

    def _contracts(self, site, staff):
        rng = self.rng
        active = [info for info in site.projects if info.until is None] or site.projects
        internal = [info for info in active if info.client is None]
        clients = [info for info in active if info.client] or active
        for person in staff:
            role = person.memberships[site.index].role
            if person.home is not site:
                if role == Role.PROJECT_MANAGER:
                    self._job(person, site, rng.choice(clients), 0.15, primary=False)
                continue
            if role in (Role.OWNER, Role.EXECUTIVE_MANAGER) and internal:
                self._job(person, site, rng.choice(internal), 1.0, primary=True)
                self._job(person, site, self._weighted(clients), 0.6, primary=False)
                continue
            count = 1 + (rng.random() < 0.5) + (rng.random() < 0.15)
            for n in range(count):
                pool = site.projects if n and rng.random() < 0.15 else clients
                self._job(
                    person, site, self._weighted(pool), [1.0, rng.uniform(0.35, 0.6), 0.2][n], primary=n == 0
                )
        home_staff = [p for p in staff if p.home is site]
        for info in site.projects:
            if home_staff and not any(job.info is info for p in staff for job in p.jobs):
                self._job(rng.choice(home_staff), site, info, 0.25, primary=False)
        Contract.objects.using(DB).bulk_create(
            [job.contract for p in staff for job in p.jobs if job.info.site is site], batch_size=BATCH_SIZE
        )

    def _weighted(self, projects):
        return self.rng.choices(projects, [float(info.project.estimation) for info in projects])[0]

    def _job(self, person, site, info, weight, *, primary):
        if any(job.info is info for job in person.jobs):
            return
        rng = self.rng
        membership = person.memberships[site.index]
        rate_type = rng.choices(list(Contract.RateType), [2, 6, 2])[0]
        rate = {
            Contract.RateType.MEMBER: membership.rate,
            Contract.RateType.PROJECT: info.project.rate,
        }.get(rate_type, Decimal(rng.randrange(45, 130, 5)))
        limits = ([168, 40], [75, 25]) if primary else ([168, 20, 15], [75, 15, 10])
        contract = Contract(
            workspace_id=site.workspace.id,
            project_id=info.project.id,
            user_id=person.user.id,
            weekly_hours_limit=rng.choices(*limits)[0],
            screenshots=info.project.screenshots,
            rate=rate,
            rate_type=rate_type,
            status=Contract.Status.PAUSED if info.until else Contract.Status.ACTIVE,
            created_at=max(info.project.created_at, person.user.created_at),
        )
        person.jobs.append(Job(contract=contract, info=info, weight=weight))

    def _tasks(self, site, staff):
        rng, ctx = self.rng, self.ctx
        for info in site.projects:
            pool = words.TASKS[info.discipline]
            titles = rng.sample(pool, rng.randint(min(6, len(pool)), min(12, len(pool))))
            for idx, title in enumerate(titles):
                status = self._task_status(idx / len(titles), archived=info.until is not None)
                start = info.project.start_date + timedelta(days=idx * rng.randint(2, 7))
                end = start + timedelta(days=rng.randint(3, 20))
                done = status in (Task.Status.DONE, Task.Status.COMPLETED)
                info.tasks.append(
                    Task(
                        workspace_id=site.workspace.id,
                        project_id=info.project.id,
                        owner_id=info.project.owner_id,
                        creator_id=info.project.owner_id,
                        title=title,
                        status=status,
                        priority=rng.choices(list(Task.Priority), [1, 3, 10, 3])[0],
                        start_date=start,
                        end_date=end,
                        completed_at=ctx.past(ctx.at(end, 17)) if done else None,
                        created_at=ctx.past(ctx.at(start, 9)),
                    )
                )
        tasks = [task for info in site.projects for task in info.tasks]
        Task.objects.using(DB).bulk_create(tasks, batch_size=BATCH_SIZE)
        jobs_by_project = {}
        for person in staff:
            for job in person.jobs:
                jobs_by_project.setdefault(job.info.project.id, []).append(job)
        assignees = []
        for info in site.projects:
            jobs = jobs_by_project.get(info.project.id, [])
            for task in info.tasks if jobs else []:
                for job in rng.sample(jobs, min(len(jobs), rng.choice([1, 1, 2]))):
                    job.own_tasks.append(task)
                    assignees.append(TaskAssignee(task_id=task.id, user_id=job.contract.user_id))
        TaskAssignee.objects.using(DB).bulk_create(assignees, batch_size=BATCH_SIZE)

    def _task_status(self, position, *, archived):
        S = Task.Status
        if archived or position < 0.35:
            return self.rng.choice([S.DONE, S.COMPLETED])
        return S.DOING if position < 0.6 else S.INCOMPLETE

    # --- Clients, leave, expenses ---------------------------------------------------------

    def _viewers(self, sites):
        """Each site's project viewers: people at its clients, who see that client's projects."""
        planned = []
        for site in sites:
            clients = sorted({(info.client, info.domain) for info in site.projects if info.client})
            if not clients or not site.viewers:
                continue
            chosen = self.rng.sample(clients, min(site.viewers, len(clients)))
            chosen += [self.rng.choice(clients) for _ in range(site.viewers - len(chosen))]
            for client, domain in chosen:
                first, last, email = self._identity(domain)
                user = self._user(first, last, email, site.timezone)
                planned.append((site, client, user))
        SandboxUser.objects.using(DB).bulk_create([user for *_, user in planned], batch_size=BATCH_SIZE)
        viewers, links = [], []
        for n, (site, client, user) in enumerate(planned):
            membership = Membership(
                workspace_id=site.workspace.id,
                user_id=user.id,
                role=Role.PROJECT_VIEWER,
                # A contact who moved on: the first of a site's viewers always stays active.
                status=MemberStatus.INACTIVE if n and self.chance(0.1) else MemberStatus.ACTIVE,
                team_name=client,
                title=self.rng.choice(VIEWER_TITLES),
                created_at=user.created_at,
            )
            viewers.append((user, membership))
        Membership.objects.using(DB).bulk_create([m for _, m in viewers], batch_size=BATCH_SIZE)
        for (site, client, _), (_, membership) in zip(planned, viewers, strict=True):
            for info in site.projects:
                if info.client == client:
                    links.append(
                        ViewerProject(
                            viewer_id=membership.id,
                            project_id=info.project.id,
                            created_at=membership.created_at,
                        )
                    )
        ViewerProject.objects.using(DB).bulk_create(links, batch_size=BATCH_SIZE, ignore_conflicts=True)
        return viewers

    def _leave_policies(self, sites, people):
        Kind = LeavePolicy.Kind
        for site in sites:
            created = site.workspace.created_at
            site.policies = {
                "Vacation": LeavePolicy(
                    name="Vacation", is_paid="yes", type=Kind.DAY_BASED, yearly_allowance=25
                ),
                "Sick leave": LeavePolicy(
                    name="Sick leave", is_paid="yes", type=Kind.DAY_BASED, yearly_allowance=10
                ),
                "Unpaid leave": LeavePolicy(
                    name="Unpaid leave", is_paid="no", type=Kind.DAY_BASED, yearly_allowance=20
                ),
            }
            for policy in site.policies.values():
                policy.workspace_id, policy.created_at = site.workspace.id, created
        LeavePolicy.objects.using(DB).bulk_create([p for s in sites for p in s.policies.values()])
        allowances = [
            LeaveAllowance(
                policy_id=person.home.policies["Vacation"].id,
                user_id=person.user.id,
                amount=Decimal(self.rng.choice([27, 28, 30])),
            )
            for person in people
            if person.tracks and self.chance(0.1)
        ]
        LeaveAllowance.objects.using(DB).bulk_create(allowances, batch_size=BATCH_SIZE)

    def _expense_categories(self, sites):
        for site in sites:
            site.categories = [
                ExpenseCategory(id=self.ctx.uuid(), workspace_id=site.workspace.id, name=name)
                for name in words.EXPENSES
            ]
        ExpenseCategory.objects.using(DB).bulk_create([c for s in sites for c in s.categories])
