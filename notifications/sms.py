"""SMS to staff and customers through the gateway SMS_GATEWAY names: `http` (default, a cloud SMS service)
or `smpp` (the operator's SMSC). Read at each send, so switching gateways needs no restart."""

import os

from notifications import smpp, sms_http
from notifications.channels import ChannelError

GATEWAYS = {"http": sms_http, "smpp": smpp}


def send(message) -> None:
    """Hand one outbox row to the configured gateway, with its dedupe key for gateways that take one."""
    name = os.environ.get("SMS_GATEWAY", "").strip().lower() or "http"
    gateway = GATEWAYS.get(name)
    if gateway is None:
        raise ChannelError(f"SMS_GATEWAY must be http or smpp, not {name!r}")
    gateway.send(message.address, text(message), message.dedupe_key)


def text(message) -> str:
    """An SMS has no subject line: the subject (which names the ticket) leads, unless the body says it."""
    subject, body = " ".join(message.subject.split()), message.body.strip()
    return body if not subject or subject in body else "\n".join(filter(None, (subject, body)))
