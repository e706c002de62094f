"""Supportal's one settings module: everything an operator sets comes from the environment.

See docs/configuration.md for every variable. Policy that administrators change at run time
(sign-up mode, limits, footer channels, working hours, auto-close delay) lives in the database.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

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
SUPPORTAL_WORKER_INTERVAL = env.int("SUPPORTAL_WORKER_INTERVAL", 2, minimum=1)
# Space-separated imap:// URLs polled by the worker (docs/email.md); passwords stay in the
# environment variables the URLs name.
SUPPORTAL_IMAP_MAILBOXES = env.str("SUPPORTAL_IMAP_MAILBOXES", "").split()
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
SUPPORTAL_NEWSLETTER_PER_MINUTE = env.int("SUPPORTAL_NEWSLETTER_PER_MINUTE", 60, minimum=1)
SUPPORTAL_NEWSLETTER_ATTACHMENTS_MAX_BYTES = env.int(
    "SUPPORTAL_NEWSLETTER_ATTACHMENTS_MAX_BYTES", 10 * 1024 * 1024, minimum=1
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "supportal.core",
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "supportal.core.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "supportal.core.middleware.ActivateUserLanguageMiddleware",
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

DATABASES = {
    "default": parse_database_url(
        "DATABASE_URL",
        env.str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'supportal.sqlite3'}"),
        base_dir=BASE_DIR,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not :memory:, so tests exercise WAL and real concurrent connections; one per
    # process, so two test runs on one checkout never share (and corrupt) a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
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
    # Seed 000: at least 2 digits and 1 letter (so never entirely numeric).
    {
        "NAME": "supportal.accounts.validators.PasswordCompositionValidator",
        "OPTIONS": {"min_digits": 2, "min_letters": 1},
    },
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ro", _("Romanian")), ("cs", _("Czech"))]
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

STORAGES = {
    "default": {
        "BACKEND": env.str(
            "SUPPORTAL_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": {},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
_storage_options = env.str("SUPPORTAL_STORAGE_OPTIONS")
if _storage_options:
    import json

    try:
        STORAGES["default"]["OPTIONS"] = json.loads(_storage_options)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SUPPORTAL_STORAGE_OPTIONS: not valid JSON: {exc}") from None
    if not isinstance(STORAGES["default"]["OPTIONS"], dict):
        raise ImproperlyConfigured("SUPPORTAL_STORAGE_OPTIONS: expected a JSON object")

_email = parse_email_url(
    "EMAIL_URL", env.str("EMAIL_URL", f"file://{VAR_DIR / 'mail'}"), base_dir=BASE_DIR
)
EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", f"Supportal <support@{SUPPORTAL_MAIL_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REDIS_URL = env.str("REDIS_URL")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL: expected redis://host:port/db, got {REDIS_URL!r}")
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
# A session ends with the browser unless "Keep me logged in" asks for 30 days (accounts.views).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = SUPPORTAL_BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
