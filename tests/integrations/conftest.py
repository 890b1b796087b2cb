import os

import pytest

# The Redis the tests of Redis's part use when REDIS_URL is not set: the one CI starts (.ci/run)
# and `redis-server --port 6390` starts locally.
LOCAL_REDIS = "redis://127.0.0.1:6390/0"


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def redis_answering(url):
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture
def redis_url(settings):
    """Clockroom on Redis (REDIS_URL, else the local one on port 6390): the rate limiter's windows
    and the sync locks live there for this test. Without a Redis answering the test is skipped
    and says why, except in CI (CI=true), where it fails: CI starts Redis, so none answering is
    a broken CI, not a reason to skip."""
    url = os.environ.get("REDIS_URL") or LOCAL_REDIS
    if not redis_answering(url):
        message = f"No Redis answers at {url}; start one with `redis-server --port 6390` or set REDIS_URL."
        if in_ci():
            pytest.fail(f"CI: {message}")
        pytest.skip(message)
    settings.REDIS_URL = url
    return url
