"""Shared settings. Everything environment-specific is read from environment variables.

- ``DATABASE_URL``: default a SQLite file under ``var/`` (WAL, IMMEDIATE transactions).
- ``SPOTCHECK_SECRET_KEY``: required in production (see ``prod.py``).
- ``SPOTCHECK_ALLOWED_HOSTS``: comma separated.
"""

from __future__ import annotations

import datetime as dt
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
    "csp",  # Content-Security-Policy header (see the block at the end)
    "rest_framework",
    "knox",  # API tokens stored as digests, with expiry (replaces rest_framework.authtoken)
    "django_otp",
    "django_otp.plugins.otp_totp",
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
    "csp.middleware.CSPMiddleware",  # before WhiteNoise, so static files carry the policy too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "spotcheck.base.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "spotcheck.accounts.middleware.SessionTimeoutMiddleware",
    "spotcheck.accounts.middleware.AccountPolicyMiddleware",
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
#: A background job running longer than this is stopped at its next progress report (failed, nothing written:
#: "运行超过 N 分钟，已停止"); one still running this long plus SPOTCHECK_JOB_STALE_SECONDS is marked failed by the reaper.
SPOTCHECK_JOB_MAX_SECONDS = int(os.environ.get("SPOTCHECK_JOB_MAX_SECONDS", "1800"))
#: Output files of background jobs (exports) are kept this many days, then removed by the worker.
SPOTCHECK_JOB_FILES_KEEP_DAYS = int(os.environ.get("SPOTCHECK_JOB_FILES_KEEP_DAYS", "7"))
#: Credit attachments (证明材料 of records, objections, repair applications): images or PDF up to this size.
SPOTCHECK_CREDIT_ATTACHMENT_MAX_MB = int(os.environ.get("SPOTCHECK_CREDIT_ATTACHMENT_MAX_MB", "20"))
#: Imports: at most this many rows (blank rows included) and this many bytes per file (directory institutions,
#: inspectors and 回避 register; planning item lists and directed lists). Every upload passes base.uploads: type by
#: content, these caps per kind (docs/deploy.md, 上传与导入的限制).
SPOTCHECK_IMPORT_MAX_ROWS = int(os.environ.get("SPOTCHECK_IMPORT_MAX_ROWS", "200000"))
SPOTCHECK_IMPORT_MAX_BYTES = int(os.environ.get("SPOTCHECK_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
#: The GB/T 2260 region table (CSV, `spotcheck import regions`) and the holiday table (CSV), in bytes.
SPOTCHECK_REGIONS_MAX_BYTES = int(os.environ.get("SPOTCHECK_REGIONS_MAX_BYTES", str(5 * 1024 * 1024)))
SPOTCHECK_HOLIDAYS_MAX_BYTES = int(os.environ.get("SPOTCHECK_HOLIDAYS_MAX_BYTES", str(1024 * 1024)))
#: Screening claims files (mdtrt_d / setl_d / fee_list_d): bytes and rows (blank rows included) per file.
SPOTCHECK_CLAIMS_MAX_BYTES = int(os.environ.get("SPOTCHECK_CLAIMS_MAX_BYTES", str(500 * 1024 * 1024)))
SPOTCHECK_CLAIMS_MAX_ROWS = int(os.environ.get("SPOTCHECK_CLAIMS_MAX_ROWS", "5000000"))
#: An .xlsx whose parts unpack to more than this is refused before it is read (a "zip bomb").
SPOTCHECK_XLSX_MAX_UNPACKED_BYTES = int(os.environ.get("SPOTCHECK_XLSX_MAX_UNPACKED_BYTES", str(1024 * 1024 * 1024)))
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

# --- Sign-in policy (等保 身份鉴别); the development and test settings switch the first two off ---
#: Roles that must sign in with a second factor (TOTP, recovery codes as fallback): the administrators and
#: everyone who approves (commit, reveal, events, review, publication). Comma-separated role keys.
SPOTCHECK_TWO_FACTOR_ROLES = frozenset(
    r.strip() for r in os.environ.get(
        "SPOTCHECK_TWO_FACTOR_ROLES", "admin,security_admin,audit_admin,city_admin,county_staff"
    ).split(",") if r.strip()
)
#: A password older than this many days must be changed at the next sign-in (0: never expires).
SPOTCHECK_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("SPOTCHECK_PASSWORD_MAX_AGE_DAYS", "90"))
#: Number of one-time recovery codes issued with two-factor sign-in.
SPOTCHECK_RECOVERY_CODES = int(os.environ.get("SPOTCHECK_RECOVERY_CODES", "10"))
#: The name shown in the authenticator app beside the account.
OTP_TOTP_ISSUER = os.environ.get("SPOTCHECK_OTP_ISSUER", "医保双随机监管平台")
#: API tokens (django-rest-knox): stored as SHA-512 digests, shown once, valid this many days.
SPOTCHECK_API_TOKEN_DAYS = int(os.environ.get("SPOTCHECK_API_TOKEN_DAYS", "90"))
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=SPOTCHECK_API_TOKEN_DAYS),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": int(os.environ.get("SPOTCHECK_API_TOKENS_PER_USER", "5")),
    "AUTH_HEADER_PREFIX": "Token",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "knox.auth.TokenAuthentication",
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

# --- Content-Security-Policy (django-csp) ---
# Every response carries a Content-Security-Policy header (django-csp 4.0, ``CSPMiddleware`` right after
# SecurityMiddleware, so WhiteNoise's static files get it too). Script, style, images, fonts and fetches come
# from this site only; no inline <script>, on*= handler, style="…" or <style> runs; no plugins, no <base>
# elsewhere, forms post here only and no site may frame a page. The pages keep to it: JavaScript lives in
# static files, styles in the static CSS, the portal's charts are SVG with presentation attributes only, and
# Swagger UI (/api/docs/, spotcheck/base/apidocs.py) loads its start-up script from a URL. The one library page
# that cannot, DRF's browsable API, may use inline style on its own HTML responses only (spotcheck/base/csp.py).
# Details: docs/deploy.md "Content-Security-Policy".
#: ``SPOTCHECK_CSP_REPORT_ONLY=1`` sends the same policy as ``Content-Security-Policy-Report-Only`` instead:
#: browsers report violations (console; ``SPOTCHECK_CSP_REPORT_URI`` if set) but block nothing. For a trial
#: of a locally customised front end only; production runs enforced.
SPOTCHECK_CSP_REPORT_ONLY = os.environ.get("SPOTCHECK_CSP_REPORT_ONLY", "") == "1"
#: Optional address that browsers POST violation reports to (``report-uri``), e.g. the bureau's log collector.
SPOTCHECK_CSP_REPORT_URI = os.environ.get("SPOTCHECK_CSP_REPORT_URI", "")
_CSP_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        **({"report-uri": [SPOTCHECK_CSP_REPORT_URI]} if SPOTCHECK_CSP_REPORT_URI else {}),
    },
}
CONTENT_SECURITY_POLICY = None if SPOTCHECK_CSP_REPORT_ONLY else _CSP_POLICY
CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP_POLICY if SPOTCHECK_CSP_REPORT_ONLY else None
# DRF's browsable API pages carry their exception (the renderer marks its own responses); JSON as before.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    "spotcheck.base.csp.BrowsableAPIRenderer",
]

#: Personal data at rest (身份证号, phone numbers; spotcheck/base/crypto.py): the key file (JSON, several keys with
#: ids, one current; mode 0600; never in the database). ``SPOTCHECK_FIELD_KEYS`` (the JSON text itself) wins over
#: the file. Create it with ``spotcheck keys generate``, rotate with ``spotcheck keys rotate``; docs/deploy.md
#: “个人信息加密存储 (SM4)” for backup. Without a key the system check fails and the WSGI application refuses to start.
SPOTCHECK_FIELD_KEYS_FILE = Path(os.environ.get("SPOTCHECK_FIELD_KEYS_FILE", VAR_DIR / "field-keys.json"))
SPOTCHECK_FIELD_KEYS = os.environ.get("SPOTCHECK_FIELD_KEYS", "")
#: Cipher of newly written values: "sm4-gcm" (GB/T 32907, default) or "aes-256-gcm"; every value names its own.
SPOTCHECK_FIELD_CIPHER = os.environ.get("SPOTCHECK_FIELD_CIPHER", "sm4-gcm")
#: Create a missing key file on first use (dev only: a lost key loses the data).
SPOTCHECK_FIELD_KEYS_AUTOCREATE = False
