"""gunicorn's settings for Clockroom: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Read from the environment only (a deployment sets its variables in the service's environment:
deploy/systemd/clockroom.env.example; `.env` is for local runs and gunicorn does not read it):

  PORT                   the port to listen on (8000), on GUNICORN_BIND's address
  GUNICORN_BIND          host:port, or unix:/path (default 127.0.0.1:$PORT: a proxy on this machine)
  GUNICORN_WORKERS       an exact number of worker processes; unset: 2 x CPUs + 1,
  GUNICORN_MAX_WORKERS     at most this many (8)
  GUNICORN_TIMEOUT       seconds a request may take before its worker is restarted (30)
  FORWARDED_ALLOW_IPS    the proxies whose X-Forwarded-* headers gunicorn trusts (127.0.0.1,::1)
  DJANGO_LOG_FORMAT      json or text; unset: text with DJANGO_DEBUG=1, json otherwise
  DJANGO_LOG_LEVEL       INFO

Every line gunicorn writes (its own and the access lines) goes through Clockroom's logging
(config/logs.py): JSON in production, with the request id and the workspace, tokens redacted.
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from config.logs import log_format, logging_config  # noqa: E402

DEFAULT_MAX_WORKERS = 8


def _flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def cpu_count():
    """CPUs this process may run on (its affinity, which containers and taskset narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_for(cpus, *, exact=None, cap=DEFAULT_MAX_WORKERS):
    """`exact` when given; else 2 x `cpus` + 1 (one busy on I/O while another computes), at most
    `cap` (each worker holds its own database connection) and at least 1."""
    if exact not in (None, ""):
        count = int(exact)
        if count < 1:
            raise ValueError(f"GUNICORN_WORKERS must be 1 or more, not {exact!r}.")
        return count
    return max(1, min(2 * cpus + 1, int(cap)))


# --- sockets and processes ----------------------------------------------------------------

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"
workers = workers_for(
    cpu_count(),
    exact=os.environ.get("GUNICORN_WORKERS"),
    cap=os.environ.get("GUNICORN_MAX_WORKERS") or DEFAULT_MAX_WORKERS,
)
# Sync workers: the pages are short database reads; slow work (syncs, bulk decisions, webhook
# processing) runs in the django-q2 cluster, never in a request.
worker_class = "sync"
# Preload off: each worker imports Django and opens its database and Redis connections after
# the fork, so no socket is ever shared between processes, and `kill -HUP` (systemctl reload)
# loads new code into new workers without dropping the listening socket. The memory preloading
# would save is small for a Django app of this size.
preload_app = False
# A worker is replaced after this many requests (plus jitter, so they do not all restart
# together): memory a long-lived process may gather is given back.
max_requests = 1000
max_requests_jitter = 100
# gunicorn's heartbeat file in memory, not on a disk that may stall (containers, busy disks).
_SHM = "/dev/shm"  # noqa: S108 (gunicorn makes its file there with mkstemp)
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
# No control socket: several gunicorns of one user on one machine would share its default path;
# systemd (or honcho) and signals manage the processes.
control_socket_disable = True

# --- timeouts -----------------------------------------------------------------------------

# A request that takes longer is stuck: its worker is killed and replaced. Pages answer in well
# under a second and webhooks are stored, not processed, in the request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
# Seconds workers get to finish their requests on a restart or a reload.
graceful_timeout = 30
# Seconds an idle keep-alive connection from the proxy stays open (below nginx's or a load
# balancer's own idle timeout, so the proxy never reuses a connection gunicorn is closing).
keepalive = 5

# --- behind a proxy -----------------------------------------------------------------------

# Only these addresses may tell gunicorn the client's scheme and address (X-Forwarded-*). Django
# reads the scheme from X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER): bind gunicorn where only the
# proxy reaches it, and have the proxy set that header itself (deploy/nginx/clockroom.conf).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"

# --- logs ---------------------------------------------------------------------------------

_log_format = log_format(os.environ.get("DJANGO_LOG_FORMAT"), debug=_flag("DJANGO_DEBUG"))
loglevel = (os.environ.get("DJANGO_LOG_LEVEL") or "INFO").lower()
accesslog = "-"  # on, through logconfig_dict below
errorlog = "-"
# The access line's message (its fields are also in the JSON line's "http" object). The request id
# and the workspace come from the WSGI environ Clockroom's middleware filled.
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" '
    "request_id=%({clockroom.request_id}e)s workspace=%({clockroom.workspace}e)s"
)
logconfig_dict = logging_config(fmt=_log_format, level=loglevel.upper(), gunicorn=True)
proc_name = "clockroom-web"
