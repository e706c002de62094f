"""Supportal's one settings module: everything an operator sets comes from the environment.

See docs/configuration.md for every variable. Policy that administrators change at run time
(sign-up mode, limits, footer channels, working hours, auto-close delay) lives in the database.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import Env, parse_database_url, parse_email_url

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

VAR_DIR = Path(env.str("SUPPORTAL_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite and the file outbox need it to exist
DEBUG = env.bool("DEBUG", False)


def _secret_key() -> str:
    key = env.str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY: required when DEBUG is off (set SECRET_KEY or SECRET_KEY_FILE)"
        )
    # With DEBUG on, a key generated once and kept under var/ keeps sessions across restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
PORT = env.int("PORT", 8000, minimum=1)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

SUPPORTAL_BASE_URL = env.str("SUPPORTAL_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
if not SUPPORTAL_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"SUPPORTAL_BASE_URL: expected an http:// or https:// address, got {SUPPORTAL_BASE_URL!r}"
    )
SUPPORTAL_MAIL_DOMAIN = env.str("SUPPORTAL_MAIL_DOMAIN", "localhost")
SUPPORTAL_SMTP_LISTEN = env.host_port("SUPPORTAL_SMTP_LISTEN", "127.0.0.1:2525")
# Suggestions use the local embedding model when its package is installed (docs/knowledge.md);
# off: full-text search alone.
SUPPORTAL_EMBEDDINGS = env.bool("SUPPORTAL_EMBEDDINGS", True)
SUPPORTAL_WORKER_INTERVAL = env.int("SUPPORTAL_WORKER_INTERVAL", 2, minimum=1)
# How long a worker's claim on a row of the outbox, inbox or notification queues lasts; renewed
# while a batch runs, so it bounds only how soon a killed worker's rows go to another (core/jobs.py;
# docs/security.md, "Workers"). Must exceed the time to handle one row (EMAIL_TIMEOUT is 30 s).
SUPPORTAL_CLAIM_LEASE_SECONDS = env.int("SUPPORTAL_CLAIM_LEASE_SECONDS", 90, minimum=5)
# A stored file no row refers to (a failed or abandoned upload) is deleted once it is this old
# (core/orphans.py; docs/security.md, "Files").
SUPPORTAL_ORPHAN_FILE_GRACE_HOURS = env.int("SUPPORTAL_ORPHAN_FILE_GRACE_HOURS", 24, minimum=1)
# Space-separated imap:// URLs polled by the worker (docs/email.md); passwords stay in the
# environment variables the URLs name.
SUPPORTAL_IMAP_MAILBOXES = env.str("SUPPORTAL_IMAP_MAILBOXES", "").split()
# Keys for the secrets Supportal stores itself (mailbox passwords): supportal/core/secrets.py.
SUPPORTAL_SECRET_KEYS = env.list("SUPPORTAL_SECRET_KEYS")
# Reverse proxies whose X-Forwarded-For is believed, as CIDRs (docs/security.md): the client's
# address is read from that header's right end, through trusted hops only.
SUPPORTAL_TRUSTED_PROXIES = env.list("SUPPORTAL_TRUSTED_PROXIES", [])
for _cidr in SUPPORTAL_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_cidr, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"SUPPORTAL_TRUSTED_PROXIES: {_cidr!r} is not an address or a network"
        ) from None
# Sender authentication of inbound mail (docs/security.md). DNS servers as host or host:port
# (empty: the system's resolver); each lookup gives up after the timeout (seconds).
SUPPORTAL_MAIL_DNS_SERVERS = env.list("SUPPORTAL_MAIL_DNS_SERVERS", [])
SUPPORTAL_MAIL_DNS_TIMEOUT = env.int("SUPPORTAL_MAIL_DNS_TIMEOUT", 3, minimum=1)
# authserv-ids of our own receiving mail servers: their Authentication-Results header is
# trusted instead of our own checks; the header from anyone else is ignored.
SUPPORTAL_MAIL_TRUSTED_AUTHSERV_IDS = env.list("SUPPORTAL_MAIL_TRUSTED_AUTHSERV_IDS", [])
# The REST API (docs/api.md): requests per minute per token; webhook targets allowed even when
# private or loopback (networks, e.g. "127.0.0.1/32"); webhook timeout and failure streak.
SUPPORTAL_API_REQUESTS_PER_MINUTE = env.int("SUPPORTAL_API_REQUESTS_PER_MINUTE", 600, minimum=1)
SUPPORTAL_API_REQUESTS_PER_MINUTE_PER_ADDRESS = env.int(
    "SUPPORTAL_API_REQUESTS_PER_MINUTE_PER_ADDRESS", 1200, minimum=1
)
SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = env.list("SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS", [])
SUPPORTAL_WEBHOOK_TIMEOUT = env.int("SUPPORTAL_WEBHOOK_TIMEOUT", 10, minimum=1)
SUPPORTAL_WEBHOOK_DISABLE_AFTER_DAYS = env.int("SUPPORTAL_WEBHOOK_DISABLE_AFTER_DAYS", 3, minimum=1)
SUPPORTAL_WEBHOOK_SECRET_OVERLAP_HOURS = env.int(
    "SUPPORTAL_WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0
)
SUPPORTAL_NEWSLETTER_PER_MINUTE = env.int("SUPPORTAL_NEWSLETTER_PER_MINUTE", 60, minimum=1)
SUPPORTAL_NEWSLETTER_ATTACHMENTS_MAX_BYTES = env.int(
    "SUPPORTAL_NEWSLETTER_ATTACHMENTS_MAX_BYTES", 10 * 1024 * 1024, minimum=1
)

INSTALLED_APPS = [
    # Before the admin: administrator-typed names in every language (docs/languages.md#names).
    "modeltranslation",
    # Django's admin, its app list built once per request (supportal/core/admin_site.py).
    "supportal.core.admin_site.SupportalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver leaves static files to whitenoise, as production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    # The REST API's framework (docs/api.md); listed so its docs page loads our static files.
    "ninja",
    "supportal.core",
    "supportal.audit",
    "supportal.accounts",
    "supportal.desks",
    "supportal.tickets",
    "supportal.mail",
    "supportal.sla",
    "supportal.search",
    "supportal.notifications",
    "supportal.portal",
    "supportal.workspace",
    "supportal.replies",
    "supportal.company",
    "supportal.knowledge",
    "supportal.webhooks",
    "supportal.api",
    "supportal.imports",
    "supportal.sso",
    # Last: its ready() ends the process's loading (supportal/core/heap.py).
    "supportal.core.loaded",
]

MIDDLEWARE = [
    "supportal.core.observability.RequestIdMiddleware",
    # Counts requests when SUPPORTAL_METRICS is on; outermost but one, so latency covers the rest.
    "supportal.core.metrics.MetricsMiddleware",
    # With a read replica: a browser that just wrote reads its reports from the primary.
    "supportal.core.routers.ReadYourWritesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with far-future cache headers, before anything that reads the session.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # NUL bytes, lone surrogates, over-long values: a clear 400 before any view, session or query
    # sees them (docs/security.md).
    "supportal.core.middleware.BadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "supportal.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Where each audited action comes from (address, browser, request id): docs/audit.md.
    "supportal.audit.context.AuditContextMiddleware",
    # A session that owes its second step (or must enrol) reaches only those pages.
    "supportal.accounts.middleware.TwoFactorMiddleware",
    "supportal.accounts.middleware.ActivateUserLanguageMiddleware",
    "supportal.accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "supportal.core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "supportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # Sizes and weekdays as each language writes them (docs/languages.md).
            "builtins": ["supportal.core.templatetags.formats"],
        },
    },
]

# Django's own form and widget templates rendered by their Jinja2 twins (docs/architecture.md,
# "Sixteenth round: Django's form templates through Jinja2").
FORM_RENDERER = "supportal.core.form_renderer.FormRenderer"

DATABASES = {
    "default": parse_database_url(
        "DATABASE_URL",
        env.str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'supportal.sqlite3'}"),
        base_dir=BASE_DIR,
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        pool_max_size=env.int("DATABASE_POOL_MAX_SIZE", 0, minimum=0),
    )
}
# A read replica for reports and exports (docs/deploy.md); without it they read the primary.
_replica_url = env.str("DATABASE_REPLICA_URL")
if _replica_url:
    DATABASES["replica"] = parse_database_url(
        "DATABASE_REPLICA_URL",
        _replica_url,
        base_dir=BASE_DIR,
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        pool_max_size=env.int("DATABASE_POOL_MAX_SIZE", 0, minimum=0),
    )
    # Tests: the replica is the same database as the primary (what a streaming replica shows).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# After a write, that browser's reports and searches read the primary this long (longer than
# the replica's usual lag).
SUPPORTAL_REPLICA_PIN_SECONDS = env.int("SUPPORTAL_REPLICA_PIN_SECONDS", 10, minimum=0)
DATABASE_ROUTERS = ["supportal.core.routers.ReplicaRouter"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not :memory:, so tests exercise WAL and real concurrent connections; one per
    # process, so two test runs on one checkout never share (and corrupt) a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Single sign-on (docs/sso.md): the directory whose files an identity provider's "client
# secret: file" may name (systemd's credentials or a container's secrets are mounted there).
SUPPORTAL_SSO_SECRET_DIR = env.str("SUPPORTAL_SSO_SECRET_DIR", "/run/secrets")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
# Throttled log-in by e-mail, and by a company's registration number (docs/accounts.md).
AUTHENTICATION_BACKENDS = [
    "supportal.accounts.backends.EmailBackend",
    "supportal.accounts.backends.CompanyLoginBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "supportal.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # At least 2 digits and 1 letter, so never entirely numeric (docs/requirements.md#accounts, A2).
    {
        "NAME": "supportal.accounts.validators.PasswordCompositionValidator",
        "OPTIONS": {"min_digits": 2, "min_letters": 1},
    },
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ro", _("Romanian")), ("cs", _("Czech"))]
# Administrator-typed names: one column per language (supportal/core/names.py); the fallback
# order is computed when a name is read (the site's language, then any filled one).
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_LANGUAGES = ("en", "ro", "cs")
LOCALE_PATHS = [BASE_DIR / "supportal" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", "Europe/Bucharest")
try:
    import zoneinfo

    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE: unknown time zone {TIME_ZONE!r}") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # attachments are served only through /files/<id>/ checks
# Django writes an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file here while
# the request runs; a web process killed meanwhile leaves it behind, so it is a folder of our own
# that core/orphans.py `upload_temp_files_sweep` can clear (docs/security.md, "Files").
FILE_UPLOAD_TEMP_DIR = Path(env.str("SUPPORTAL_UPLOAD_TEMP_DIR", str(VAR_DIR / "uploads")))
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
# Hashed, compressed static files from collectstatic (make run and the image run it); with
# DEBUG on, whitenoise serves straight from the apps' folders, so edits show without collecting.
SUPPORTAL_STATIC_MANIFEST = env.bool("SUPPORTAL_STATIC_MANIFEST", True)
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MAX_AGE = 0 if DEBUG else 3600  # unhashed names; hashed ones are cached a year
# How a permitted download leaves the Python process (docs/deploy.md, "Downloads"): "" streams
# it; "nginx" answers X-Accel-Redirect to SUPPORTAL_SENDFILE_PREFIX; "apache" X-Sendfile.
SUPPORTAL_SENDFILE = env.str("SUPPORTAL_SENDFILE", "")
if SUPPORTAL_SENDFILE not in {"", "nginx", "apache"}:
    raise ImproperlyConfigured(
        f"SUPPORTAL_SENDFILE: expected nginx, apache or empty, got {SUPPORTAL_SENDFILE!r}"
    )
SUPPORTAL_SENDFILE_PREFIX = (
    "/" + env.str("SUPPORTAL_SENDFILE_PREFIX", "/protected-media/").strip("/") + "/"
)
SUPPORTAL_SENDFILE_MIN_BYTES = env.int("SUPPORTAL_SENDFILE_MIN_BYTES", 256 * 1024, minimum=0)
SUPPORTAL_PRESIGNED_URL_SECONDS = env.int("SUPPORTAL_PRESIGNED_URL_SECONDS", 60, minimum=1)

STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": env.str(
            "SUPPORTAL_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": {},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if SUPPORTAL_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
_storage_options = env.str("SUPPORTAL_STORAGE_OPTIONS")
if _storage_options:
    import json

    try:
        _options = json.loads(_storage_options)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SUPPORTAL_STORAGE_OPTIONS: not valid JSON: {exc}") from None
    if not isinstance(_options, dict):
        raise ImproperlyConfigured("SUPPORTAL_STORAGE_OPTIONS: expected a JSON object")
    STORAGES["default"]["OPTIONS"] = _options

_email = parse_email_url(
    "EMAIL_URL", env.str("EMAIL_URL", f"file://{VAR_DIR / 'mail'}"), base_dir=BASE_DIR
)
EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", f"Supportal <support@{SUPPORTAL_MAIL_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REDIS_URL = env.str("REDIS_URL")
# The Redis channel of the workspace's live updates (docs/workspace.md#live-updates); empty:
# named after the Redis database and the cache key prefix.
SUPPORTAL_LIVE_CHANNEL = env.str("SUPPORTAL_LIVE_CHANNEL", "")
# Web processes (gunicorn's own variable; `serve --production` sets it). Presence marks,
# collision warnings and the log-in throttle live in the cache, so more than one process needs
# a shared one: Redis, or else the database cache (slower, but never silently per process).
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", 1, minimum=1)
CACHE_FALLBACK_REASON = ""
# Django's database store, reading the row with SQL compiled once (docs/performance.md, "Seventh
# round"); with Redis, Django's cached store.
SESSION_ENGINE = "supportal.core.sessions"
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL: expected redis://host:port/db, got {REDIS_URL!r}")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Installations sharing one Redis database keep apart by a prefix of their own.
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", ""),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
elif WEB_CONCURRENCY > 1 or env.bool("SUPPORTAL_SHARED_CACHE", False):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "supportal_cache",
        }
    }
    CACHE_FALLBACK_REASON = (
        f"REDIS_URL is not set and {WEB_CONCURRENCY} web processes run: the cache (log-in"
        " throttle, presence, collision warnings) is kept in the database table"
        " supportal_cache so every process shares it. Set REDIS_URL for a faster shared cache."
    )
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
# A session ends with the browser unless "Keep me logged in" asks for 30 days (accounts.views).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# An https:// base URL is the production switch for transport security (docs/deploy.md):
# secure cookies, redirect to https, HSTS. Each can be overridden on its own.
_HTTPS = SUPPORTAL_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", _HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", _HTTPS)
# Load balancers and probes speak plain HTTP to the process.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000 if _HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)
# Only behind a proxy that sets X-Forwarded-Proto itself and drops the client's copy; trusting
# the header without one lets any client claim https (docs/deploy.md, "Trusted proxy").
SUPPORTAL_TRUSTED_PROXY = env.bool("SUPPORTAL_TRUSTED_PROXY", False)
if SUPPORTAL_TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Health details, metrics: for callers showing this token as "Authorization: Bearer <token>"
# (administrators see health details when logged in). Empty: metrics are off.
SUPPORTAL_OPS_TOKEN = env.str("SUPPORTAL_OPS_TOKEN")
# /readyz turns unhealthy when the worker's heartbeat or the oldest waiting mail is older.
SUPPORTAL_READY_HEARTBEAT_SECONDS = env.int("SUPPORTAL_READY_HEARTBEAT_SECONDS", 120, minimum=1)
SUPPORTAL_READY_QUEUE_AGE_SECONDS = env.int("SUPPORTAL_READY_QUEUE_AGE_SECONDS", 900, minimum=1)
SUPPORTAL_METRICS = env.bool("SUPPORTAL_METRICS", bool(SUPPORTAL_OPS_TOKEN))

LOG_FORMAT = env.str("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT: expected plain or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "supportal.core.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "supportal.core.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SENTRY_DSN = env.str("SENTRY_DSN")
if SENTRY_DSN:
    try:
        import sentry_sdk
    except ImportError:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install 'supportal[sentry]'"
        ) from None
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", "production"),
        send_default_pii=False,
        traces_sample_rate=0.0,
    )
