"""The delivery worker against real peers on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP SMS gateway.

Each test starts its own peers on free loopback ports and points the channel settings at them; the
settings are cleared first, so a developer's real mail server or gateway is never contacted. Backoff is
passed with the fake clock, never slept through.
"""

import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select, text

from engine.db import db
from engine.directory import users
from engine.models import User
from notifications import delivery, mail
from notifications.outbox import OutboxMessage, enqueue, enqueue_to

SETTINGS = ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_TLS", "SMTP_CAFILE", "MAIL_FROM",
            "SMS_GATEWAY", "SMS_HTTP_URL", "SMS_HTTP_METHOD", "SMS_HTTP_AUTH",
            "SMPP_HOST", "SMPP_PORT", "SMPP_SYSTEM_ID", "SMPP_PASSWORD", "SMPP_SOURCE_ADDR", "SMPP_SYSTEM_TYPE",
            "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
SENDER = "KeyDesk 服务台 <desk@keydesk.example>"
SUBJECT = "[R-2026-000042] 一级故障 SLA 超时 / Level-1 fault breached its SLA"
BODY = ("工单 R-2026-000042：上海港物流集团专线中断，已超过 45 分钟未到场。\n"
        "Ticket R-2026-000042: the leased line is down, nobody on site after 45 minutes.\n\n"
        "Priority <high> & escalated to the duty supervisor.\n")
BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture(autouse=True)
def no_outside_settings(monkeypatch):
    """Only the peers a test starts may be reached: no channel setting or proxy from the environment."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    rcpt_tos: list[str]
    message: object  # email.message.EmailMessage
    tls: bool
    user: str | None


class SmtpPeer:
    """An aiosmtpd server on a fixed loopback port that keeps every message it accepts; down until started."""

    def __init__(self):
        self.port = free_port()
        self.received: list[Received] = []
        self.greetings = 0  # EHLOs: one per connection the client opens
        self.controllers: list[Controller] = []

    def start(self, **options) -> None:
        controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        controller.start()
        self.controllers.append(controller)

    def stop(self) -> None:
        while self.controllers:
            self.controllers.pop().stop()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # aiosmtpd hook
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):  # the aiosmtpd handler hook
        tls = server.transport.get_extra_info("ssl_object") is not None
        user = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(Received(list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.original_content, policy=policy.default),
                                      tls, user))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    peer = SmtpPeer()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(peer.port))
    monkeypatch.setenv("MAIL_FROM", SENDER)
    yield peer
    mail.close()
    peer.stop()


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    json: dict
    status: int


class SmsGateway(ThreadingHTTPServer):
    """Stands in for a cloud SMS service: records each request, answers 200 or the statuses it is told."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.requests: list[Request] = []
        self.failures: list[int] = []  # statuses to answer before answering 200 again
        self.url = f"http://127.0.0.1:{self.server_port}/v1/sms"

    def accepted(self) -> list[Request]:
        """The requests a gateway that honours idempotency keys would turn into SMS: one per key."""
        return list({r.headers["Idempotency-Key"]: r for r in self.requests if r.status == 200}.values())


class _GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
        status = self.server.failures.pop(0) if self.server.failures else 200
        self.server.requests.append(Request(self.command, self.path, dict(self.headers), body, status))
        answer = json.dumps({"ok": status == 200} if status == 200 else {"error": "SMSC unavailable"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_PUT = do_POST

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def gateway(monkeypatch):
    server = SmsGateway()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("SMS_HTTP_URL", server.url)
    monkeypatch.setenv("SMS_HTTP_AUTH", "Bearer sms-test-token")
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def staff(name: str) -> User:
    return users.by_username(name)


def queue(*channels: str, who: str = "agent", key: str = "test:1") -> list[OutboxMessage]:
    """Queue the Chinese/English breach alert to a demo user, on the given channels (default: all theirs)."""
    person = staff(who)
    if channels:
        address = {"email": person.email, "sms": person.phone}
        rows = [row for channel in channels for row in
                enqueue_to("sla_breached", channel, address[channel], SUBJECT, BODY, key, recipient_id=person.id)]
    else:
        rows = enqueue("sla_breached", person, SUBJECT, BODY, key)
    db.session.commit()
    return rows


def row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def alerts() -> list[tuple[str, str, str]]:
    """(recipient, channel, state) of every admin alert about a failed delivery."""
    query = (select(User.username, OutboxMessage.channel, OutboxMessage.state)
             .join(User, User.id == OutboxMessage.recipient_id)
             .where(OutboxMessage.event == delivery.ALERT_EVENT).order_by(OutboxMessage.id))
    return [tuple(r) for r in db.session.execute(query)]


@BOTH
def test_queued_email_and_sms_arrive_once_with_chinese_text_intact(app, fake_clock, smtp, gateway):
    smtp.start()
    email, sms = queue()
    assert delivery.deliver_due() == 2
    assert (row(email.id).state, row(email.id).attempts, row(sms.id).state) == ("sent", 1, "sent")

    [got] = smtp.received
    assert got.rcpt_tos == ["agent@keydesk.example"]
    assert got.message["Subject"] == SUBJECT
    assert got.message["From"] == SENDER
    assert got.message["Message-ID"] == mail.message_id(email.dedupe_key, SENDER)
    assert got.message.get_body(("plain",)).get_content() == BODY
    page = got.message.get_body(("html",)).get_content()
    assert "上海港物流集团专线中断" in page and "Priority &lt;high&gt; &amp; escalated" in page and "<p>" in page

    [request] = gateway.requests
    assert (request.method, request.path) == ("POST", "/v1/sms")
    assert request.headers["Authorization"] == "Bearer sms-test-token"
    assert request.json["to"] == "+8613800000001"
    assert request.json["text"] == f"{SUBJECT}\n{BODY.strip()}"  # an SMS has no subject line: it leads the text
    assert request.json["id"] == request.headers["Idempotency-Key"] == sms.dedupe_key

    assert delivery.deliver_due() == 0
    assert (len(smtp.received), len(gateway.requests)) == (1, 1)


def self_signed_certificate(tmp_path) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1 and its key, made with `cryptography` or the openssl command."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("no way to make a test certificate: neither the cryptography package nor openssl is here")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        return str(cert), str(key)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    real_now = datetime.now(UTC)  # TLS checks validity against the real time, not the test's clock
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(real_now - timedelta(minutes=5)).not_valid_after(real_now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(cert), str(key)


def only_desk_password(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login, auth_data.password) == (b"desk", b"s3cret-desk")
    return AuthResult(success=ok, auth_data=auth_data if ok else None)


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd's word for implicit TLS
def test_email_over_tls_with_auth_verifies_the_servers_certificate(app, fake_clock, smtp, tmp_path, monkeypatch, mode):
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tls = {"tls_context": context, "require_starttls": True} if mode == "starttls" else \
        {"ssl_context": context, "auth_require_tls": False}  # implicit TLS: encrypted before the greeting
    smtp.start(authenticator=only_desk_password, auth_required=True, **tls)
    for name, value in {"SMTP_TLS": mode, "SMTP_USER": "desk", "SMTP_PASSWORD": "s3cret-desk"}.items():
        monkeypatch.setenv(name, value)
    [email] = queue("email")

    delivery.deliver_due()  # the certificate is not trusted yet: nothing goes out
    assert "CERTIFICATE_VERIFY_FAILED" in row(email.id).last_error and smtp.received == []

    monkeypatch.setenv("SMTP_CAFILE", cert)
    fake_clock.advance(seconds=30)
    assert delivery.deliver_due() == 1
    [got] = smtp.received
    assert (got.tls, got.user, got.message["Subject"], row(email.id).state) == (True, "desk", SUBJECT, "sent")


def test_mail_server_down_then_up_delivers_exactly_once(app, fake_clock, smtp):
    [email] = queue("email")
    assert delivery.deliver_due() == 1
    failed = row(email.id)
    assert (failed.state, failed.attempts) == ("pending", 1)
    assert failed.next_attempt_at == fake_clock.now() + timedelta(seconds=30)
    assert "Connection refused" in failed.last_error and f"127.0.0.1:{smtp.port}" in failed.last_error

    smtp.start()
    fake_clock.advance(seconds=29)
    assert delivery.deliver_due() == 0 and smtp.received == []  # its next attempt is not due yet

    fake_clock.advance(seconds=1)
    assert delivery.deliver_due() == 1
    assert delivery.deliver_due() == 0
    assert len(smtp.received) == 1
    assert (row(email.id).state, row(email.id).attempts) == ("sent", 2)


def test_the_worker_keeps_one_connection_for_many_emails(app, fake_clock, smtp):
    smtp.start()
    for key in ("a", "b", "c"):
        queue("email", key=key)
    assert delivery.deliver_due() == 3
    assert (len(smtp.received), smtp.greetings) == (3, 1)


def test_a_connection_the_server_dropped_is_opened_again_without_losing_an_attempt(app, fake_clock, smtp):
    smtp.start()
    queue("email", key="before")
    delivery.deliver_due()
    smtp.stop()
    smtp.start()  # the mail server restarted: the worker's kept connection is dead
    [email] = queue("email", key="after")
    assert delivery.deliver_due() == 1
    assert (row(email.id).state, row(email.id).attempts, row(email.id).last_error) == ("sent", 1, None)
    assert (len(smtp.received), smtp.greetings) == (2, 2)


def test_sms_gateway_errors_are_retried_with_growing_pauses(app, fake_clock, gateway):
    [sms] = queue("sms")
    gateway.failures = [500, 503]
    delivery.deliver_due()
    assert "answered HTTP 500: " in row(sms.id).last_error and "SMSC unavailable" in row(sms.id).last_error
    assert row(sms.id).next_attempt_at == fake_clock.now() + timedelta(seconds=30)

    fake_clock.advance(seconds=30)
    delivery.deliver_due()
    assert (row(sms.id).attempts, row(sms.id).next_attempt_at) == (2, fake_clock.now() + timedelta(minutes=1))

    fake_clock.advance(minutes=1)
    delivery.deliver_due()
    assert (row(sms.id).state, row(sms.id).attempts, len(gateway.accepted())) == ("sent", 3, 1)
    assert len({r.json["id"] for r in gateway.requests}) == 1  # every try carries the same key


def test_a_message_due_later_is_not_sent_before_its_time(app, fake_clock, gateway):
    [sms] = queue("sms")
    row(sms.id).next_attempt_at = fake_clock.now() + timedelta(minutes=5)
    db.session.commit()
    assert delivery.deliver_due() == 0 and gateway.requests == []
    assert delivery.deliver_due(now=fake_clock.now() + timedelta(minutes=5)) == 1
    assert row(sms.id).state == "sent"


@pytest.mark.parametrize(("channel", "error"), [("email", "SMTP_HOST is not set"), ("sms", "SMS_HTTP_URL is not set")])
def test_an_unconfigured_channel_fails_with_the_setting_to_fix_and_is_retried(app, fake_clock, channel, error):
    [message] = queue(channel)
    delivery.deliver_due()
    found = row(message.id)
    assert (found.state, found.attempts, found.last_error) == ("pending", 1, error)
    assert found.next_attempt_at == fake_clock.now() + delivery.FIRST_RETRY


def test_a_permanent_failure_marks_the_message_failed_and_alerts_the_admins_once(app, fake_clock, smtp, gateway):
    """Mail is down for good; SMS works. The agent's email fails after MAX_ATTEMPTS; the admin hears of it
    once, by SMS (their alert email fails too, and alerts no one)."""
    [email] = queue("email")
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.deliver_due()
        fake_clock.advance(seconds=delivery.LONGEST_RETRY.total_seconds())
    failed = row(email.id)
    assert (failed.state, failed.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert "Connection refused" in failed.last_error
    assert alerts() == [("admin", "email", "pending"), ("admin", "sms", "sent")]
    [request] = gateway.requests
    assert request.json["to"] == "+8613800000005" and "agent@keydesk.example" in request.json["text"]

    for _ in range(delivery.MAX_ATTEMPTS):  # the alert email fails for good as well: no alert about the alert
        delivery.deliver_due()
        fake_clock.advance(seconds=delivery.LONGEST_RETRY.total_seconds())
    assert alerts() == [("admin", "email", "failed"), ("admin", "sms", "sent")]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "failed")
                             .where(OutboxMessage.event == delivery.ALERT_EVENT)) == 1
    assert len(gateway.requests) == 1


class WorkerDied(Exception):
    pass


def die():
    raise WorkerDied("killed after the peer took the message, before the commit")


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_crash_between_send_and_commit_resends_with_the_same_key(app, fake_clock, smtp, gateway, monkeypatch,
                                                                    channel):
    """The documented window: the peer got the message, the worker died before marking it. The row is still
    pending and goes out again, with the same Message-ID / idempotency key, so the peer can drop it."""
    smtp.start()
    [message] = queue(channel)
    with monkeypatch.context() as patch:
        patch.setattr(db.session, "commit", die)
        with pytest.raises(WorkerDied):
            delivery.deliver_due()
    assert (row(message.id).state, row(message.id).attempts) == ("pending", 0)

    assert delivery.deliver_due() == 1
    assert row(message.id).state == "sent"
    assert [a.outcome for a in row(message.id).attempts_made] == ["sent"]  # the crashed try left no line
    if channel == "email":
        assert [r.message["Message-ID"] for r in smtp.received] == [mail.message_id(message.dedupe_key, SENDER)] * 2
    else:
        assert [r.headers["Idempotency-Key"] for r in gateway.requests] == [message.dedupe_key] * 2
        assert len(gateway.accepted()) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_a_worker_skips_the_message_another_worker_holds(app, fake_clock, gateway):
    first, second = queue("sms", key="a") + queue("sms", key="b")
    with db.engine.connect() as other_worker:  # holds the first row as a worker busy sending it would
        other_worker.execute(text("SELECT id FROM outbox_messages WHERE id = :id FOR UPDATE"), {"id": first.id})
        db.session.execute(text("SET lock_timeout = '5s'"))  # the claim's transaction: fail, not hang, if it waits
        assert delivery.deliver_due() == 1
        assert [r.json["id"] for r in gateway.requests] == [second.dedupe_key]
        other_worker.rollback()
    assert delivery.deliver_due() == 1
    assert (row(first.id).state, row(second.id).state) == ("sent", "sent")
