"""Redis, when `REDIS_URL` is set: this process's client and the names of Clockroom's keys there.

A hosted deployment runs several web and worker processes on several machines; what they must
agree on at once lives in Redis: each WebWork user's request window (`integrations/ratelimit.py`)
and each workspace's sync lock (`integrations/sync/locks.py`). Without `REDIS_URL` (the embedded
default) both stay in the database, and `redis_client()` answers None.

The client is made once per process and URL: redis-py's connection pool is thread-safe and
starts afresh in a forked child. A dropped connection (Redis restarted) is retried a few times
with a short backoff before the error reaches the caller.
"""

import threading

from django.conf import settings

DEFAULT_PREFIX = "clockroom"

_clients = {}
_clients_lock = threading.Lock()
_scripts = {}


def redis_url() -> str:
    return getattr(settings, "REDIS_URL", "") or ""


def redis_client():
    """The redis.Redis of this process for REDIS_URL, or None when it is not set."""
    url = redis_url()
    if not url:
        return None
    client = _clients.get(url)
    if client is not None:
        return client
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _connect(url)
            _clients[url] = client
    return client


def _connect(url):
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 5),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )


def redis_key(*parts) -> str:
    """A key of Clockroom's: REDIS_KEY_PREFIX (default "clockroom") and `parts`, colon-separated.
    Two deployments (or two test runs) sharing one Redis keep apart with their own prefixes."""
    prefix = getattr(settings, "REDIS_KEY_PREFIX", "") or DEFAULT_PREFIX
    return ":".join([prefix, *(str(part) for part in parts)])


def redis_script(client, source):
    """`source` (Lua) as a callable script of `client`, made once per process: it runs by its hash
    and is loaded again by itself when Redis lost it (a restart)."""
    key = (id(client), source)
    script = _scripts.get(key)
    if script is None:
        script = _scripts[key] = client.register_script(source)
    return script
