"""Configuration read from the environment; owns no state beyond the returned mapping, except
the development and test SECRET_KEY, created once in the instance folder (never in the source)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")
DEFAULT_DATABASE_URL = "sqlite:///instance/hocso.db"
LANGUAGES = ("vi", "en", "ko")
SECRET_KEY_FILENAME = "secret-key"


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def _sqlite_url_absolute(url: str) -> str:
    """Resolve a relative SQLite path against the project root, so every process agrees."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return url
    path = url[len(prefix):]
    if path.startswith("/"):
        return url
    return prefix + str(PROJECT_ROOT / path)


def _read_secret(path: Path, source: str) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(f"{source}: cannot read {path}: {error.strerror}.") from None
    if not secret:
        raise ConfigError(f"{source}: {path} is empty; delete it or put a long random key in it.")
    return secret


def create_private_file(path: Path, data: bytes) -> None:
    """Create `path` holding `data`, readable by its owner only (0600), unless it exists.

    A private temporary file is written, then linked into place: the link fails if another
    process got there first, so every process of one instance ends up with the same secret and
    nobody ever reads a half-written file."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
    finally:
        draft.unlink()


def instance_secret_key(directory: Path) -> str:
    """Return the development key kept in `directory`, creating a random one (mode 0600) once."""
    path = directory / SECRET_KEY_FILENAME
    create_private_file(path, (secrets.token_hex(32) + "\n").encode())
    return _read_secret(path, "the instance secret key")


def _positive_int(env, name: str, default: int) -> int:
    """Read a whole number above zero from the environment, or refuse to start."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"{name} must be a whole number above 0; got {raw!r}.")
    return int(raw)


def _flag(env, name: str) -> bool:
    """Read a yes/no setting: 1, true, yes, on (any case) mean yes; empty means no."""
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0 (true or false); got {raw!r}.")


def _days(env, name: str, default: str) -> tuple[int, ...]:
    """Read a comma-separated list of day counts ("3,1"), largest first; empty for none."""
    raw = env.get(name, default).strip()
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not all(part.isdigit() and 0 < int(part) <= 365 for part in parts):
        raise ConfigError(f"{name} must list whole numbers of days from 1 to 365, separated "
                          f"by commas (e.g. 3,1); got {raw!r}.")
    return tuple(sorted({int(part) for part in parts}, reverse=True))


def load_config(environ: dict[str, str] | None = None, **overrides) -> dict:
    """Build the Flask config mapping from environment variables and explicit overrides."""
    env = os.environ if environ is None else environ
    hocso_env = overrides.pop("HOCSO_ENV", None) or env.get("HOCSO_ENV", "development")
    if hocso_env not in ENVIRONMENTS:
        raise ConfigError(
            f"HOCSO_ENV must be one of {', '.join(ENVIRONMENTS)}; got {hocso_env!r}."
        )
    secret = overrides.pop("SECRET_KEY", None) or env.get("SECRET_KEY")
    if not secret and env.get("SECRET_KEY_FILE"):
        secret = _read_secret(Path(env["SECRET_KEY_FILE"]), "SECRET_KEY_FILE")
    if not secret:
        if hocso_env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. In production HọcSố needs a long random SECRET_KEY "
                "in the environment, e.g. export SECRET_KEY=$(python3 -c "
                "'import secrets; print(secrets.token_hex(32))'), or SECRET_KEY_FILE naming "
                "a file that holds it."
            )
        # Never a key written in the source: anyone could sign a cookie with that.
        secret = instance_secret_key(
            Path(overrides.get("INSTANCE_DIR") or PROJECT_ROOT / "instance"))
    database_url = overrides.pop("DATABASE_URL", None) or env.get(
        "DATABASE_URL", DEFAULT_DATABASE_URL
    )
    production = hocso_env == "production"
    session_idle = timedelta(minutes=_positive_int(env, "HOCSO_SESSION_IDLE_MINUTES", 120))
    session_lifetime = timedelta(hours=_positive_int(env, "HOCSO_SESSION_LIFETIME_HOURS", 12))
    smtp_ssl = _flag(env, "HOCSO_SMTP_SSL")
    smtp_starttls = _flag(env, "HOCSO_SMTP_STARTTLS")
    if smtp_ssl and smtp_starttls:
        raise ConfigError("Set HOCSO_SMTP_SSL or HOCSO_SMTP_STARTTLS, not both.")
    config = {
        "HOCSO_ENV": hocso_env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _sqlite_url_absolute(database_url),
        # No pool_pre_ping: learning.db checks a PostgreSQL connection at checkout without a
        # round trip to the server.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "TESTING": hocso_env == "test",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        # Server-side sessions (learning/accounts/sessions.py) end after this long without a
        # request, and after this long in any case; the cookie lives no longer than a session.
        "SESSION_IDLE_TIMEOUT": session_idle,
        "SESSION_LIFETIME": session_lifetime,
        "PERMANENT_SESSION_LIFETIME": session_lifetime,
        # The cookie lives as long as the server session may (its absolute lifetime), so it is
        # not re-signed and re-sent on every response, only when its content changes.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # How stale a session's last-seen time may get before a request writes it again.
        "SESSION_TOUCH_INTERVAL": timedelta(minutes=1),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead: long forms must not expire
        "MAX_CONTENT_LENGTH": int(env.get("HOCSO_MAX_UPLOAD_MB", "512")) * 1024 * 1024,
        # Any other request's body (forms, quiz answers, JSON): the pages with an upload say
        # their own limit (learning.forms.upload_limit).
        "FORM_MAX_BYTES": int(env.get("HOCSO_FORM_MAX_KB", "4096")) * 1024,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": env.get("HOCSO_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "LANGUAGES": LANGUAGES,
        # Sign-in throttling (counted in the database, shared by all workers).
        "THROTTLE_USER_FAILURES": 5,
        "THROTTLE_IP_FAILURES": 20,
        "THROTTLE_WINDOW": timedelta(minutes=15),
        "MINISTRY_NAME": env.get("HOCSO_MINISTRY_NAME", "Bộ Ngoại giao"),
        "PASSWORD_MIN_LENGTH": 10,
        "MEDIA_DIR": env.get("HOCSO_MEDIA_DIR", str(PROJECT_ROOT / "instance" / "media")),
        "MAX_PACKAGE_MB": int(env.get("HOCSO_MAX_PACKAGE_MB", "500")),
        "BASE_URL": env.get("HOCSO_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SIGNING_KEY_PEM": env.get("HOCSO_SIGNING_KEY"),
        "SIGNING_KEY_FILE": env.get("HOCSO_SIGNING_KEY_FILE"),
        "SIGNING_CERT_FILE": env.get("HOCSO_SIGNING_CERT_FILE"),
        "INSTANCE_DIR": str(PROJECT_ROOT / "instance"),
        "CERT_SIGNER_NAME": env.get("HOCSO_CERT_SIGNER_NAME", "Nguyễn Văn Hùng"),
        "CERT_SIGNER_TITLE": env.get("HOCSO_CERT_SIGNER_TITLE",
                                     "Cục trưởng Cục Cơ yếu - Công nghệ thông tin"),
        # Where certificates say they were issued ("Hà Nội, ngày 05 tháng 3 năm 2025").
        "CERT_PLACE": env.get("HOCSO_CERT_PLACE", "Hà Nội"),
        "CERT_REMIND_DAYS": int(env.get("HOCSO_CERT_REMIND_DAYS", "30")),
        "VERIFY_LIMIT": int(env.get("HOCSO_VERIFY_LIMIT", "60")),
        # Rankings and transcripts rendered as PDF on demand, per user and window.
        "PDF_LIMIT": _positive_int(env, "HOCSO_PDF_LIMIT", 30),
        "PDF_WINDOW": timedelta(minutes=10),
        # An uploaded PDF larger than this is refused unread (a certificate is ~30-100 KB).
        "VERIFY_MAX_BYTES": int(env.get("HOCSO_VERIFY_MAX_KB", "512")) * 1024,
        "VERIFY_WINDOW": timedelta(minutes=10),
        # A CSV or Excel list of staff numbers added to a mentoring group.
        "MEMBERS_FILE_MAX_BYTES": int(env.get("HOCSO_MEMBERS_FILE_MAX_KB", "2048")) * 1024,
        # A screenshot handed in as a practical task's evidence (PNG, JPEG or WebP).
        "TASK_IMAGE_MAX_BYTES": int(env.get("HOCSO_TASK_IMAGE_MAX_KB", "2048")) * 1024,
        "PROXY_COUNT": int(env.get("HOCSO_PROXY_COUNT", "0")),
        # Requests each API token may make per window (counted in the database, shared by
        # every worker and host); over it the API answers 429 with Retry-After.
        "API_RATE_LIMIT": _positive_int(env, "HOCSO_API_RATE_LIMIT", 120),
        "API_RATE_WINDOW": timedelta(minutes=1),
        # Email (learning.mail). Without HOCSO_SMTP_HOST no email is sent (a log line says so).
        "SMTP_HOST": env.get("HOCSO_SMTP_HOST", "").strip(),
        "SMTP_PORT": _positive_int(env, "HOCSO_SMTP_PORT",
                                   465 if smtp_ssl else 587 if smtp_starttls else 25),
        "SMTP_USER": env.get("HOCSO_SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("HOCSO_SMTP_PASSWORD", ""),
        "SMTP_SSL": smtp_ssl,
        "SMTP_STARTTLS": smtp_starttls,
        "SMTP_TIMEOUT": _positive_int(env, "HOCSO_SMTP_TIMEOUT", 20),
        "MAIL_FROM": env.get("HOCSO_MAIL_FROM", "HọcSố <no-reply@hocso.invalid>"),
        # Assignment reminders (`flask notifications send-due`): days before and after the
        # due day, on the ministry's calendar.
        "REMIND_BEFORE_DAYS": _days(env, "HOCSO_REMIND_BEFORE_DAYS", "3,1"),
        "REMIND_AFTER_DAYS": _days(env, "HOCSO_REMIND_AFTER_DAYS", "1,7"),
    }
    config.update(overrides)
    return config
