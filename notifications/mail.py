"""Email over SMTP: plain, STARTTLS or SSL, with optional AUTH; UTF-8 text with an HTML alternative.

Settings are read from the environment at each send, so a fixed setting takes effect on the next retry
without a restart: SMTP_HOST, SMTP_PORT (default 25, 587 or 465 by SMTP_TLS), SMTP_USER, SMTP_PASSWORD,
SMTP_TLS (`none`, `starttls` or `ssl`), MAIL_FROM, and SMTP_CAFILE for a server whose certificate is
signed by a private CA (certificates are always verified).

A worker keeps its connection (and login) open between messages and opens it again when the settings
change or the server hung up (links.py).

SMTP cannot refuse a duplicate. The Message-ID is derived from the outbox row's dedupe key, so a message
sent again after a worker crash carries the Message-ID of the first one, and mail clients and mailbox
stores that collapse duplicate Message-IDs show it once.
"""

import contextlib
import hashlib
import html
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from engine import clock
from notifications.channels import ChannelError
from notifications.links import KeptLink

TIMEOUT = 30  # seconds per SMTP operation: the worker holds the row's claim while it talks
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_SENDER = "KeyDesk <keydesk@localhost>"


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    tls: str
    user: str
    password: str
    sender: str
    cafile: str


def settings() -> Settings:
    """The SMTP settings from the environment, or a ChannelError that names the setting to fix."""
    env = {name: os.environ.get(name, "").strip() for name in
           ("SMTP_HOST", "SMTP_PORT", "SMTP_TLS", "SMTP_USER", "MAIL_FROM")}
    if not env["SMTP_HOST"]:
        raise ChannelError("SMTP_HOST is not set")
    tls = env["SMTP_TLS"].lower() or "none"
    if tls not in DEFAULT_PORTS:
        raise ChannelError(f"SMTP_TLS must be none, starttls or ssl, not {env['SMTP_TLS']!r}")
    port = env["SMTP_PORT"] or str(DEFAULT_PORTS[tls])
    if not port.isdigit():
        raise ChannelError(f"SMTP_PORT must be a port number, not {port!r}")
    return Settings(env["SMTP_HOST"], int(port), tls, env["SMTP_USER"], os.environ.get("SMTP_PASSWORD", ""),
                    env["MAIL_FROM"] or DEFAULT_SENDER, os.environ.get("SMTP_CAFILE", "").strip())


def send(message) -> None:
    """Hand one outbox row to the SMTP server; any refusal or network error is a ChannelError."""
    config = settings()
    mail = compose(message, config.sender)
    try:
        _link.use(config, lambda smtp: smtp.send_message(mail, to_addrs=[message.address]),
                  dropped=(smtplib.SMTPServerDisconnected, ConnectionError))
    except (smtplib.SMTPException, OSError) as err:  # refused, unreachable, timed out, TLS or certificate
        raise ChannelError(f"SMTP server {config.host}:{config.port}: {err.__class__.__name__}: {err}") from err


def close() -> None:
    """Close this process's connection (at shutdown, or when a test's server goes away)."""
    _link.close()


def _open(config: Settings) -> smtplib.SMTP:
    smtp = _connect(config)
    try:
        if config.user:
            smtp.login(config.user, config.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):  # the server hung up already
        smtp.quit()
    smtp.close()


def _connect(config: Settings) -> smtplib.SMTP:
    if config.tls == "none":
        return smtplib.SMTP(config.host, config.port, timeout=TIMEOUT)
    context = ssl.create_default_context(cafile=config.cafile or None)
    if config.tls == "ssl":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=TIMEOUT, context=context)
    smtp = smtplib.SMTP(config.host, config.port, timeout=TIMEOUT)
    try:
        smtp.starttls(context=context)  # refuses to go on in clear text if the server cannot
    except BaseException:
        smtp.close()
        raise
    return smtp


_link = KeptLink(_open, _quit)


def compose(message, sender: str) -> EmailMessage:
    """The email for an outbox row: UTF-8 plain text first, the same text as minimal HTML second."""
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.subject.split())  # a line break in a header would end it
    mail["From"] = sender
    mail["To"] = message.address
    mail["Date"] = format_datetime(clock.now())
    mail["Message-ID"] = message_id(message.dedupe_key, sender)
    mail.set_content(message.body)
    mail.add_alternative(to_html(message.subject, message.body), subtype="html")
    return mail


def message_id(key: str, sender: str) -> str:
    """The same Message-ID for the same outbox row, every time: the key made header-safe, plus its hash
    (so two keys that read alike stay apart), at the sender's domain."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", ".", key)[:40].strip(".")
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{'.'.join(filter(None, (readable, digest)))}@{domain}>"


def to_html(subject: str, body: str) -> str:
    """The text, escaped, as paragraphs (blank lines) with line breaks kept."""
    blocks = [block for block in re.split(r"\n\s*\n", body.strip()) if block.strip()]
    paragraphs = "".join(f"<p>{'<br>'.join(html.escape(line) for line in block.splitlines())}</p>\n"
                         for block in blocks)
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head>\n'
            f"<body>\n{paragraphs}</body></html>\n")
