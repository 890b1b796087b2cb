"""Settings for the test suite: the base settings, made fast and self-contained."""

import os

# Deterministic: no `.env` or `var/sandbox.env` is read (a developer's DJANGO_DEBUG=1, database
# or OAuth app never reaches a test run); only the real environment counts, as in CI.
os.environ["DJANGO_ENV_FILE"] = ""
# The suite talks to the embedded WebWork sandbox (its app, database and commands).
os.environ["WEBWORK_SANDBOX"] = "1"
os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-secret-key-that-is-long-enough-and-random-looking-3f9a8c1d7e"
)
# A test run never reports to an error tracker, whatever the shell exports.
os.environ["SENTRY_DSN"] = ""

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR, env, logging_config

# Readable log lines in test output (JSON is for production: config/logs.py).
LOG_FORMAT = "text"
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("DJANGO_LOG_LEVEL", default="INFO"))

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Test databases are files, not memory, so that a real django-q2 cluster (other
# processes) and a live server see the same data as the test. CLOCKROOM_TEST_DB_SUFFIX
# keeps two suites run at once on one checkout apart.
_suffix = os.environ.get("CLOCKROOM_TEST_DB_SUFFIX", "")
for alias, database in DATABASES.items():
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"] = {"NAME": str(VAR_DIR / f"test_{alias}{_suffix}.sqlite3")}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Plain HTTP for the test client, the live server and the browser.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

SANDBOX_RATE_LIMIT_PER_MINUTE = 100_000
# Clockroom's own limiter likewise, but in the tests of the limit (which set their own).
WEBWORK_RATE_LIMIT_PER_MINUTE = 100_000
# Retries do not wait in tests (their waits are asserted through the client's own `sleep`).
WEBWORK_HTTP_BACKOFF_SECONDS = 0.0
