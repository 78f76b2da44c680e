"""SMS through a generic HTTP gateway, the shape most cloud SMS services share: one JSON request a message.

Settings are read from the environment at each send: SMS_HTTP_URL, SMS_HTTP_METHOD (default POST) and
SMS_HTTP_AUTH (sent as the Authorization header). The body is `{"to": phone, "text": text, "id": key}`
with the outbox row's dedupe key as `id` and as the `Idempotency-Key` header, so a gateway that honours
either delivers a message sent again after a worker crash only once. Any 2xx answer is success.
"""

import json
import os
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit

from notifications.channels import ChannelError

TIMEOUT = 15  # seconds: the worker holds the row's claim while it waits for the gateway


def send(address: str, text: str, key: str) -> None:
    """POST (or the configured method) one SMS to the gateway; a non-2xx answer is a ChannelError."""
    url = os.environ.get("SMS_HTTP_URL", "").strip()
    if not url:
        raise ChannelError("SMS_HTTP_URL is not set")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ChannelError("SMS_HTTP_URL must be an http:// or https:// URL")
    body = json.dumps({"to": address, "text": text, "id": key}, ensure_ascii=False)
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": quote(key, safe=":@._-")}
    if auth := os.environ.get("SMS_HTTP_AUTH", "").strip():
        headers["Authorization"] = auth
    method = os.environ.get("SMS_HTTP_METHOD", "").strip().upper() or "POST"
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method=method)
    gateway = parts.netloc.rpartition("@")[2]  # never echo credentials or query tokens into last_error
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as err:
        raise ChannelError(f"SMS gateway {gateway} answered HTTP {err.code}: {_excerpt(err)}") from err
    except OSError as err:  # URLError, refused, unreachable, timed out
        raise ChannelError(f"SMS gateway {gateway} unreachable: {getattr(err, 'reason', err)}") from err


def _excerpt(err: urllib.error.HTTPError) -> str:
    try:
        said = err.read(300).decode("utf-8", "replace")
    except OSError:
        said = ""
    return " ".join(said.split()) or err.reason
