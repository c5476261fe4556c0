"""Closeloop settings: one module, driven by environment variables, safe defaults for a local run."""

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-closeloop-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "qms.errors.csrf_failure"  # the styled 403 page, JSON under /api/
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    "django_countries",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "qms.tenancy",
    "qms.accounts",
    "qms.audit",
    "qms.outbox",
    "qms.links",
    "qms.notifications",
    "customers",
    "feedback",
    "surveys",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qms.tenancy.locale.LocaleMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "qms.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "qms.tenancy.middleware.TenantMiddleware",
]

ROOT_URLCONF = "qms.urls"
WSGI_APPLICATION = "qms.wsgi.application"

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
                "qms.tenancy.context_processors.tenancy",
            ],
            # the design system's tags: icons, sortable headers, badges, page header (qms/ui.py)
            "libraries": {"ui": "qms.ui"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
# DATABASE_URL is the role the application connects as. On PostgreSQL that role owns no table and lacks
# BYPASSRLS; migrations run with DATABASE_URL pointing at the owner role, which grants table privileges to
# DATABASE_APP_ROLE after every migrate (see qms/tenancy/rls.py).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'closeloop.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE serialises writers up front, so two transactions never both read the audit chain head.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    _db_file = Path(DATABASES["default"]["NAME"])
    # A file (not in-memory) test database, so a Celery worker thread in a test sees committed rows.
    DATABASES["default"]["TEST"] = {"NAME": str(_db_file.with_name(f"test-{_db_file.name}"))}
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
# The key that seals the organisation context on PostgreSQL (qms/tenancy/rls.py): derived from SECRET_KEY unless
# TENANT_CONTEXT_KEY is set. `migrate` installs it where the database's check can read it and the application role
# cannot: run migrate after changing either, or every organisation reads as empty.
TENANT_CONTEXT_KEY = hmac.new(
    (env.str("TENANT_CONTEXT_KEY", default="") or SECRET_KEY).encode(), b"closeloop.tenant-context", hashlib.sha256
).digest()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The masters of the organisations' audit signing keys (qms/audit/signing.py), "id:secret,id:secret": the first
# signs, all verify. Keep them outside the database (and its backups); derived from SECRET_KEY when unset.
AUDIT_SIGNING_KEYS = [
    (key_id.strip(), secret.strip().encode())
    for key_id, _, secret in (entry.partition(":") for entry in env.list("AUDIT_SIGNING_KEYS", default=[]))
] or [("k1", hmac.new(SECRET_KEY.encode(), b"closeloop.audit-signing", hashlib.sha256).digest())]
AUDIT_CHECKPOINT_SECONDS = env.float("AUDIT_CHECKPOINT_SECONDS", default=3600.0)
# Two-factor sign-in (qms/accounts/two_factor.py): the issuer an authenticator app shows, and how many codes.
OTP_TOTP_ISSUER = "Closeloop"
TWO_FACTOR_RECOVERY_CODES = 10

# --- Auth -----------------------------------------------------------------------------------------------
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
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3
INVITATION_TTL = timedelta(days=env.int("INVITATION_TTL_DAYS", default=7))

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form posts the email as "username" (Django's AuthenticationForm); axes would otherwise look for
# "email" (USERNAME_FIELD), record every failure without a username and never lock the account out.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "qms.accounts.lockout.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Internationalisation -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# The languages the product ships complete (a test fails on a missing translation); each person chooses theirs
# (qms.tenancy.locale), customers get their contact's.
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and env.bool("HTTPS", default=False))
SESSION_COOKIE_SECURE = env.bool("HTTPS", default=False)
CSRF_COOKIE_SECURE = env.bool("HTTPS", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Every response: scripts, styles and everything else from our own origin only; nothing inline, no eval, no
# plugins, never framed. Bootstrap's CSS draws its icons from data: URIs. Checked by tests/security/ and in the
# browser by tests/e2e/test_content_security_policy.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Email ----------------------------------------------------------------------------------------------
# Without EMAIL_URL, mail lands in a local mailbox folder that the app lists under DEBUG at /dev/mailbox/.
EMAIL_MAILBOX_DIR = env.str("EMAIL_MAILBOX_DIR", default=str(VAR_DIR / "mailbox"))
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "qms.outbox.backends.MailboxBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Closeloop <no-reply@closeloop.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_CAP_SECONDS = env.int("OUTBOX_RETRY_CAP_SECONDS", default=3600)
# A claimed batch is leased this long and its worker renews the lease every OUTBOX_LEASE_RENEW_SECONDS while it
# sends, so the share of a worker that died (or of a task Redis lost) is claimed again within the lease.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=30)
OUTBOX_LEASE_RENEW_SECONDS = env.int("OUTBOX_LEASE_RENEW_SECONDS", default=10)
# Messages per `outbox.send_batch` task (one SMTP connection each), and at most this many of an organisation's
# messages leased (queued or being sent) at once: a wave of 100,000 is a few batches in Redis at a time.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=200)
# A batch's messages are sent and recorded this many to a transaction: a worker killed mid-batch sends at most
# these again (with their Message-IDs); 1 makes that one message, at the cost of a transaction for each.
OUTBOX_COMMIT_EVERY = env.int("OUTBOX_COMMIT_EVERY", default=20)
OUTBOX_IN_FLIGHT = env.int("OUTBOX_IN_FLIGHT", default=1000)
# Messages an organisation may send per minute, across every worker (0 = no limit).
OUTBOX_RATE_PER_MINUTE = env.int("OUTBOX_RATE_PER_MINUTE", default=0)
# Notifications (qms/notifications): beat looks for digests due this often; a person choosing the daily digest gets
# it once a day, at the first look from this hour (the site's time zone) on.
NOTIFICATION_DIGEST_CHECK_SECONDS = env.float("NOTIFICATION_DIGEST_CHECK_SECONDS", default=900.0)
NOTIFICATION_DIGEST_HOUR = env.int("NOTIFICATION_DIGEST_HOUR", default=7)

# --- Uploads --------------------------------------------------------------------------------------------
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# What an upload may come to once read (qms/workbooks.py): an .xlsx is a zip, bounded by what it expands to, and
# every file by its rows. The import tasks may grow their worker by IMPORT_TASK_MEMORY_BYTES (qms/memory.py).
IMPORT_XLSX_MAX_EXPANDED_BYTES = env.int("IMPORT_XLSX_MAX_EXPANDED_BYTES", default=256 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=500_000)
IMPORT_TASK_MEMORY_BYTES = env.int("IMPORT_TASK_MEMORY_BYTES", default=1536 * 1024 * 1024)
# Import upkeep (beat): a job with no row processed this long after it was queued is queued again, at most
# IMPORT_AUTO_REQUEUES times; uploaded files (people's personal data) are deleted this many days after the job ends.
IMPORT_REQUEUE_AFTER_SECONDS = env.int("IMPORT_REQUEUE_AFTER_SECONDS", default=300)
IMPORT_AUTO_REQUEUES = env.int("IMPORT_AUTO_REQUEUES", default=3)
IMPORT_FILE_RETENTION_DAYS = env.int("IMPORT_FILE_RETENTION_DAYS", default=30)
IMPORT_UPKEEP_SECONDS = env.float("IMPORT_UPKEEP_SECONDS", default=60.0)
# Surveys: the responses that arrived are sealed into each survey's chain this often (surveys.services.integrity).
RESPONSE_SEAL_SECONDS = env.float("RESPONSE_SEAL_SECONDS", default=60.0)
# How often a worker opens the survey follow-ups that answers asked for (surveys.services.follow_ups).
FOLLOW_UP_SECONDS = env.float("FOLLOW_UP_SECONDS", default=10.0)
# How often beat looks for campaign waves and reminders that are due (surveys.tasks.run_campaigns).
CAMPAIGN_SECONDS = env.float("CAMPAIGN_SECONDS", default=30.0)
# Answers through a survey's public link (a QR code on a receipt) from one address, per hour.
SURVEY_PUBLIC_LINK_ANSWERS_PER_HOUR = env.int("SURVEY_PUBLIC_LINK_ANSWERS_PER_HOUR", default=10)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PUBLIC_FORM_RATE_LIMIT = env.int("PUBLIC_FORM_RATE_LIMIT", default=5)  # submissions per IP per window
PUBLIC_FORM_RATE_WINDOW_MINUTES = env.int("PUBLIC_FORM_RATE_WINDOW_MINUTES", default=10)
# An address asking for more unknown link tokens (/r/, /u/, /t/) than this in an hour gets the unknown page for any.
PUBLIC_LINK_MISSES_PER_HOUR = env.int("PUBLIC_LINK_MISSES_PER_HOUR", default=20)
# The mail events webhook (customers/mail_events.py, docs/mail-events.md): the CA certificates (a PEM file) that
# Amazon SNS signing certificates must chain to ("" for the system's), and the name those certificates carry.
MAIL_EVENTS_SNS_TRUST_STORE = env.str("MAIL_EVENTS_SNS_TRUST_STORE", default="")
MAIL_EVENTS_SNS_CERT_NAME = env.str("MAIL_EVENTS_SNS_CERT_NAME", default="sns.amazonaws.com")

# --- Celery ---------------------------------------------------------------------------------------------
BROKER_DIR = Path(env.str("BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process whose resident memory stays above this (KiB) after a task is replaced by a fresh one: Python
# seldom hands freed memory back, so one large import would otherwise leave the process big for good. Celery
# checks only between tasks; a task's own ceiling, while it runs, is qms.memory.memory_ceiling.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=512 * 1024)
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Each module adds its own entries (ModuleConfig.periodic_tasks, qms/modules.py).
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "outbox.relay", "schedule": env.float("OUTBOX_RELAY_SECONDS", default=5.0)},
    "audit-checkpoint": {"task": "audit.checkpoint", "schedule": AUDIT_CHECKPOINT_SECONDS},
}

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "qms.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["qms.tenancy.api.IsOrganizationMember"],
    "DEFAULT_FILTER_BACKENDS": ["qms.tenancy.api.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "qms.tenancy.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "qms.tenancy.api_schema.ApiSchema",
    # JSON nested within bounds (qms/parsers.py; its size is bounded by DATA_UPLOAD_MAX_MEMORY_SIZE), forms as before.
    "DEFAULT_PARSER_CLASSES": [
        "qms.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Closeloop API",
    "DESCRIPTION": "Customer satisfaction under ISO 9001:2015 clause 9.1.2. "
    "Authenticate with `Authorization: Bearer <token>`; every path is scoped to one organisation.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a `kind` with different choices; name their enums instead of numbering them.
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "customers.models.Customer.Kind",
        "FeedbackKindEnum": "feedback.models.FeedbackItem.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # drf-spectacular's default, kept
        "qms.tenancy.api_schema.hoist_branch_defaults",
    ],
}

# --- Logging --------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
