"""`bench faults`: the scenarios whose fault is a process, not an answer.

* qcluster_killed: a qcluster killed with SIGKILL mid-sync (its lock's lease runs out, the
  page reads "interrupted", the next sync takes over);
* redis_restarted: the bench's own Redis (never the shared one) restarted mid-sync;
* database_restarted: every connection to the bench's own databases cut with
  pg_terminate_backend mid-sync (the shared PostgreSQL cluster is never restarted).

They need PostgreSQL and Redis (`DATABASE_URL`, `REDIS_URL`); elsewhere each is skipped and its
row says why.
"""

from django.conf import settings
from django.db import connections

from .faults import Outcome

SWITCHED_ON = {
    "qcluster_killed": "a qcluster killed (SIGKILL) mid-sync",
    "redis_restarted": "the bench's own Redis restarted mid-sync",
    "database_restarted": "pg_terminate_backend on the bench's own databases mid-sync",
}


def missing(name):
    """Why `name` cannot run here, or "" when it can."""
    if connections["default"].vendor != "postgresql":
        return "needs PostgreSQL (DATABASE_URL); this run is on " + connections["default"].vendor
    if name in ("qcluster_killed", "redis_restarted") and not getattr(settings, "REDIS_URL", ""):
        return "needs Redis (REDIS_URL)"
    return "not built yet: the subprocess harness for this scenario is still to come"


def run(name, harness, say):
    reason = missing(name)
    say(f"  skipped: {reason}")
    return Outcome(name, SWITCHED_ON[name], checked="", result=f"skipped: {reason}", ok=None)
