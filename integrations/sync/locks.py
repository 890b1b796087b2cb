"""The per-workspace sync lock: one sync of a workspace at a time, across processes and machines.

A lock is a lease: taken for some seconds with a token only its holder knows, renewed while the
sync runs, released by its holder only. A lease that runs out (a killed worker) is free for the
next sync to take over.

* With `REDIS_URL` set the lock is a Redis key per workspace: `SET NX PX` takes it, a
  compare-and-expire script renews it and a compare-and-delete script releases it, so a lease
  that ran out and was taken over is never renewed or released by its former holder.
* Without it (the embedded default) the lock is `SyncState.locked_by` / `locked_until`, taken by one
  conditional UPDATE.

Either way `SyncState.locked_by` / `locked_until` say who holds the lock and until when: the
pages (`SyncState.progress()`), `sync_is_running()` and the scheduler read those, and the sync's
own writes to its SyncState are conditional on `locked_by` being its token. With Redis the
database copy follows the Redis key (written after it is taken, renewed with it, cleared when it is
released); a lease that runs out expires in both at the same moment.
"""

import os
import socket
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ..models import SyncState
from ..shared_redis import redis_client, redis_key, redis_script

LOCK_LEASE_MIN = 120  # seconds

# KEYS: the lock. ARGV: our token, the new lease in milliseconds. 1 when renewed, 0 when not ours.
# A key that is gone (Redis restarted without saving it) is nobody's: taken again, as the lock is
# still ours; a key holding another token is another sync's.
_RENEW = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if not held and redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  return 1
end
return 0
"""

# KEYS: the lock. ARGV: our token. 1 when released, 0 when it was not ours (any more).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def lock_token():
    """Who holds a lock: host, process and a random part (fits SyncState.locked_by)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lock_key(workspace):
    return redis_key("sync-lock", workspace.pk)


def lock_acquire(workspace, seconds=LOCK_LEASE_MIN):
    """Take `workspace`'s sync lock for `seconds`; returns our token, or None when another holds it."""
    SyncState.objects.get_or_create(workspace=workspace)
    now = timezone.now()
    token = lock_token()
    until = now + timedelta(seconds=seconds)
    client = redis_client()
    if client is None:
        taken = (
            SyncState.objects.filter(workspace=workspace)
            .filter(lock_free(now))
            .update(locked_by=token, locked_until=until)
        )
        return token if taken else None
    if not client.set(lock_key(workspace), token, nx=True, px=_milliseconds(seconds)):
        return None
    try:
        # Redis decided; the database copy follows (a former holder's lapsed lease is replaced).
        SyncState.objects.filter(workspace=workspace).update(locked_by=token, locked_until=until)
    except BaseException:
        redis_script(client, _RELEASE)(keys=[lock_key(workspace)], args=[token])
        raise
    return token


def lock_free(now):
    """The SyncStates whose lock nobody holds at `now` (never taken, released, or its lease ran out)."""
    return Q(locked_by="") | Q(locked_until__isnull=True) | Q(locked_until__lte=now)


def lock_held(now):
    """The SyncStates whose lock is held at `now` (the opposite of `lock_free`)."""
    return Q(locked_until__gt=now) & ~Q(locked_by="")


def lock_renew(workspace, token, seconds):
    """Extend our lease to `seconds` from now; False when the lock is no longer ours."""
    until = timezone.now() + timedelta(seconds=seconds)
    client = redis_client()
    if client is not None:
        renewed = redis_script(client, _RENEW)(
            keys=[lock_key(workspace)], args=[token, _milliseconds(seconds)]
        )
        if not renewed:
            return False
    return bool(SyncState.objects.filter(workspace=workspace, locked_by=token).update(locked_until=until))


def lock_release(workspace, token):
    """Give the lock up, if it is still ours."""
    SyncState.objects.filter(workspace=workspace, locked_by=token).update(locked_by="", locked_until=None)
    client = redis_client()
    if client is not None:
        redis_script(client, _RELEASE)(keys=[lock_key(workspace)], args=[token])


@contextmanager
def workspace_lock(workspace, seconds=LOCK_LEASE_MIN):
    """`with workspace_lock(ws) as token:` token is None when another sync holds the lock."""
    token = lock_acquire(workspace, seconds)
    try:
        yield token
    finally:
        if token:
            lock_release(workspace, token)


def sync_is_running(workspace):
    """A sync of `workspace` holds its lock now."""
    return SyncState.objects.filter(lock_held(timezone.now()), workspace=workspace).exists()


def _milliseconds(seconds):
    return max(1, int(seconds * 1000))
