"""Settings shared by every environment. Values that differ per deploy come from the environment."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from kombu import Queue

from clinic import __version__
from clinic.published_secrets import DEVELOPMENT_ENCRYPTION_KEY, DEVELOPMENT_SECRET_KEY, DEVELOPMENT_WEBHOOK_SECRET

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"Environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Development values are public (clinic/published_secrets.py); production's deploy check refuses them.
SECRET_KEY = env("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env("CLINIC_SITE_URL", "http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "pgtrigger",
    "pghistory",
    "apps.core",
    "apps.accounts",
    "apps.audit",
    "apps.patients",
    "apps.scheduling",
    "apps.notifications",
    "apps.waitlist",
    "apps.billing",
    "apps.notes",
    "apps.outcomes",
    "apps.programs",
    "apps.messaging",
    "apps.records",
    "apps.selfbooking",
    "apps.intake",
    "apps.ladder",
    "apps.education",
    "apps.referrals",
    "apps.portal",
    "apps.frontdesk",
]

MIDDLEWARE = [
    "apps.core.prepared.StatementsPreparedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "apps.core.middleware.NoStoreMiddleware",
    "apps.core.null_characters.RefuseNullCharactersMiddleware",
    "apps.core.unstorable.RefuseUnstorableValuesMiddleware",
    "apps.core.request_memo.RequestMemoMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.session_user.SessionUserMiddleware",  # django-otp's, one query for user and device
    "apps.audit.request_context.RequestOriginMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "apps.audit.head_requests.HeadWritesNothingMiddleware",
    "apps.accounts.middleware.StaffMFAMiddleware",
    "apps.portal.middleware.PatientTwoStepMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.core.form_ends.FormEndPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"
ASGI_APPLICATION = "clinic.asgi.application"

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
                "apps.accounts.context_processors.navigation",
                "apps.core.context_processors.release",
            ],
            # Every page, PDF and email formats amounts the same way: {{ amount|money }} -> $1,200.00.
            "builtins": ["apps.core.templatetags.money", "apps.core.templatetags.phones"],
        },
    },
]

# Two database roles (docs/database-roles.md). The web app and workers connect as the app role, which may only
# read and write rows; the owner role owns the schema, runs `migrate` (with DATABASE_URL set to its URL) and is the
# only one the note locks let re-encrypt signed text (`encryption_rotate` uses the "owner" alias).
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://clinic_app@127.0.0.1:5432/clinic"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
    ),
    "owner": dj_database_url.parse(env("DATABASE_OWNER_URL", "postgres://clinic_owner@127.0.0.1:5432/clinic")),
}
# A streaming replica of the database, when there is one, serves the reports and exports (apps/core/replica.py);
# every other read and every write stays on the primary.
if env("CLINIC_REPLICA_DATABASE_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        env("CLINIC_REPLICA_DATABASE_URL"), conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60"))
    )
    # A physical replica mirrors the whole cluster, the test database included: tests create nothing on it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["apps.core.replica.ReplicaRouter"]
# Lets parallel test runs on one server keep apart (e.g. CLINIC_TEST_DB=test_clinic_ci).
DATABASES["default"]["TEST"] = {"NAME": env("CLINIC_TEST_DB", "test_clinic")}
# In tests the owner alias reaches the same test database (as the owner role).
DATABASES["owner"]["TEST"] = {"MIRROR": "default"}
# The role every migration grants row access to (SELECT, INSERT, UPDATE, DELETE; nothing else).
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", "clinic_app")
# Postgres's JIT compiles any query whose estimate looks big; for our short page queries that costs seconds
# (3 s on the chart page at 10,000 patients) and saves nothing. Measured by `make bench`.
for _database in DATABASES.values():
    _database.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Django's backend, whose query log names the statement a prepared run executed (apps/core/prepared.py).
    _database["ENGINE"] = "apps.core.postgresql"
# Behind a pooler that hands a connection out per transaction (PgBouncer's transaction mode), a session's server-side
# cursors and prepared statements do not follow it: Django's setting for such a pooler turns both off
# (apps/core/prepared.py sends its statements as text then).
if env("DATABASE_TRANSACTION_POOLER", "0") == "1":
    for _database in DATABASES.values():
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "apps.core.cache.ClinicRedisCache",
        "LOCATION": env("CACHE_URL", REDIS_URL),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "clinic"),
        # Every signed-in request asks the cache for the user's roles (apps/accounts/access.py): a Redis that stops
        # answering costs a request half a second before the database answers instead, never a hung worker.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# An invitation link (patient portal or staff) works once and only this long.
CLINIC_INVITATION_VALID_HOURS = int(env("CLINIC_INVITATION_VALID_HOURS", "72"))
# A link confirming a patient's new sign-in email (sent to that address) works once and only this long.
CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS = int(env("CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS", "24"))
# A "Forgot your password?" link works once (it is tied to the password it replaces) and only this long.
PASSWORD_RESET_TIMEOUT = int(env("CLINIC_PASSWORD_RESET_SECONDS", "3600"))
# Reset requests per email address and per client address (each one may send an email), counted whether or not the
# address has an account, so the limit says nothing about which addresses do.
CLINIC_PASSWORD_RESET_RATE_PER_EMAIL = env("CLINIC_PASSWORD_RESET_RATE_PER_EMAIL", "3/hour")
CLINIC_PASSWORD_RESET_RATE_PER_CLIENT = env("CLINIC_PASSWORD_RESET_RATE_PER_CLIENT", "10/hour")
# Failed API token attempts per client address, as sign-in failures per address (CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT):
# past it, every token from that address is answered 429 for a while, the right one too.
CLINIC_API_TOKEN_FAILURE_RATE_PER_CLIENT = env("CLINIC_API_TOKEN_FAILURE_RATE_PER_CLIENT", "30/hour")
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: a session ends after this much inactivity. Requests push the expiry forward, at most once a minute
# (apps/core/sessions.py), so a page view that changes nothing in the session writes nothing.
SESSION_ENGINE = "apps.core.sessions"
SESSION_COOKIE_AGE = int(env("CLINIC_IDLE_TIMEOUT_SECONDS", str(30 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed logins (django-axes, see apps/accounts/lockout.py): an account locks after a few
# failures, whatever the letter case of the email typed; a client address locks after many failures across all
# accounts. Staff share the clinic's one public address, so its limit is far above one person's typos.
AXES_HANDLER = "apps.accounts.lockout.ClinicLockoutHandler"
AXES_FAILURE_LIMIT = int(env("CLINIC_LOGIN_FAILURE_LIMIT", "5"))
CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT = int(env("CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_COOLOFF_TIME = float(env("CLINIC_LOGIN_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# A client's address, behind CLINIC_NUM_PROXIES proxies the one they forward, counted as the access log counts it.
AXES_CLIENT_IP_CALLABLE = "apps.core.client_address.client_address"

OTP_TOTP_ISSUER = env("CLINIC_OTP_ISSUER", "Clinic")
# A device's secret is shown once, to its owner, while they enrol; never again, the Django admin included.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en-us"
# Dates and times the `date` filter, forms and the admin show without a format of their own read as every page does.
FORMAT_MODULE_PATH = ["clinic.formats"]
TIME_ZONE = env("CLINIC_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("CLINIC_MEDIA_ROOT", str(BASE_DIR / "media")))
# Files the clinic makes for one person (a patient's record PDF), outside the media directory and never served by
# URL: a view checks who asks before it sends one. Every web server and worker mounts the same directory.
CLINIC_PRIVATE_ROOT = Path(env("CLINIC_PRIVATE_ROOT", str(BASE_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": CLINIC_PRIVATE_ROOT}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "1025"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Clinic <no-reply@clinic.localhost>")
# Where replies to patients' emails go (their Reply-To header). Empty: the clinic's contact email from Clinic
# settings; with neither, emails do not invite replies at all.
CLINIC_REPLY_TO_EMAIL = env("CLINIC_REPLY_TO_EMAIL", "").strip()

# Note text encryption keys, newest first; older keys stay to decrypt until rotated out.
CLINIC_ENCRYPTION_KEYS = env_list("CLINIC_ENCRYPTION_KEYS", DEVELOPMENT_ENCRYPTION_KEY)

# Secure messages: the largest attachment a patient or the clinic may send, in megabytes.
CLINIC_MESSAGE_ATTACHMENT_MAX_MB = int(env("CLINIC_MESSAGE_ATTACHMENT_MAX_MB", "10"))
# Referrals: the largest medical-clearance document the clinic keeps, in megabytes.
CLINIC_CLEARANCE_MAX_MB = int(env("CLINIC_CLEARANCE_MAX_MB", "10"))

# Education library: the largest reading (PDF) or recording (MP3, M4A) staff may upload, in megabytes.
CLINIC_EDUCATION_FILE_MAX_MB = int(env("CLINIC_EDUCATION_FILE_MAX_MB", "50"))

# Scheduling: how far ahead open-ended weekly series stay booked; the video link made for telehealth sessions.
CLINIC_SERIES_HORIZON_WEEKS = int(env("CLINIC_SERIES_HORIZON_WEEKS", "12"))
CLINIC_TELEHEALTH_URL_TEMPLATE = env(
    "CLINIC_TELEHEALTH_URL_TEMPLATE", "https://telehealth.clinic.localhost/room/{token}"
)

# Card payments in the patient portal: "stripe" (Stripe Checkout), or "offline": the clinic takes no card payments
# online and the portal shows CLINIC_PAYMENT_INSTRUCTIONS instead. Either way only staff record offline payments.
CLINIC_PAYMENT_BACKEND = env("CLINIC_PAYMENT_BACKEND", "offline")
# A statement asks for payment this many days after it is issued.
CLINIC_STATEMENT_DUE_DAYS = int(env("CLINIC_STATEMENT_DUE_DAYS", "30"))
# Record PDFs are made by a worker (a long history takes minutes): how long the prepared file is kept, how long the
# job may take, and how long a request may wait unstarted before it is called failed and may be asked again.
CLINIC_RECORD_EXPORT_KEEP_DAYS = int(env("CLINIC_RECORD_EXPORT_KEEP_DAYS", "7"))
CLINIC_RECORD_EXPORT_TIME_LIMIT_SECONDS = int(env("CLINIC_RECORD_EXPORT_TIME_LIMIT_SECONDS", "900"))
CLINIC_RECORD_EXPORT_STALE_MINUTES = int(env("CLINIC_RECORD_EXPORT_STALE_MINUTES", "60"))
CLINIC_PAYMENT_INSTRUCTIONS = env(
    "CLINIC_PAYMENT_INSTRUCTIONS", "Pay at the front desk by cash, check or card at your next visit."
)
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET)
# Only the test settings accept webhooks signed with a secret published in this repository.
CLINIC_ACCEPT_PUBLISHED_WEBHOOK_SECRET = False

# Behind a proxy set CLINIC_NUM_PROXIES to the number of proxies in front of the app: the access log, the sign-in
# lockout and the request limits then count the address the proxy forwards (apps/core/client_address.py). With 0
# the forwarded-for header is ignored, so it cannot be spoofed.
CLINIC_NUM_PROXIES = int(env("CLINIC_NUM_PROXIES", "0"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Personal tokens, minted by their own user after MFA and stored hashed (docs/security.md).
        "apps.accounts.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.accounts.api_permissions.StaffVerifiedMFA",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.api_schema.ClinicAutoSchema",  # adds the error answers
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api_parsers.JSONParser",  # numbers keep their spelling, for money fields to read
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.ClinicPagination",  # bounded limit and offset
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.core.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"quote": env("CLINIC_QUOTE_RATE", "60/min")},
    "NUM_PROXIES": CLINIC_NUM_PROXIES,
}
# Public lecture registrations per client address (the page and the API together); each one emails the address.
CLINIC_LECTURE_REGISTRATION_RATE = env("CLINIC_LECTURE_REGISTRATION_RATE", "10/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic API",
    "DESCRIPTION": "Practice management for a mind-body therapy clinic.",
    "VERSION": __version__,
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and docs pages are for signed-in staff (after MFA) and their tokens, as the API itself.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.accounts.api_permissions.StaffVerifiedMFA",
        "apps.accounts.api_permissions.ReadsApiDocs",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Many resources have a `status`; name each choice set after its domain meaning.
    "ENUM_NAME_OVERRIDES": {
        "SeriesStatusEnum": "apps.scheduling.models.SeriesStatus",
        "AppointmentStatusEnum": "apps.scheduling.models.AppointmentStatus",
        "EnrollmentStatusEnum": "apps.programs.models.EnrollmentStatus",
        "AttendanceStatusEnum": "apps.programs.models.AttendanceStatus",
        "SlotRequestStatusEnum": "apps.waitlist.models.SlotRequestStatus",
        "SlotOfferStatusEnum": "apps.waitlist.models.SlotOfferStatus",
        "PatientStatusEnum": "apps.patients.models.PatientStatus",
        "NoteStatusEnum": "apps.notes.models.NoteStatus",
        "TreatmentPlanStatusEnum": "apps.notes.models.TreatmentPlanStatus",
        "GoalDirectionEnum": "apps.notes.models.GoalDirection",
        "GoalProgressStatusEnum": "apps.notes.plan_progress.ProgressStatus",
        "InstrumentEnum": "apps.outcomes.instruments.INSTRUMENT_CHOICES",
        "MessageStatusEnum": "apps.notifications.models.MessageStatus",
        "AssessmentStatusEnum": "apps.billing.models.AssessmentStatus",
        "PlanStatusEnum": "apps.billing.models.PlanStatus",
        "CheckoutStatusEnum": "apps.billing.models.CheckoutStatus",
        "InboundReferralStatusEnum": "apps.referrals.models.InboundStatus",
        "OutboundReferralStatusEnum": "apps.referrals.models.OutboundStatus",
        "RecipientKindEnum": "apps.referrals.models.RecipientKind",
        "AssignmentStatusEnum": "apps.outcomes.models.AssignmentStatus",
        "ProgramKindEnum": "apps.programs.models.ProgramKind",
        "ProgramStageEnum": "apps.programs.models.ProgramStage",
        "LibraryItemKindEnum": "apps.education.models.ItemKind",
        "ChargeKindEnum": "apps.billing.models.ChargeKind",
    },
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A task is acknowledged after it ran, and re-queued if its worker dies, so nothing is lost;
# the outbox row's status makes the re-run harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Queues: outbox delivery (reminders and every other message) on `reminders`, billing batches on `billing`, record
# PDFs on `records`, the rest on the default `celery`. A worker started without -Q consumes every queue listed here,
# so nothing is stranded; a deploy may instead run one worker per queue so a long statement run never delays a
# reminder (docs/deployment.md).
CLINIC_NOTIFICATIONS_QUEUE = env("CLINIC_NOTIFICATIONS_QUEUE", "reminders")
CLINIC_BILLING_QUEUE = env("CLINIC_BILLING_QUEUE", "billing")
CLINIC_RECORDS_QUEUE = env("CLINIC_RECORDS_QUEUE", "records")
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "apps.notifications.tasks.*": {"queue": CLINIC_NOTIFICATIONS_QUEUE},
    # Accounts' emails (a reset link or an invitation someone waits for, the notice of a changed password or sign-in
    # email) go with the messages, never behind a batch on the default queue.
    "apps.accounts.tasks.*": {"queue": CLINIC_NOTIFICATIONS_QUEUE},
    "apps.billing.tasks.*": {"queue": CLINIC_BILLING_QUEUE},
    # A record PDF holds its worker for minutes: it waits behind other PDFs, never in front of the default queue's
    # jobs. The hourly expiry is quick and stays on the default queue.
    "apps.records.tasks.record_export_build": {"queue": CLINIC_RECORDS_QUEUE},
}
CELERY_TASK_QUEUES = [
    Queue(name)
    for name in dict.fromkeys(
        [CELERY_TASK_DEFAULT_QUEUE, CLINIC_NOTIFICATIONS_QUEUE, CLINIC_BILLING_QUEUE, CLINIC_RECORDS_QUEUE]
    )
]
# Several beat processes may run at once (several machines, a rolling restart): each periodic job is sent once per
# period all the same (apps/core/beat.py).
CELERY_BEAT_SCHEDULER = "apps.core.beat:OncePerPeriodScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
# Transitions: the sweep that runs any reaction a status change still lacks (apps/core/transitions.py).
CLINIC_TRANSITION_SWEEP_SECONDS = float(env("CLINIC_TRANSITION_SWEEP_SECONDS", "60"))
# How far back the sweep looks for unhandled transitions (a failed reaction is retried for this long).
CLINIC_TRANSITION_SWEEP_WINDOW_HOURS = int(env("CLINIC_TRANSITION_SWEEP_WINDOW_HOURS", "72"))
CELERY_BEAT_SCHEDULE["core-transitions-dispatch-pending"] = {
    "task": "apps.core.tasks.transitions_dispatch_pending",
    "schedule": CLINIC_TRANSITION_SWEEP_SECONDS,
    "options": {"expires": CLINIC_TRANSITION_SWEEP_SECONDS},
}
CELERY_BEAT_SCHEDULE["core-sessions-clear-expired"] = {
    "task": "apps.core.tasks.sessions_clear_expired",
    "schedule": 60 * 60,
}
# Intake: tell patients whose release of information has ended that it needs signing again (once per ending).
CELERY_BEAT_SCHEDULE["intake-release-renewals"] = {
    "task": "apps.intake.tasks.release_renewals_notify",
    "schedule": 24 * 60 * 60,
}
# Billing: ask for re-attestation before assessments expire; issue last month's statements; remind of overdue
# instalments; re-issue Good Faith Estimates once an assessment has ended (each re-runs safely).
CELERY_BEAT_SCHEDULE["billing-reattestation-requests"] = {
    "task": "apps.billing.tasks.reattestation_requests_queue",
    "schedule": 24 * 60 * 60,
}
CELERY_BEAT_SCHEDULE["billing-monthly-statements"] = {
    "task": "apps.billing.tasks.statements_issue_last_month",
    "schedule": 24 * 60 * 60,
}
CELERY_BEAT_SCHEDULE["billing-plan-instalment-reminders"] = {
    "task": "apps.billing.tasks.plan_instalment_reminders_queue",
    "schedule": 24 * 60 * 60,
}
# Card refunds the provider did not answer are asked about again with their own idempotency key.
CELERY_BEAT_SCHEDULE["billing-card-refunds-retry"] = {
    "task": "apps.billing.tasks.card_refunds_retry",
    "schedule": 10 * 60,
}
CELERY_BEAT_SCHEDULE["billing-estimates-after-assessment-expiry"] = {
    "task": "apps.billing.tasks.gfe_reissue_after_assessment_expiry",
    "schedule": 24 * 60 * 60,
}
# Records: prepared record files past their keeping time are deleted; requests no worker finished are called failed.
CELERY_BEAT_SCHEDULE["records-expire-exports"] = {
    "task": "apps.records.tasks.record_exports_expire",
    "schedule": 60 * 60,
}
CELERY_BEAT_SCHEDULE["scheduling-extend-open-ended-series"] = {
    "task": "apps.scheduling.tasks.series_extend_open_ended",
    "schedule": 6 * 60 * 60,
}

# Notifications: the outbox dispatcher and its channels (docs/notifications.md).
CLINIC_DISPATCH_INTERVAL_SECONDS = float(env("CLINIC_DISPATCH_INTERVAL_SECONDS", "60"))
CLINIC_DISPATCH_BATCH_SIZE = int(env("CLINIC_DISPATCH_BATCH_SIZE", "500"))
CLINIC_DISPATCH_MAX_BATCHES = int(env("CLINIC_DISPATCH_MAX_BATCHES", "20"))
# Messages per send task (one mail connection). A task stops taking messages before its soft time limit (what is
# left goes to the next dispatch), so this many, each waiting on its provider up to EMAIL_TIMEOUT or TWILIO_TIMEOUT,
# must fit in that time: the `notifications.W003` check says when they do not.
CLINIC_SEND_TASK_SIZE = int(env("CLINIC_SEND_TASK_SIZE", "8"))
# How long a claimed message waits for its send task before the dispatcher hands it out again
# (the recovery path when a worker dies holding it); longer than a normal queue wait.
CLINIC_MESSAGE_CLAIM_SECONDS = int(env("CLINIC_MESSAGE_CLAIM_SECONDS", "300"))
CLINIC_MESSAGE_MAX_ATTEMPTS = int(env("CLINIC_MESSAGE_MAX_ATTEMPTS", "5"))
CLINIC_MESSAGE_RETRY_BASE_SECONDS = int(env("CLINIC_MESSAGE_RETRY_BASE_SECONDS", "60"))
CLINIC_SMS_BACKEND = env("CLINIC_SMS_BACKEND", "console")  # "console" or "twilio"
# A demonstration under production settings (docker compose): seed_demo may create the demo's accounts, whose
# passwords are published. Never set on a real clinic's servers (`check --deploy` warns while it is).
CLINIC_DEMO = env_bool("CLINIC_DEMO", False)
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL", "")  # empty: Twilio itself
# Seconds one provider call may wait for an answer. Over SMTP each command has this long; the answer to a whole
# message may take what is left of the send task's time.
TWILIO_TIMEOUT = float(env("TWILIO_TIMEOUT", "10"))
EMAIL_TIMEOUT = float(env("EMAIL_TIMEOUT", "10"))
CELERY_BEAT_SCHEDULE["notifications-dispatch-due"] = {
    "task": "apps.notifications.tasks.dispatch_due",
    "schedule": CLINIC_DISPATCH_INTERVAL_SECONDS,
    # A dispatch that waited longer than one interval is superseded by the next one.
    "options": {"queue": CLINIC_NOTIFICATIONS_QUEUE, "expires": CLINIC_DISPATCH_INTERVAL_SECONDS},
}

# The offer engine: unanswered seat and slot offers expire and pass to the next person in line.
CELERY_BEAT_SCHEDULE["waitlist-expire-offers"] = {
    "task": "apps.waitlist.tasks.expire_offers",
    "schedule": 60,
    "options": {"expires": 60},
}
CELERY_BEAT_SCHEDULE["programs-close-finished"] = {
    "task": "apps.programs.tasks.close_finished_programs",
    "schedule": 60 * 60,
}
CELERY_BEAT_SCHEDULE["programs-remind-meeting-members"] = {
    "task": "apps.programs.tasks.remind_meeting_members",
    "schedule": 10 * 60,
    "options": {"expires": 10 * 60},
}
CELERY_BEAT_SCHEDULE["waitlist-offer-ended-series-slots"] = {
    "task": "apps.waitlist.tasks.offer_ended_series_slots",
    "schedule": 60 * 60,
}
CELERY_BEAT_SCHEDULE["programs-assign-outcome-questionnaires"] = {
    "task": "apps.programs.tasks.assign_outcome_questionnaires",
    "schedule": 60 * 60,
}
# Programs that form before they run: call off those past their decision date (early morning, after the day
# turns in the clinic's zone), then look for anyone on a list with no next step.
CELERY_BEAT_SCHEDULE["programs-call-off-past-decision"] = {
    "task": "apps.programs.tasks.call_off_programs_past_decision",
    "schedule": crontab(hour=6, minute=0),
}
CELERY_BEAT_SCHEDULE["programs-queue-stranded"] = {
    "task": "apps.programs.tasks.queue_stranded_enrollments",
    "schedule": crontab(hour=6, minute=30),
}

# Notes and outcomes: the morning digest of overdue unsigned notes; questionnaires for tomorrow's sessions.
CELERY_BEAT_SCHEDULE["notes-unsigned-digest"] = {
    "task": "apps.notes.tasks.unsigned_notes_digest",
    "schedule": crontab(hour=7, minute=30),
}
CELERY_BEAT_SCHEDULE["outcomes-questionnaires-for-tomorrow"] = {
    "task": "apps.outcomes.tasks.questionnaires_send_for_tomorrow",
    "schedule": crontab(hour="9,13,17", minute=0),
}
# A self-harm answer waiting for review reaches each psychotherapist treating the patient that was not told of it
# (the notice after the change that made them treating was lost, or an account change made them treating).
CELERY_BEAT_SCHEDULE["outcomes-open-flags-sweep"] = {
    "task": "apps.outcomes.tasks.open_flags_sweep",
    "schedule": 10 * 60,
}
CELERY_BEAT_SCHEDULE["intake-open-answer-flags-sweep"] = {
    "task": "apps.intake.tasks.open_answer_flags_sweep",
    "schedule": 10 * 60,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("CLINIC_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
