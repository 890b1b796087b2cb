"""What every resource sync shares: the run record, bulk upsert, and marking what WebWork dropped.

A resource sync fetches first and writes after, in one short transaction per consistent unit
(a whole list, or one date of time entries), so a failure mid-way leaves the previous
consistent state and the database is never locked while we wait on WebWork.
"""

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import AuditEvent, SyncRun, Workspace
from ..webwork.client import WebWorkClient
from ..webwork.errors import NotFoundError, ServerError
from ..webwork.payloads import INTEGER_MAX, integer, iso_day, storable, unstorable
from .audit import AUDITED, decisions_seen

UPSERT_BATCH = 1000


@dataclass
class SyncContext:
    workspace: Workspace
    client: WebWorkClient
    now: datetime = field(default_factory=timezone.now)
    # Called after every request with (requests made so far); the orchestrator reports progress.
    on_request: object = None

    @property
    def workspace_id(self):
        return self.workspace.webwork_id


@dataclass
class RunStats:
    pages: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0

    def add(self, created_updated):
        created, updated = created_updated
        self.created += created
        self.updated += updated

    def merge(self, other: "RunStats"):
        """Count the pages and rows of another run (of the same sync) in these."""
        self.pages += other.pages
        self.add((other.created, other.updated))
        self.removed += other.removed


@contextlib.contextmanager
def resource_run(ctx: SyncContext, resource: str, scope: str = ""):
    """Record one resource sync as a SyncRun: requests made, pages, rows changed, error."""
    run = SyncRun.objects.create(workspace=ctx.workspace, resource=resource, scope=scope)
    stats = RunStats()
    requests_before = ctx.client.requests_made
    try:
        yield stats
    except Exception as exc:
        _finish(run, stats, ctx.client.requests_made - requests_before, SyncRun.Status.FAILED, exc)
        raise
    _finish(run, stats, ctx.client.requests_made - requests_before, SyncRun.Status.SUCCEEDED)


def _finish(run, stats, requests, status, exc=None):
    run.status = status
    run.finished_at = timezone.now()
    run.requests = requests
    run.pages = stats.pages
    run.created, run.updated, run.removed = stats.created, stats.updated, stats.removed
    run.error = f"{type(exc).__name__}: {exc}" if exc else ""
    run.save()


def fetch_all(ctx: SyncContext, path, params=None, stats: RunStats | None = None, **kwargs):
    """Every item of a (small) list, at the largest page size the endpoint allows."""
    items = []
    for page in ctx.client.iter_pages(path, {"workspace_id": ctx.workspace_id, **(params or {})}, **kwargs):
        if stats is not None:
            stats.pages += 1
        items.extend(page.data or [])
    return items


def upsert(model, workspace, rows: list[dict], *, now=None, audit=True):
    """Insert or update `rows` (dicts of field values with `webwork_id`) on (workspace, webwork_id).

    A row that had been marked removed comes back. Returns (created, updated).

    audit: for the models whose status is a decision (timesheets, time requests, leaves; see
    audit.py), a status that changed is a decision taken in WebWork and is written to the audit
    trail in the same transaction, from the same query of the existing rows. A service passes
    False: it records its own decision.
    """
    if not rows:
        return 0, 0
    now = now or timezone.now()
    for row in rows:
        if "raw" in row and unstorable(row["raw"]):
            row["raw"] = storable(row["raw"])
    audited = audit and model in AUDITED
    created = 0
    update_fields = [name for name in rows[0] if name != "webwork_id"] + ["synced_at", "removed_at"]
    with transaction.atomic(savepoint=False):
        for start in range(0, len(rows), UPSERT_BATCH):
            batch = rows[start : start + UPSERT_BATCH]
            ids = [row["webwork_id"] for row in batch]
            existing = model.objects.filter(workspace=workspace, webwork_id__in=ids)
            if audited:
                old_rows = {row.webwork_id: row for row in existing.defer("raw")}
            else:
                old_rows = dict.fromkeys(existing.values_list("webwork_id", flat=True))
            created += len(set(ids) - set(old_rows))
            model.objects.bulk_create(
                [model(workspace=workspace, synced_at=now, removed_at=None, **row) for row in batch],
                update_conflicts=True,
                unique_fields=["workspace", "webwork_id"],
                update_fields=update_fields,
            )
            if audited:
                AuditEvent.objects.bulk_create(decisions_seen(model, workspace, old_rows, batch, now=now))
    return created, len(rows) - created


def mark_removed(model, workspace, seen_ids: Iterable[str], *scope_q, now=None, **scope):
    """After a complete listing: rows in scope (`scope_q` Q objects and `scope` lookups) that
    WebWork no longer returns are marked removed."""
    seen = set(seen_ids)
    current = model.objects.filter(*scope_q, workspace=workspace, removed_at__isnull=True, **scope)
    gone = [
        webwork_id for webwork_id in current.values_list("webwork_id", flat=True) if webwork_id not in seen
    ]
    for start in range(0, len(gone), UPSERT_BATCH):
        model.objects.filter(workspace=workspace, webwork_id__in=gone[start : start + UPSERT_BATCH]).update(
            removed_at=now or timezone.now()
        )
    return len(gone)


def unique_rows(rows):
    """One row per WebWork id (the last one listed): a bulk upsert may touch a row only once."""
    return list({row["webwork_id"]: row for row in rows}.values())


def replace_all(model, ctx: SyncContext, rows: list[dict], stats: RunStats, *scope_q, seen=None, **scope):
    """The whole of a scope (`scope_q` Q objects and `scope` lookups; everything when none) as
    WebWork returned it, in one transaction: upsert, then mark the scope's other rows removed.

    seen: the WebWork ids WebWork returned (default: the rows'); an item that could not be stored
    as a row keeps its previous state instead of being marked removed.
    """
    rows = unique_rows(rows)
    seen = {row["webwork_id"] for row in rows} if seen is None else set(seen)
    with transaction.atomic():
        stats.add(upsert(model, ctx.workspace, rows, now=ctx.now))
        stats.removed += mark_removed(model, ctx.workspace, seen, *scope_q, now=ctx.now, **scope)


def listed_id(payload):
    """The WebWork id of a listed object (a positive integer, or a short text such as a UUID), or
    None when it has none usable."""
    value = payload.get("id") if isinstance(payload, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= INTEGER_MAX else None
    if isinstance(value, str) and value.strip() and len(value) <= 64 and not unstorable(value):
        return value
    return None


def with_ids(items):
    """The items of a listing, every one an object with a usable id. WebWork lists nothing else: a
    listing holding anything else is a corrupt answer, refused whole (ServerError; the step fails
    and is owed) rather than used without those items, which would mark their rows removed."""
    items = list(items)
    unusable = sum(1 for p in items if listed_id(p) is None)
    if unusable:
        raise ServerError(f"WebWork listed {unusable} of {len(items)} items without a usable id.")
    return items


def reread_unlisted(ctx: SyncContext, model, payloads, fetch_one, *scope_q, **scope):
    """The rows of a narrowed listing's scope that the listing (`payloads`) left out, read again
    one by one (`fetch_one(row)`: the payload as WebWork has it now, or None when WebWork no longer
    has it): they may only have left the scope (approved, moved to another date). The scope's rows
    neither listed nor found again are the ones `replace_all` marks removed."""
    listed = {str(p["id"]) for p in with_ids(payloads)}
    in_scope = model.objects.current().filter(*scope_q, workspace=ctx.workspace, **scope)
    found = []
    for row in in_scope.exclude(webwork_id__in=listed).order_by("pk"):
        payload = fetch_one(row)
        if isinstance(payload, dict) and str(payload.get("id")) == row.webwork_id:
            found.append(payload)
    return found


def fetch_by_id(ctx: SyncContext, path, stats: RunStats):
    """A `fetch_one` for `reread_unlisted`: GET <path>?id=<webwork id> (a 404: gone)."""

    def fetch_one(row):
        try:
            items = fetch_all(ctx, path, {"id": row.webwork_id}, stats=stats)
        except NotFoundError:
            return None
        return next((p for p in with_ids(items) if str(p["id"]) == row.webwork_id), None)

    return fetch_one


def replace_links(
    workspace, parents, payloads, *, ids_of, model, parent, target, target_model, target_webwork_id
):
    """Make the `model` rows that link each of `parents` (current mirror rows, a queryset) to other
    mirror rows exactly the WebWork ids `ids_of(payload)` of its payload: a task's assignees, the
    projects a viewer sees.

    A link keeps the WebWork id (`target_webwork_id`) and resolves its `target` foreign key (to a
    `target_model` row) from the mirror's own rows; it stays empty while the mirror lacks that row.
    """
    parent_fk, target_fk = f"{parent}_id", f"{target}_id"
    parent_pks = dict(parents.values_list("webwork_id", "pk"))
    wanted_keys = {
        (parent_pks[str(p["id"])], webwork_id)
        for p in payloads
        if str(p["id"]) in parent_pks
        for webwork_id in ids_of(p)
    }
    targets = local_ids(target_model, workspace, {webwork_id for _, webwork_id in wanted_keys})
    wanted = {(owner, webwork_id): targets.get(str(webwork_id)) for owner, webwork_id in wanted_keys}
    existing = {}
    for link in model.objects.filter(**{f"{parent}__in": parents}).select_related(target):
        webwork_id = getattr(link, target_webwork_id)
        linked = getattr(link, target)
        if webwork_id is None and linked is not None:
            webwork_id = integer(linked.webwork_id)
        existing[(getattr(link, parent_fk), webwork_id)] = link
    stale = [link.pk for key, link in existing.items() if key not in wanted]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    model.objects.bulk_create(
        [
            model(**{parent_fk: owner, target_webwork_id: webwork_id, target_fk: pk})
            for (owner, webwork_id), pk in sorted(wanted.items(), key=lambda item: item[0])
            if (owner, webwork_id) not in existing
        ]
    )
    changed = []
    for key, link in existing.items():
        if key not in wanted:
            continue
        if (getattr(link, target_fk), getattr(link, target_webwork_id)) != (wanted[key], key[1]):
            setattr(link, target_fk, wanted[key])
            setattr(link, target_webwork_id, key[1])
            changed.append(link)
    model.objects.bulk_update(changed, [target, target_webwork_id])


def local_ids(model, workspace, webwork_ids):
    """{webwork_id: our pk} for the rows of `model` we already have (foreign keys resolve locally)."""
    wanted = {str(w) for w in webwork_ids if w not in (None, "")}
    if not wanted:
        return {}
    return dict(
        model.objects.filter(workspace=workspace, webwork_id__in=wanted).values_list("webwork_id", "pk")
    )


def range_label(date_from, date_to):
    """A run's scope for a date range, either end open ("…")."""
    if date_from is None and date_to is None:
        return ""
    return f"{iso_day(date_from) or '…'}..{iso_day(date_to) or '…'}"
