"""Clockroom settings: one module, driven by the environment.

Every variable is listed in `.env.example`. Naming: `DJANGO_` for Django's own
settings, `WEBWORK_` for the WebWork integration, bare names for services
(`DATABASE_URL`, `REDIS_URL`). With nothing set, Clockroom runs on the embedded
default: SQLite under `var/`, the django-q2 ORM broker, and the WebWork sandbox.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.logs import log_format, logging_config
from config.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# Real environment variables win over both files. `.env` (git-ignored; `make demo` writes
# one with DJANGO_DEBUG=1 when there is none) is read first; `var/sandbox.env` is written
# by `make demo` (the sandbox's OAuth app for Clockroom) and read last. DJANGO_ENV_FILE
# names another file to read instead of `.env`; set empty, no file is read at all (the
# test settings do that, so a developer's files never change a test run).
ENV_FILE = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    for env_file in (Path(ENV_FILE), VAR_DIR / "sandbox.env"):
        if env_file.is_file():
            env.read_env(env_file, overwrite=False)

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY (50+ random characters) or DJANGO_DEBUG=1 for a local run."
        )
    SECRET_KEY = "django-insecure-local-development-key-not-for-any-deployment-0123456789"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The WebWork emulator (integrations/sandbox, mounted at /sandbox/) and the benchmarks that run
# against it exist only where they are wanted: the demo (DEBUG), tests, CI and benchmarks. A
# deployment carries neither their apps, their database, their admin nor their commands unless
# WEBWORK_SANDBOX=1.
WEBWORK_SANDBOX = env.bool("WEBWORK_SANDBOX", default=DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_q",
    "integrations",
    "dashboard",
    # The project's own: creates the database cache's table after `migrate` (config/apps.py).
    "config.apps.ClockroomConfig",
]
if WEBWORK_SANDBOX:
    INSTALLED_APPS += ["integrations.sandbox", "integrations.bench"]

MIDDLEWARE = [
    # First: every log line of a request, and its answer, carry the request id (config/logs.py).
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A NUL character in a path, query string or form: 400 (config/middleware.py).
    "config.middleware.RefuseNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Databases --------------------------------------------------------------
#
# SQLite (the embedded default) is tuned so the web server and the django-q2
# workers can write at once: WAL lets readers and a writer work together, the
# busy timeout waits for the lock instead of failing, and IMMEDIATE
# transactions take the write lock up front so two writers never deadlock
# upgrading a read lock ("database is locked").

SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    # `timeout` is SQLite's busy timeout (seconds); Django turns foreign keys on by itself.
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
}


def database_config(url_variable, sqlite_path):
    """A DATABASES entry from `url_variable`, or the SQLite file at `sqlite_path`.

    Every SQLite database gets SQLITE_OPTIONS, however it is named (`sqlite:///...` URLs
    too); options given in the URL's query string win over them."""
    # Connections are kept between requests (opening one costs more than a webhook delivery).
    persistent = {"CONN_MAX_AGE": env.int("DJANGO_CONN_MAX_AGE", default=60), "CONN_HEALTH_CHECKS": True}
    if env.str(url_variable, default=""):
        config = {**persistent, **env.db_url(url_variable)}
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_path, **persistent}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    return config


DATABASES = {
    "default": database_config("DATABASE_URL", VAR_DIR / "clockroom.sqlite3"),
}
DATABASE_ROUTERS = []
if WEBWORK_SANDBOX:
    # The WebWork sandbox keeps its state apart, so mirror code can never read
    # sandbox tables: see integrations.sandbox.routers.
    DATABASES["sandbox"] = database_config("SANDBOX_DATABASE_URL", VAR_DIR / "sandbox.sqlite3")
    DATABASE_ROUTERS = ["integrations.sandbox.routers.SandboxRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and queue --------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
# Prefixes every key Clockroom keeps in Redis (the rate limiter's windows, the sync locks), so
# several deployments can share one Redis.
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="clockroom")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by every process on this machine (unlike the local-memory cache).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "clockroom_cache",
        }
    }

# django-q2: `timeout` (a task is killed after it) stays below `retry` (a task
# is handed out again after it), and schedules missed while the cluster was
# down are not replayed (`catch_up`).
# A cluster takes one task from the broker ahead of its workers (`queue_limit`),
# not workers² of them: a task taken by a cluster whose workers are all on long
# syncs would wait minutes while other clusters idle. The last 100 successes of
# each group are kept (`save_limit_per`): pruning one table-wide list made every
# cluster's results wait on one lock.
Q_CLUSTER = {
    "name": "clockroom",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 600,
    "retry": 720,
    "max_attempts": 1,
    "catch_up": False,
    "queue_limit": 1,
    "save_limit": 100,
    "save_limit_per": "group",
    "ack_failures": True,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER.update({"orm": "default", "poll": 0.5})
# How many long syncs (first syncs, recent weeks, history) may run at once across the cluster;
# 0: one less than a cluster's workers, so a worker stays free for approval queues and webhooks.
WEBWORK_SYNC_SLOTS = env.int("WEBWORK_SYNC_SLOTS", default=0)

# --- Auth, sessions ---------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "dashboard:webwork_login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security ---------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The load balancer's health checks reach /healthz and /readyz over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Only our own origin: htmx and Chart.js are served from static/vendor/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging ----------------------------------------------------------------
#
# One line per event on stderr, each with the request id and the workspace, tokens redacted
# (config/logs.py). DJANGO_LOG_FORMAT: json (the default without DEBUG) or text (with DEBUG).

LOG_FORMAT = log_format(env.str("DJANGO_LOG_FORMAT", default=""), debug=DEBUG)
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("DJANGO_LOG_LEVEL", default="INFO"))

# --- Error tracker ----------------------------------------------------------
#
# Sentry, only when SENTRY_DSN is set (config/sentry.py): errors of the pages and of the task
# workers (logged errors become events), no personal data, tokens redacted.

SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENABLED = sentry_init(
    dsn=SENTRY_DSN,
    release=env.str("SENTRY_RELEASE", default=""),
    environment=env.str("SENTRY_ENVIRONMENT", default="production"),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)

# --- WebWork ----------------------------------------------------------------
#
# The sandbox (integrations/sandbox, mounted at /sandbox/) is the embedded
# WebWork. It is on by default for a local run (DJANGO_DEBUG=1) and off in a
# deployment unless WEBWORK_SANDBOX=1. A real deployment points the URLs below
# at WebWork and sets the OAuth client id and secret.

# The port `make demo` (manage.py rundemo) serves on; a local run's public address follows it,
# so the OAuth redirect, the webhooks and the sandbox's URLs are right on any port.
PORT = env.int("PORT", default=8000)
WEBWORK_PUBLIC_BASE_URL = env.str("WEBWORK_PUBLIC_BASE_URL", default=f"http://127.0.0.1:{PORT}")
WEBWORK_API_BASE_URL = env.str("WEBWORK_API_BASE_URL", default=f"{WEBWORK_PUBLIC_BASE_URL}/sandbox/api/v2")
WEBWORK_OAUTH_AUTHORIZE_URL = env.str(
    "WEBWORK_OAUTH_AUTHORIZE_URL", default=f"{WEBWORK_PUBLIC_BASE_URL}/sandbox/oauth/authorize"
)
WEBWORK_OAUTH_TOKEN_URL = env.str(
    "WEBWORK_OAUTH_TOKEN_URL", default=f"{WEBWORK_PUBLIC_BASE_URL}/sandbox/oauth/token"
)
WEBWORK_OAUTH_CLIENT_ID = env.str("WEBWORK_OAUTH_CLIENT_ID", default="")
WEBWORK_OAUTH_CLIENT_SECRET = env.str("WEBWORK_OAUTH_CLIENT_SECRET", default="")
WEBWORK_RATE_LIMIT_PER_MINUTE = env.int("WEBWORK_RATE_LIMIT_PER_MINUTE", default=60)
# The first wait before a retry (doubling, at most 30 s) after a 5xx or a timeout.
WEBWORK_HTTP_BACKOFF_SECONDS = env.float("WEBWORK_HTTP_BACKOFF_SECONDS", default=0.5)
# How every WebWorkClient reaches WebWork: None, the network. Not an environment variable: the
# tests and the benchmarks set an in-process transport into the sandbox here.
WEBWORK_HTTP_TRANSPORT = None
# The window that limit counts in (seconds). 60 against WebWork; benchmarks and tests shorten it.
WEBWORK_RATE_LIMIT_PERIOD_SECONDS = env.int("WEBWORK_RATE_LIMIT_PERIOD_SECONDS", default=60)
# How far back a full sync mirrors time entries (days; WebWork's timeline reaches a year back).
WEBWORK_HISTORY_DAYS = env.int("WEBWORK_HISTORY_DAYS", default=90)
# How many days before today every incremental and 15-minute sync reads again, so late edits,
# approvals and deletions at WebWork show within one cycle (older history: the nightly sync).
WEBWORK_RECENT_DAYS = env.int("WEBWORK_RECENT_DAYS", default=14)
# Fernet keys for the tokens stored at rest, newest first; unset: derived from DJANGO_SECRET_KEY.
WEBWORK_TOKEN_KEYS = env.list("WEBWORK_TOKEN_KEYS", default=[])

# The sandbox's own knobs (tests shorten the lifetimes and raise the limit).
SANDBOX_RATE_LIMIT_PER_MINUTE = env.int("SANDBOX_RATE_LIMIT_PER_MINUTE", default=60)
# The sandbox counts SANDBOX_RATE_LIMIT_PER_MINUTE requests per window of this many seconds.
SANDBOX_RATE_LIMIT_WINDOW_SECONDS = env.int("SANDBOX_RATE_LIMIT_WINDOW_SECONDS", default=60)
SANDBOX_ACCESS_TOKEN_SECONDS = env.int("SANDBOX_ACCESS_TOKEN_SECONDS", default=15 * 24 * 3600)
SANDBOX_REFRESH_TOKEN_SECONDS = env.int("SANDBOX_REFRESH_TOKEN_SECONDS", default=30 * 24 * 3600)
SANDBOX_PERSONAL_TOKEN_SECONDS = env.int("SANDBOX_PERSONAL_TOKEN_SECONDS", default=183 * 24 * 3600)
