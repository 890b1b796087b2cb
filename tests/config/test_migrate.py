"""`migrate` alone leaves a working install: the database cache's table is made with the schema."""

import sqlite3

from tests.config.test_settings import run_manage

CACHE_ROUND_TRIP = (
    "from django.core.cache import cache; cache.set('migrate-check', 'kept', 60); "
    "print(cache.get('migrate-check'))"
)


def tables(path):
    with sqlite3.connect(path) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migrate_alone_makes_the_database_cache_work(tmp_path):
    env = {
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path}/clockroom.sqlite3",
        "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path}/sandbox.sqlite3",
        "REDIS_URL": "",  # the embedded default: the database cache
    }

    first = run_manage("migrate", "--noinput", env_overrides=env)
    sandbox = run_manage("migrate", "--database=sandbox", "--noinput", env_overrides=env)
    again = run_manage("migrate", "--noinput", env_overrides=env)
    cached = run_manage("shell", "-v", "0", "-c", CACHE_ROUND_TRIP, env_overrides=env)

    assert first.returncode == 0, first.stderr
    assert first.stdout.count("Created the cache table 'clockroom_cache'") == 1
    assert sandbox.returncode == 0, sandbox.stderr
    assert again.returncode == 0, again.stderr
    assert "cache table" not in again.stdout  # already there: nothing to do
    assert cached.stdout.strip() == "kept", cached.stderr
    assert "clockroom_cache" in tables(tmp_path / "clockroom.sqlite3")
    # The sandbox's database holds the sandbox's tables only.
    assert "clockroom_cache" not in tables(tmp_path / "sandbox.sqlite3")
