"""Email: SMTP settings from the environment, messages rendered from templates in the
recipient's language (a plain-text part and an HTML part), sent with the standard library.

Sending never raises: when SMTP is not configured (no HOCSO_SMTP_HOST) the messages are
skipped with one log line, and an unreachable or refusing server is logged. Callers commit
their own changes first (the in-app notification stays whatever happens to the email).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale

log = logging.getLogger("hocso.mail")


@dataclass(frozen=True)
class Message:
    """One email, rendered: who gets it, in which language, its subject and two bodies."""

    to: str
    language: str
    subject: str
    text: str
    html: str


@dataclass
class Report:
    """What became of a batch of messages."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, other: Report) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed


@dataclass
class Outbox:
    """Messages composed inside a transaction, sent after the caller commits."""

    messages: list[Message] = field(default_factory=list)

    def extend(self, other: Outbox) -> None:
        self.messages.extend(other.messages)

    def send(self) -> Report:
        return send_all(self.messages)


def absolute_url(endpoint: str, **values) -> str:
    """Return an absolute link to a page, under the configured HOCSO_BASE_URL (never the
    host a request claims; works from the command line, where there is no request)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def compose(template: str, *, to: str, language: str, **context) -> Message:
    """Render `mail/<template>.subject.txt`, `.txt` and `.html` in `language`."""
    env = current_app.jinja_env
    context = {"link_to": absolute_url, "ministry": current_app.config["MINISTRY_NAME"],
               "language": language, **context}
    with force_locale(language):
        subject = " ".join(env.get_template(f"mail/{template}.subject.txt")
                           .render(**context).split())
        text = env.get_template(f"mail/{template}.txt").render(**context).strip() + "\n"
        html = env.get_template(f"mail/{template}.html").render(**context)
    return Message(to=to, language=language, subject=subject, text=text, html=html)


# Python's header folder (3.11) drops the space where it splits a non-ASCII subject into two
# encoded words ("Bài A" arrives as "BàiA"): lines may be as long as SMTP allows, so a subject
# stays one encoded word.
_POLICY = policy.SMTP.clone(max_line_length=998)


def _email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage(policy=_POLICY)
    email["Subject"] = message.subject
    email["From"] = sender
    email["To"] = message.to
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    email["Content-Language"] = message.language  # after the bodies, which reset Content-*
    return email


def _connect(config) -> smtplib.SMTP:
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    if config["SMTP_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if config["SMTP_USER"]:
        smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
    return smtp


def send_all(messages: list[Message]) -> Report:
    """Send the messages over one SMTP connection; log, never raise, on any failure."""
    report = Report()
    if not messages:
        return report
    config = current_app.config
    if not config.get("SMTP_HOST"):
        log.info("Email skipped: SMTP is not configured (HOCSO_SMTP_HOST); %d message(s) "
                 "not sent.", len(messages))
        report.skipped = len(messages)
        return report
    pending = list(messages)
    try:
        with _connect(config) as smtp:
            while pending:
                message = pending[0]
                try:
                    smtp.send_message(_email(message, config["MAIL_FROM"]))
                    report.sent += 1
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                        smtplib.SMTPSenderRefused) as error:
                    log.warning("Email to %s refused by the SMTP server: %s", message.to, error)
                    report.failed += 1
                pending.pop(0)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("Email failed: SMTP server %s:%s: %s; %d message(s) not sent.",
                    config["SMTP_HOST"], config["SMTP_PORT"], error or type(error).__name__,
                    len(pending))
        report.failed += len(pending)
    return report
