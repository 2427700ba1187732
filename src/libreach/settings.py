"""Settings, read from the environment.

DATABASE_URL          database (default: SQLite in $LIBREACH_HOME, WAL mode)
LIBREACH_DB_CONN_MAX_AGE  seconds a web thread keeps its database connection (default
                      600; 0 closes it after every request)
LIBREACH_HOME         data directory (default ./libreach-data)
LIBREACH_SECRET_KEY   secret key (default: generated once and kept in $LIBREACH_HOME)
LIBREACH_SECRET_KEY_FALLBACKS  comma-separated former secret keys, still accepted
LIBREACH_ID_HASH_KEY  the key proxy ID numbers are hashed with (default: generated once
                      and kept in $LIBREACH_HOME), LIBREACH_ID_HASH_KEY_FALLBACKS former ones
LIBREACH_PRODUCTION   "1": behind the TLS proxy of docs/operations.md, with secure
                      cookies and HSTS; refuses to start without allowed hosts and keys
LIBREACH_DEBUG        "1" turns debug on (`libreach demo` does this)
LIBREACH_ALLOWED_HOSTS comma-separated host names
LIBREACH_TIME_ZONE    default Asia/Shanghai
LIBREACH_TEST_SQLITE_NAME  the SQLite test database's file (default: one per test
                      process in the temporary directory, removed after the run)
LIBREACH_TASKS        "database" (default): background tasks wait in the database for
                      `libreach worker`; "immediate": they run inline (tests, no worker)
LIBREACH_PATROL_*     the link patrol's limits (GLOBAL_CAP, PER_HOST_CAP, PER_HOST_DELAY,
                      TIMEOUT, RETRIES; docs/operations.md)
"""

import datetime as _dt
import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from libreach.core.keyfile import read_or_create_key

BASE_DIR = Path(__file__).resolve().parent
LIBREACH_HOME = Path(os.environ.get("LIBREACH_HOME", "./libreach-data")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _kept_key(variable: str, file_name: str) -> str:
    # One key per installation, kept beside the database so sessions survive restarts;
    # created atomically, so workers starting together agree on it (see core.keyfile).
    return os.environ.get(variable) or read_or_create_key(LIBREACH_HOME / file_name)


def _production_refusal() -> str | None:
    if _env_bool("LIBREACH_DEBUG"):
        return "LIBREACH_DEBUG is on: debug pages show settings and code to anyone."
    if not _env_list("LIBREACH_ALLOWED_HOSTS"):
        return (
            "LIBREACH_ALLOWED_HOSTS is not set: give the host names the site answers to, "
            "comma-separated (for example lib.example.edu.cn)."
        )
    for variable in ("LIBREACH_SECRET_KEY", "LIBREACH_ID_HASH_KEY"):
        if not os.environ.get(variable):
            return (
                f"{variable} is not set: every web process and worker, on every machine, "
                "must use the same key (make one with `python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(50))'`)."
            )
    return None


# Production: behind nginx (or another proxy) that terminates TLS and sets
# X-Forwarded-Proto (docs/operations.md). `libreach check --deploy` then reports nothing.
# It refuses to start, before generating any key, without what it needs.
PRODUCTION = _env_bool("LIBREACH_PRODUCTION")
if PRODUCTION and (_refusal := _production_refusal()):
    raise ImproperlyConfigured(f"libreach will not start in production: {_refusal}")
SECRET_KEY = _kept_key("LIBREACH_SECRET_KEY", "secret_key")
SECRET_KEY_FALLBACKS = _env_list("LIBREACH_SECRET_KEY_FALLBACKS")
# Proxy ID numbers are hashed with a key of their own (core.hashing); a key moved to the
# fallbacks still checks the hashes made with it, so the key can be rotated at any time.
LIBREACH_ID_HASH_KEY = _kept_key("LIBREACH_ID_HASH_KEY", "id_hash_key")
LIBREACH_ID_HASH_KEY_FALLBACKS = _env_list("LIBREACH_ID_HASH_KEY_FALLBACKS")
DEBUG = _env_bool("LIBREACH_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LIBREACH_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("LIBREACH_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

# Production behind the TLS proxy (see above).
if PRODUCTION:
    # The proxy says whether the request came over TLS; gunicorn must only be reachable
    # through it, or a client could claim HTTPS itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("LIBREACH_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("LIBREACH_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("LIBREACH_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = _env_bool("LIBREACH_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        # Preloading writes the domain into browsers for months and anyone may submit a
        # domain whose header asks for it: the site owner's decision, not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy on every response, in development too (so tests see it).
# Scripts only from our origin or carrying the response's nonce; no inline handlers.
# Inline styles are allowed: the desk's charts are inline SVG from matplotlib, which
# styles with attributes and a <style> element, and the pick slip is styled inline to
# print the same as a page and as a PDF. Images may be data: URLs (the API docs' icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "ninja",  # the API docs from the package's own files: no CDN, no inline script
    "libreach.core",
    "libreach.consortium",
    "libreach.accounts",
    "libreach.catalog",
    "libreach.circulation",
    "libreach.contactless",
    "libreach.docdelivery",
    "libreach.eresources",
    "libreach.site",  # above the apps: the demo, the desk home
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "libreach.core.middleware.RefuseNulMiddleware",  # PostgreSQL cannot hold U+0000
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "libreach.urls"
WSGI_APPLICATION = "libreach.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url:
        LIBREACH_HOME.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{LIBREACH_HOME / 'libreach.sqlite3'}"
    # A web thread keeps its connection between requests (checked before reuse): opening
    # one costs a request several milliseconds (SQLite reads the whole schema again,
    # PostgreSQL authenticates). 0 closes it after every request.
    db = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("LIBREACH_DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend with fair turns for the writers of one process (see there).
        db["ENGINE"] = "libreach.db.sqlite"
        db["OPTIONS"] = {
            # Writers never fail with "database is locked" when one upgrades a read lock:
            # libreach.db.sqlite takes the writers' lock before a transaction's first write
            # (read-only transactions never queue) and begins it IMMEDIATE then.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"  # an acknowledged write survives a power cut
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000;"
            ),
        }
        # Tests run on a file, as production does, so that the threads of a concurrency
        # test and the live server of a browser test each have their own connection and
        # wait for each other's locks (threads cannot share an in-memory database that
        # way). One file per test process: parallel runs in one checkout do not collide.
        db["TEST"] = {
            "NAME": os.environ.get("LIBREACH_TEST_SQLITE_NAME")
            or str(Path(tempfile.gettempdir()) / f"libreach-test-{os.getpid()}.sqlite3")
        }
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("LIBREACH_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# Dates as readers of each language write them (libreach/core/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["libreach.core.formats"]

STATIC_URL = "static/"
# The project-wide assets (site CSS) live beside the project-wide templates.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = LIBREACH_HOME / "static"

EMAIL_BACKEND = os.environ.get(
    "LIBREACH_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("LIBREACH_FROM_EMAIL", "libreach@localhost")

_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[os.environ.get("LIBREACH_TASKS", "database")]}}

# API bearer tokens live this long.
LIBREACH_TOKEN_HOURS = int(os.environ.get("LIBREACH_TOKEN_HOURS", "168"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LIBREACH_LOG_LEVEL", "WARNING")},
}

# --- Sign-in lockout (django-axes) and API throttling --------------------------------
# LIBREACH_SIGNIN_FAILURES         failed sign-ins, for one account or from one address,
#                                  that lock both the page and the token route (10)
# LIBREACH_SIGNIN_COOLOFF_MINUTES  how long failures count and the lock lasts (15)
# LIBREACH_PROXY_COUNT             reverse proxies in front that append to
#                                  X-Forwarded-For (0: the client is REMOTE_ADDR)
# LIBREACH_THROTTLE                "0" turns the per-address API limits off (benchmarks)
# LIBREACH_THROTTLE_ANONYMOUS      requests per address to routes open to anyone (300/min)
# LIBREACH_THROTTLE_SIGN_IN        token requests per address (60/min)
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks
AUTHENTICATION_BACKENDS = [
    "libreach.accounts.backends.SignInLockoutBackend",  # first: refuses locked-out sign-ins
    "django.contrib.auth.backends.ModelBackend",
]
LIBREACH_PROXY_COUNT = int(os.environ.get("LIBREACH_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = int(os.environ.get("LIBREACH_SIGNIN_FAILURES", "10"))
AXES_COOLOFF_TIME = _dt.timedelta(
    minutes=int(os.environ.get("LIBREACH_SIGNIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
# Attempts during the lock (even with the right password) are refused but not counted,
# so the wait ends when it said it would.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "libreach.accounts.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "libreach.accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "libreach.accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not recorded: no write per sign-in
NINJA_NUM_PROXIES = LIBREACH_PROXY_COUNT  # never trust a client's own X-Forwarded-For
LIBREACH_THROTTLE = _env_bool("LIBREACH_THROTTLE", default=True)
LIBREACH_THROTTLE_RATES = {
    "anonymous": os.environ.get("LIBREACH_THROTTLE_ANONYMOUS", "300/min"),
    "sign_in": os.environ.get("LIBREACH_THROTTLE_SIGN_IN", "60/min"),
}

# The link patrol's limits (eresources.patrol.check_links): gentle on vendors' platforms by
# default, at most 4 requests at once to a host and its request starts 0.5 s apart.
LIBREACH_PATROL = {
    "global_cap": int(os.environ.get("LIBREACH_PATROL_GLOBAL_CAP", "50")),
    "per_host_cap": int(os.environ.get("LIBREACH_PATROL_PER_HOST_CAP", "4")),
    "per_host_delay": float(os.environ.get("LIBREACH_PATROL_PER_HOST_DELAY", "0.5")),
    "timeout": float(os.environ.get("LIBREACH_PATROL_TIMEOUT", "15")),
    "retries": int(os.environ.get("LIBREACH_PATROL_RETRIES", "2")),
}
