"""SMS to the operator's SMSC over SMPP 3.4, with smpplib: bind_transceiver, then one submit_sm a part.

Settings are read from the environment: SMPP_HOST, SMPP_PORT (default 2775), SMPP_SYSTEM_ID,
SMPP_PASSWORD, SMPP_SOURCE_ADDR (the sender number or name the SMSC allows), SMPP_SYSTEM_TYPE.
Text the GSM 7-bit alphabet cannot carry (Chinese) goes as UCS-2 (data_coding 8); a text too long for one
SMS is split into concatenated parts (a UDH with one reference and the part numbers), which the handset
joins into one message.

A worker keeps its bound session open between messages (binding costs a round trip and SMSCs limit binds)
and binds again when the settings change or the link broke (links.py). SMPP has no idempotency key: a
worker that dies after the SMSC accepted a message and before marking it sent makes the next worker
submit it again.
"""

import contextlib
import os
import socket
from dataclasses import dataclass

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from notifications.channels import ChannelError
from notifications.links import KeptLink

TIMEOUT = 15  # seconds per PDU round trip: the worker holds the row's claim while it waits
DEFAULT_PORT = 2775
TON_INTERNATIONAL, TON_ALPHANUMERIC, NPI_ISDN = 1, 5, 1
ANSWERED = {"enquire_link": "enquire_link_resp", "deliver_sm": "deliver_sm_resp"}
FAILURES = (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError)


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    system_id: str
    password: str
    source_addr: str
    system_type: str


def settings() -> Settings:
    """The SMPP settings from the environment, or a ChannelError that names the setting to fix."""
    env = {name: os.environ.get(name, "").strip() for name in
           ("SMPP_HOST", "SMPP_PORT", "SMPP_SYSTEM_ID", "SMPP_SOURCE_ADDR", "SMPP_SYSTEM_TYPE")}
    for required in ("SMPP_HOST", "SMPP_SYSTEM_ID"):
        if not env[required]:
            raise ChannelError(f"{required} is not set")
    port = env["SMPP_PORT"] or str(DEFAULT_PORT)
    if not port.isdigit():
        raise ChannelError(f"SMPP_PORT must be a port number, not {port!r}")
    return Settings(env["SMPP_HOST"], int(port), env["SMPP_SYSTEM_ID"], os.environ.get("SMPP_PASSWORD", ""),
                    env["SMPP_SOURCE_ADDR"], env["SMPP_SYSTEM_TYPE"])


def _bind(config: Settings) -> smpplib.client.Client:
    client = smpplib.client.Client(config.host, config.port, timeout=TIMEOUT, allow_unknown_opt_params=True)
    client.connect()
    try:
        client.bind_transceiver(system_id=config.system_id, password=config.password, system_type=config.system_type)
    except BaseException:
        client.disconnect()
        raise
    return client


def _unbind(client: smpplib.client.Client) -> None:
    with contextlib.suppress(*FAILURES):  # the link is gone already: nothing to say goodbye to
        client.unbind()
    client.disconnect()


_link = KeptLink(_bind, _unbind)


def send(address: str, text: str, key: str) -> None:
    """Submit one SMS (all its parts) and wait for the SMSC to accept each; a refusal is a ChannelError."""
    config = settings()
    parts, coding, esm_class = smpplib.gsm.make_parts(text)

    def first(client) -> None:
        _submit(client, config, address, parts[0], coding, esm_class)

    def the_rest(client) -> None:
        for part in parts[1:]:
            _submit(client, config, address, part, coding, esm_class)

    try:
        _link.use(config, first, dropped=(smpplib.exceptions.ConnectionError,), rest=the_rest)
    except FAILURES as err:
        raise ChannelError(f"SMSC {config.host}:{config.port}: {_describe(err)}") from err


def close() -> None:
    """Unbind this process's session (at shutdown, or when a test's SMSC goes away)."""
    _link.close()


def _submit(client, config: Settings, address: str, part: bytes, coding: int, esm_class: int) -> None:
    """One submit_sm, then read until its submit_sm_resp (answering the SMSC's enquire_link meanwhile)."""
    source_ton = TON_ALPHANUMERIC if config.source_addr and not config.source_addr.isdigit() else 0
    international = address.startswith("+")
    pdu = client.send_message(
        source_addr_ton=source_ton, source_addr_npi=0 if source_ton else NPI_ISDN, source_addr=config.source_addr,
        dest_addr_ton=TON_INTERNATIONAL if international else 0, dest_addr_npi=NPI_ISDN,
        destination_addr=address.removeprefix("+"), short_message=part, data_coding=coding, esm_class=esm_class,
        registered_delivery=0)
    while True:
        answer = client.read_pdu()
        if answer.command in ANSWERED:  # a keep-alive, or a delivery receipt this channel does not use
            reply = smpplib.smpp.make_pdu(ANSWERED[answer.command], client=client)
            reply.sequence = answer.sequence
            client.send_pdu(reply)
        elif answer.command in ("submit_sm_resp", "generic_nack") and answer.sequence == pdu.sequence:
            if answer.is_error():
                raise smpplib.exceptions.PDUError(_status(answer.status), int(answer.status))
            return
        elif answer.command == "unbind":
            raise smpplib.exceptions.ConnectionError("the SMSC unbound the session")


def _status(status: int) -> str:
    return f"submit_sm refused with status 0x{status:08X} ({smpplib.consts.DESCRIPTIONS.get(status, 'unknown')})"


def _describe(err: Exception) -> str:
    if isinstance(err, socket.timeout):
        return f"no answer within {TIMEOUT} s"
    if isinstance(err, smpplib.exceptions.ConnectionError):
        return f"connection lost or refused{f': {err}' if str(err) else ''}"
    return f"{err.__class__.__name__}: {err}" if not isinstance(err, smpplib.exceptions.PDUError) else str(err.args[0])
