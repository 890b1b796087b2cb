"""The agency's weeks of work: leave, time entries, timesheets, time requests, expenses, the
trackers running now and the contracts at their weekly limit.

Time entries are generated person by person, day by day, and written in batches, so memory
stays bounded at any scale. Every random draw of a block happens before the block is compared
with "now", so the same seed on the same day gives the same entries (and entry ids).
"""

import math
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from ..models import (
    Contract,
    Expense,
    LeaveRequest,
    RunningTracker,
    TimeEntry,
    TimeRequest,
    Timesheet,
)
from ..models.accounts import MemberStatus, Role
from ..models.time import Method
from ..timekeeping import week_start
from . import vocabulary as words
from .context import DB, local_moment

BLOCK_MINUTES = (60, 90, 120, 120, 150, 180)
FULL_DAY = LeaveRequest.Period.FULL_DAY
HALF_DAYS = (LeaveRequest.Period.FIRST_HALF, LeaveRequest.Period.SECOND_HALF)
EXPENSE_WEIGHTS = {
    "Travel": 3,
    "Software & subscriptions": 3,
    "Hardware": 1,
    "Stock assets & fonts": 2,
    "Meals & client entertainment": 2,
    "Training & conferences": 1,
    "Office supplies": 1,
}
EXPENSE_NOTES = [
    None,
    None,
    "Receipt in the shared drive.",
    "Paid with the company card.",
    "Reimburse with payroll.",
]
S = Timesheet.Status


def lower_first(text):
    """`Deep links` -> `deep links` inside a sentence; `API integration` and `iOS app` stay."""
    if len(text) > 1 and (text[1].isupper() or text[0].isdigit()):
        return text
    return text[:1].lower() + text[1:]


class TimelineBuilder:
    def __init__(self, ctx, structure):
        self.ctx = ctx
        self.rng = ctx.rng
        self.writer = ctx.writer
        self.sites = structure.sites
        self.people = structure.people
        self.running = {}  # person -> (started_at, job, task, description)
        self.this_week = Counter()  # contract id -> minutes tracked this week
        self.request_slots = []  # (person, job, end of a recent day's last entry)
        self.submitted = Counter()  # site index -> submitted timesheets
        self.spare_timesheets = {}  # site index -> a last-week timesheet with time, not submitted
        self.limits = {"over": 0, "near": 0}

    def build(self):
        self._plan_leave()
        self._choose_running()
        for person in self.people:
            if person.tracks:
                self._person_timeline(person)
        self.writer.flush()
        self._time_requests()
        self._expenses()
        self._trackers()
        self.writer.flush()
        self._weekly_limits()
        self._ensure_submitted_timesheets()
        return self

    def _reviewer(self, site, person):
        others = [uid for uid in site.reviewers if uid != person.user.id]
        return self.rng.choice(others or site.reviewers or [site.workspace.owner_id])

    # --- Leave -----------------------------------------------------------------------------

    def _plan_leave(self):
        ctx, rng = self.ctx, self.rng
        for person in self.people:
            if not person.tracks:
                continue
            first = max(ctx.range_start, person.active_from or ctx.range_start)
            last = min(ctx.today - timedelta(days=1), person.active_until or ctx.today)
            days = ctx.weekdays(first, last)
            if len(days) >= 10 and ctx.chance(0.35):
                start = rng.randrange(len(days) - 5)
                block = days[start : start + rng.randint(1, 5)]
                self._leave(person, "Vacation", block, LeaveRequest.Status.APPROVED)
            if days and ctx.chance(0.25):
                day = rng.choice(days)
                period = rng.choice([FULL_DAY, FULL_DAY, FULL_DAY, *HALF_DAYS])
                if day not in person.leave:
                    self._leave(person, "Sick leave", [day], LeaveRequest.Status.APPROVED, period=period)
            if person.active_until is None and ctx.chance(0.1):
                self._leave(person, "Vacation", self._future_days(), LeaveRequest.Status.APPROVED)
        for site in self.sites:
            staff = [p for p in self.people if p.home is site and p.tracks and p.active_until is None]
            if not staff:
                continue
            for person in rng.sample(staff, min(len(staff), max(1, round(len(staff) * 0.06)))):
                policy = rng.choice(["Vacation", "Vacation", "Vacation", "Unpaid leave"])
                self._leave(person, policy, self._future_days(), LeaveRequest.Status.PENDING)
            for person in rng.sample(staff, min(len(staff), max(1, round(len(staff) * 0.02)))):
                self._leave(person, "Vacation", self._future_days(), LeaveRequest.Status.REJECTED)

    def _future_days(self):
        first = self.ctx.today + timedelta(days=self.rng.randint(7, 56))
        return self.ctx.weekdays(first, first + timedelta(days=14))[: self.rng.randint(1, 5)]

    def _leave(self, person, policy_name, days, status, *, period=FULL_DAY):
        ctx, rng = self.ctx, self.rng
        site = person.home
        reviewer = self._reviewer(site, person)
        asked = ctx.past(ctx.at(days[0] - timedelta(days=rng.randint(5, 40)), 10, zone=person.zone))
        request = LeaveRequest(
            id=ctx.uuid(),
            workspace_id=site.workspace.id,
            user_id=person.user.id,
            policy_id=site.policies[policy_name].id,
            start_date=days[0],
            end_date=days[-1],
            hours_per_day=4 if period != FULL_DAY else None,
            leave_period=period,
            note=rng.choice(words.LEAVE_NOTES[policy_name]),
            status=status,
            created_by_id=person.user.id,
            approved_by_id=reviewer if status == LeaveRequest.Status.APPROVED else None,
            rejected_by_id=reviewer if status == LeaveRequest.Status.REJECTED else None,
            reject_reason=rng.choice(words.LEAVE_REJECT_REASONS)
            if status == LeaveRequest.Status.REJECTED
            else None,
            created_at=asked,
        )
        self.writer.add(request)
        if status == LeaveRequest.Status.APPROVED:
            for day in days:
                person.leave[day] = period

    # --- Running trackers ------------------------------------------------------------------

    def _choose_running(self):
        ctx, rng = self.ctx, self.rng
        candidates = [
            p
            for p in self.people
            if p.tracks
            and p.status == MemberStatus.ACTIVE
            and p.role != Role.OWNER
            and p.active_on(ctx.today)
            and ctx.today not in p.leave
            and self._jobs_on(p, ctx.today)
        ]
        for person in rng.sample(candidates, min(self.ctx.scale.running_trackers, len(candidates))):
            job = max(self._jobs_on(person, ctx.today), key=lambda j: j.weight)
            task = self._task(job)
            description = self._describe(person, job, task)
            started_at = ctx.now - timedelta(minutes=rng.randint(12, 150), seconds=rng.randint(0, 59))
            self.running[person] = (started_at, job, task, description)

    def _trackers(self):
        trackers = [
            RunningTracker(
                workspace_id=job.info.site.workspace.id,
                user_id=person.user.id,
                contract_id=job.contract.id,
                project_id=job.info.project.id,
                task_id=task.id if task else None,
                activity_description=description,
                method=Method.DESKTOP,
                started_at=started_at,
            )
            for person, (started_at, job, task, description) in self.running.items()
        ]
        RunningTracker.objects.using(DB).bulk_create(trackers)

    # --- Time entries and timesheets ----------------------------------------------------------

    @staticmethod
    def _jobs_on(person, day):
        return [job for job in person.jobs if job.info.until is None or day <= job.info.until]

    def _task(self, job):
        r = self.rng.random()
        if job.own_tasks and r < 0.65:
            return self.rng.choice(job.own_tasks)
        if job.info.tasks and r < 0.9:
            return self.rng.choice(job.info.tasks)
        return None

    def _describe(self, person, job, task):
        template = self.rng.choice(words.ACTIVITIES.get(person.team, words.ACTIVITIES["Delivery"]))
        number = self.rng.randint(100, 999)
        subject = lower_first(task.title if task else job.info.project.name.split(" — ")[-1])
        return template.format(task=subject, client=job.info.client or "the team", n=number)

    def _day_blocks(self, person, day):
        """The (start, end) minutes after local midnight the person works on `day`."""
        rng = self.rng
        leave = person.leave.get(day)
        if leave == FULL_DAY:
            return []
        if day.weekday() not in person.workdays:
            if day.weekday() >= 5 and not person.part_time and rng.random() < 0.03:
                start = rng.randrange(600, 780, 15)
                return [(start, start + rng.choice([60, 90, 120, 150]))]
            return []
        if rng.random() < 0.03:  # a quiet day: nothing tracked
            return []
        start = person.start_minutes + rng.randint(-20, 30)
        target = person.daily_minutes + rng.randint(-40, 40)
        if leave is not None:
            target //= 2
            if leave == LeaveRequest.Period.FIRST_HALF:
                start = max(start, 13 * 60)
        blocks, moment, worked, lunch = [], start, 0, False
        while target - worked >= 20:
            length = min(target - worked, rng.choice(BLOCK_MINUTES))
            blocks.append((moment, moment + length))
            worked += length
            moment += length
            if not lunch and moment - start >= 200:
                moment += rng.randint(30, 60)
                lunch = True
            else:
                moment += rng.randint(0, 15)
        return blocks

    def _person_timeline(self, person):
        ctx = self.ctx
        running = self.running.get(person)
        cutoff = running[0] if running else ctx.now
        today = ctx.now.astimezone(person.zone).date()
        first = max(ctx.range_start, person.active_from or ctx.range_start)
        last = min(today, person.active_until or today)
        minutes = Counter()  # (site index, week) -> minutes
        day = first
        while day <= last:
            last_entry = None
            for start_minute, end_minute in self._day_blocks(person, day):
                entry, request = self._block(person, day, start_minute, end_minute, cutoff)
                if entry is None:
                    continue
                self.writer.add(entry)
                if request:
                    self.writer.add(request)
                site = entry.job.info.site
                minutes[(site.index, week_start(entry.date))] += entry.duration_minutes
                if entry.date >= ctx.this_week:
                    self.this_week[entry.contract_id] += entry.duration_minutes
                last_entry = entry
            if last_entry and today - timedelta(days=14) <= day < today:
                self.request_slots.append((person, last_entry.job, last_entry.end_time))
            day += timedelta(days=1)
        self._timesheets(person, minutes, first, last)

    def _block(self, person, day, start_minute, end_minute, cutoff):
        """One block of work as a time entry (and, for manual time, its approved request).

        Draws all its random numbers first: whether it is kept depends on the clock."""
        ctx, rng = self.ctx, self.rng
        entry_id = ctx.uuid()
        jobs = self._jobs_on(person, day)
        if not jobs:
            return None, None
        job = rng.choices(jobs, [j.weight for j in jobs])[0]
        task = self._task(job)
        description = self._describe(person, job, task)
        r = rng.random()
        method = Method.DESKTOP if r < 0.9 else Method.MANUAL if r < 0.96 else Method.WEB
        activity = rng.randint(30, 95)
        with_request = rng.random() < 0.4
        request_id = ctx.uuid() if method == Method.MANUAL else None
        note = rng.choice(words.TIME_REQUEST_NOTES)
        site = job.info.site
        start = local_moment(day, start_minute, person.zone)
        end = local_moment(day, end_minute, person.zone)
        entry_day = start.astimezone(site.zone).date()
        if end > cutoff or end > local_moment(entry_day + timedelta(days=1), 0, site.zone):
            return None, None
        entry = TimeEntry(
            id=entry_id,
            workspace_id=site.workspace.id,
            user_id=person.user.id,
            contract_id=job.contract.id,
            project_id=job.info.project.id,
            task_id=task.id if task else None,
            activity_description=description,
            method=method,
            date=entry_day,
            start_time=start,
            end_time=end,
            duration_minutes=end_minute - start_minute,
            activity_level=activity,
            created_at=end,
        )
        entry.job = job
        request = None
        if method == Method.MANUAL and with_request:
            request = TimeRequest(
                id=request_id,
                workspace_id=site.workspace.id,
                user_id=person.user.id,
                contract_id=job.contract.id,
                project_id=job.info.project.id,
                task_id=entry.task_id,
                start=start,
                end=end,
                status=TimeRequest.Status.APPROVED,
                notes=note,
                updated_by_id=self._reviewer(site, person),
                time_entry_id=entry_id,
                created_at=end,
            )
        return entry, request

    def _timesheets(self, person, minutes, first, last):
        ctx, rng = self.ctx, self.rng
        for index in sorted({job.info.site.index for job in person.jobs}):
            site = self.sites[index]
            for week in ctx.weeks:
                if week < week_start(first) or week > last:
                    continue
                tracked = minutes[(index, week)]
                status = self._timesheet_status(week, rng.random(), tracked)
                submitted_on = ctx.past(
                    ctx.at(week + timedelta(days=4), rng.randint(16, 18), rng.randint(0, 59), site.zone)
                )
                reviewer = self._reviewer(site, person)
                reason = rng.choice(words.TIMESHEET_REJECT_REASONS)
                timesheet = Timesheet(
                    id=ctx.uuid(),
                    workspace_id=site.workspace.id,
                    user_id=person.user.id,
                    date_from=week,
                    date_to=week + timedelta(days=6),
                    status=status,
                    submitted_on=submitted_on if status != S.OPEN else None,
                    reject_reason=reason if status == S.REJECTED else None,
                    reviewed_by_id=reviewer if status in (S.APPROVED, S.REJECTED) else None,
                    created_at=ctx.at(week, 0, zone=site.zone),
                )
                self.writer.add(timesheet)
                if status == S.SUBMITTED:
                    self.submitted[index] += 1
                elif week == ctx.last_week and tracked and person.status == MemberStatus.ACTIVE:
                    self.spare_timesheets.setdefault(index, timesheet)

    def _timesheet_status(self, week, r, tracked):
        ctx = self.ctx
        if week == ctx.this_week:
            return S.OPEN
        if week == ctx.last_week:
            status = S.SUBMITTED if r < 0.75 else S.OPEN if r < 0.87 else S.APPROVED
            return status if tracked else S.OPEN
        status = S.APPROVED if r < 0.86 else S.REJECTED if r < 0.92 else S.SUBMITTED if r < 0.96 else S.OPEN
        # An empty week is never waiting for a review.
        return status if tracked or status == S.OPEN else S.APPROVED

    def _ensure_submitted_timesheets(self):
        for index, timesheet in self.spare_timesheets.items():
            if not self.submitted[index]:
                Timesheet.objects.using(DB).filter(pk=timesheet.pk).update(
                    status=S.SUBMITTED,
                    submitted_on=self.ctx.past(self.ctx.at(self.ctx.this_week, 9)),
                    reviewed_by=None,
                )
                self.submitted[index] += 1

    # --- Time requests and expenses ----------------------------------------------------------

    def _time_requests(self):
        """Pending requests (and a few rejected ones) for time after a recent day's last entry."""
        ctx, rng = self.ctx, self.rng
        for site in self.sites:
            slots = [
                (person, job, after)
                for person, job, after in self.request_slots
                if job.info.site is site and person.status == MemberStatus.ACTIVE
            ]
            staff = sum(1 for p in self.people if p.home is site and p.tracks)
            pending = max(2, round(staff * 0.05))
            rejected = max(1, round(staff * 0.02))
            for n, (person, job, after) in enumerate(rng.sample(slots, min(len(slots), pending + rejected))):
                start = after + timedelta(minutes=rng.randint(20, 60))
                end = start + timedelta(minutes=rng.choice([30, 45, 60, 90, 120]))
                task = self._task(job)
                note = rng.choice(words.TIME_REQUEST_NOTES)
                comment = rng.choice(words.TIME_REQUEST_REJECT_COMMENTS)
                reviewer = self._reviewer(site, person)
                same_day = start.astimezone(site.zone).date() == end.astimezone(site.zone).date()
                if not same_day or end > ctx.now:
                    continue
                is_pending = n < pending
                self.writer.add(
                    TimeRequest(
                        id=ctx.uuid(),
                        workspace_id=site.workspace.id,
                        user_id=person.user.id,
                        contract_id=job.contract.id,
                        project_id=job.info.project.id,
                        task_id=task.id if task else None,
                        start=start,
                        end=end,
                        status=TimeRequest.Status.PENDING if is_pending else TimeRequest.Status.REJECTED,
                        notes=note,
                        comment=None if is_pending else comment,
                        updated_by_id=None if is_pending else reviewer,
                        created_at=ctx.past(end + timedelta(hours=rng.randint(1, 20))),
                    )
                )

    def _expenses(self):
        ctx, rng = self.ctx, self.rng
        for site in self.sites:
            staff = [p for p in self.people if p.home is site and p.tracks]
            categories = site.categories
            weights = [EXPENSE_WEIGHTS[c.name] for c in categories]
            for week in ctx.weeks:
                days = ctx.weekdays(week, min(week + timedelta(days=4), ctx.today))
                active = [p for p in staff if p.active_on(week)]
                if not days or not active:
                    continue
                for _ in range(max(1, round(len(staff) * 0.12))):
                    self._expense(
                        site, rng.choice(active), rng.choices(categories, weights)[0], rng.choice(days)
                    )

    def _expense(self, site, person, category, day):
        ctx, rng = self.ctx, self.rng
        template, low, high, billable_share = rng.choice(words.EXPENSES[category.name])
        client_jobs = [j for j in person.jobs if j.info.client and j.info.site is site]
        job = rng.choice(client_jobs) if client_jobs else None
        billable = job is not None and rng.random() < billable_share
        client = job.info.client if job else rng.choice(words.CLIENTS)[0]
        amount = round(rng.uniform(low, high), 2)
        note = rng.choice(EXPENSE_NOTES)
        self.writer.add(
            Expense(
                id=ctx.uuid(),
                workspace_id=site.workspace.id,
                user_id=person.user.id,
                project_id=job.info.project.id if billable else None,
                category_id=category.id,
                expense_name=template.format(client=client),
                date=day,
                amount=Decimal(f"{amount:.2f}"),
                note=note,
                is_billable=billable,
                created_at=ctx.past(ctx.at(day, 18, zone=site.zone)),
            )
        )

    # --- Weekly limits ---------------------------------------------------------------------------

    def _weekly_limits(self):
        """Lower a few contracts' weekly limits so they are over, or at 85-100% of, this week's time."""
        scale = self.ctx.scale
        for attempt in range(2):
            over, near = self._limit_candidates()
            if (len(over) >= scale.over_limit and len(near) >= scale.near_limit) or attempt:
                break
            self._late_night_work(scale.over_limit + scale.near_limit)
        rng = self.rng
        chosen = rng.sample(over[: max(6, 3 * scale.over_limit)], min(scale.over_limit, len(over)))
        for contract_id, tracked in chosen:
            limit = math.floor(tracked / 60 * rng.uniform(0.6, 0.9))
            Contract.objects.using(DB).filter(pk=contract_id).update(weekly_hours_limit=limit)
        taken = {contract_id for contract_id, _ in chosen}
        near = [(cid, tracked, limits) for cid, tracked, limits in near if cid not in taken]
        for contract_id, _, limits in rng.sample(
            near[: max(8, 3 * scale.near_limit)], min(scale.near_limit, len(near))
        ):
            Contract.objects.using(DB).filter(pk=contract_id).update(weekly_hours_limit=rng.choice(limits))
            self.limits["near"] += 1
        self.limits["over"] = len(chosen)

    def _limit_candidates(self):
        active = {
            job.contract.id
            for person in self.people
            for job in person.jobs
            if job.contract.status == Contract.Status.ACTIVE
        }
        tracked = sorted(
            ((cid, minutes) for cid, minutes in self.this_week.items() if cid in active and minutes > 0),
            key=lambda item: (-item[1], item[0]),
        )
        near = []
        for cid, minutes in tracked:
            # Whole-hour limits L with 85% <= minutes / (60 L) < 100%.
            limits = list(range(minutes // 60 + 1, minutes // 51 + 1))
            if limits:
                near.append((cid, minutes, limits))
        return tracked, near

    def _late_night_work(self, count):
        """Early in the week there is little time yet: some people worked late into Monday."""
        ctx, rng = self.ctx, self.rng
        week_begins = ctx.at(ctx.this_week, 0)
        end = ctx.now - timedelta(minutes=2)
        midnight = ctx.at(end.astimezone(ctx.zone).date(), 0)
        start = max(week_begins, midnight, end - timedelta(minutes=rng.choice([55, 110, 165, 230])))
        if end - start < timedelta(minutes=10):
            return
        idle = [
            p
            for p in self.people
            if p.tracks
            and p not in self.running
            and p.status == MemberStatus.ACTIVE
            and p.home.index == 0
            and not any(self.this_week[job.contract.id] for job in p.jobs)
            and any(j.contract.status == Contract.Status.ACTIVE for j in p.jobs)
        ]
        for person in rng.sample(idle, min(count, len(idle))):
            job = max(
                (j for j in person.jobs if j.contract.status == Contract.Status.ACTIVE),
                key=lambda j: j.weight,
            )
            site = job.info.site
            entry = TimeEntry(
                id=ctx.uuid(),
                workspace_id=site.workspace.id,
                user_id=person.user.id,
                contract_id=job.contract.id,
                project_id=job.info.project.id,
                activity_description=f"Release night for {job.info.client or 'the studio'}",
                method=Method.DESKTOP,
                date=start.astimezone(site.zone).date(),
                start_time=start,
                end_time=end,
                duration_minutes=int((end - start).total_seconds() // 60),
                activity_level=rng.randint(40, 90),
                created_at=end,
            )
            TimeEntry.objects.using(DB).bulk_create([entry])
            self.this_week[job.contract.id] += entry.duration_minutes
