"""The delivery worker: sends due outbox rows, one row per transaction, and retries with exponential backoff.

Each row is claimed, sent, marked and committed before the next one is claimed. On PostgreSQL the claim is
``SELECT … FOR UPDATE SKIP LOCKED`` (as for timers), so any number of workers share the outbox without
taking the same row, and a worker that dies releases its row with its connection: a crash leaves at most
the row in hand pending, and it is sent by the next run.

The window that remains: a worker that dies after the peer accepted a message and before its commit
leaves the row pending, and it is sent again. Both sends carry the row's dedupe key, as the email's
Message-ID and as the SMS gateway's idempotency key (`Idempotency-Key` header and `id` field): a gateway
that honours keys delivers it once, and mail clients that collapse duplicate Message-IDs show it once.
SMTP itself cannot refuse a duplicate, so in that rare case an email can arrive twice.

A row that keeps failing is retried MAX_ATTEMPTS times over about two and a half hours (an hour-long
outage of the mail server or the SMS centre loses nothing), then marked failed, and the admins are
alerted once on every channel they have: an alert that fails itself alerts no one, so failures cannot loop.
"""

import logging
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from engine import clock
from engine.db import db
from engine.directory import permissions
from engine.errors import Conflict, InvalidInput
from engine.models import User, UserRole
from notifications import mail, outbox, sms
from notifications.channels import ChannelError
from notifications.outbox import DeliveryAttempt, OutboxMessage

MAX_ATTEMPTS = 15
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=15)  # so a recovered peer gets an urgent alert within 15 minutes
ALERT_EVENT = "delivery_failed"
TEST_EVENT = "test_message"
TEST_SUBJECT = "KeyDesk test message / KeyDesk 测试消息"
TEST_BODY = "This message checks KeyDesk's delivery settings.\n此消息用于检查 KeyDesk 的发送设置。\n"
ADDRESS_KIND = {"email": "an email address", "sms": "a phone number such as +8613800000001"}
ADDRESS = {"email": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "sms": re.compile(r"^\+?\d{5,20}$")}
CHANNELS = {"email": mail, "sms": sms}

log = logging.getLogger(__name__)


def deliver_due(limit: int = 100, now: datetime | None = None) -> int:
    """Try each due message once, most overdue first, until none is due or `limit` were tried.

    Returns how many were tried, sent or not, so the caller can tell a full batch (run again soon) from
    an empty outbox. Commits after every message: call it with no unfinished work in the session.
    """
    tried: set[int] = set()
    while len(tried) < limit:
        try:
            message = _claim(now or clock.now(), tried)
            if message is None:
                break
            tried.add(message.id)
            _attempt(message, now or clock.now())
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return len(tried)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 30 s, doubling, at most 15 minutes."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def _claim(now: datetime, skip: set[int]) -> OutboxMessage | None:
    query = (select(OutboxMessage)
             .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
             .execution_options(populate_existing=True))  # never trust a copy read before the lock
    if skip:
        query = query.where(OutboxMessage.id.not_in(skip))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def send_now(message: OutboxMessage) -> OutboxMessage:
    """Try one message at once, whenever it was due (the admin's test message); commits."""
    try:
        _attempt(message, clock.now())
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return message


def send_test(actor: User, channel: object, address: object = None) -> OutboxMessage:
    """An admin checks a channel's settings: a test message to their own address (or the one given), tried
    at once; the answer shows whether it went out or what the peer said."""
    permissions.require(actor, "configure")
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}",
                           [{"field": "channel", "message": "unknown"}])
    address = address or {"email": actor.email, "sms": actor.phone}[channel]
    if not isinstance(address, str) or not ADDRESS[channel].match(address.strip()):
        raise InvalidInput(f"a test {channel} needs a valid address (you have none on file, or it is malformed)",
                           [{"field": "address", "message": ADDRESS_KIND[channel]}])
    [queued] = outbox.enqueue_to(TEST_EVENT, channel, address.strip(), TEST_SUBJECT, TEST_BODY,
                                 f"{TEST_EVENT}:{secrets.token_hex(8)}", recipient_id=actor.id)
    db.session.commit()
    return send_now(db.session.get(OutboxMessage, queued.id))


def resend(actor: User, message: OutboxMessage) -> OutboxMessage:
    """An admin sends a failed message again: pending now, with a fresh count of attempts; on the record."""
    permissions.require(actor, "configure")
    if message.state != "failed":
        raise Conflict(f"outbox message {message.id} is {message.state}; only a failed message can be resent")
    message.state, message.attempts, message.next_attempt_at = "pending", 0, clock.now()
    db.session.add(DeliveryAttempt(message=message, at=clock.now(), channel=message.channel, outcome="resend",
                                   actor_id=actor.id))
    db.session.commit()
    return message


def _attempt(message: OutboxMessage, now: datetime) -> None:
    message.attempts += 1
    try:
        channel = CHANNELS.get(message.channel)
        if channel is None:
            raise ChannelError(f"unknown channel {message.channel!r}")
        channel.send(message)
    except Exception as err:  # whatever went wrong, the row is retried, and the admin reads why
        _failed(message, str(err) if isinstance(err, ChannelError) else f"{err.__class__.__name__}: {err}", now)
    else:
        message.state, message.sent_at = "sent", now  # last_error stays: it tells what earlier attempts ran into
        db.session.add(DeliveryAttempt(message=message, at=now, channel=message.channel, outcome="sent"))


def _failed(message: OutboxMessage, error: str, now: datetime) -> None:
    message.last_error = error[:2000]
    db.session.add(DeliveryAttempt(message=message, at=now, channel=message.channel, outcome="error",
                                   error=message.last_error))
    if message.attempts < MAX_ATTEMPTS:
        message.next_attempt_at = now + backoff(message.attempts)
        return
    message.state = "failed"
    log.warning("outbox message %s (%s to %s) failed for good: %s", message.id, message.channel,
                message.address, error)
    if message.event != ALERT_EVENT:
        _alert_admins(message)


def _alert_admins(message: OutboxMessage) -> None:
    """One alert per admin (on each channel they have), however often this runs for the message."""
    ticket = message.ticket
    subject = f"{f'[{ticket.number}] ' if ticket else ''}Undeliverable {message.channel} to {message.address}"[:256]
    body = (f"{subject}\n\nKeyDesk gave up on outbox message {message.id} ({message.event}) "
            f"after {message.attempts} attempts.\nSubject: {message.subject}\nLast error: {message.last_error}\n")
    admins = db.session.scalars(select(User).join(UserRole)
                                .where(UserRole.role == "admin", User.active.is_(True)).order_by(User.id))
    for admin in admins:
        outbox.enqueue(ALERT_EVENT, admin, subject, body, dedupe=f"{ALERT_EVENT}:{message.id}", ticket=ticket)
