"""Shared settings. Everything environment-specific is read from environment variables.

- ``DATABASE_URL``: default a SQLite file under ``var/`` (WAL, IMMEDIATE transactions).
- ``SPOTCHECK_SECRET_KEY``: required in production (see ``prod.py``).
- ``SPOTCHECK_ALLOWED_HOSTS``: comma separated.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SPOTCHECK_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("SPOTCHECK_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("SPOTCHECK_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    # first: their createsuperuser/changepassword commands (audited) replace django.contrib.auth's
    "spotcheck.base",
    "spotcheck.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_tasks",  # Django's task framework (backport); the queue is django_tasks_db's table
    "django_tasks_db",
    "spotcheck.audit",
    "spotcheck.policy",
    "spotcheck.directory",
    "spotcheck.planning",
    "spotcheck.draws",
    "spotcheck.inspections",
    "spotcheck.credit",
    "spotcheck.portal",
    "spotcheck.screening",
    "spotcheck.jobs",
    "spotcheck.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "spotcheck.base.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "spotcheck.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "spotcheck.audit.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "spotcheck.urls"
WSGI_APPLICATION = "spotcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "spotcheck" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "spotcheck.accounts.context.user_scope",
            ],
        },
    },
]


def database_from_env(default_sqlite: Path) -> dict:
    """Parse ``DATABASE_URL``. Connections are kept for a minute (``CONN_MAX_AGE``): a new SQLite connection
    re-reads the schema and starts with an empty page cache, which costs more than a portal page. SQLite gets
    WAL, IMMEDIATE transactions (no lock upgrades) and memory-mapped reads."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{default_sqlite}"
    db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;",
            }
        )
    return db


DATABASES = {"default": database_from_env(VAR_DIR / "spotcheck.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "spotcheck.accounts.passwords.CharacterClassesValidator",
     "OPTIONS": {"min_classes": int(os.environ.get("SPOTCHECK_PASSWORD_MIN_CLASSES", "3"))}},
    {"NAME": "spotcheck.accounts.passwords.UsernameNotInPasswordValidator"},
    {"NAME": "spotcheck.accounts.passwords.PasswordHistoryValidator",
     "OPTIONS": {"keep": int(os.environ.get("SPOTCHECK_PASSWORD_HISTORY", "5"))}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout (django-axes): lock a username+IP after 5 failures for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
# A user name is locked after repeated failures from any address, and an address after repeated failures
# across user names (password spraying); the address is the client's behind SPOTCHECK_TRUSTED_PROXIES.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "spotcheck.base.http.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "spotcheck" / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "spotcheck.base.storage.TransactionalStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Background jobs (imports) wait in a database table and are run by `spotcheck worker` (spotcheck/jobs/tasks.py):
# a restart of the web server loses nothing queued.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
#: A running job without a progress update for this long, whose worker has not been seen for as long either, is
#: marked failed by `spotcheck worker` (at start and every minute) or `spotcheck jobs reap`.
SPOTCHECK_JOB_STALE_SECONDS = int(os.environ.get("SPOTCHECK_JOB_STALE_SECONDS", "600"))
#: Output files of background jobs (exports) are kept this many days, then removed by the worker.
SPOTCHECK_JOB_FILES_KEEP_DAYS = int(os.environ.get("SPOTCHECK_JOB_FILES_KEEP_DAYS", "7"))
#: Credit attachments (证明材料 of records, objections, repair applications): images or PDF up to this size.
SPOTCHECK_CREDIT_ATTACHMENT_MAX_MB = int(os.environ.get("SPOTCHECK_CREDIT_ATTACHMENT_MAX_MB", "20"))
#: Imports: at most this many rows (blank rows included) and this many bytes per file.
SPOTCHECK_IMPORT_MAX_ROWS = int(os.environ.get("SPOTCHECK_IMPORT_MAX_ROWS", "200000"))
SPOTCHECK_IMPORT_MAX_BYTES = int(os.environ.get("SPOTCHECK_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
#: An export of more rows than this runs as a background job with progress (smaller ones download at once).
SPOTCHECK_EXPORT_INLINE_ROWS = int(os.environ.get("SPOTCHECK_EXPORT_INLINE_ROWS", "5000"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
#: A signed-in session ends after this long without a request, and this long after sign-in at the most.
SPOTCHECK_SESSION_IDLE_MINUTES = int(os.environ.get("SPOTCHECK_SESSION_IDLE_MINUTES", "30"))
SPOTCHECK_SESSION_MAX_HOURS = int(os.environ.get("SPOTCHECK_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["spotcheck.accounts.api.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Throttling is on for everyone: anonymous clients by address, signed-in users by account.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "2000/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SpotCheck API — 医保“双随机、一公开”监管平台",
    "DESCRIPTION": "名录库、抽查计划与任务、可验证抽取 (SC-DRAW-1) 的 REST 接口。所有数据按用户所属区域过滤。",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DrawStatusEnum": "spotcheck.draws.models.DrawStatus",
        "InspectionStatusEnum": "spotcheck.inspections.models.InspectionStatus",
        "RectificationStatusEnum": "spotcheck.inspections.models.RectificationStatus",
        "EvidenceKindEnum": "spotcheck.inspections.models.EvidenceKind",
        "TreatmentEnum": "spotcheck.inspections.models.Treatment",
        "ChecklistOutcomeEnum": "spotcheck.inspections.models.ChecklistOutcome",
        "ObjectionOutcomeEnum": ["keep", "correct", "withdraw"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

#: Seconds a rendered public portal page is served from the cache (0 = off). Every publication
#: invalidates all cached pages at once (``spotcheck.portal.pagecache``).
SPOTCHECK_PORTAL_CACHE_SECONDS = int(os.environ.get("SPOTCHECK_PORTAL_CACHE_SECONDS", "60"))

#: Addresses of reverse proxies whose X-Forwarded-For the portal's per-IP rate limit trusts.
SPOTCHECK_TRUSTED_PROXIES = [h for h in os.environ.get("SPOTCHECK_TRUSTED_PROXIES", "").split(",") if h]

#: Ed25519 private key that signs audit checkpoints (``spotcheck.audit.checkpoints``); never stored in the
#: database. ``SPOTCHECK_AUDIT_SIGNING_KEY`` (the PEM text itself) wins over the file. Create the file with
#: ``spotcheck audit keygen``; see docs/deploy.md for backup and rotation.
SPOTCHECK_AUDIT_SIGNING_KEY_FILE = Path(
    os.environ.get("SPOTCHECK_AUDIT_SIGNING_KEY_FILE", VAR_DIR / "audit-signing-key.pem")
)
SPOTCHECK_AUDIT_SIGNING_KEY = os.environ.get("SPOTCHECK_AUDIT_SIGNING_KEY", "")

#: Refuse to write over a row of a tracked table that differs from its last recorded state (audit/guard.py).
SPOTCHECK_AUDIT_GUARD = True
#: Public key files (PEM) of earlier signing keys still trusted for old checkpoints after a key rotation,
#: separated by ":" (kept outside the database on purpose).
SPOTCHECK_AUDIT_TRUSTED_KEYS = [p for p in os.environ.get("SPOTCHECK_AUDIT_TRUSTED_KEYS", "").split(":") if p]
